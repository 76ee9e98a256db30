/*
 * indexer.c - the search index job (indexer.h): its rounds on the writer (work/periodic.h).
 */
#include "jobs/indexer.h"
#include "common/log.h"

struct index_job {
	struct periodic_job head;
	int done; /* rows indexed */
};

static int
index_run(struct work_job *w, struct store *st)
{
	struct index_job *j = (struct index_job *)w;

	return st->ops->txn_ref_catch_up(st, INDEXER_BATCH, &j->done);
}

static bool
index_done(struct work_job *w)
{
	struct index_job *j = (struct index_job *)w;

	if (w->rc != ST_OK)
		log_error("event=index_failed rc=%d", w->rc);
	return w->rc == ST_OK && j->done == INDEXER_BATCH;
}

int
indexer_start(struct work *w, struct periodic **out)
{
	static const struct periodic_spec spec = {
	        .job_size = sizeof(struct index_job),
	        .run = index_run,
	        .done = index_done,
	        .every_ms = INDEXER_EVERY_MS,
	        .pause_ms = INDEXER_PAUSE_MS,
	        .name = "indexer",
	        .once = true,
	};

	return periodic_start(w, &spec, out);
}
