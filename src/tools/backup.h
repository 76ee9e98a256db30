/*
 * backup.h - `guichetd backup`: a consistent, checked copy of a database that a server may be
 * using (docs/OPERATIONS.md "Backup and restore").
 */
#ifndef GUICHET_BACKUP_H
#define GUICHET_BACKUP_H

#include <stdio.h>

#include "common/status.h"

/* Copies the database db_path to to_path as of one instant, while servers go on using it:
 * written beside to_path under a temporary name, checked whole, flushed to disk, then renamed,
 * so that to_path is a whole backup or does not exist. Tells what it did on out. Returns
 * ST_OK; ST_CONFLICT when to_path exists (nothing written); ST_INVALID when the copy is not
 * whole (removed); ST_STORE or ST_INTERNAL (an I/O error, logged; nothing left). */
int backup_run(const char *db_path, const char *to_path, FILE *out) WUR;

#endif
