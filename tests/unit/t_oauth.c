/*
 * t_oauth: client credentials against the real emulator: the token request,
 * caching, expiry, one shared refresh, refused credentials.
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
#include "target/oauth.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/jx.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/xalloc.h"


/* ---- helpers ------------------------------------------------------------ */

static struct emu emu;

static char *url_of(const char *path)
{
	struct buf b = BUF_INIT;

	buf_addf(&b, "%s%s", emu.url, path);
	return buf_detach(&b, NULL);
}

struct rig {
	struct http *h;
	struct oauth *o;
};

static int rig_open(struct rig *r, const char *secret, unsigned retries)
{
	struct http_options opts;
	char *token_url = url_of("/_cms/v1/oauth/token");
	int ret;

	memset(r, 0, sizeof(*r));
	http_options_init(&opts);
	opts.retries = retries;
	opts.backoff_base_ms = 20;
	opts.backoff_max_ms = 100;
	opts.seed = 3;
	if ((ret = http_new(&r->h, &opts)) == 0)
		ret = oauth_new(&r->o, r->h, token_url, "test-client", secret);
	free(token_url);
	return ret;
}

static void rig_close(struct rig *r)
{
	oauth_free(r->o);
	http_free(r->h);
}

struct tally {
	int done, ok200, failed, status401, last_result;
	unsigned max_attempts;
	char *last_error;
};

static void count_done(struct http_call *c, void *payload)
{
	struct tally *t = payload;

	t->done++;
	if (c->result == 0 && c->status == 200)
		t->ok200++;
	if (c->result < 0) {
		t->failed++;
		t->last_result = c->result;
		free(t->last_error);
		t->last_error = xstrdup(c->error);
	}
	if (c->status == 401)
		t->status401++;
	if (c->attempts > t->max_attempts)
		t->max_attempts = c->attempts;
	http_call_free(c);
}

static void run_gets(struct rig *r, int n, struct tally *t)
{
	char *url = url_of("/_cms/v1/contenttypes/BlankSection");

	free(t->last_error);
	memset(t, 0, sizeof(*t));
	for (int i = 0; i < n; i++) {
		struct http_call *c = http_call_new("GET", url);

		c->flags = HTTP_AUTH;
		http_submit(r->h, c, count_done, t);
	}
	if (http_run(r->h) < 0)
		diag("http_run: %s", err_msg());
	free(url);
}

static int count_path(const json_t *entries, const char *path, long status)
{
	size_t i;
	json_t *e;
	int n = 0;

	json_array_foreach(entries, i, e) {
		const char *p = jx_str(e, "path");
		long st = (long)json_integer_value(
			json_object_get(e, "status"));

		if (p && !strcmp(p, path) && (!status || st == status))
			n++;
	}
	return n;
}

#define TOKEN_PATH "/_cms/v1/oauth/token"
#define TYPE_PATH "/_cms/v1/contenttypes/BlankSection"

static void clear_journal(void)
{
	emu_ctl(&emu, "DELETE", "/_emulator/journal", NULL, NULL);
}

/* ---- tests -------------------------------------------------------------- */

static void test_margin(void)
{
	is_int(oauth_refresh_margin_ms(300000), 30000,
	       "300 s tokens refresh 30 s early");
	is_int(oauth_refresh_margin_ms(100000), 10000,
	       "100 s tokens refresh 10 s early (a tenth)");
	is_int(oauth_refresh_margin_ms(3000), 300, "3 s tokens 0.3 s early");
	is_int(oauth_refresh_margin_ms(3600000), 30000, "an hour: still 30 s");
}

static void test_fetch_and_cache(void)
{
	struct rig r;
	struct tally t = {0};
	json_t *entries, *e;

	emu_reset(&emu);
	clear_journal();
	is_int(rig_open(&r, "s3cr3t-value", 2), 0, "a provider");
	is_int(oauth_login(r.o), 0, "login gets a token");
	entries = emu_journal(&emu);
	is_int(json_array_size(entries), 1, "one request");
	e = json_array_get(entries, 0);
	is_str(jx_str(e, "method"), "POST", "POST");
	is_str(jx_str(e, "path"), TOKEN_PATH, "to the token path");
	is_str(jx_str(json_object_get(e, "headers"), "content-type"),
	       "application/json", "a JSON body");
	is_str(jx_str(e, "body"),
	       "{\"grant_type\":\"client_credentials\","
	       "\"client_id\":\"test-client\",\"client_secret\":\"***\"}",
	       "with the client credentials grant");
	ok(!json_object_get(json_object_get(e, "headers"), "authorization"),
	   "and no Authorization header");
	json_decref(entries);

	clear_journal();
	run_gets(&r, 12, &t);
	is_int(t.ok200, 12, "12 requests with the token");
	entries = emu_journal(&emu);
	is_int(count_path(entries, TOKEN_PATH, 0), 0,
	       "the cached token serves them all");
	e = json_array_get(entries, 0);
	is_str(jx_str(json_object_get(e, "headers"), "authorization"),
	       "Bearer ***", "as a bearer token");
	json_decref(entries);
	is_int(oauth_fetches(r.o), 1, "one fetch in all");
	rig_close(&r);

	/* no login: the first requests wait for the one fetch */
	clear_journal();
	is_int(rig_open(&r, "s3cr3t-value", 2), 0, "a fresh provider");
	run_gets(&r, 10, &t);
	is_int(t.ok200, 10, "10 requests without a token yet");
	is_int(oauth_fetches(r.o), 1, "share one fetch");
	is_int(t.status401, 0, "and none is refused");
	entries = emu_journal(&emu);
	is_str(jx_str(json_array_get(entries, 0), "path"), TOKEN_PATH,
	       "the token request goes first");
	is_int(count_path(entries, TOKEN_PATH, 0), 1, "once");
	json_decref(entries);
	rig_close(&r);
	free(t.last_error);
}

static void test_expiry_shared_refresh(void)
{
	struct rig r;
	struct tally t = {0};
	json_t *entries;
	int n401;

	emu_reset(&emu);
	is_int(rig_open(&r, "s3cr3t-value", 2), 0, "a provider");
	is_int(oauth_login(r.o), 0, "login");
	emu_faults(&emu, "{\"latencyMs\":50}");
	emu_ctl(&emu, "POST", "/_emulator/tokens/expire", NULL, NULL);
	clear_journal();
	run_gets(&r, 16, &t);
	is_int(t.ok200, 16,
	       "after the server expired every token, all 16 "
	       "requests succeed");
	entries = emu_journal(&emu);
	n401 = count_path(entries, TYPE_PATH, 401);
	ok(n401 >= 1 && n401 <= 16, "some saw a 401 (%d)", n401);
	is_int(count_path(entries, TOKEN_PATH, 200), 1,
	       "ONE shared refresh for all of them");
	is_int(count_path(entries, TYPE_PATH, 200), 16, "16 successes");
	is_int((int)json_array_size(entries), 1 + n401 + 16,
	       "each refused request was retried once");
	ok(t.max_attempts <= 2, "no request needed more than 2 attempts");
	is_int(oauth_fetches(r.o), 2, "two fetches in all");
	json_decref(entries);
	rig_close(&r);
	emu_reset(&emu);
	free(t.last_error);
}

static void test_proactive_refresh(void)
{
	struct rig r;
	struct tally t = {0};
	json_t *entries;

	emu_reset(&emu);
	emu_faults(&emu, "{\"tokenTtl\":3}");
	is_int(rig_open(&r, "s3cr3t-value", 2), 0, "a provider");
	is_int(oauth_login(r.o), 0, "a token for 3 s");
	usleep(2750 * 1000);
	clear_journal();
	run_gets(&r, 1, &t);
	is_int(t.ok200, 1, "a request in the last 0.3 s of the token");
	is_int(t.status401, 0, "is not refused");
	entries = emu_journal(&emu);
	is_int(count_path(entries, TOKEN_PATH, 200), 1,
	       "and a refresh was fetched alongside");
	json_decref(entries);

	usleep(3100 * 1000);
	clear_journal();
	run_gets(&r, 3, &t);
	is_int(t.ok200, 3, "after expiry, requests wait for a new token");
	is_int(t.status401, 0, "instead of being refused");
	entries = emu_journal(&emu);
	is_str(jx_str(json_array_get(entries, 0), "path"), TOKEN_PATH,
	       "the token request goes first");
	is_int(count_path(entries, TOKEN_PATH, 0), 1, "once");
	json_decref(entries);
	rig_close(&r);
	emu_reset(&emu);
	free(t.last_error);
}

static void test_refused_twice(void)
{
	struct rig r;
	struct tally t = {0};

	emu_reset(&emu);
	is_int(rig_open(&r, "s3cr3t-value", 2), 0, "a provider");
	emu_rule(&emu, "{\"path\":\"" TYPE_PATH "\",\"count\":0,"
		       "\"status\":401}");
	run_gets(&r, 3, &t);
	is_int(t.done, 3, "requests that are always refused finish");
	is_int(t.status401, 3, "with 401");
	is_int(t.max_attempts, 2, "after one retry each");
	is_int(oauth_fetches(r.o), 2, "and one shared refresh");
	rig_close(&r);
	emu_reset(&emu);
	free(t.last_error);
}

static void test_bad_credentials(void)
{
	struct rig r;
	struct tally t = {0};
	json_t *entries;
	char *logbuf = NULL;
	size_t loglen = 0;
	FILE *f = open_memstream(&logbuf, &loglen);

	emu_reset(&emu);
	clear_journal();
	log_set_stream(f);
	if (log_set_trace("http") < 0)
		diag("trace: %s", err_msg());
	is_int(rig_open(&r, "wrong-secret-xyz", 2), 0, "a provider");
	run_gets(&r, 6, &t);
	is_int(t.failed, 6, "with refused credentials every request fails");
	is_int(t.last_result, ERR_AUTH, "with ERR_AUTH");
	ok(t.last_error && strstr(t.last_error, "invalid_client"),
	   "the message says why: %s", t.last_error ? t.last_error : "");
	ok(t.last_error && !strstr(t.last_error, "wrong-secret-xyz"),
	   "without the secret");
	is_int(oauth_fetches(r.o), 1, "one token request");
	run_gets(&r, 2, &t);
	is_int(t.failed, 2, "later requests fail too");
	is_int(oauth_fetches(r.o), 1, "without asking again");
	is_int(oauth_login(r.o), ERR_AUTH, "login says ERR_AUTH");
	err_clear();
	entries = emu_journal(&emu);
	is_int(count_path(entries, TOKEN_PATH, 400), 1,
	       "the journal shows the one 400");
	is_int(count_path(entries, TYPE_PATH, 0), 0,
	       "and no API request went out");
	json_decref(entries);
	rig_close(&r);
	log_set_trace("");
	log_set_stream(NULL);
	fclose(f);
	ok(!strstr(logbuf, "wrong-secret-xyz"), "the secret is never logged");
	ok(strstr(logbuf, TOKEN_PATH) != NULL, "the token request is");
	free(logbuf);
	is_int(oauth_new(&r.o, NULL, "x", "id", ""), ERR_INVALID,
	       "a missing secret is refused");
	err_clear();
	free(t.last_error);
}

static void test_endpoint_failures(void)
{
	struct rig r;
	struct tally t = {0};

	emu_reset(&emu);
	is_int(rig_open(&r, "s3cr3t-value", 3), 0, "a provider");
	emu_rule(&emu, "{\"path\":\"" TOKEN_PATH "\",\"count\":2,"
		       "\"status\":503}");
	run_gets(&r, 4, &t);
	is_int(t.ok200, 4, "a token endpoint that fails twice is retried");
	is_int(oauth_fetches(r.o), 1, "within one fetch");
	rig_close(&r);

	emu_reset(&emu);
	is_int(rig_open(&r, "s3cr3t-value", 1), 0, "a provider");
	emu_rule(&emu, "{\"path\":\"" TOKEN_PATH "\",\"count\":0,"
		       "\"status\":500}");
	run_gets(&r, 4, &t);
	is_int(t.failed, 4, "a token endpoint that is down fails the waiters");
	is_int(t.last_result, ERR_REMOTE, "with ERR_REMOTE");
	emu_ctl(&emu, "DELETE", "/_emulator/faults/script", NULL, NULL);
	run_gets(&r, 2, &t);
	is_int(t.ok200, 2, "once it is back, the next request asks again");
	is_int(oauth_fetches(r.o), 2, "with a second fetch");
	rig_close(&r);
	emu_reset(&emu);
	free(t.last_error);
}

static void test_dropped_token_answer(void)
{
	struct rig r;
	struct tally t = {0};

	emu_reset(&emu);
	is_int(rig_open(&r, "s3cr3t-value", 3), 0, "a provider");
	emu_rule(&emu, "{\"path\":\"" TOKEN_PATH "\",\"count\":1,"
		       "\"action\":\"truncate\"}");
	emu_rule(&emu, "{\"path\":\"" TYPE_PATH "\",\"count\":1,"
		       "\"action\":\"drop\"}");
	run_gets(&r, 2, &t);
	is_int(t.ok200, 2,
	       "a truncated token answer and a dropped request "
	       "are both retried");
	rig_close(&r);
	emu_reset(&emu);
	free(t.last_error);
}

int main(void)
{
	plan_lazy();
	test_margin();
	if (http_global_init() < 0 || emu_start(&emu, NULL) < 0) {
		ok(0, "the emulator starts (it is built with the tests)");
		return done_testing();
	}
	test_fetch_and_cache();
	test_expiry_shared_refresh();
	test_proactive_refresh();
	test_refused_twice();
	test_bad_credentials();
	test_endpoint_failures();
	test_dropped_token_answer();
	emu_stop(&emu);
	http_global_cleanup();
	return done_testing();
}
