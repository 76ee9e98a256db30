/*
 * export.c - a journal's export streamed a page at a time (export.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/export.h"
#include "api/export_layout.h"
#include "common/log.h"

/* One export, in the request's pool: where it is, and the chunk h2o is sending (it must live
 * until h2o asks for the next one). */
struct export_stream {
	h2o_generator_t gen; /* first */
	struct req *r;
	struct export_source src;
	int64_t after_at, after_id; /* the last row made */
	char *sent;                 /* the chunk h2o is sending */
	char *ready;                /* the next one, made while that one goes out */
	size_t ready_len;
	bool have_ready;
	bool ready_final;
	bool started;
	bool sending;   /* h2o has not asked for more yet */
	bool in_flight; /* a reader is making a page */
	bool done;      /* the last page was made */
	bool failed;    /* a page failed while a chunk was going out */
};

static void
stream_dispose(void *p)
{
	struct export_stream *es = p;

	free(es->sent);
	free(es->ready);
}

static int stream_next(struct export_stream *es);

/* Sends the ready chunk, and has the next page made while it goes out. */
static void
stream_send(struct export_stream *es)
{
	h2o_iovec_t chunk = h2o_iovec_init(es->ready, es->ready_len);
	bool final = es->ready_final;

	free(es->sent);
	es->sent = es->ready;
	es->ready = NULL;
	es->have_ready = false;
	es->sending = !final;
	if (!final && !es->done && !es->in_flight) {
		if (stream_next(es) != ST_OK) {
			h2o_send(es->r->h2o, NULL, 0, H2O_SEND_STATE_ERROR);
			return;
		}
		es->in_flight = true;
	}
	h2o_send(es->r->h2o, &chunk, 1, final ? H2O_SEND_STATE_FINAL : H2O_SEND_STATE_IN_PROGRESS);
}

/* h2o sent the chunk: the next one goes if it is made, else when its page is. */
static void
stream_proceed(h2o_generator_t *gen, h2o_req_t *req)
{
	struct export_stream *es = (struct export_stream *)gen;

	es->sending = false;
	free(es->sent);
	es->sent = NULL;
	if (es->failed)
		h2o_send(req, NULL, 0, H2O_SEND_STATE_ERROR);
	else if (es->have_ready)
		stream_send(es);
}

static void
stream_stop(h2o_generator_t *gen, h2o_req_t *req)
{
	(void)gen;
	(void)req; /* the request pool's dispose callback frees what is left */
}

static void
stream_start(struct export_stream *es, const struct export_page *p)
{
	struct req *r = es->r;
	const char *type = p->type       ? p->type
	                   : es->src.txt ? "text/plain; charset=utf-8"
	                                 : "text/csv; charset=utf-8";
	char *disposition = h2o_mem_alloc_pool(&r->h2o->pool, 128);
	int n = snprintf(disposition, 128, "attachment; filename=\"%s.%s\"", es->src.name,
	                 p->ext        ? p->ext
	                 : es->src.txt ? "txt"
	                               : "csv");

	es->started = true;
	r->h2o->res.status = 200;
	r->h2o->res.reason = "OK";
	h2o_add_header(&r->h2o->pool, &r->h2o->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, type,
	               strlen(type));
	h2o_add_header(&r->h2o->pool, &r->h2o->res.headers, H2O_TOKEN_CONTENT_DISPOSITION, NULL,
	               disposition, (size_t)n);
	h2o_add_header(&r->h2o->pool, &r->h2o->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL,
	               H2O_STRLIT("no-store"));
	es->gen.proceed = stream_proceed;
	es->gen.stop = stream_stop;
	h2o_start_response(r->h2o, &es->gen);
}

static void
page_respond(struct http_job *hj, struct req *r)
{
	struct export_page *p = (struct export_page *)hj;
	struct export_stream *es = r->handler_ctx;

	es->in_flight = false;
	if (p->base.work.rc != ST_OK) {
		/* A refusal (another brand's node=) is the client's; an error only when the store
		 * failed or the stream broke after its start. */
		if (es->started || http_status_of(p->base.work.rc) >= 500)
			log_error("event=export_failed req=%s rc=%d", r->id, p->base.work.rc);
		else
			log_info("event=export_refused req=%s status=%d", r->id,
			         http_status_of(p->base.work.rc));
		if (!es->started)
			http_reply_error(r, p->base.work.rc, NULL, NULL);
		else if (es->sending) /* h2o takes no new send before it asks for one */
			es->failed = true;
		else
			h2o_send(r->h2o, NULL, 0, H2O_SEND_STATE_ERROR);
		return;
	}
	if (!es->started)
		stream_start(es, p);
	if (es->src.carry != NULL)
		es->src.carry(es->src.ctx, p);
	es->after_at = p->last_at;
	es->after_id = p->last_id;
	es->done = p->n < es->src.limit;
	es->ready = p->chunk;
	es->ready_len = p->chunk_len;
	es->have_ready = true;
	es->ready_final = es->done;
	p->chunk = NULL;
	if (!es->sending)
		stream_send(es);
}

/* Hands the next page to a reader. */
static int
stream_next(struct export_stream *es)
{
	struct export_page *p = es->src.page(es->r, es->src.ctx, es->after_at, es->after_id);
	int rc;

	p->base.respond = page_respond;
	p->base.work.scan = true;
	rc = http_submit(es->r, &p->base, false);
	if (rc != ST_OK)
		p->base.free(&p->base);
	return rc;
}

int
export_stream(struct req *r, const struct export_source *src)
{
	struct export_stream *es = h2o_mem_alloc_shared(&r->h2o->pool, sizeof(*es), stream_dispose);
	int rc;

	memset(es, 0, sizeof(*es));
	es->r = r;
	es->src = *src;
	r->handler_ctx = es;
	rc = stream_next(es);
	if (rc != ST_OK)
		http_reply_error(r, rc, NULL, NULL);
	es->in_flight = rc == ST_OK;
	return 0;
}

int
export_row_end(struct export_page *p, struct export_out *o, int64_t at, int64_t id)
{
	export_out_row_end(o);
	p->last_at = at;
	p->last_id = id;
	p->n++;
	return o->b->failed ? ST_TOOBIG : ST_OK;
}
