/*
 * t_http: the HTTP engine against the real emulator, over real HTTP.
 *
 * Each test group starts optimizely-emulator on a free port, injects faults
 * through its control API (/_emulator/) and checks both what the engine
 * reports and, from the emulator's request journal, what it sent.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "emulib.h"
#include "tap.h"
#include "target/http.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/jx.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/xalloc.h"


/* ---- helpers ------------------------------------------------------------ */

static struct emu emu;
static char *token;

static char *api_url(const char *path)
{
	struct buf b = BUF_INIT;

	buf_addf(&b, "%s%s", emu.url, path);
	return buf_detach(&b, NULL);
}

static char *get_token(struct http *h)
{
	static const char body[] = "{\"grant_type\":\"client_credentials\","
				   "\"client_id\":\"test-client\",\"client_"
				   "secret\":\"s3cr3t-value\"}";
	char *url = api_url("/_cms/v1/oauth/token");
	struct http_call *c = http_call_new("POST", url);
	json_t *j = NULL;
	char *t = NULL;

	http_call_set_body(c, body, strlen(body), "application/json");
	if (http_perform(h, c) == 0 && c->status == 200 &&
	    jx_load(&j, c->response.ptr, c->response.len, "token") == 0)
		t = xstrdup(jx_str(j, "access_token"));
	json_decref(j);
	http_call_free(c);
	free(url);
	return t;
}

/* A GET of an API path with the bearer token. */
static struct http_call *api_get(const char *path)
{
	char *url = api_url(path);
	struct http_call *c = http_call_new("GET", url);

	http_call_add_header(c, "Authorization: Bearer %s", token);
	free(url);
	return c;
}

static struct http *engine(unsigned concurrency, unsigned retries)
{
	struct http_options o;
	struct http *h = NULL;

	http_options_init(&o);
	o.concurrency = concurrency;
	o.retries = retries;
	o.backoff_base_ms = 20;
	o.backoff_max_ms = 200;
	o.seed = 7;
	if (http_new(&h, &o) < 0)
		diag("http_new: %s", err_msg());
	return h;
}

struct tally {
	int done, ok200, got429, failed;
	long last_status;
};

static void count_done(struct http_call *c, void *payload)
{
	struct tally *t = payload;

	t->done++;
	if (c->result == 0 && c->status == 200)
		t->ok200++;
	if (c->result == 0 && c->status == 429)
		t->got429++;
	if (c->result < 0)
		t->failed++;
	t->last_status = c->status;
	http_call_free(c);
}

/* Runs n GETs of path at once; returns the wall time in ms. */
static long long run_gets(struct http *h, int n, const char *path,
			  struct tally *t)
{
	long long t0 = time_mono_ms();

	memset(t, 0, sizeof(*t));
	for (int i = 0; i < n; i++)
		http_submit(h, api_get(path), count_done, t);
	if (http_run(h) < 0)
		diag("http_run: %s", err_msg());
	return time_mono_ms() - t0;
}

static int count_entries(const json_t *entries, const char *field,
			 const char *value)
{
	size_t i;
	json_t *e;
	int n = 0;

	json_array_foreach(entries, i, e) {
		const json_t *v = json_object_get(e, field);

		if (!value ||
		    (json_is_string(v) && !strcmp(json_string_value(v), value)))
			n++;
	}
	return n;
}

static int count_status(const json_t *entries, long status)
{
	size_t i;
	json_t *e;
	int n = 0;

	json_array_foreach(entries, i, e) {
		if (json_integer_value(json_object_get(e, "status")) == status)
			n++;
	}
	return n;
}

/* ---- tests -------------------------------------------------------------- */

static void test_basic(void)
{
	struct http *h = engine(8, 2);
	char *url = api_url("/_emulator/health");
	struct http_call *c = http_call_new("GET", url);
	json_t *j = NULL, *entries, *e;
	static const char body[] = "{\"key\":\"Probe\"}";

	is_int(http_perform(h, c), 0, "GET /_emulator/health");
	is_int(c->status, 200, "answers 200");
	is_int(c->attempts, 1, "in one attempt");
	ok(jx_load(&j, c->response.ptr, c->response.len, "health") == 0 &&
		   !strcmp(jx_str(j, "status") ? jx_str(j, "status") : "",
			   "ok"),
	   "the body is read whole");
	ok(http_call_header(c, "Content-Type") &&
		   !strncmp(http_call_header(c, "content-type"),
			    "application/json", 16),
	   "response headers are found in any case");
	ok(http_call_header(c, "content-length") != NULL,
	   "Content-Length is kept");
	is_int(c->ambiguous, 0, "nothing ambiguous");
	json_decref(j);
	http_call_free(c);
	free(url);

	/* what the engine sends, from the journal */
	emu_ctl(&emu, "DELETE", "/_emulator/journal", NULL, NULL);
	url = api_url("/_cms/v1/contenttypes");
	c = http_call_new("POST", url);
	http_call_add_header(c, "Authorization: Bearer %s", token);
	http_call_add_header(c, "Prefer: return=representation");
	http_call_set_body(c, body, strlen(body), "application/json");
	is_int(http_perform(h, c), 0, "POST with a body");
	is_int(c->status, 400, "the emulator validates it (400)");
	entries = emu_journal(&emu);
	is_int(json_array_size(entries), 1, "one request journaled");
	e = json_array_get(entries, 0);
	is_str(jx_str(e, "method"), "POST", "method");
	is_str(jx_str(e, "path"), "/_cms/v1/contenttypes", "path");
	is_str(jx_str(e, "body"), body, "body, byte for byte");
	is_str(jx_str(json_object_get(e, "headers"), "content-type"),
	       "application/json", "Content-Type");
	is_str(jx_str(json_object_get(e, "headers"), "prefer"),
	       "return=representation", "extra headers");
	is_str(jx_str(json_object_get(e, "headers"), "accept"),
	       "application/json", "Accept defaults to JSON");
	is_str(jx_str(json_object_get(e, "headers"), "authorization"),
	       "Bearer ***", "the bearer (masked by the journal)");
	ok(!json_object_get(json_object_get(e, "headers"), "expect"),
	   "no Expect: 100-continue");
	ok(jx_str(json_object_get(e, "headers"), "user-agent") &&
		   !strncmp(jx_str(json_object_get(e, "headers"), "user-agent"),
			    "catalyst-sync/", 14),
	   "User-Agent names us");
	json_decref(entries);
	http_call_free(c);
	free(url);

	/* PATCH and DELETE carry their method; DELETE has no body */
	emu_ctl(&emu, "DELETE", "/_emulator/journal", NULL, NULL);
	url = api_url("/_cms/v1/contenttypes/Nope");
	c = http_call_new("PATCH", url);
	http_call_add_header(c, "Authorization: Bearer %s", token);
	http_call_set_body(c, "{}", 2, "application/merge-patch+json");
	is_int(http_perform(h, c), 0, "PATCH");
	is_int(c->status, 404, "404 for an unknown key");
	http_call_free(c);
	c = http_call_new("DELETE", url);
	http_call_add_header(c, "Authorization: Bearer %s", token);
	is_int(http_perform(h, c), 0, "DELETE");
	is_int(c->status, 404, "404 again");
	http_call_free(c);
	entries = emu_journal(&emu);
	is_str(jx_str(json_array_get(entries, 0), "method"), "PATCH",
	       "PATCH journaled");
	is_str(jx_str(json_array_get(entries, 0), "body"), "{}",
	       "with its body");
	is_str(jx_str(json_object_get(json_array_get(entries, 0), "headers"),
		      "content-type"),
	       "application/merge-patch+json", "and media type");
	is_str(jx_str(json_array_get(entries, 1), "method"), "DELETE",
	       "DELETE journaled");
	is_str(jx_str(json_array_get(entries, 1), "body"), "",
	       "without a body");
	json_decref(entries);
	free(url);
	http_free(h);
}

static void test_latency(void)
{
	struct http *h = engine(8, 2);
	struct http_stats st;
	struct tally t;
	long long ms;

	emu_reset(&emu);
	emu_faults(&emu, "{\"latencyMs\":200}");
	ms = run_gets(h, 16, "/_cms/v1/contenttypes/BlankSection", &t);
	is_int(t.ok200, 16, "16 GETs at 200 ms latency all succeed");
	ok(ms >= 390 && ms < 1200,
	   "with concurrency 8 they overlap: %lld ms (~400, not 3200)", ms);
	http_stats(h, &st);
	is_int(st.in_flight_max, 8, "8 requests were in flight at once");
	is_int(st.requests, 16, "16 requests, no retries");
	http_free(h);

	h = engine(1, 2);
	ms = run_gets(h, 3, "/_cms/v1/contenttypes/BlankSection", &t);
	ok(ms >= 590, "concurrency 1 runs them one by one: %lld ms", ms);
	http_free(h);
	emu_reset(&emu);
}

static void test_errors_5xx(void)
{
	struct http *h = engine(4, 8);
	struct http_stats st;
	struct tally t;
	json_t *entries;
	long long ms;
	int n5xx;

	emu_reset(&emu);
	emu_ctl(&emu, "DELETE", "/_emulator/journal", NULL, NULL);
	emu_faults(&emu, "{\"errorRate\":0.4}");
	run_gets(h, 20, "/_cms/v1/contenttypes/BlankSection", &t);
	is_int(t.ok200, 20, "at a 40%% error rate every GET still succeeds");
	entries = emu_journal(&emu);
	n5xx = count_status(entries, 500) + count_status(entries, 502) +
	       count_status(entries, 503);
	ok(n5xx > 0, "the emulator did fail some (%d)", n5xx);
	is_int(count_status(entries, 200), 20, "20 answers of 200");
	is_int((int)json_array_size(entries), 20 + n5xx,
	       "each failure was retried once");
	http_stats(h, &st);
	is_int((long long)st.retries, n5xx, "the engine counted the retries");
	json_decref(entries);
	http_free(h);

	/* all fail: a clean end within the bound */
	h = engine(4, 3);
	emu_ctl(&emu, "DELETE", "/_emulator/journal", NULL, NULL);
	emu_faults(&emu, "{\"errorRate\":1}");
	ms = run_gets(h, 2, "/_cms/v1/contenttypes/BlankSection", &t);
	is_int(t.done, 2, "both calls finish");
	is_int(t.failed, 0, "as HTTP answers, not transport errors");
	ok(t.last_status >= 500, "with the last 5xx status (%ld)",
	   t.last_status);
	entries = emu_journal(&emu);
	is_int(json_array_size(entries), 8, "1 + 3 retries each");
	ok(ms < 2000, "within the backoff bound (%lld ms)", ms);
	json_decref(entries);
	http_free(h);

	/* a scripted 503 with Retry-After: 1 waits a second */
	emu_reset(&emu);
	h = engine(4, 3);
	emu_rule(&emu, "{\"method\":\"GET\",\"path\":\"/_cms/v1/contenttypes/"
		       "BlankSection\",\"count\":1,\"status\":503,"
		       "\"retryAfter\":1}");
	ms = run_gets(h, 1, "/_cms/v1/contenttypes/BlankSection", &t);
	is_int(t.ok200, 1, "503 with Retry-After, then 200");
	ok(ms >= 950, "Retry-After on a 503 is honoured (%lld ms)", ms);
	http_free(h);
	emu_reset(&emu);
}

static void test_429(void)
{
	struct http *h = engine(8, 3);
	struct http_stats st;
	struct tally t;
	json_t *entries;
	long long ms;

	emu_reset(&emu);
	emu_ctl(&emu, "DELETE", "/_emulator/journal", NULL, NULL);
	emu_rule(&emu, "{\"method\":\"GET\",\"path\":\"/_cms/v1/contenttypes/"
		       "BlankSection\",\"count\":4,\"status\":429,"
		       "\"retryAfter\":1}");
	ms = run_gets(h, 8, "/_cms/v1/contenttypes/BlankSection", &t);
	is_int(t.ok200, 8, "429s are retried until they succeed");
	ok(ms >= 950 && ms < 3000, "after Retry-After: 1 (%lld ms)", ms);
	http_stats(h, &st);
	is_int(st.throttled, 4, "4 answers of 429");
	ok(st.concurrency_min < 8, "concurrency shrank (to %u)",
	   st.concurrency_min);
	entries = emu_journal(&emu);
	is_int(count_status(entries, 429), 4, "the journal shows the 429s");
	is_int(count_status(entries, 200), 8, "and 8 successes");
	json_decref(entries);

	/* it grows back with successes */
	for (int i = 0; i < 6; i++)
		run_gets(h, 8, "/_cms/v1/contenttypes/BlankSection", &t);
	http_stats(h, &st);
	is_int(st.concurrency, 8, "concurrency grows back to 8");
	http_free(h);

	/* the emulator's own rate limit: a Retry-After beyond the bound
	 * ends the call cleanly with its 429 */
	{
		struct http_options o;

		http_options_init(&o);
		o.retry_after_max_ms = 2000;
		o.backoff_base_ms = 20;
		if (http_new(&h, &o) < 0)
			diag("http_new: %s", err_msg());
	}
	emu_reset(&emu);
	emu_faults(&emu, "{\"rateLimit\":5}");
	ms = run_gets(h, 8, "/_cms/v1/contenttypes/BlankSection", &t);
	is_int(t.ok200, 5, "5 requests fit under a limit of 5 per minute");
	is_int(t.done, 8, "the other 3 finish");
	/* which ones get the 429 depends on the order they arrive in */
	is_int(t.got429, 3, "with 429");
	ok(ms < 1500, "without waiting a minute (%lld ms)", ms);
	http_free(h);
	emu_reset(&emu);
}

static void test_client_rate_limit(void)
{
	struct http_options o;
	struct http *h = NULL;
	struct tally t;
	long long ms;

	http_options_init(&o);
	o.rate_limit = 4;
	o.rate_window_ms = 500;
	if (http_new(&h, &o) < 0)
		diag("http_new: %s", err_msg());
	ms = run_gets(h, 10, "/_cms/v1/contenttypes/BlankSection", &t);
	is_int(t.ok200, 10, "rate-limited GETs succeed");
	ok(ms >= 980, "4 per 500 ms: 10 requests take 2 windows (%lld ms)", ms);
	http_free(h);
}

static void test_drops_and_truncation(void)
{
	struct http *h = engine(4, 4);
	struct http_call *c;
	json_t *entries, *j = NULL;
	struct tally t;
	char *url;

	emu_reset(&emu);
	emu_ctl(&emu, "DELETE", "/_emulator/journal", NULL, NULL);
	emu_rule(&emu, "{\"method\":\"GET\",\"path\":\"/_cms/v1/contenttypes/"
		       "BlankSection\",\"count\":2,\"action\":\"drop\"}");
	c = api_get("/_cms/v1/contenttypes/BlankSection");
	is_int(http_perform(h, c), 0, "dropped connections are retried");
	is_int(c->status, 200, "and the third attempt succeeds");
	is_int(c->attempts, 3, "in 3 attempts");
	is_int(c->ambiguous, 1, "the call is marked ambiguous");
	http_call_free(c);
	entries = emu_journal(&emu);
	is_int(count_entries(entries, "fault", "drop"), 2,
	       "the journal shows 2 drops");
	json_decref(entries);

	emu_ctl(&emu, "DELETE", "/_emulator/journal", NULL, NULL);
	emu_rule(&emu, "{\"method\":\"GET\",\"path\":\"/_cms/v1/contenttypes/"
		       "BlankSection\",\"count\":1,\"action\":\"truncate\"}");
	c = api_get("/_cms/v1/contenttypes/BlankSection");
	is_int(http_perform(h, c), 0, "a truncated body is detected");
	is_int(c->attempts, 2, "and retried");
	ok(jx_load(&j, c->response.ptr, c->response.len, "type") == 0,
	   "the final body is whole JSON");
	is_str(jx_str(j, "key"), "BlankSection", "of the right type");
	json_decref(j);
	http_call_free(c);
	entries = emu_journal(&emu);
	is_int(count_entries(entries, "fault", "truncate"), 1,
	       "the journal shows the truncation");
	json_decref(entries);

	/* random drops and truncations */
	emu_faults(&emu, "{\"dropRate\":0.2,\"truncateRate\":0.2}");
	run_gets(h, 12, "/_cms/v1/contenttypes/BlankSection", &t);
	is_int(t.ok200, 12, "random drops and truncations are survived");
	emu_reset(&emu);

	/* drop before processing, on a connection refused port */
	url = xstrdup("http://127.0.0.1:1/nothing");
	c = http_call_new("GET", url);
	is_int(http_perform(h, c), ERR_REMOTE, "a refused connection fails");
	is_int(c->attempts, 5, "after 1 + 4 attempts");
	is_int(c->ambiguous, 0, "and is not ambiguous");
	ok(strstr(c->error, "127.0.0.1:1") != NULL, "the error names the URL");
	err_clear();
	http_call_free(c);
	free(url);
	http_free(h);
}

static void test_timeout(void)
{
	struct http_options o;
	struct http *h = NULL;
	struct http_call *c;
	long long t0;

	http_options_init(&o);
	o.timeout_ms = 300;
	o.retries = 1;
	o.backoff_base_ms = 10;
	if (http_new(&h, &o) < 0)
		diag("http_new: %s", err_msg());
	emu_reset(&emu);
	emu_rule(&emu, "{\"method\":\"GET\",\"path\":\"/_cms/v1/contenttypes/"
		       "BlankSection\",\"count\":1,\"action\":\"delay\","
		       "\"delayMs\":1000}");
	c = api_get("/_cms/v1/contenttypes/BlankSection");
	is_int(http_perform(h, c), 0, "a slow answer times out and is retried");
	is_int(c->status, 200, "the retry succeeds");
	is_int(c->attempts, 2, "in 2 attempts");
	http_call_free(c);

	emu_rule(&emu, "{\"method\":\"GET\",\"path\":\"/_cms/v1/contenttypes/"
		       "BlankSection\",\"count\":0,\"action\":\"delay\","
		       "\"delayMs\":1000}");
	c = api_get("/_cms/v1/contenttypes/BlankSection");
	t0 = time_mono_ms();
	is_int(http_perform(h, c), ERR_TIMEOUT, "always slow: ERR_TIMEOUT");
	ok(time_mono_ms() - t0 < 1500, "within the bound");
	ok(strstr(err_msg(), "after 2 attempts") != NULL,
	   "the message says how often: %s", err_msg());
	err_clear();
	http_call_free(c);
	http_free(h);
	emu_reset(&emu);
}

static void test_size_cap(void)
{
	struct http_options o;
	struct http *h = NULL;
	struct http_call *c;

	http_options_init(&o);
	o.max_response = 16;
	if (http_new(&h, &o) < 0)
		diag("http_new: %s", err_msg());
	c = api_get("/_cms/v1/contenttypes/BlankSection");
	is_int(http_perform(h, c), ERR_REMOTE, "a body over the cap fails");
	is_int(c->attempts, 1, "without a retry");
	ok(strstr(err_msg(), "larger than 16 bytes") != NULL,
	   "and says why: %s", err_msg());
	err_clear();
	http_call_free(c);
	http_free(h);
}

static void test_tls_and_proxy(void)
{
	struct http_options o;
	struct http *h = NULL;
	struct http_call *c;
	struct buf url = BUF_INIT;
	json_t *entries;
	const char *port = strrchr(emu.url, ':');

	/* TLS is verified: a bad CA file is an error, never skipped */
	http_options_init(&o);
	o.ca_file = "/nonexistent/ca.pem";
	o.retries = 0;
	if (http_new(&h, &o) < 0)
		diag("http_new: %s", err_msg());
	buf_addf(&url, "https://127.0.0.1%s/_emulator/health", port);
	c = http_call_new("GET", url.ptr);
	ok(http_perform(h, c) < 0, "https with a missing CA file fails");
	diag("%s", err_msg());
	err_clear();
	http_call_free(c);
	http_free(h);

	/* libcurl's proxy variables are honoured */
	setenv("http_proxy", emu.url, 1);
	unsetenv("no_proxy");
	unsetenv("NO_PROXY");
	h = engine(1, 0);
	emu_ctl(&emu, "DELETE", "/_emulator/journal", NULL, NULL);
	c = http_call_new("GET",
			  "http://cms.example.invalid/_cms/v1/contenttypes");
	is_int(http_perform(h, c), 0, "a request through http_proxy");
	ok(c->status > 0, "is answered by the proxy (%ld)", c->status);
	http_call_free(c);
	http_free(h);
	unsetenv("http_proxy");
	entries = emu_journal(&emu);
	{
		size_t i;
		json_t *e;
		int seen = 0;

		json_array_foreach(entries, i, e) {
			if (jx_str(e, "path") &&
			    strstr(jx_str(e, "path"), "cms.example.invalid"))
				seen++;
		}
		is_int(seen, 1, "the proxy got the absolute URL");
	}
	json_decref(entries);
	buf_release(&url);
}

static void test_no_secrets_logged(void)
{
	struct http *h = engine(1, 0);
	struct http_call *c;
	char *logbuf = NULL;
	size_t loglen = 0;
	FILE *f = open_memstream(&logbuf, &loglen);

	log_set_stream(f);
	if (log_set_trace("http") < 0)
		diag("trace: %s", err_msg());
	c = api_get("/_cms/v1/contenttypes/BlankSection");
	is_int(http_perform(h, c), 0, "a traced request");
	http_call_free(c);
	log_set_trace("");
	log_set_stream(NULL);
	fclose(f);
	ok(strstr(logbuf, "/_cms/v1/contenttypes/BlankSection") != NULL,
	   "the trace names the request");
	ok(strstr(logbuf, "200") != NULL, "and its status");
	ok(!strstr(logbuf, token), "but never the token");
	free(logbuf);
	http_free(h);
}

struct cancel_ctx {
	struct http *h;
	int done, cancelled;
};

static void cancel_done(struct http_call *c, void *payload)
{
	struct cancel_ctx *cc = payload;

	cc->done++;
	if (c->result == ERR_GENERIC && !strcmp(c->error, "cancelled"))
		cc->cancelled++;
	if (cc->done == 1)
		http_cancel_pending(cc->h);
	http_call_free(c);
}

static void test_cancel(void)
{
	struct cancel_ctx cc = {NULL, 0, 0};

	cc.h = engine(1, 0);
	for (int i = 0; i < 5; i++)
		http_submit(cc.h, api_get("/_cms/v1/contenttypes/BlankSection"),
			    cancel_done, &cc);
	is_int(http_run(cc.h), 0, "run with a cancel after the first");
	is_int(cc.done, 5, "every call finishes");
	is_int(cc.cancelled, 4, "the 4 not started are cancelled");
	http_free(cc.h);
}

static void test_fault_injection(void)
{
	struct http *h = engine(1, 3);
	struct http_call *c;
	int results[3];

	setenv("CS_FAULT_AT", "http:2", 1);
	for (int i = 0; i < 3; i++) {
		c = api_get("/_cms/v1/contenttypes/BlankSection");
		results[i] = http_perform(h, c);
		if (i == 1) {
			is_int(c->attempts, 0,
			       "the failed call never went out");
			ok(strstr(c->error, "CS_FAULT_AT") != NULL,
			   "and says it was injected: %s", c->error);
		}
		http_call_free(c);
	}
	err_clear();
	unsetenv("CS_FAULT_AT");
	is_int(results[0], 0, "CS_FAULT_AT=http:2: the first call passes");
	is_int(results[1], ERR_REMOTE, "the second fails, not retried");
	is_int(results[2], 0, "the third passes");
	http_free(h);
}

int main(void)
{
	struct http *h;

	plan_lazy();
	if (http_global_init() < 0 || emu_start(&emu, NULL) < 0) {
		ok(0, "the emulator starts (it is built with the tests)");
		return done_testing();
	}
	h = engine(1, 0);
	token = get_token(h);
	http_free(h);
	ok(token != NULL, "a token from the emulator");
	if (token) {
		test_basic();
		test_latency();
		test_errors_5xx();
		test_429();
		test_client_rate_limit();
		test_drops_and_truncation();
		test_timeout();
		test_size_cap();
		test_tls_and_proxy();
		test_no_secrets_logged();
		test_cancel();
#ifndef NDEBUG
		test_fault_injection();
#endif
	}
	free(token);
	emu_stop(&emu);
	http_global_cleanup();
	return done_testing();
}
