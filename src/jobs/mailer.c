/*
 * mailer.c - the outbox delivery job (mailer.h).
 *
 * A round reads the due mails (a read transaction on the job's own connection, closed before
 * any delivery), opens each sealed body and builds its message once (the text lives only in
 * this memory, wiped after the round), delivers them one by one (a file, or a transfer on
 * one libcurl handle that keeps its connection to the relay between mails), then hands the
 * outcomes to the writer in one job and waits for it: the next round reads the marks, so a
 * mail is delivered again only after a crash or a failed write.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "common/clock.h"
#include "common/limits.h"
#include "common/log.h"
#include "common/metrics.h"
#include "domain/calendar.h"
#include "jobs/mailer.h"
#include "service/outbox.h"

/* What became of one mail in a round, for the writer. */
enum outcome { OUT_SENT, OUT_RETRY, OUT_FAILED };

struct pending {
	int64_t id;
	int64_t since; /* the 3 days count from it: written, or an administrator's retry */
	int attempts;
	struct buf msg;
	char recipient[sizeof(((struct mail *)0)->recipient)];
	bool unsendable; /* its body does not open, or its message is too large */
	enum outcome outcome;
	int64_t at;                           /* sent_at, next_attempt_at or failed_at */
	char error[LIMIT_MAIL_ERROR_LEN + 1]; /* the relay's answer or the error met */
};

struct mailer {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stop;
	pthread_cond_t marked; /* the writer ran the round's marks */
	bool marks_done;
	struct store *st;
	struct work *w;
	const struct crypto_keys *keys; /* opens the sealed bodies */
	char spool[4096];
	char from[LIMIT_SMTP_FROM_MAX + 1];
	char sender[LIMIT_SMTP_FROM_MAX + 3]; /* "<addr>", the envelope's */
	int64_t retry_first_us;
	CURL *curl;       /* NULL: the spool folder */
	bool curl_global; /* curl_global_init succeeded */
	char *user, *pass;
	char error[CURL_ERROR_SIZE]; /* libcurl's text of the last failure */
	/* What the relay said during the last transfer (smtp_trace): the reply being read, its
	 * lines joined; the last refusal (a 4yz or 5yz reply: libcurl's QUIT gets a 221 after
	 * it); and whether the mail transaction (MAIL FROM) had begun. */
	char answer[LIMIT_MAIL_ERROR_LEN + 1];
	char refusal[LIMIT_MAIL_ERROR_LEN + 1];
	bool answer_done; /* the last reply line was its last one: the next starts anew */
	bool in_transaction;
	struct pending round[LIMIT_MAIL_ROUND];
	int n;
	struct metrics_job *metrics; /* its rounds */
};

struct marks_job {
	struct work_job work;
	struct mailer *m;
};

/* ---- checks of the command line ------------------------------------------------------- */

int
mailer_smtp_url_check(const char *url)
{
	size_t n = strlen(url);
	const char *host = strncmp(url, "smtps://", 8) == 0  ? url + 8
	                   : strncmp(url, "smtp://", 7) == 0 ? url + 7
	                                                     : NULL;
	const char *p, *end;

	if (host == NULL || n > LIMIT_SMTP_URL_MAX)
		return ST_INVALID;
	end = host + strcspn(host, "/"); /* the authority; a path names the EHLO */
	if (end == host)
		return ST_INVALID;
	if (*host == '[') {
		p = memchr(host, ']', (size_t)(end - host));
		if (p == NULL || p == host + 1 ||
		    strspn(host + 1, "0123456789abcdefABCDEF:.") != (size_t)(p - host - 1))
			return ST_INVALID;
		p++;
	} else {
		p = host +
		    strspn(host,
		           "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-");
		if (p == host)
			return ST_INVALID;
	}
	if (*p == ':') {
		size_t digits = strspn(p + 1, "0123456789");
		long port = digits > 0 && digits <= 5 ? strtol(p + 1, NULL, 10) : 0;

		if (port < 1 || port > 65535)
			return ST_INVALID;
		p += 1 + digits;
	}
	if (p != end)
		return ST_INVALID; /* a user part ('@'), a query, anything else */
	if (*end == '/' &&
	    strspn(end + 1, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") !=
	            strlen(end + 1))
		return ST_INVALID;
	return ST_OK;
}

int
mailer_from_check(const char *from, char *addr, size_t cap)
{
	const char *lt = strchr(from, '<'), *a = from, *at;
	size_t len = strlen(from);

	if (len == 0 || len > LIMIT_SMTP_FROM_MAX)
		return ST_INVALID;
	for (const char *p = from; *p != '\0'; p++)
		if (*p < 0x20 || *p > 0x7e)
			return ST_INVALID; /* no header folding, no injection, no 8-bit */
	if (lt != NULL) {
		/* "Name <addr>": the name must not need quoting to stay one phrase. */
		if (from[len - 1] != '>' || strcspn(from, "\",;:@()[]\\") < (size_t)(lt - from) ||
		    strchr(lt + 1, '<') != NULL)
			return ST_INVALID;
		a = lt + 1;
		len = (size_t)(from + len - 1 - a);
	}
	at = memchr(a, '@', len);
	if (at == NULL || at == a || at == a + len - 1 || len >= cap ||
	    strcspn(a, " <>\"(),;:[]\\") < len || memchr(at + 1, '@', (size_t)(a + len - at - 1)))
		return ST_INVALID;
	memcpy(addr, a, len);
	addr[len] = '\0';
	return ST_OK;
}

/* ---- the message ------------------------------------------------------------------------ */

/* RFC 5322 §3.3: "Tue, 24 Nov 2026 17:43:05 +0000", in UTC; out holds 64 bytes. */
static void
date_format(int64_t t_us, char out[64])
{
	static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	time_t t = (time_t)(t_us / CAL_US_PER_S);
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(out, 64, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday], tm.tm_mday,
	         months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* The Subject field's body: as it is when printable ASCII; else RFC 2047 "Q" encoded words,
 * each ending on a whole UTF-8 character (§5), folded; a word is at most 66 characters so
 * that even the first line, after "Subject: ", stays within §2's 76. A CR or LF
 * in a subject (a shop's name in it) is encoded too: it cannot start a header of its own. */
static void
subject_add(struct buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)s;
	char word[80];
	size_t wl;
	bool plain = true;

	for (const unsigned char *q = p; *q != '\0'; q++)
		plain = plain && *q >= 0x20 && *q < 0x7f;
	/* "=?" would read as the start of an encoded word. */
	if (plain && strstr(s, "=?") == NULL) {
		buf_adds(out, s);
		return;
	}
	while (*p != '\0') {
		memcpy(word, "=?UTF-8?Q?", 10);
		wl = 10;
		while (*p != '\0') {
			size_t clen = *p < 0x80    ? 1
			              : *p >= 0xf0 ? 4
			              : *p >= 0xe0 ? 3
			              : *p >= 0xc0 ? 2
			                           : 1;
			char enc[12];
			size_t el = 0;

			for (size_t i = 0; i < clen && p[i] != '\0'; i++) {
				unsigned char c = p[i];

				if (c == ' ')
					enc[el++] = '_';
				else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
				         (c >= '0' && c <= '9') || strchr("!*+-/", c) != NULL)
					enc[el++] = (char)c;
				else {
					enc[el++] = '=';
					enc[el++] = hex[c >> 4];
					enc[el++] = hex[c & 15];
				}
			}
			if (wl + el + 2 > 66)
				break;
			memcpy(word + wl, enc, el);
			wl += el;
			for (size_t i = 0; i < clen && *p != '\0'; i++)
				p++;
		}
		memcpy(word + wl, "?=", 2);
		wl += 2;
		buf_add(out, word, wl);
		if (*p != '\0')
			buf_adds(out,
			         "\r\n "); /* folding; the space between two words is not text */
	}
}

void
mailer_message_build(const struct mail *mail, const char *from, struct buf *out)
{
	char date[64], line[600];
	const char *at = strrchr(from, '@');
	size_t dl = at == NULL ? 0 : strcspn(at + 1, ">");

	date_format(mail->created_at, date);
	snprintf(line, sizeof(line), "From: %s\r\nTo: <%s>\r\n", from, mail->recipient);
	buf_adds(out, line);
	/* An address the API checked (api_email_ascii); a line break could add headers, so one
	 * that holds any is left out whatever wrote it. */
	if (mail->reply_to[0] != '\0' && strpbrk(mail->reply_to, "\r\n") == NULL) {
		snprintf(line, sizeof(line), "Reply-To: <%s>\r\n", mail->reply_to);
		buf_adds(out, line);
	}
	buf_adds(out, "Subject: ");
	subject_add(out, mail->subject);
	snprintf(line, sizeof(line),
	         "\r\nDate: %s\r\nMessage-ID: <%lld@%.*s>\r\nMIME-Version: 1.0\r\n", date,
	         (long long)mail->id, (int)dl, at == NULL ? "" : at + 1);
	buf_adds(out, line);
	/* A multipart body (a push report's attachment) brings its parts and their headers; its
	 * type, written by this program, holds no line break, but one that did is left out. */
	if (mail->content_type[0] != '\0' && strpbrk(mail->content_type, "\r\n") == NULL)
		snprintf(line, sizeof(line), "Content-Type: %s\r\n\r\n", mail->content_type);
	else
		snprintf(line, sizeof(line), "%s",
		         "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: "
		         "8bit\r\n\r\n");
	buf_adds(out, line);
	for (const char *p = mail->body; *p != '\0'; p++) {
		if (*p == '\n' && (p == mail->body || p[-1] != '\r'))
			buf_add(out, "\r", 1);
		buf_add(out, p, 1);
	}
	buf_adds(out, "\r\n");
}

/* ---- delivery ----------------------------------------------------------------------------- */

/* Writes one message as <spool>/<id>.eml: a temporary file, fsync, rename. */
static int
write_eml(struct mailer *m, struct pending *pm)
{
	char path[4200], tmp[4210];
	FILE *f;
	int rc = ST_STORE;

	snprintf(path, sizeof(path), "%s/%012lld.eml", m->spool, (long long)pm->id);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (f == NULL)
		goto out;
	if (fwrite(pm->msg.data, 1, pm->msg.len, f) == pm->msg.len && fflush(f) == 0 &&
	    fsync(fileno(f)) == 0)
		rc = ST_OK;
	if (fclose(f) != 0)
		rc = ST_STORE;
	if (rc == ST_OK && rename(tmp, path) != 0)
		rc = ST_STORE;
out:
	if (rc != ST_OK) {
		snprintf(pm->error, sizeof(pm->error), "%s", strerror(errno));
		unlink(tmp);
	}
	return rc;
}

struct upload {
	const char *p;
	size_t left;
};

static size_t
upload_read(char *dst, size_t size, size_t nitems, void *arg)
{
	struct upload *u = arg;
	size_t n = size * nitems < u->left ? size * nitems : u->left;

	memcpy(dst, u->p, n);
	u->p += n;
	u->left -= n;
	return n;
}

/* The errors that say the relay itself is out of reach or refuses us: the other mails of the
 * round would fail the same way, so the round stops there. */
static bool
relay_down(CURLcode c)
{
	switch (c) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_LOGIN_DENIED:
	case CURLE_USE_SSL_FAILED:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
		return true;
	default:
		return false;
	}
}

/* The printable ASCII of s, in place (anything else becomes '?'): what the outbox row, the
 * back office's JSON and the log get of a relay's answer, whatever bytes it sent. */
static void
printable(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			*s = '?';
}

/* libcurl's trace of the SMTP dialogue (CURLOPT_DEBUGFUNCTION; only with CURLOPT_VERBOSE):
 * keeps the relay's last refusal, its lines joined by spaces, and notes the MAIL command that
 * begins the mail transaction. Nothing else is looked at: the commands sent include AUTH's
 * credentials and the data the message, neither of which is kept. */
static int
smtp_trace(CURL *c, curl_infotype type, char *data, size_t size, void *arg)
{
	struct mailer *m = arg;
	size_t have, n;

	(void)c;
	if (type == CURLINFO_HEADER_OUT && size >= 5 && strncasecmp(data, "MAIL ", 5) == 0)
		m->in_transaction = true;
	if (type != CURLINFO_HEADER_IN)
		return 0;
	while (size > 0 && (data[size - 1] == '\n' || data[size - 1] == '\r'))
		size--;
	if (m->answer_done)
		m->answer[0] = '\0';
	have = strlen(m->answer);
	if (have > 0 && have < sizeof(m->answer) - 1)
		m->answer[have++] = ' ';
	n = size < sizeof(m->answer) - 1 - have ? size : sizeof(m->answer) - 1 - have;
	memcpy(m->answer + have, data, n);
	m->answer[have + n] = '\0';
	/* RFC 5321 §4.2.1: "250-" goes on, "250 " (or a bare code) is the reply's last line. */
	m->answer_done = size < 4 || data[3] != '-';
	if (m->answer_done && (m->answer[0] == '4' || m->answer[0] == '5'))
		memcpy(m->refusal, m->answer, sizeof(m->refusal));
	return 0;
}

/* Sends one message to the relay; libcurl escapes the lines that start with a dot. On a
 * failure, pm->error says why: the relay's reply when it refused, else libcurl's text;
 * *permanent: the relay refused the mail itself for good; *down: the relay is out of reach
 * or refuses us, and the other mails of the round would fail the same way. */
static int
send_smtp(struct mailer *m, struct pending *pm, bool *down, bool *permanent)
{
	struct upload u = {pm->msg.data, pm->msg.len};
	struct curl_slist *rcpt = NULL;
	char to[sizeof(pm->recipient) + 2];
	long code = 0;
	CURLcode c;

	snprintf(to, sizeof(to), "<%s>", pm->recipient);
	rcpt = curl_slist_append(NULL, to);
	if (rcpt == NULL)
		abort();
	m->error[0] = '\0';
	m->answer[0] = '\0';
	m->refusal[0] = '\0';
	m->answer_done = false;
	m->in_transaction = false;
	curl_easy_setopt(m->curl, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(m->curl, CURLOPT_READDATA, &u);
	curl_easy_setopt(m->curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)pm->msg.len);
	c = curl_easy_perform(m->curl);
	curl_easy_setopt(m->curl, CURLOPT_MAIL_RCPT, NULL);
	curl_slist_free_all(rcpt);
	if (c == CURLE_OK)
		return ST_OK;
	curl_easy_getinfo(m->curl, CURLINFO_RESPONSE_CODE, &code);
	/* RFC 5321 §4.2.1: a 5yz reply refuses for good; the same transaction sent again gets
	 * the same answer, so it is not tried for 3 days. Only within the mail transaction
	 * (MAIL FROM, RCPT TO, DATA, the end of data): a 5yz to the greeting, EHLO or AUTH says
	 * the relay or its settings are wrong, not the mail, and stays temporary (a wrong
	 * password would otherwise fail every mail at once). */
	*permanent = m->in_transaction && code >= 500 && code <= 599;
	*down = !*permanent && relay_down(c);
	if (code >= 400 && m->refusal[0] != '\0')
		snprintf(pm->error, sizeof(pm->error), "%s", m->refusal);
	else
		snprintf(pm->error, sizeof(pm->error), "%s",
		         m->error[0] != '\0' ? m->error : curl_easy_strerror(c));
	return ST_INTERNAL;
}

/* Delivers one mail and decides what the writer records of it. false: the relay is down,
 * the round stops. */
static bool
deliver(struct mailer *m, struct pending *pm)
{
	int64_t now = clock_now_us(), delay_ms;
	bool down = false, permanent = false;
	int rc = m->curl != NULL ? send_smtp(m, pm, &down, &permanent) : write_eml(m, pm);

	pm->at = now;
	if (rc == ST_OK) {
		pm->outcome = OUT_SENT;
		if (m->curl != NULL)
			log_info("event=mail_sent id=%lld", (long long)pm->id);
		else
			log_info("event=mail_spooled id=%lld", (long long)pm->id);
		return true;
	}
	printable(pm->error);
	if (permanent || now - pm->since >= (int64_t)LIMIT_MAIL_GIVE_UP_S * CAL_US_PER_S) {
		pm->outcome = OUT_FAILED;
		log_error("event=mail_failed id=%lld attempts=%d permanent=%s error=\"%s\"",
		          (long long)pm->id, pm->attempts + 1, permanent ? "yes" : "no", pm->error);
		return !down;
	}
	/* 1, 2, 4 … times the first delay, an hour at most. */
	delay_ms = pm->attempts >= 20 ? LIMIT_MAIL_RETRY_MAX_MS
	                              : (m->retry_first_us / 1000) << pm->attempts;
	if (delay_ms > LIMIT_MAIL_RETRY_MAX_MS)
		delay_ms = LIMIT_MAIL_RETRY_MAX_MS;
	pm->outcome = OUT_RETRY;
	pm->at = now + delay_ms * 1000;
	log_warn("event=mail_deferred id=%lld attempts=%d retry_in_ms=%lld error=\"%s\"",
	         (long long)pm->id, pm->attempts + 1, (long long)delay_ms, pm->error);
	return !down;
}

/* ---- the round ---------------------------------------------------------------------------- */

static int
collect(void *arg, const struct mail *mail)
{
	struct mailer *m = arg;
	struct pending *pm = &m->round[m->n];
	struct mail open = *mail;
	char *text = NULL;

	memset(pm, 0, sizeof(*pm));
	pm->id = mail->id;
	pm->since = mail->retried_at > 0 ? mail->retried_at : mail->created_at;
	pm->attempts = mail->attempts;
	snprintf(pm->recipient, sizeof(pm->recipient), "%s", mail->recipient);
	buf_init(&pm->msg, LIMIT_MAIL_BYTES);
	if (outbox_body_open(m->keys, mail, &text) != ST_OK) {
		/* Sealed with another data key, or moved to another row: no attempt would pass. */
		pm->unsendable = true;
		snprintf(pm->error, sizeof(pm->error), "%s",
		         "the body does not open with this server's key");
	} else {
		open.body = text;
		mailer_message_build(&open, m->from, &pm->msg);
		explicit_bzero(text, strlen(text));
		free(text);
		if (pm->msg.failed) {
			pm->unsendable = true;
			snprintf(pm->error, sizeof(pm->error), "%s", "message too large");
		}
	}
	m->n++;
	return ST_OK;
}

static int
marks_run(struct work_job *w, struct store *st)
{
	struct mailer *m = ((struct marks_job *)w)->m;
	int rc = ST_OK;

	for (int i = 0; i < m->n && rc == ST_OK; i++) {
		struct pending *pm = &m->round[i];

		if (pm->outcome == OUT_SENT)
			rc = st->ops->mail_sent(st, pm->id, pm->at);
		else if (pm->outcome == OUT_RETRY)
			rc = st->ops->mail_retry(st, pm->id, pm->at, pm->error);
		else
			rc = st->ops->mail_failed(st, pm->id, pm->at, pm->error);
	}
	return rc;
}

static void
marks_done(struct work_job *w)
{
	struct mailer *m = ((struct marks_job *)w)->m;

	pthread_mutex_lock(&m->lock);
	m->marks_done = true;
	pthread_cond_signal(&m->marked);
	pthread_mutex_unlock(&m->lock);
}

/* One round; false when the outbox could not be read or the marks written (the metrics). */
static bool
deliver_due(struct mailer *m)
{
	struct marks_job j = {.work = {.run = marks_run, .deliver = marks_done}, .m = m};
	int tried = 0, rc;

	m->n = 0;
	/* On a database several servers share, one of them delivers (at least once: a server
	 * killed between a delivery and its mark leaves the mail to the next leader). */
	rc = m->st->ops->lead(m->st, "mailer");
	if (rc != ST_OK)
		return rc == ST_BUSY;
	if (m->st->ops->begin(m->st, false) != ST_OK)
		return false;
	rc = m->st->ops->mail_each_due(m->st, clock_now_us(), LIMIT_MAIL_ROUND, collect, m);
	m->st->ops->rollback(m->st);
	while (tried < m->n) {
		struct pending *pm = &m->round[tried++];

		if (pm->unsendable) {
			pm->outcome = OUT_FAILED;
			pm->at = clock_now_us();
			log_error("event=mail_failed id=%lld permanent=yes error=\"%s\"",
			          (long long)pm->id, pm->error);
			continue;
		}
		if (!deliver(m, pm))
			break; /* the relay is down: the others wait for the next round */
	}
	for (int i = 0; i < m->n; i++) {
		if (m->round[i].msg.data != NULL)
			explicit_bzero(m->round[i].msg.data, m->round[i].msg.len);
		buf_cleanup(&m->round[i].msg);
	}
	m->n = tried;
	if (m->n == 0)
		return rc == ST_OK;
	m->marks_done = false;
	if (work_submit_write(m->w, &j.work) != ST_OK)
		return false; /* delivered again at the next round or the next start: at least once */
	pthread_mutex_lock(&m->lock);
	while (!m->marks_done)
		pthread_cond_wait(&m->marked, &m->lock);
	pthread_mutex_unlock(&m->lock);
	return rc == ST_OK && j.work.rc == ST_OK;
}

static void *
mailer_main(void *arg)
{
	struct mailer *m = arg;
	struct timespec until;
	bool stop = false;

	while (!stop) {
		metrics_job_round(m->metrics, deliver_due(m));
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 1;
		pthread_mutex_lock(&m->lock);
		if (!m->stop)
			pthread_cond_timedwait(&m->wake, &m->lock, &until);
		stop = m->stop;
		pthread_mutex_unlock(&m->lock);
	}
	metrics_job_round(m->metrics, deliver_due(m));
	return NULL;
}

/* The libcurl handle of every transfer: what does not change from one mail to the next. */
static int
curl_setup(struct mailer *m, const struct mailer_config *cfg)
{
	char addr[LIMIT_SMTP_FROM_MAX + 1];
	CURL *c;

	if (mailer_from_check(m->from, addr, sizeof(addr)) != ST_OK)
		return ST_INVALID;
	snprintf(m->sender, sizeof(m->sender), "<%s>", addr);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return ST_INTERNAL;
	m->curl_global = true;
	c = m->curl = curl_easy_init();
	if (c == NULL)
		return ST_INTERNAL;
	curl_easy_setopt(c, CURLOPT_URL, cfg->smtp_url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, m->sender);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, upload_read);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L); /* a thread of a threaded server */
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)LIMIT_SMTP_CONNECT_S);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)LIMIT_SMTP_TIMEOUT_S);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, m->error);
	/* The relay's replies, for the outbox row (smtp_trace); the trace goes nowhere else. */
	curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, smtp_trace);
	curl_easy_setopt(c, CURLOPT_DEBUGDATA, m);
	curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);
	if (cfg->smtp_ca != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, cfg->smtp_ca);
	if (cfg->smtp_user != NULL) {
		m->user = strdup(cfg->smtp_user);
		m->pass = strdup(cfg->smtp_pass != NULL ? cfg->smtp_pass : "");
		if (m->user == NULL || m->pass == NULL)
			abort();
		curl_easy_setopt(c, CURLOPT_USERNAME, m->user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, m->pass);
		/* A password never crosses the network in clear: STARTTLS or nothing (smtps://
		 * is TLS from the first byte). Without credentials, smtp:// is plain SMTP, for a
		 * relay on this host or a trusted network. */
		curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	}
	return ST_OK;
}

static void
secret_free(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

/* The handle, libcurl's global state and the credentials; safe whatever curl_setup did. */
static void
curl_free_all(struct mailer *m)
{
	if (m->curl != NULL)
		curl_easy_cleanup(m->curl);
	if (m->curl_global)
		curl_global_cleanup();
	secret_free(m->user);
	secret_free(m->pass);
}

int
mailer_start(const struct mailer_config *cfg, struct work *w, struct mailer **out)
{
	struct mailer *m = calloc(1, sizeof(*m));
	int rc;

	if (m == NULL)
		abort();
	*out = NULL;
	snprintf(m->spool, sizeof(m->spool), "%s", cfg->spool_dir);
	snprintf(m->from, sizeof(m->from), "%s",
	         cfg->from != NULL ? cfg->from : MAILER_FROM_DEFAULT);
	m->retry_first_us = (int64_t)(cfg->retry_first_ms > 0 ? cfg->retry_first_ms
	                                                      : LIMIT_MAIL_RETRY_FIRST_MS) *
	                    1000;
	m->w = w;
	m->keys = cfg->keys;
	rc = cfg->smtp_url != NULL ? curl_setup(m, cfg) : ST_OK;
	if (rc == ST_OK && m->keys == NULL)
		rc = ST_INVALID;
	if (rc == ST_OK)
		rc = store_open(cfg->db_path, false, &m->st);
	if (rc != ST_OK) {
		curl_free_all(m);
		free(m);
		return rc;
	}
	pthread_mutex_init(&m->lock, NULL);
	pthread_cond_init(&m->wake, NULL);
	pthread_cond_init(&m->marked, NULL);
	m->metrics = metrics_job_register("mailer");
	pthread_create(&m->thread, NULL, mailer_main, m);
	pthread_setname_np(m->thread, "mailer");
	*out = m;
	return ST_OK;
}

void
mailer_stop(struct mailer *m)
{
	if (m == NULL)
		return;
	pthread_mutex_lock(&m->lock);
	m->stop = true;
	pthread_cond_signal(&m->wake);
	pthread_mutex_unlock(&m->lock);
	pthread_join(m->thread, NULL);
	store_close(m->st);
	curl_free_all(m);
	pthread_mutex_destroy(&m->lock);
	pthread_cond_destroy(&m->wake);
	pthread_cond_destroy(&m->marked);
	free(m);
}
