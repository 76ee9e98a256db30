/*
 * indexer.h - the job that feeds the search's trigram index of order references (migration
 * 010, 011) with the transactions written since it last ran: every second, through the
 * writer, in batches of at most INDEXER_BATCH rows, one after the other, so payments queued
 * meanwhile go between two batches (a batch holds the writer a few milliseconds). The search
 * reads the rows it has not reached yet directly, so a new payment is found at once all the
 * same.
 */
#ifndef GUICHET_INDEXER_H
#define GUICHET_INDEXER_H

#include "common/status.h"
#include "work/periodic.h"

#define INDEXER_BATCH    200
#define INDEXER_EVERY_MS 1000 /* between two batches */
#define INDEXER_PAUSE_MS 2    /* instead, after a full one */

/* Starts the job; its writes go to w, which must outlive it. periodic_stop stops it (the rows
 * not indexed yet stay for the next start). ST_OK or ST_INTERNAL. */
int indexer_start(struct work *w, struct periodic **out) WUR;

#endif
