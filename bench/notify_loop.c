/*
 * notify_loop.c - the reference of bench/notify.py: the plainest way to post N bodies to one
 * URL with libcurl, for the notifier's rate to be compared with (issue 12: the notifier at
 * >= 0.5 x this, same run). Reads the bodies from a file, one a line (each a notification's
 * JSON as the notifier sends it), posts each with the same headers the notifier sends
 * (Content-Type, a 128-hex signature, SITE, RANG, no Expect), one after the other on one
 * easy handle that keeps its connection, and prints "LOOP n=N ok=K seconds=S rate=R".
 *
 * Not a part of guichetd: no database, no retry, no log of attempts — what the notifier does
 * more is its cost, which the ratio shows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

static size_t
discard(char *data, size_t size, size_t nitems, void *arg)
{
	(void)data;
	(void)arg;
	return size * nitems;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	struct curl_slist *h = NULL;
	char *line = NULL, sig[200];
	size_t cap = 0;
	ssize_t len;
	long status;
	int n = 0, ok = 0;
	double t0, t;
	FILE *f;
	CURL *c;

	if (argc != 3) {
		fprintf(stderr, "usage: notify_loop URL BODIES-FILE\n");
		return 2;
	}
	f = fopen(argv[2], "r");
	if (f == NULL) {
		perror(argv[2]);
		return 1;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	c = curl_easy_init();
	snprintf(sig, sizeof(sig), "X-Guichet-Signature: %0128d", 0);
	h = curl_slist_append(h, "Content-Type: application/json");
	h = curl_slist_append(h, sig);
	h = curl_slist_append(h, "X-Guichet-Site: 1999888");
	h = curl_slist_append(h, "X-Guichet-Rang: 001");
	h = curl_slist_append(h, "Expect:");
	curl_easy_setopt(c, CURLOPT_URL, argv[1]);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	t0 = now_s();
	while ((len = getline(&line, &cap, f)) > 0) {
		if (line[len - 1] == '\n')
			line[--len] = '\0';
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, line);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
		status = 0;
		if (curl_easy_perform(c) == CURLE_OK &&
		    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK &&
		    status >= 200 && status <= 299)
			ok++;
		n++;
	}
	t = now_s() - t0;
	printf("LOOP n=%d ok=%d seconds=%.3f rate=%.1f\n", n, ok, t, t > 0 ? n / t : 0.0);
	free(line);
	fclose(f);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	curl_global_cleanup();
	return ok == n ? 0 : 1;
}
