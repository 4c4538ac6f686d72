#include <assert.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "target/http.h"
#include "util/err.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/xalloc.h"
#include "util/banned.h"

#ifndef CS_VERSION
#define CS_VERSION "0"
#endif

#define MAX_RESP_HEADERS 256
#define IDLE_POLL_MS 1000

enum xfer_state {
	X_IDLE,	     /* not submitted, or done */
	X_READY,     /* queued to start */
	X_DELAYED,   /* waiting for a retry timer */
	X_WAIT_AUTH, /* waiting for the auth provider */
	X_RUNNING,   /* in the multi handle */
	X_FINISHED   /* answered; done not yet called */
};

struct http_xfer {
	struct http_call *call;
	struct http *h;
	http_done_fn done;
	void *payload;
	enum xfer_state state;
	struct http_xfer *next;		 /* in one of the engine's lists */
	struct http_xfer *rprev, *rnext; /* in the running list */
	long long due;			 /* X_DELAYED: when to start again */
	long long first_start;
	long long attempt_start;
	unsigned tries;	   /* 5xx and network retries used */
	unsigned rl_tries; /* 429 retries used */
	int auth_retried;
	unsigned auth_gen;
	char *auth_header;
	CURL *easy;
	struct curl_slist *slist;
	int over_cap;
	char errbuf[CURL_ERROR_SIZE];
};

struct xlist {
	struct http_xfer *head, *tail;
};

struct http {
	CURLM *multi;
	struct http_options o;
	char *ca_file;
	struct http_auth auth;
	int have_auth;
	struct xlist ready, waiting, finished;
	struct http_xfer *delayed;  /* unsorted */
	struct http_xfer *run_head; /* in the multi handle */
	unsigned running;
	unsigned limit;		     /* the current concurrency limit */
	unsigned successes;	     /* since the limit last changed */
	long long gate_until;	     /* no start before (429) */
	long long shrink_hold_until; /* no second halving before */
	long long *starts;	     /* ring of start times (rate limit) */
	unsigned starts_nr, starts_pos;
	unsigned long long rng;
	int in_run;
	struct http_stats st;
};

static void xlist_push_back(struct xlist *l, struct http_xfer *x)
{
	x->next = NULL;
	if (l->tail)
		l->tail->next = x;
	else
		l->head = x;
	l->tail = x;
}

static void xlist_push_front(struct xlist *l, struct http_xfer *x)
{
	x->next = l->head;
	l->head = x;
	if (!l->tail)
		l->tail = x;
}

static struct http_xfer *xlist_pop(struct xlist *l)
{
	struct http_xfer *x = l->head;

	if (!x)
		return NULL;
	l->head = x->next;
	if (!l->head)
		l->tail = NULL;
	x->next = NULL;
	return x;
}

/* Puts all of from in front of to, keeping from's order; empties from. */
static void xlist_splice_front(struct xlist *to, struct xlist *from)
{
	if (!from->head)
		return;
	from->tail->next = to->head;
	if (!to->tail)
		to->tail = from->tail;
	to->head = from->head;
	from->head = from->tail = NULL;
}

/* splitmix64: jitter only, never anything secret. */
static unsigned long long rng_next(struct http *h)
{
	unsigned long long z = (h->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static long long rng_below(struct http *h, long long n)
{
	if (n <= 0)
		return 0;
	return (long long)(rng_next(h) % (unsigned long long)n);
}

/* Exponential backoff with "equal jitter": half fixed, half random. */
static long long backoff_ms(struct http *h, unsigned tries)
{
	long long d = h->o.backoff_base_ms;

	for (unsigned i = 0; i < tries && d < h->o.backoff_max_ms; i++)
		d *= 2;
	if (d > h->o.backoff_max_ms)
		d = h->o.backoff_max_ms;
	if (d < 1)
		d = 1;
	return d / 2 + rng_below(h, d / 2 + 1);
}

void http_options_init(struct http_options *o)
{
	memset(o, 0, sizeof(*o));
	o->concurrency = 8;
	o->rate_limit = 0;
	o->rate_window_ms = 60000;
	o->retries = 6;
	o->ratelimit_retries = 20;
	o->timeout_ms = 30000;
	o->connect_timeout_ms = 10000;
	o->backoff_base_ms = 250;
	o->backoff_max_ms = 15000;
	o->retry_after_max_ms = 120000;
	o->max_response = (size_t)64 << 20;
}

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_OK;
static int global_done;

static void global_init_once(void)
{
	global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
	global_done = global_rc == CURLE_OK;
}

int http_global_init(void)
{
	pthread_once(&global_once, global_init_once);
	if (global_rc != CURLE_OK)
		return err_set(ERR_GENERIC, "cannot initialise libcurl: %s",
			       curl_easy_strerror(global_rc));
	return 0;
}

void http_global_cleanup(void)
{
	if (global_done) {
		curl_global_cleanup();
		global_done = 0;
	}
}

struct http_call *http_call_new(const char *method, const char *url)
{
	struct http_call *c = xcalloc(1, sizeof(*c));

	c->method = xstrdup(method);
	c->url = xstrdup(url);
	buf_init(&c->body, 0);
	buf_init(&c->response, 0);
	c->xfer = xcalloc(1, sizeof(*c->xfer));
	c->xfer->call = c;
	return c;
}

static void free_lines(char ***lines, size_t *nr, size_t *alloc)
{
	for (size_t i = 0; i < *nr; i++)
		free((*lines)[i]);
	FREE_AND_NULL(*lines);
	*nr = 0;
	*alloc = 0;
}

void http_call_free(struct http_call *c)
{
	if (!c)
		return;
	assert(!c->xfer || c->xfer->state == X_IDLE);
	free(c->method);
	free(c->url);
	free_lines(&c->headers, &c->headers_nr, &c->headers_alloc);
	buf_release(&c->body);
	free(c->error);
	buf_release(&c->response);
	free_lines(&c->resp_headers, &c->resp_headers_nr,
		   &c->resp_headers_alloc);
	if (c->xfer) {
		free(c->xfer->auth_header);
		free(c->xfer);
	}
	free(c);
}

void http_call_add_header(struct http_call *c, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	ALLOC_GROW(c->headers, c->headers_nr + 1, c->headers_alloc);
	c->headers[c->headers_nr++] = buf_detach(&b, NULL);
}

void http_call_set_body(struct http_call *c, const void *data, size_t len,
			const char *content_type)
{
	buf_reset(&c->body);
	buf_add(&c->body, data, len);
	if (content_type)
		http_call_add_header(c, "Content-Type: %s", content_type);
}

const char *http_call_header(const struct http_call *c, const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < c->resp_headers_nr; i++) {
		const char *line = c->resp_headers[i];

		if (!strncasecmp(line, name, n) && line[n] == ':')
			return line + n + (line[n + 1] == ' ' ? 2 : 1);
	}
	return NULL;
}

/* Whether the request headers already hold name. */
static int has_header(const struct http_call *c, const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < c->headers_nr; i++)
		if (!strncasecmp(c->headers[i], name, n) &&
		    c->headers[i][n] == ':')
			return 1;
	return 0;
}

int http_new(struct http **out, const struct http_options *o)
{
	struct http *h = NULL;
	int ret = -1;

	*out = NULL;
	if ((ret = http_global_init()) < 0)
		goto out;
	h = xcalloc(1, sizeof(*h));
	h->o = *o;
	if (!h->o.concurrency)
		h->o.concurrency = 1;
	if (h->o.rate_window_ms <= 0)
		h->o.rate_window_ms = 60000;
	if (h->o.backoff_max_ms < h->o.backoff_base_ms)
		h->o.backoff_max_ms = h->o.backoff_base_ms;
	if (o->ca_file && *o->ca_file)
		h->ca_file = xstrdup(o->ca_file);
	h->o.ca_file = h->ca_file;
	h->multi = curl_multi_init();
	if (!h->multi) {
		ret = err_set(ERR_GENERIC, "cannot start libcurl's multi "
					   "interface");
		goto out;
	}
	h->limit = h->o.concurrency;
	h->st.concurrency = h->limit;
	h->st.concurrency_min = h->limit;
	if (h->o.rate_limit)
		h->starts = xcalloc(h->o.rate_limit, sizeof(*h->starts));
	h->rng = o->seed ? o->seed : (unsigned long long)time_now_ms();
	*out = h;
	h = NULL;
	ret = 0;
out:
	http_free(h);
	return ret;
}

static void run_link(struct http *h, struct http_xfer *x)
{
	x->rprev = NULL;
	x->rnext = h->run_head;
	if (h->run_head)
		h->run_head->rprev = x;
	h->run_head = x;
	h->running++;
}

static void run_unlink(struct http *h, struct http_xfer *x)
{
	if (x->rprev)
		x->rprev->rnext = x->rnext;
	else
		h->run_head = x->rnext;
	if (x->rnext)
		x->rnext->rprev = x->rprev;
	x->rprev = x->rnext = NULL;
	h->running--;
}

static void release_easy(struct http *h, struct http_xfer *x)
{
	if (x->easy) {
		curl_multi_remove_handle(h->multi, x->easy);
		curl_easy_cleanup(x->easy);
		x->easy = NULL;
	}
	curl_slist_free_all(x->slist);
	x->slist = NULL;
}

/* Forgets a list of calls without calling their callbacks. */
static void drop_list(struct http_xfer *x)
{
	while (x) {
		struct http_xfer *next = x->next;

		x->state = X_IDLE;
		x->next = NULL;
		x = next;
	}
}

void http_free(struct http *h)
{
	if (!h)
		return;
	drop_list(h->ready.head);
	drop_list(h->waiting.head);
	drop_list(h->finished.head);
	drop_list(h->delayed);
	while (h->run_head) {
		struct http_xfer *x = h->run_head;

		release_easy(h, x);
		run_unlink(h, x);
		x->state = X_IDLE;
	}
	if (h->multi)
		curl_multi_cleanup(h->multi);
	free(h->starts);
	free(h->ca_file);
	free(h);
}

void http_set_auth(struct http *h, const struct http_auth *auth)
{
	if (auth) {
		h->auth = *auth;
		h->have_auth = 1;
	} else {
		memset(&h->auth, 0, sizeof(h->auth));
		h->have_auth = 0;
	}
}

static void reset_answer(struct http_call *c)
{
	c->status = 0;
	buf_reset(&c->response);
	free_lines(&c->resp_headers, &c->resp_headers_nr,
		   &c->resp_headers_alloc);
	c->xfer->over_cap = 0;
	c->xfer->errbuf[0] = '\0';
}

static void finish(struct http *h, struct http_xfer *x)
{
	x->state = X_FINISHED;
	xlist_push_back(&h->finished, x);
}

static void finish_error(struct http *h, struct http_xfer *x, int code,
			 const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void finish_error(struct http *h, struct http_xfer *x, int code,
			 const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	free(x->call->error);
	x->call->error = buf_detach(&b, NULL);
	x->call->result = code;
	finish(h, x);
}

static void schedule(struct http *h, struct http_xfer *x, long long due);

/* Resets c for a new run and binds it to h; the caller queues it. */
static void arm(struct http *h, struct http_call *c, http_done_fn done,
		void *payload)
{
	struct http_xfer *x = c->xfer;

	assert(x->state == X_IDLE);
	x->h = h;
	x->done = done;
	x->payload = payload;
	x->tries = 0;
	x->rl_tries = 0;
	x->auth_retried = 0;
	x->first_start = 0;
	c->result = 0;
	FREE_AND_NULL(c->error);
	c->attempts = 0;
	c->ambiguous = 0;
	c->elapsed_ms = 0;
	reset_answer(c);
}

void http_submit(struct http *h, struct http_call *c, http_done_fn done,
		 void *payload)
{
	struct http_xfer *x = c->xfer;

	arm(h, c, done, payload);
	x->state = X_READY;
	if (c->flags & HTTP_URGENT)
		xlist_push_front(&h->ready, x);
	else
		xlist_push_back(&h->ready, x);
}

void http_submit_delayed(struct http *h, struct http_call *c,
			 long long delay_ms, http_done_fn done, void *payload)
{
	arm(h, c, done, payload);
	schedule(h, c->xfer, time_mono_ms() + (delay_ms > 0 ? delay_ms : 0));
}

void http_auth_ready(struct http *h, int code, const char *msg)
{
	struct http_xfer *x;

	if (!code) {
		for (x = h->waiting.head; x; x = x->next)
			x->state = X_READY;
		xlist_splice_front(&h->ready, &h->waiting);
		return;
	}
	while ((x = xlist_pop(&h->waiting)))
		finish_error(h, x, code, "%s", msg ? msg : "no credentials");
}

void http_cancel_pending(struct http *h)
{
	struct http_xfer *x;

	while ((x = xlist_pop(&h->ready)))
		finish_error(h, x, ERR_GENERIC, "cancelled");
	while ((x = xlist_pop(&h->waiting)))
		finish_error(h, x, ERR_GENERIC, "cancelled");
	while ((x = h->delayed)) {
		h->delayed = x->next;
		finish_error(h, x, ERR_GENERIC, "cancelled");
	}
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	struct http_xfer *x = ud;
	size_t len = size * n;

	if (buf_add_capped(&x->call->response, p, len, x->h->o.max_response) <
	    0) {
		x->over_cap = 1;
		return 0;
	}
	return len;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
	struct http_xfer *x = ud;
	struct http_call *c = x->call;
	size_t len = size * n, name_len, i;
	const char *colon, *v, *end;
	struct buf line = BUF_INIT;

	if (len >= 5 && !strncmp(p, "HTTP/", 5)) {
		/* a new response (after 100 Continue, say) */
		free_lines(&c->resp_headers, &c->resp_headers_nr,
			   &c->resp_headers_alloc);
		return len;
	}
	colon = memchr(p, ':', len);
	if (!colon || colon == p || c->resp_headers_nr >= MAX_RESP_HEADERS)
		return len;
	name_len = (size_t)(colon - p);
	for (i = 0; i < name_len; i++) {
		char ch = p[i];

		buf_addch(&line, ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
	}
	buf_adds(&line, ": ");
	v = colon + 1;
	end = p + len;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' ||
			   end[-1] == ' ' || end[-1] == '\t'))
		end--;
	buf_add(&line, v, (size_t)(end - v));
	ALLOC_GROW(c->resp_headers, c->resp_headers_nr + 1,
		   c->resp_headers_alloc);
	c->resp_headers[c->resp_headers_nr++] = buf_detach(&line, NULL);
	return len;
}

static int rate_ok(const struct http *h, long long now)
{
	if (!h->o.rate_limit || h->starts_nr < h->o.rate_limit)
		return 1;
	return now - h->starts[h->starts_pos] >= h->o.rate_window_ms;
}

static long long rate_next(const struct http *h)
{
	return h->starts[h->starts_pos] + h->o.rate_window_ms;
}

static void rate_record(struct http *h, long long now)
{
	if (!h->o.rate_limit)
		return;
	h->starts[h->starts_pos] = now;
	h->starts_pos = (h->starts_pos + 1) % h->o.rate_limit;
	if (h->starts_nr < h->o.rate_limit)
		h->starts_nr++;
}

#define SETOPT(e, opt, val)                                                    \
	do {                                                                   \
		if (curl_easy_setopt((e), (opt), (val)) != CURLE_OK)           \
			goto fail;                                             \
	} while (0)

/* A configured easy handle for one attempt of x; NULL on failure. */
static CURL *make_easy(struct http *h, struct http_xfer *x)
{
	struct http_call *c = x->call;
	CURL *e = curl_easy_init();
	struct curl_slist *l = NULL, *t;
	size_t i;

	if (!e)
		return NULL;
	SETOPT(e, CURLOPT_URL, c->url);
	SETOPT(e, CURLOPT_PRIVATE, x);
	SETOPT(e, CURLOPT_NOSIGNAL, 1L);
	SETOPT(e, CURLOPT_PROTOCOLS_STR, "http,https");
	SETOPT(e, CURLOPT_FOLLOWLOCATION, 0L);
	SETOPT(e, CURLOPT_SSL_VERIFYPEER, 1L);
	SETOPT(e, CURLOPT_SSL_VERIFYHOST, 2L);
	if (h->ca_file)
		SETOPT(e, CURLOPT_CAINFO, h->ca_file);
	if (h->o.timeout_ms > 0)
		SETOPT(e, CURLOPT_TIMEOUT_MS, (long)h->o.timeout_ms);
	if (h->o.connect_timeout_ms > 0)
		SETOPT(e, CURLOPT_CONNECTTIMEOUT_MS,
		       (long)h->o.connect_timeout_ms);
	SETOPT(e, CURLOPT_WRITEFUNCTION, on_body);
	SETOPT(e, CURLOPT_WRITEDATA, x);
	SETOPT(e, CURLOPT_HEADERFUNCTION, on_header);
	SETOPT(e, CURLOPT_HEADERDATA, x);
	SETOPT(e, CURLOPT_ERRORBUFFER, x->errbuf);
	SETOPT(e, CURLOPT_USERAGENT, "catalyst-sync/" CS_VERSION);
	SETOPT(e, CURLOPT_ACCEPT_ENCODING, "");
	if (c->flags & HTTP_FRESH)
		SETOPT(e, CURLOPT_FRESH_CONNECT, 1L);
	if (!strcmp(c->method, "GET")) {
		SETOPT(e, CURLOPT_HTTPGET, 1L);
	} else if (!strcmp(c->method, "HEAD")) {
		SETOPT(e, CURLOPT_NOBODY, 1L);
	} else {
		if (strcmp(c->method, "POST"))
			SETOPT(e, CURLOPT_CUSTOMREQUEST, c->method);
		if (c->body.len || !strcmp(c->method, "POST")) {
			SETOPT(e, CURLOPT_POSTFIELDSIZE_LARGE,
			       (curl_off_t)c->body.len);
			SETOPT(e, CURLOPT_POSTFIELDS, c->body.ptr);
		}
	}
	for (i = 0; i < c->headers_nr; i++) {
		if (!(t = curl_slist_append(l, c->headers[i])))
			goto fail;
		l = t;
	}
	if (x->auth_header) {
		if (!(t = curl_slist_append(l, x->auth_header)))
			goto fail;
		l = t;
	}
	if (!has_header(c, "Accept")) {
		if (!(t = curl_slist_append(l, "Accept: application/json")))
			goto fail;
		l = t;
	}
	/* no "Expect: 100-continue" round trip for large bodies */
	if (!(t = curl_slist_append(l, "Expect:")))
		goto fail;
	l = t;
	SETOPT(e, CURLOPT_HTTPHEADER, l);
	x->slist = l;
	return e;
fail:
	curl_slist_free_all(l);
	curl_easy_cleanup(e);
	return NULL;
}

/*
 * CS_FAULT_AT=http:N makes the N-th HTTP call (counted from when the
 * variable took its value) fail at its first start, as a network failure
 * that is not retried, so that tests can walk every failure path of a
 * command (style guide, "torture, adapted"). Debug builds only.
 */
static int fault_injected(void)
{
#ifndef NDEBUG
	static char seen[32];
	static long calls, fail_at;
	const char *env = getenv("CS_FAULT_AT");

	if (!env)
		env = "";
	if (strncmp(env, seen, sizeof(seen) - 1)) {
		size_t n = strlen(env);

		if (n >= sizeof(seen))
			n = sizeof(seen) - 1;
		memcpy(seen, env, n);
		seen[n] = '\0';
		calls = 0;
		fail_at = 0;
		if (!strncmp(env, "http:", 5)) {
			char *end;
			long v = strtol(env + 5, &end, 10);

			if (*end == '\0' && v > 0)
				fail_at = v;
		}
	}
	return fail_at && ++calls == fail_at;
#else
	return 0;
#endif
}

static void start(struct http *h, struct http_xfer *x, long long now)
{
	struct http_call *c = x->call;

	if ((c->flags & HTTP_AUTH) && h->have_auth) {
		char *hdr = NULL;
		unsigned gen = 0;
		int rc = h->auth.prepare(h, &hdr, &gen, h->auth.payload);

		if (rc == HTTP_AUTH_WAIT) {
			x->state = X_WAIT_AUTH;
			xlist_push_back(&h->waiting, x);
			return;
		}
		if (rc < 0) {
			finish_error(h, x, rc, "%s", err_msg());
			err_clear();
			return;
		}
		free(x->auth_header);
		x->auth_header = hdr;
		x->auth_gen = gen;
	}
	if (!c->attempts && fault_injected()) {
		finish_error(h, x, ERR_REMOTE,
			     "injected fault in HTTP call (CS_FAULT_AT): "
			     "cannot %s '%s'",
			     c->method, c->url);
		return;
	}
	x->easy = make_easy(h, x);
	if (!x->easy) {
		finish_error(h, x, ERR_GENERIC,
			     "cannot set up a request to '%s'", c->url);
		return;
	}
	if (curl_multi_add_handle(h->multi, x->easy) != CURLM_OK) {
		release_easy(h, x);
		finish_error(h, x, ERR_GENERIC,
			     "cannot start a request to '%s'", c->url);
		return;
	}
	x->state = X_RUNNING;
	if (!c->attempts)
		x->first_start = now;
	else
		h->st.retries++;
	x->attempt_start = now;
	c->attempts++;
	run_link(h, x);
	h->st.requests++;
	if (h->running > h->st.in_flight_max)
		h->st.in_flight_max = h->running;
	rate_record(h, now);
}

static void schedule(struct http *h, struct http_xfer *x, long long due)
{
	x->state = X_DELAYED;
	x->due = due;
	x->next = h->delayed;
	h->delayed = x;
}

static void shrink(struct http *h, long long now, long long hold)
{
	if (now < h->shrink_hold_until)
		return;
	if (h->limit > 1) {
		h->limit /= 2;
		log_info("http",
			 "the server asks to slow down: at most %u "
			 "requests at once",
			 h->limit);
	}
	h->successes = 0;
	h->shrink_hold_until = now + (hold > 1000 ? hold : 1000);
	h->st.concurrency = h->limit;
	if (h->limit < h->st.concurrency_min)
		h->st.concurrency_min = h->limit;
}

static void grow(struct http *h)
{
	if (h->limit >= h->o.concurrency)
		return;
	if (++h->successes >= h->limit) {
		h->limit++;
		h->successes = 0;
		h->st.concurrency = h->limit;
	}
}

static int retryable_status(long status)
{
	return status == 408 || status == 500 || status == 502 ||
	       status == 503 || status == 504;
}

/* Transport failures that no retry can fix. */
static int fatal_curl(CURLcode rc)
{
	switch (rc) {
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_TOO_MANY_REDIRECTS:
	case CURLE_OUT_OF_MEMORY:
		return 1;
	default:
		return 0;
	}
}

/* Failures where the request may have reached the server. */
static int maybe_sent(CURLcode rc)
{
	return rc != CURLE_COULDNT_CONNECT &&
	       rc != CURLE_COULDNT_RESOLVE_HOST &&
	       rc != CURLE_COULDNT_RESOLVE_PROXY;
}

static void attempt_done(struct http *h, struct http_xfer *x, CURLcode rc,
			 long status, long long retry_after)
{
	struct http_call *c = x->call;
	long long now = time_mono_ms();
	long long took = now - x->attempt_start, delay;
	const char *why;

	if (rc == CURLE_OK) {
		c->status = status;
		log_debug("http", "%s %s -> %ld (%lld ms, attempt %u)",
			  c->method, c->url, status, took, c->attempts);
		if (status == 401 && (c->flags & HTTP_AUTH) && h->have_auth) {
			h->st.unauthorized++;
			if (!x->auth_retried) {
				x->auth_retried = 1;
				h->auth.rejected(h, x->auth_gen,
						 h->auth.payload);
				reset_answer(c);
				x->state = X_READY;
				xlist_push_front(&h->ready, x);
				return;
			}
		}
		if (status == 429) {
			h->st.throttled++;
			delay = retry_after >= 0 ? retry_after * 1000
						 : backoff_ms(h, x->rl_tries);
			shrink(h, now, delay);
			if ((c->flags & HTTP_NO_RETRY) ||
			    x->rl_tries >= h->o.ratelimit_retries ||
			    delay > h->o.retry_after_max_ms) {
				finish(h, x);
				return;
			}
			x->rl_tries++;
			if (now + delay > h->gate_until)
				h->gate_until = now + delay;
			log_debug("http",
				  "%s %s: throttled; retrying in "
				  "%lld ms",
				  c->method, c->url, delay);
			reset_answer(c);
			schedule(h, x, now + delay + rng_below(h, 100));
			return;
		}
		if (retryable_status(status) && !(c->flags & HTTP_NO_RETRY) &&
		    x->tries < h->o.retries) {
			delay = backoff_ms(h, x->tries);
			if (retry_after > 0 && retry_after * 1000 > delay &&
			    retry_after * 1000 <= h->o.retry_after_max_ms)
				delay = retry_after * 1000;
			x->tries++;
			c->ambiguous = 1;
			log_debug("http", "%s %s: %ld; retrying in %lld ms",
				  c->method, c->url, status, delay);
			reset_answer(c);
			schedule(h, x, now + delay);
			return;
		}
		if (!retryable_status(status))
			grow(h);
		finish(h, x);
		return;
	}

	why = x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc);
	log_debug("http", "%s %s -> %s (%lld ms, attempt %u)", c->method,
		  c->url, why, took, c->attempts);
	if (x->over_cap) {
		finish_error(h, x, ERR_REMOTE,
			     "the answer to %s '%s' is larger than %zu bytes",
			     c->method, c->url, h->o.max_response);
		return;
	}
	if (fatal_curl(rc)) {
		finish_error(h, x,
			     rc == CURLE_URL_MALFORMAT ||
					     rc == CURLE_UNSUPPORTED_PROTOCOL
				     ? ERR_INVALID
				     : ERR_REMOTE,
			     "cannot %s '%s': %s", c->method, c->url, why);
		return;
	}
	if (!(c->flags & HTTP_NO_RETRY) && x->tries < h->o.retries) {
		if (maybe_sent(rc))
			c->ambiguous = 1;
		delay = backoff_ms(h, x->tries);
		x->tries++;
		log_debug("http", "%s %s: %s; retrying in %lld ms", c->method,
			  c->url, why, delay);
		reset_answer(c);
		schedule(h, x, now + delay);
		return;
	}
	finish_error(h, x,
		     rc == CURLE_OPERATION_TIMEDOUT ? ERR_TIMEOUT : ERR_REMOTE,
		     "cannot %s '%s': %s (after %u attempts)", c->method,
		     c->url, why, c->attempts);
}

static void collect(struct http *h)
{
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(h->multi, &left))) {
		CURL *e = m->easy_handle;
		CURLcode rc = m->data.result;
		struct http_xfer *x = NULL;
		long status = 0;
		curl_off_t ra = -1;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(e, CURLINFO_PRIVATE, &x);
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
		if (curl_easy_getinfo(e, CURLINFO_RETRY_AFTER, &ra) !=
			    CURLE_OK ||
		    ra < 0 || !http_call_header(x->call, "retry-after"))
			ra = -1;
		release_easy(h, x);
		run_unlink(h, x);
		attempt_done(h, x, rc, status, (long long)ra);
	}
}

/* Moves the calls whose retry time has come to the front of the queue. */
static void promote_due(struct http *h, long long now)
{
	struct http_xfer **pp = &h->delayed, *x;
	struct xlist due = {NULL, NULL};

	while ((x = *pp)) {
		if (x->due <= now) {
			*pp = x->next;
			x->state = X_READY;
			xlist_push_back(&due, x);
		} else {
			pp = &x->next;
		}
	}
	xlist_splice_front(&h->ready, &due);
}

static void start_ready(struct http *h)
{
	for (;;) {
		long long now = time_mono_ms();
		struct http_xfer *x;

		if (!h->ready.head || h->running >= h->limit ||
		    now < h->gate_until || !rate_ok(h, now))
			return;
		x = xlist_pop(&h->ready);
		start(h, x, now);
	}
}

/* Runs the done callbacks of every finished call. */
static int drain_finished(struct http *h)
{
	struct http_xfer *x;
	int n = 0;

	while ((x = xlist_pop(&h->finished))) {
		struct http_call *c = x->call;

		x->state = X_IDLE;
		if (x->first_start)
			c->elapsed_ms = time_mono_ms() - x->first_start;
		if (c->result < 0)
			c->status = 0;
		if (x->done)
			x->done(c, x->payload);
		n++;
	}
	return n;
}

/* How long the loop may wait for network activity, in ms. */
static long next_wait(struct http *h)
{
	long long now = time_mono_ms(), wait = IDLE_POLL_MS;
	long curl_to = -1;
	struct http_xfer *x;

	if (h->ready.head && h->running < h->limit) {
		long long t = now;

		if (h->gate_until > t)
			t = h->gate_until;
		if (!rate_ok(h, now) && rate_next(h) > t)
			t = rate_next(h);
		if (t - now < wait)
			wait = t - now;
	}
	for (x = h->delayed; x; x = x->next)
		if (x->due - now < wait)
			wait = x->due - now;
	if (curl_multi_timeout(h->multi, &curl_to) == CURLM_OK &&
	    curl_to >= 0 && curl_to < wait)
		wait = curl_to;
	return wait < 0 ? 0 : (long)wait;
}

int http_run(struct http *h)
{
	int ret = -1;

	assert(!h->in_run);
	h->in_run = 1;
	for (;;) {
		int still = 0;
		CURLMcode mc;

		drain_finished(h);
		promote_due(h, time_mono_ms());
		start_ready(h);
		if (drain_finished(h))
			continue;
		if (!h->running && !h->ready.head && !h->delayed) {
			if (!h->waiting.head)
				break;
			/* nobody left to produce the credentials */
			http_auth_ready(h, ERR_AUTH,
					"no credentials for the request");
			continue;
		}
		mc = curl_multi_perform(h->multi, &still);
		if (mc != CURLM_OK) {
			err_set(ERR_GENERIC, "libcurl failed: %s",
				curl_multi_strerror(mc));
			goto out;
		}
		collect(h);
		if (h->finished.head)
			continue;
		mc = curl_multi_poll(h->multi, NULL, 0, (int)next_wait(h),
				     NULL);
		if (mc != CURLM_OK) {
			err_set(ERR_GENERIC, "libcurl failed: %s",
				curl_multi_strerror(mc));
			goto out;
		}
	}
	ret = 0;
out:
	h->in_run = 0;
	return ret;
}

int http_perform(struct http *h, struct http_call *c)
{
	int ret;

	http_submit(h, c, NULL, NULL);
	if ((ret = http_run(h)) < 0)
		return ret;
	if (c->result < 0)
		return err_set(c->result, "%s", c->error);
	return 0;
}

void http_stats(const struct http *h, struct http_stats *out)
{
	*out = h->st;
	out->concurrency = h->limit;
}
