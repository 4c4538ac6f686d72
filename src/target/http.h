/*
 * http: the HTTP client engine (brief §11, §14). The only module that
 * includes curl.
 *
 * One struct http drives many requests at once over libcurl's multi
 * interface, in the calling thread:
 *
 *	struct http_call *c = http_call_new("GET", url);
 *	http_call_add_header(c, "Accept: application/json");
 *	http_submit(h, c, on_done, payload);    (as many as you like)
 *	http_run(h);                            (returns when all are done)
 *
 * on_done(c, payload) runs once per call, from inside http_run, when the
 * call has its final answer; it may submit more calls, and it (or the
 * caller, later) frees c with http_call_free.
 *
 * What the engine does for every call:
 *  - at most `concurrency` requests in flight; the limit halves when the
 *    server answers 429 and grows back by one after as many successes as
 *    the current limit;
 *  - an optional client-side rate limit: at most `rate_limit` requests
 *    started in any 60 seconds (every attempt counts; tests may shorten
 *    the window);
 *  - retries, as timers in the multi loop (nothing ever sleeps): a 429 is
 *    retried after its Retry-After (and holds back every other request
 *    until then); 500, 502, 503, 504 and network failures (refused or
 *    dropped connections, truncated bodies, timeouts) are retried with
 *    exponential backoff and jitter, at most `retries` times;
 *  - a 401 on a call with HTTP_AUTH goes to the auth provider (oauth.h) and
 *    the call is retried once with a fresh header; the provider makes sure
 *    that one refresh serves every call that saw the 401;
 *  - per-attempt timeout, TLS verification (optionally with a CA file),
 *    libcurl's proxy variables (http_proxy, https_proxy, no_proxy), no
 *    redirects, and a cap on the size of a response body.
 *  - Secrets never reach the log: requests are logged at debug level
 *    ("http" component) as method, URL, status and timing only.
 *
 * Debug builds honour CS_FAULT_AT=http:N: the N-th call (counted from when
 * the variable took that value) fails as an unretried network error, so
 * tests can walk every failure path.
 *
 * One struct http belongs to one thread at a time. Call http_global_init
 * once before any thread starts.
 */
#ifndef TARGET_HTTP_H
#define TARGET_HTTP_H

#include <stddef.h>

#include "util/buf.h"

struct http;

struct http_options {
	unsigned concurrency;	      /* requests in flight, >= 1 (8) */
	unsigned rate_limit;	      /* starts per rolling window; 0 none */
	long long rate_window_ms;     /* that window (60000: a minute) */
	unsigned retries;	      /* 5xx and network retries (6) */
	unsigned ratelimit_retries;   /* 429 retries (20) */
	long long timeout_ms;	      /* per attempt; 0 none (30000) */
	long long connect_timeout_ms; /* per attempt (10000) */
	long long backoff_base_ms;    /* first backoff (250) */
	long long backoff_max_ms;     /* longest backoff (15000) */
	long long retry_after_max_ms; /* longer Retry-After: give up (120000) */
	size_t max_response;	      /* response body cap (64 MiB) */
	const char *ca_file;	      /* CA bundle; NULL: system (copied) */
	unsigned long seed;	      /* jitter PRNG; 0: from the clock */
};

/* Fills o with the defaults shown above. */
void http_options_init(struct http_options *o);

enum http_flags {
	HTTP_AUTH = 1 << 0,	/* add the auth provider's header */
	HTTP_URGENT = 1 << 1,	/* start before everything queued */
	HTTP_NO_RETRY = 1 << 2, /* one attempt only (401 handling still) */
	/*
	 * Never over a reused connection. libcurl silently sends a request
	 * again when a reused connection turns out dead before any answer;
	 * for a write that hides a lost answer (the retry then meets our own
	 * write as a 409 or 412). A fresh connection makes the loss visible
	 * (c->ambiguous).
	 */
	HTTP_FRESH = 1 << 3,
};

struct http_xfer;

struct http_call {
	/* The request: set with the functions below before submitting. */
	char *method;
	char *url;
	char **headers; /* "Name: value" lines */
	size_t headers_nr, headers_alloc;
	struct buf body;
	unsigned flags;

	/* The answer: valid when the done callback runs. */
	int result;  /* 0: an HTTP answer (any status); < 0: none */
	char *error; /* why, when result < 0 */
	long status; /* the final HTTP status (0 when none) */
	struct buf response;
	char **resp_headers; /* "name: value", names lower-cased */
	size_t resp_headers_nr, resp_headers_alloc;
	unsigned attempts; /* attempts made (>= 1 once started) */
	/* An earlier attempt failed in a way that leaves open whether the
	 * server processed it (dropped connection, 5xx): a write may already
	 * have happened, and a 409/412/404 now may be our own doing. */
	int ambiguous;
	long long elapsed_ms; /* from the first start to the answer */

	struct http_xfer *xfer; /* the engine's, private */
};

typedef void (*http_done_fn)(struct http_call *c, void *payload);

/* A new call (free with http_call_free). method is "GET", "POST", ... */
struct http_call *http_call_new(const char *method, const char *url);
/* Frees the call and all it holds; accepts NULL. Not while in flight. */
void http_call_free(struct http_call *c);
/* Adds a request header line ("Name: value"). */
void http_call_add_header(struct http_call *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Sets the request body (copied) and its Content-Type. */
void http_call_set_body(struct http_call *c, const void *data, size_t len,
			const char *content_type);
/* The value of response header name (any case); NULL when absent. */
const char *http_call_header(const struct http_call *c, const char *name);

/*
 * The auth provider: oauth.h implements it. prepare runs before each
 * attempt of a call with HTTP_AUTH. It returns 0 and sets *header_out (a
 * malloc'd "Name: value" line the engine frees) and *gen_out (an id of the
 * credentials used); HTTP_AUTH_WAIT when the header is not ready (the
 * provider calls http_auth_ready later, and the call waits without holding
 * a slot); or a negative code with err_set to fail the call. rejected runs
 * when an attempt made with credentials gen was answered 401.
 */
#define HTTP_AUTH_WAIT 1
struct http_auth {
	int (*prepare)(struct http *h, char **header_out, unsigned *gen_out,
		       void *payload);
	void (*rejected)(struct http *h, unsigned gen, void *payload);
	void *payload;
};

/* curl_global_init, once per process (later calls do nothing). */
int http_global_init(void) __attribute__((warn_unused_result));
/* curl_global_cleanup; for tests and exit paths, after every http_free. */
void http_global_cleanup(void);

/*
 * A new engine (*out, free with http_free). Returns 0, or -1 when libcurl
 * cannot start.
 */
int http_new(struct http **out, const struct http_options *o)
	__attribute__((warn_unused_result));
/*
 * Frees the engine. Calls still queued are freed without their callbacks;
 * call it when http_run has returned. Accepts NULL.
 */
void http_free(struct http *h);

/* Sets (or with NULL clears) the auth provider; auth is copied. */
void http_set_auth(struct http *h, const struct http_auth *auth);
/*
 * The provider's answer to calls that waited: with code 0 they go back to
 * the front of the queue and prepare runs again; with a negative code they
 * finish with that code and message.
 */
void http_auth_ready(struct http *h, int code, const char *msg);

/*
 * Queues c (borrowed until done has run). Never calls done itself; that
 * happens inside http_run.
 */
void http_submit(struct http *h, struct http_call *c, http_done_fn done,
		 void *payload);
/*
 * Like http_submit, but the call starts no sooner than delay_ms from now
 * (a timer in the loop; for re-reads that wait for a stale answer to
 * settle).
 */
void http_submit_delayed(struct http *h, struct http_call *c,
			 long long delay_ms, http_done_fn done, void *payload);
/*
 * Drives every queued call to its end, running done callbacks, until none
 * is left. Returns 0, or -1 when libcurl fails (the calls then finish with
 * errors). Not reentrant: never call it from a done callback.
 */
int http_run(struct http *h) __attribute__((warn_unused_result));
/*
 * Submits c and runs the engine until everything queued is done: the
 * blocking form. Returns c->result (the message is in err_msg too).
 */
int http_perform(struct http *h, struct http_call *c)
	__attribute__((warn_unused_result));
/*
 * Finishes every call that has not started yet (queued, waiting for a
 * retry or for auth) with ERR_GENERIC "cancelled"; calls in flight go on.
 * For SIGINT: stop taking new work, let the running requests finish.
 */
void http_cancel_pending(struct http *h);

struct http_stats {
	unsigned long requests;	    /* attempts started */
	unsigned long retries;	    /* attempts that repeated an earlier one */
	unsigned long throttled;    /* 429 answers */
	unsigned long unauthorized; /* 401 answers on HTTP_AUTH calls */
	unsigned concurrency;	    /* the current limit */
	unsigned concurrency_min;   /* the lowest limit so far */
	unsigned in_flight_max;	    /* most requests in flight at once */
};

void http_stats(const struct http *h, struct http_stats *out);

#endif
