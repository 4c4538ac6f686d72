/*
 * bench_emulator: load for optimizely-emulator, over real HTTP (libcurl).
 *
 *	bench_emulator get URL ID SECRET CLIENTS SECONDS
 *		GET one content type from CLIENTS keep-alive connections for
 *		SECONDS; prints requests per second.
 *	bench_emulator create URL ID SECRET CLIENTS COUNT
 *		COUNT creates (20 properties and a content reference each)
 *		shared by CLIENTS connections; prints the wall time.
 *
 * It links libcurl and libc only, so that bench/bench_emulator.sh can
 * build it without the project's libraries. Output is one line of
 * "key=value" pairs, for docs/benchmarks.md.
 */
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum mode { MODE_GET, MODE_CREATE };

struct bench {
	enum mode mode;
	const char *url;
	char auth[4096];
	long clients;
	long amount; /* seconds (get) or creates (create) */
	double deadline;
	atomic_long next;
	atomic_long done;
	atomic_long failed;
};

struct sink {
	char *data;
	size_t len, cap;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t collect(char *p, size_t size, size_t n, void *payload)
{
	struct sink *s = payload;
	size_t add = size * n;

	if (s->len + add + 1 > s->cap) {
		size_t cap = (s->len + add + 1) * 2;
		char *d = realloc(s->data, cap);

		if (!d)
			return 0;
		s->data = d;
		s->cap = cap;
	}
	memcpy(s->data + s->len, p, add);
	s->len += add;
	s->data[s->len] = '\0';
	return add;
}

static int parse_long(const char *s, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(s, &end, 10);
	return (errno || end == s || *end || *out <= 0) ? -1 : 0;
}

/* Gets a token; writes "Authorization: Bearer ..." into b->auth. */
static int login(struct bench *b, const char *id, const char *secret)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;
	struct sink s = {NULL, 0, 0};
	char url[1024], body[1024];
	const char *tok, *end;
	int ret = -1;

	snprintf(url, sizeof(url), "%s/_cms/v1/oauth/token", b->url);
	snprintf(body, sizeof(body),
		 "{\"grant_type\":\"client_credentials\",\"client_id\":\"%s\","
		 "\"client_secret\":\"%s\"}",
		 id, secret);
	h = curl_slist_append(h, "Content-Type: application/json");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
	if (curl_easy_perform(c) != CURLE_OK || !s.data)
		goto out;
	tok = strstr(s.data, "\"access_token\":\"");
	if (!tok)
		goto out;
	tok += 16;
	end = strchr(tok, '"');
	if (!end || (size_t)(end - tok) + 32 > sizeof(b->auth))
		goto out;
	snprintf(b->auth, sizeof(b->auth), "Authorization: Bearer %.*s",
		 (int)(end - tok), tok);
	ret = 0;
out:
	free(s.data);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return ret;
}

/* A type of 20 mixed properties and a content reference. */
static void type_body(char *out, size_t size, long i)
{
	static const char *const kinds[] = {"string", "integer",  "boolean",
					    "float",  "dateTime", "richText",
					    "url",    "json",	  "link"};
	size_t n = 0;

	n += (size_t)snprintf(out + n, size - n,
			      "{\"key\":\"Bench%05ld\",\"displayName\":"
			      "\"Bench %ld\",\"baseType\":\"%s\","
			      "\"properties\":{",
			      i, i, i % 2 ? "_page" : "_component");
	for (int j = 0; j < 20 && n < size; j++)
		n += (size_t)snprintf(out + n, size - n,
				      "%s\"field%02d\":{\"type\":\"%s\","
				      "\"displayName\":\"Field %d\","
				      "\"isRequired\":%s}",
				      j ? "," : "", j, kinds[j % 9], j,
				      j % 3 ? "false" : "true");
	if (i > 0 && n < size)
		n += (size_t)snprintf(out + n, size - n,
				      ",\"ref\":{\"type\":\"contentReference\","
				      "\"allowedTypes\":[\"_page\"]}");
	if (n < size)
		snprintf(out + n, size - n, "}}");
}

static void *client(void *payload)
{
	struct bench *b = payload;
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;
	struct sink s = {NULL, 0, 0};
	char url[1024], body[8192];
	long status;

	h = curl_slist_append(h, b->auth);
	if (b->mode == MODE_CREATE)
		h = curl_slist_append(h, "Content-Type: application/json");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
	if (b->mode == MODE_GET) {
		snprintf(url, sizeof(url),
			 "%s/_cms/v1/contenttypes/BlankSection", b->url);
		curl_easy_setopt(c, CURLOPT_URL, url);
	} else {
		snprintf(url, sizeof(url), "%s/_cms/v1/contenttypes", b->url);
		curl_easy_setopt(c, CURLOPT_URL, url);
	}
	for (;;) {
		long i = 0;

		if (b->mode == MODE_GET) {
			if (now_s() >= b->deadline)
				break;
		} else {
			i = atomic_fetch_add(&b->next, 1);
			if (i >= b->amount)
				break;
			type_body(body, sizeof(body), i);
			curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		}
		s.len = 0;
		if (curl_easy_perform(c) != CURLE_OK ||
		    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status) !=
			    CURLE_OK ||
		    status != (b->mode == MODE_GET ? 200 : 201))
			atomic_fetch_add(&b->failed, 1);
		else
			atomic_fetch_add(&b->done, 1);
	}
	free(s.data);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return NULL;
}

int main(int argc, char **argv)
{
	struct bench b;
	pthread_t *threads;
	double start, secs;

	memset(&b, 0, sizeof(b));
	if (argc != 7 ||
	    (strcmp(argv[1], "get") && strcmp(argv[1], "create")) ||
	    parse_long(argv[5], &b.clients) < 0 ||
	    parse_long(argv[6], &b.amount) < 0 || b.clients > 256) {
		fprintf(stderr,
			"usage: bench_emulator get|create URL ID SECRET "
			"CLIENTS SECONDS|COUNT\n");
		return 64;
	}
	b.mode = strcmp(argv[1], "get") ? MODE_CREATE : MODE_GET;
	b.url = argv[2];
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (login(&b, argv[3], argv[4]) < 0) {
		fprintf(stderr, "bench_emulator: cannot get a token from %s\n",
			b.url);
		return 1;
	}
	threads = calloc((size_t)b.clients, sizeof(*threads));
	if (!threads)
		return 1;
	start = now_s();
	b.deadline = start + (double)b.amount;
	for (long i = 0; i < b.clients; i++)
		pthread_create(&threads[i], NULL, client, &b);
	for (long i = 0; i < b.clients; i++)
		pthread_join(threads[i], NULL);
	secs = now_s() - start;
	if (b.mode == MODE_GET)
		printf("mode=get clients=%ld seconds=%.2f requests=%ld "
		       "failed=%ld rps=%.0f\n",
		       b.clients, secs, atomic_load(&b.done),
		       atomic_load(&b.failed),
		       (double)atomic_load(&b.done) / secs);
	else
		printf("mode=create clients=%ld creates=%ld failed=%ld "
		       "seconds=%.3f\n",
		       b.clients, atomic_load(&b.done), atomic_load(&b.failed),
		       secs);
	free(threads);
	curl_global_cleanup();
	return atomic_load(&b.failed) ? 1 : 0;
}
