/*
 * t_optimizely: the target port's Optimizely backend against the real
 * emulator: URL layouts, every operation, the exact requests sent (from
 * the emulator's journal), errors in plain words, stale reads, lost answers.
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

#include "core/patch.h"
#include "core/tform.h"
#include "emulib.h"
#include "tap.h"
#include "target/http.h"
#include "target/target.h"
#include "util/buf.h"
#include "util/config.h"
#include "util/err.h"
#include "util/jx.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/xalloc.h"


/* ---- helpers ------------------------------------------------------------ */

static struct emu emu;

static json_t *load(const char *text)
{
	json_t *v = NULL;

	if (jx_load(&v, text, strlen(text), "test JSON") < 0)
		diag("bad test JSON: %s (%s)", text, err_msg());
	return v;
}

static struct target *open_target(const char *version, const char *secret,
				  long long stale_wait_ms)
{
	struct config_target c;
	struct target_options o;
	struct target *t = NULL;

	memset(&c, 0, sizeof(c));
	c.name = (char *)"optimizely";
	c.url = emu.url;
	c.api_version = (char *)version;
	c.client_id = (char *)"test-client";
	c.client_secret = (char *)secret;
	c.concurrency = 8;
	c.timeout_ms = 10000;
	c.retries = 4;
	target_options_init(&o);
	o.backoff_base_ms = 20;
	o.backoff_max_ms = 200;
	o.retry_after_max_ms = 3000;
	o.stale_wait_ms = stale_wait_ms;
	o.seed = 11;
	if (target_open(&t, &c, &o) < 0)
		diag("target_open: %s", err_msg());
	return t;
}

static void clear_journal(void)
{
	emu_ctl(&emu, "DELETE", "/_emulator/journal", NULL, NULL);
}

/* The journal without token requests. */
static json_t *api_journal(void)
{
	json_t *all = emu_journal(&emu), *out = json_array(), *e;
	size_t i;

	json_array_foreach(all, i, e) {
		if (!strstr(jx_str(e, "path") ? jx_str(e, "path") : "",
			    "/oauth/token"))
			json_array_append(out, e);
	}
	json_decref(all);
	return out;
}

static int count_token_requests(void)
{
	json_t *all = emu_journal(&emu), *e;
	size_t i;
	int n = 0;

	json_array_foreach(all, i, e) {
		if (strstr(jx_str(e, "path") ? jx_str(e, "path") : "",
			   "/oauth/token"))
			n++;
	}
	json_decref(all);
	return n;
}

static const char *hdr(const json_t *entry, const char *name)
{
	return jx_str(json_object_get(entry, "headers"), name);
}

static long entry_status(const json_t *entry)
{
	return (long)json_integer_value(json_object_get(entry, "status"));
}

static int body_equals(const json_t *entry, const char *want_text)
{
	json_t *got = NULL, *want = load(want_text);
	const char *b = jx_str(entry, "body");
	int same;

	if (!b || jx_load(&got, b, strlen(b), "journal body") < 0) {
		err_clear();
		json_decref(want);
		return 0;
	}
	same = json_equal(got, want);
	if (!same)
		diag("body: %s", b);
	json_decref(got);
	json_decref(want);
	return same;
}

#define ARTICLE                                                                \
	"{\"key\":\"Article\",\"displayName\":\"Article\","                    \
	"\"baseType\":\"_page\",\"properties\":{"                              \
	"\"title\":{\"type\":\"string\",\"displayName\":\"Title\","            \
	"\"isRequired\":true,\"maxLength\":100},"                              \
	"\"body\":{\"type\":\"richText\"},"                                    \
	"\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}}}}"

/* ---- pure: URL layouts --------------------------------------------------- */

static void check_urls(const char *url, enum api_version v, const char *api,
		       const char *tok)
{
	char *a = NULL, *t = NULL;

	target_optimizely_urls(url, v, &a, &t);
	is_str(a, api, "API base of %s (%s)", url, tform_api_version_name(v));
	is_str(t, tok, "token URL of %s (%s)", url, tform_api_version_name(v));
	free(a);
	free(t);
}

static void test_urls(void)
{
	check_urls("https://api.cms.optimizely.com", API_V1,
		   "https://api.cms.optimizely.com/v1",
		   "https://api.cms.optimizely.com/oauth/token");
	check_urls("https://api.cms.optimizely.com/", API_PREVIEW3,
		   "https://api.cms.optimizely.com/preview3",
		   "https://api.cms.optimizely.com/oauth/token");
	check_urls("https://api-eu1.cmstest.optimizely.com", API_V1,
		   "https://api-eu1.cmstest.optimizely.com/v1",
		   "https://api-eu1.cmstest.optimizely.com/oauth/token");
	check_urls("http://api.cms.optimizely.com", API_V1,
		   "http://api.cms.optimizely.com/_cms/v1",
		   "http://api.cms.optimizely.com/_cms/v1/oauth/token");
	check_urls("https://app-foo.cms.optimizely.com", API_V1,
		   "https://app-foo.cms.optimizely.com/_cms/v1",
		   "https://app-foo.cms.optimizely.com/_cms/v1/oauth/token");
	check_urls("https://api.cms.optimizely.com:443", API_V1,
		   "https://api.cms.optimizely.com:443/_cms/v1",
		   "https://api.cms.optimizely.com:443/_cms/v1/oauth/token");
	check_urls("https://api.cms.optimizely.com.evil.net", API_V1,
		   "https://api.cms.optimizely.com.evil.net/_cms/v1",
		   "https://api.cms.optimizely.com.evil.net/_cms/v1/oauth/"
		   "token");
	check_urls("http://127.0.0.1:8080", API_PREVIEW3,
		   "http://127.0.0.1:8080/_cms/preview3",
		   "http://127.0.0.1:8080/_cms/preview3/oauth/token");
}

/* ---- against the emulator ------------------------------------------------ */

/* Every page 0..n-1 of the list asked for exactly once in entries. */
static int each_page_once(const json_t *entries, size_t n)
{
	size_t i, k, seen = 0;
	const json_t *e;

	json_array_foreach(entries, i, e) {
		const char *q = jx_str(e, "query");

		if (strcmp(jx_str(e, "path"), "/_cms/v1/contenttypes") || !q)
			return 0;
		for (k = 0; k < n; k++) {
			char want[64];

			snprintf(want, sizeof(want), "pageIndex=%zu&pageSize=2",
				 k);
			if (!strcmp(q, want))
				break;
		}
		if (k == n || (seen & (1u << k)))
			return 0;
		seen |= 1u << k;
	}
	return seen == (1u << n) - 1;
}

/* Pages from..to were all being served at one moment (journal times). */
static int pages_overlap(const json_t *entries, size_t from, size_t to)
{
	long long last_start = 0, first_end = -1;
	size_t i;
	const json_t *e;

	json_array_foreach(entries, i, e) {
		const char *q = jx_str(e, "query");
		long long start;
		unsigned long page;

		if (!q || !strstr(q, "pageIndex=") ||
		    time_parse_iso(jx_str(e, "time"), &start, NULL) < 0)
			return 0;
		page = strtoul(strstr(q, "pageIndex=") + 10, NULL, 10);
		if (page < from || page > to)
			continue;
		if (start > last_start)
			last_start = start;
		start += json_integer_value(json_object_get(e, "durationMs"));
		if (first_end < 0 || start < first_end)
			first_end = start;
	}
	return first_end >= 0 && last_start < first_end;
}

static void test_list(void)
{
	struct config_target c;
	struct target_options o;
	struct target *t = NULL;
	json_t *docs = NULL, *raw = NULL, *entries;

	emu_reset(&emu);
	memset(&c, 0, sizeof(c));
	c.url = emu.url;
	c.api_version = (char *)"v1";
	c.client_id = (char *)"test-client";
	c.client_secret = (char *)"s3cr3t-value";
	c.retries = 2;
	target_options_init(&o);
	o.page_size = 2;
	o.backoff_base_ms = 10;
	is_int(target_open(&t, &c, &o), 0, "a target with page size 2");
	clear_journal();
	is_int(target_list(t, &docs, &raw), 0, "list");
	is_int(json_array_size(docs), 9, "all 9 built-ins, each once");
	is_str(jx_str(json_array_get(raw, 0), "source"), "system",
	       "raw items keep 'source'");
	ok(!json_object_get(json_array_get(docs, 0), "source"),
	   "canonical items drop it");
	entries = api_journal();
	is_int(json_array_size(entries), 6,
	       "5 full pages and one empty page (the count says how many to "
	       "ask for; the empty page, not the count, ends the list)");
	ok(each_page_once(entries, 6), "each page once");
	json_decref(entries);
	json_decref(docs);
	json_decref(raw);

	/* The pages after the first are asked for together. */
	emu_faults(&emu, "{\"latencyMs\":150}");
	clear_journal();
	is_int(target_list(t, &docs, NULL), 0, "list again, 150 ms a request");
	entries = api_journal();
	ok(each_page_once(entries, 6) && pages_overlap(entries, 2, 5),
	   "pages 2 to 5 were in flight at the same time");
	json_decref(entries);
	json_decref(docs);
	emu_faults(&emu, "{\"latencyMs\":0}");

	/* A list that fits in a page asks for two, whichever comes back
	 * first: an empty page answered early stops further requests. One
	 * of the two is held back each time. */
	{
		struct target *t1 = open_target("v1", "s3cr3t-value", 0);
		int two_each_time = 1;

		for (int r = 0; r < 6; r++) {
			emu_rule(&emu, "{\"method\":\"GET\",\"path\":"
				       "\"/_cms/v1/contenttypes\",\"count\":1,"
				       "\"action\":\"delay\",\"delayMs\":80}");
			clear_journal();
			if (target_list(t1, &docs, NULL) < 0 ||
			    json_array_size(docs) != 9)
				two_each_time = 0;
			json_decref(docs);
			entries = api_journal();
			if (json_array_size(entries) != 2)
				two_each_time = 0;
			json_decref(entries);
		}
		ok(two_each_time, "a one-page list asks for two pages");
		target_free(t1);
	}

	/* A page that fails while others are in flight fails the list,
	 * once every page in flight has come back. */
	emu_rule(&emu, "{\"method\":\"GET\",\"path\":\"/_cms/v1/contenttypes\","
		       "\"after\":3,\"count\":0,\"status\":500}");
	ok(target_list(t, &docs, &raw) < 0 && !docs && !raw,
	   "a list with failing pages fails");
	ok(strstr(err_msg(), "cannot list content types: HTTP 500") != NULL,
	   "and says why: %s", err_msg());
	err_clear();
	emu_reset(&emu);
	is_int(target_list(t, &docs, NULL), 0, "the next list works");
	is_int(json_array_size(docs), 9, "and is complete");
	json_decref(docs);

	/* truncated pages are retried */
	emu_rule(&emu, "{\"method\":\"GET\",\"path\":\"/_cms/v1/contenttypes\","
		       "\"count\":2,\"action\":\"truncate\"}");
	is_int(target_list(t, &docs, NULL), 0, "list with truncated pages");
	is_int(json_array_size(docs), 9, "still complete");
	json_decref(docs);
	target_free(t);
}

static void test_crud_v1(void)
{
	struct target *t = open_target("v1", "s3cr3t-value", 2000);
	json_t *desired = load(ARTICLE), *remote = NULL, *doc = NULL;
	json_t *entries, *e, *patch, *desired2, *p;
	char *etag = NULL, *etag2 = NULL, *etag3 = NULL, *etag3_next = NULL;
	int n;

	emu_reset(&emu);
	clear_journal();

	/* create */
	is_int(target_create(t, desired, &remote, &etag), 0, "create Article");
	ok(etag && *etag == '"', "an ETag comes back (%s)", etag ? etag : "");
	p = patch_compute(remote, desired, API_V1);
	ok(patch_is_empty(p), "the remote equals the desired doc (owned)");
	json_decref(p);
	entries = api_journal();
	is_int(json_array_size(entries), 1,
	       "one request: the write's answer is trusted");
	e = json_array_get(entries, 0);
	is_str(jx_str(e, "method"), "POST", "POST");
	is_str(jx_str(e, "path"), "/_cms/v1/contenttypes", "to /contenttypes");
	is_str(hdr(e, "prefer"), "return=representation", "with Prefer");
	is_str(hdr(e, "content-type"), "application/json", "as JSON");
	is_str(hdr(e, "accept"), "application/json", "accepting JSON");
	is_str(hdr(e, "authorization"), "Bearer ***", "with the bearer");
	ok(body_equals(e, ARTICLE), "the body is the document");
	is_int(count_token_requests(), 1, "after one token request");
	json_decref(entries);

	/* create again: the 409 is checked, not trusted */
	clear_journal();
	{
		struct target_op op;

		target_op_init(&op, TARGET_OP_CREATE);
		op.doc = json_incref(desired);
		target_submit(t, &op, NULL, NULL);
		is_int(target_run(t), 0, "run");
		is_int(op.result, 0, "creating the same type again is fine");
		is_int(op.verified, 1, "once a read shows it is the same");
		is_str(op.etag_out, etag, "with its ETag");
		target_op_release(&op);
	}
	entries = api_journal();
	is_int(json_array_size(entries), 2, "POST (409), then GET");
	is_int(entry_status(json_array_get(entries, 0)), 409, "the 409");
	is_str(jx_str(json_array_get(entries, 1), "path"),
	       "/_cms/v1/contenttypes/Article", "the check");
	json_decref(entries);
	json_object_set_new(desired, "displayName",
			    json_string("Another article"));
	is_int(target_create(t, desired, NULL, NULL), ERR_CONFLICT,
	       "creating a different type with that key is ERR_CONFLICT");
	ok(strstr(err_msg(), "already exists") && strstr(err_msg(), "HTTP 409"),
	   "in the server's words: %s", err_msg());
	err_clear();
	json_object_set_new(desired, "displayName", json_string("Article"));

	/* get, with ETag */
	is_int(target_get(t, "Article", NULL, &doc, &etag2), 0, "get Article");
	is_str(etag2, etag, "the same ETag");
	ok(json_equal(doc, remote), "the same document");
	json_decref(doc);
	doc = NULL;
	free(etag2);
	etag2 = NULL;
	clear_journal();
	is_int(target_get(t, "Article", etag, &doc, &etag2), 0,
	       "get with If-None-Match");
	ok(!doc, "304: no document");
	is_str(etag2, etag, "the ETag stays");
	entries = api_journal();
	is_str(hdr(json_array_get(entries, 0), "if-none-match"), etag,
	       "If-None-Match sent");
	is_int(entry_status(json_array_get(entries, 0)), 304, "answered 304");
	json_decref(entries);
	free(etag2);
	etag2 = NULL;

	/* patch: owned paths, If-Match, merge-patch */
	desired2 = load("{\"key\":\"Article\",\"displayName\":\"News\","
			"\"baseType\":\"_page\",\"properties\":{"
			"\"title\":{\"type\":\"string\","
			"\"displayName\":\"Title\",\"maxLength\":200},"
			"\"body\":{\"type\":\"richText\"},"
			"\"tags\":{\"type\":\"array\","
			"\"items\":{\"type\":\"string\"}}}}");
	patch = patch_compute(remote, desired2, API_V1);
	clear_journal();
	is_int(target_patch(t, "Article", patch, etag, 0, &doc, &etag2), 0,
	       "patch Article");
	ok(etag2 && strcmp(etag2, etag), "a new ETag");
	is_str(jx_str(doc, "displayName"), "News", "the answer is the result");
	ok(!json_object_get(
		   json_object_get(json_object_get(doc, "properties"), "title"),
		   "isRequired"),
	   "isRequired went back to false");
	entries = api_journal();
	is_int(json_array_size(entries), 1, "one request");
	e = json_array_get(entries, 0);
	is_str(jx_str(e, "method"), "PATCH", "PATCH");
	is_str(jx_str(e, "path"), "/_cms/v1/contenttypes/Article", "the path");
	is_str(hdr(e, "content-type"), "application/merge-patch+json",
	       "as a merge patch");
	is_str(hdr(e, "if-match"), etag, "with If-Match");
	is_str(hdr(e, "prefer"), "return=representation", "with Prefer");
	ok(!hdr(e, "cms-ignore-data-loss-warnings"),
	   "without the data-loss header");
	ok(body_equals(e, "{\"displayName\":\"News\",\"properties\":{"
			  "\"title\":{\"isRequired\":false,"
			  "\"maxLength\":200}}}"),
	   "the body: changed attributes and an explicit false");
	json_decref(entries);
	json_decref(doc);
	doc = NULL;

	/* a stale If-Match: 412, nothing overwritten */
	json_decref(patch);
	patch = load("{\"displayName\":\"Overwritten\"}");
	is_int(target_patch(t, "Article", patch, etag, 0, NULL, NULL),
	       ERR_CONFLICT, "a stale ETag is ERR_CONFLICT");
	ok(strstr(err_msg(), "412"), "412: %s", err_msg());
	err_clear();
	is_int(target_get(t, "Article", NULL, &doc, NULL), 0, "get");
	is_str(jx_str(doc, "displayName"), "News", "nothing was overwritten");
	json_decref(doc);
	doc = NULL;

	/* data loss: refused without the header, accepted with it */
	json_decref(patch);
	patch = load("{\"properties\":{\"tags\":null}}");
	clear_journal();
	is_int(target_patch(t, "Article", patch, etag2, 0, NULL, NULL),
	       ERR_INVALID, "removing a property without permission fails");
	ok(strstr(err_msg(), "considered breaking") &&
		   strstr(err_msg(), "properties.tags"),
	   "with the server's words and the field: %s", err_msg());
	err_clear();
	is_int(target_patch(t, "Article", patch, etag2, TARGET_ALLOW_DATA_LOSS,
			    &doc, &etag3),
	       0, "with TARGET_ALLOW_DATA_LOSS it passes");
	ok(!json_object_get(json_object_get(doc, "properties"), "tags"),
	   "the property is gone");
	entries = api_journal();
	n = (int)json_array_size(entries);
	is_int(n, 2, "two requests");
	ok(!hdr(json_array_get(entries, 0), "cms-ignore-data-loss-warnings"),
	   "the first without the header");
	is_str(hdr(json_array_get(entries, 1), "cms-ignore-data-loss-warnings"),
	       "true", "the second with it");
	ok(body_equals(json_array_get(entries, 1),
		       "{\"properties\":{\"tags\":null}}"),
	   "null removes the property");
	json_decref(entries);
	json_decref(doc);
	doc = NULL;

	/* a type change: the old type's members go, even the ones the
	 * server filled in and the canonical form does not show */
	json_decref(desired2);
	desired2 = load("{\"key\":\"Article\",\"displayName\":\"News\","
			"\"baseType\":\"_page\",\"properties\":{"
			"\"title\":{\"type\":\"string\","
			"\"displayName\":\"Title\",\"maxLength\":200},"
			"\"body\":{\"type\":\"contentReference\","
			"\"allowedTypes\":[\"_image\"]}}}");
	{
		json_t *r2 = NULL, *r3 = NULL;
		char *e4 = NULL;

		is_int(target_get(t, "Article", NULL, &r2, NULL), 0, "get");
		json_decref(patch);
		patch = patch_compute(r2, desired2, API_V1);
		is_int(patch_data_loss(r2, patch, NULL), 1,
		       "richText to contentReference is data loss");
		is_int(target_patch(t, "Article", patch, etag3,
				    TARGET_ALLOW_DATA_LOSS, &r3, &e4),
		       0, "so it passes with permission");
		json_decref(r2);
		json_decref(patch);
		json_decref(desired2);
		desired2 = load("{\"key\":\"Article\","
				"\"displayName\":\"News\","
				"\"baseType\":\"_page\",\"properties\":{"
				"\"title\":{\"type\":\"string\","
				"\"displayName\":\"Title\","
				"\"maxLength\":200},"
				"\"body\":{\"type\":\"string\"}}}");
		patch = patch_compute(r3, desired2, API_V1);
		is_int(target_patch(t, "Article", patch, e4,
				    TARGET_ALLOW_DATA_LOSS, NULL, &etag3_next),
		       0, "contentReference to string passes too: %s",
		       err_msg());
		err_clear();
		json_decref(r3);
		free(e4);
		free(etag3);
		etag3 = etag3_next;
		etag3_next = NULL;
	}

	/* delete: stale If-Match refused, then done */
	clear_journal();
	is_int(target_delete(t, "Article", etag), ERR_CONFLICT,
	       "delete with a stale ETag is ERR_CONFLICT");
	err_clear();
	is_int(target_delete(t, "Article", etag3), 0, "delete with the ETag");
	entries = api_journal();
	e = json_array_get(entries, 1);
	is_str(jx_str(e, "method"), "DELETE", "DELETE");
	is_str(hdr(e, "if-match"), etag3, "with If-Match");
	is_str(jx_str(e, "body"), "", "no body");
	json_decref(entries);
	is_int(target_get(t, "Article", NULL, NULL, NULL), ERR_NOTFOUND,
	       "gone: ERR_NOTFOUND");
	err_clear();
	is_int(target_delete(t, "Article", NULL), ERR_NOTFOUND,
	       "deleting it again: ERR_NOTFOUND");
	err_clear();

	json_decref(patch);
	json_decref(desired2);
	json_decref(remote);
	json_decref(desired);
	free(etag);
	free(etag2);
	free(etag3);
	target_free(t);
}

static void test_errors(void)
{
	struct target *t = open_target("v1", "s3cr3t-value", 2000);
	json_t *bad = load("{\"key\":\"Bad\",\"displayName\":\"Bad\","
			   "\"baseType\":\"_page\",\"properties\":{"
			   "\"header\":{\"type\":\"strin\"}}}");
	json_t *entries;

	emu_reset(&emu);
	is_int(target_create(t, bad, NULL, NULL), ERR_INVALID,
	       "a type the server refuses: ERR_INVALID");
	ok(strstr(err_msg(), "HTTP 400 Bad Request (ValidationFailed)") &&
		   strstr(err_msg(), "properties.header.type: ") &&
		   strstr(err_msg(), "'strin'"),
	   "title, code, detail and the field in plain words: %s", err_msg());
	err_clear();

	clear_journal();
	is_int(target_get(t, "Nothing", NULL, NULL, NULL), ERR_NOTFOUND,
	       "an unknown type: ERR_NOTFOUND");
	ok(strstr(err_msg(), "'Nothing'") != NULL, "naming it: %s", err_msg());
	err_clear();
	entries = api_journal();
	is_int(json_array_size(entries), 1,
	       "at once: it was not written in this run");
	json_decref(entries);

	clear_journal();
	is_int(target_get(t, "globalcontract:_Item", NULL, NULL, NULL), 0,
	       "a namespaced key");
	entries = api_journal();
	is_str(jx_str(json_array_get(entries, 0), "path"),
	       "/_cms/v1/contenttypes/globalcontract%3A_Item",
	       "is percent-encoded in the path");
	json_decref(entries);

	is_int(target_delete(t, "SysContentFolder", NULL), ERR_CONFLICT,
	       "a type with content: ERR_CONFLICT");
	ok(strstr(err_msg(), "content instances") != NULL, "%s", err_msg());
	err_clear();

	emu_rule(&emu, "{\"path\":\"/_cms/v1/contenttypes/BlankSection\","
		       "\"count\":0,\"status\":429,\"retryAfter\":30}");
	is_int(target_get(t, "BlankSection", NULL, NULL, NULL), ERR_RATELIMIT,
	       "429 beyond the bound: ERR_RATELIMIT");
	err_clear();
	emu_ctl(&emu, "DELETE", "/_emulator/faults/script", NULL, NULL);

	emu_faults(&emu, "{\"errorRate\":1}");
	is_int(target_get(t, "BlankSection", NULL, NULL, NULL), ERR_REMOTE,
	       "5xx after the retries: ERR_REMOTE");
	ok(strstr(err_msg(), "HTTP 50") != NULL, "%s", err_msg());
	err_clear();
	emu_reset(&emu);

	emu_rule(&emu, "{\"path\":\"/_cms/v1/contenttypes/BlankSection\","
		       "\"count\":0,\"status\":403}");
	is_int(target_get(t, "BlankSection", NULL, NULL, NULL), ERR_AUTH,
	       "403: ERR_AUTH");
	err_clear();
	emu_reset(&emu);
	target_free(t);

	t = open_target("v1", "not-the-secret", 2000);
	is_int(target_get(t, "BlankSection", NULL, NULL, NULL), ERR_AUTH,
	       "refused credentials: ERR_AUTH");
	ok(!strstr(err_msg(), "not-the-secret"), "the secret is not shown: %s",
	   err_msg());
	err_clear();
	target_free(t);
	json_decref(bad);
}

static void test_import(void)
{
	struct target *t = open_target("v1", "s3cr3t-value", 2000);
	json_t *docs = load("[{\"key\":\"Author\",\"displayName\":\"Author\","
			    "\"baseType\":\"_component\",\"properties\":{"
			    "\"name\":{\"type\":\"string\","
			    "\"isRequired\":true}}},"
			    "{\"key\":\"Post\",\"displayName\":\"Post\","
			    "\"baseType\":\"_page\",\"properties\":{"
			    "\"author\":{\"type\":\"component\","
			    "\"contentType\":\"Author\"}}}]");
	json_t *outcomes = NULL, *entries, *e, *doc = NULL, *bad;

	emu_reset(&emu);
	clear_journal();
	is_int(target_import(t, docs, 0, &outcomes), 0, "import two types");
	is_int(json_array_size(json_object_get(outcomes, "outcomes")), 2,
	       "two outcomes");
	entries = api_journal();
	e = json_array_get(entries, 0);
	is_str(jx_str(e, "method"), "POST", "POST");
	is_str(jx_str(e, "path"), "/_cms/v1/manifest", "to /manifest");
	is_str(hdr(e, "content-type"), "application/json", "as JSON");
	ok(!hdr(e, "cms-ignore-data-loss-warnings"), "no data-loss header");
	{
		json_t *want = json_pack("{s:O}", "contentTypes", docs);
		char *w = json_dumps(want, JSON_COMPACT);

		ok(body_equals(e, w), "the body is {\"contentTypes\": [...]}");
		free(w);
		json_decref(want);
	}
	json_decref(entries);
	json_decref(outcomes);
	outcomes = NULL;
	is_int(target_get(t, "Post", NULL, &doc, NULL), 0, "Post exists");
	json_decref(doc);

	/* a manifest with an error: nothing imported, the reason named */
	bad = load("[{\"key\":\"Broken\",\"displayName\":\"B\","
		   "\"baseType\":\"_page\",\"properties\":{"
		   "\"x\":{\"type\":\"component\","
		   "\"contentType\":\"Missing\"}}}]");
	is_int(target_import(t, bad, 0, &outcomes), ERR_INVALID,
	       "a refused manifest: ERR_INVALID");
	ok(strstr(err_msg(), "Broken") != NULL, "naming the type: %s",
	   err_msg());
	ok(json_array_size(json_object_get(outcomes, "errors")) > 0,
	   "the errors are kept");
	err_clear();
	json_decref(outcomes);
	outcomes = NULL;
	is_int(target_get(t, "Broken", NULL, NULL, NULL), ERR_NOTFOUND,
	       "and nothing was created");
	err_clear();
	json_decref(bad);

	/* data loss through the manifest needs the header */
	bad = load("[{\"key\":\"Author\",\"displayName\":\"Author\","
		   "\"baseType\":\"_component\",\"properties\":{}}]");
	is_int(target_import(t, bad, 0, NULL), ERR_INVALID,
	       "a breaking manifest without permission fails");
	ok(strstr(err_msg(), "breaking") != NULL, "%s", err_msg());
	err_clear();
	clear_journal();
	is_int(target_import(t, bad, TARGET_ALLOW_DATA_LOSS, NULL), 0,
	       "with permission it passes");
	entries = api_journal();
	is_str(hdr(json_array_get(entries, 0), "cms-ignore-data-loss-warnings"),
	       "true", "sending the header");
	json_decref(entries);
	json_decref(bad);
	json_decref(docs);
	target_free(t);
}

static void test_preview3(void)
{
	struct target *t = open_target("preview3", "s3cr3t-value", 2000);
	json_t *desired = load(ARTICLE), *remote = NULL, *patch, *d2;
	json_t *entries, *e, *list = NULL;
	char *etag = NULL;

	emu_reset(&emu);
	clear_journal();
	is_int(target_create(t, desired, &remote, &etag), 0,
	       "preview3: create");
	entries = api_journal();
	e = json_array_get(entries, 0);
	is_str(jx_str(e, "path"), "/_cms/preview3/contenttypes",
	       "under /_cms/preview3");
	ok(!hdr(e, "prefer"), "without Prefer (preview3 has none)");
	ok(strstr(jx_str(e, "body"), "\"required\":true") &&
		   !strstr(jx_str(e, "body"), "isRequired"),
	   "in preview3 names");
	is_int(count_token_requests(), 1, "one token request");
	json_decref(entries);
	entries = emu_journal(&emu);
	is_str(jx_str(json_array_get(entries, 0), "path"),
	       "/_cms/preview3/oauth/token", "at /_cms/preview3/oauth/token");
	json_decref(entries);
	ok(json_is_true(json_object_get(
		   json_object_get(json_object_get(remote, "properties"),
				   "title"),
		   "isRequired")),
	   "the answer is read back into canonical names");

	d2 = load("{\"key\":\"Article\",\"displayName\":\"Article\","
		  "\"baseType\":\"_page\",\"properties\":{"
		  "\"title\":{\"type\":\"string\",\"displayName\":\"Title\","
		  "\"maxLength\":100},"
		  "\"body\":{\"type\":\"richText\"},"
		  "\"tags\":{\"type\":\"array\","
		  "\"items\":{\"type\":\"string\"}}}}");
	patch = patch_compute(remote, d2, API_PREVIEW3);
	clear_journal();
	is_int(target_patch(t, "Article", patch, etag, 0, NULL, NULL), 0,
	       "preview3: patch");
	entries = api_journal();
	e = json_array_get(entries, 0);
	ok(body_equals(e, "{\"properties\":{\"title\":{\"type\":\"string\","
			  "\"displayName\":\"Title\",\"maxLength\":100,"
			  "\"required\":false}}}"),
	   "the changed property is sent whole, in preview3 names");
	json_decref(entries);

	is_int(target_list(t, &list, NULL), 0, "preview3: list");
	is_int(json_array_size(list), 10, "10 types");
	json_decref(list);

	clear_journal();
	list = json_array();
	is_int(target_import(t, list, 0, NULL), ERR_INVALID,
	       "preview3 has no manifest");
	json_decref(list);
	err_clear();
	entries = api_journal();
	is_int(json_array_size(entries), 0, "and nothing is sent");
	json_decref(entries);

	json_decref(patch);
	json_decref(d2);
	json_decref(remote);
	json_decref(desired);
	free(etag);
	target_free(t);
}

struct batch {
	struct target *t;
	int done, ok, chained;
};

static void batch_done(struct target_op *op, void *payload)
{
	struct batch *b = payload;

	b->done++;
	if (op->result == 0)
		b->ok++;
	if (op->kind == TARGET_OP_GET && !strcmp(op->key, "BlankSection") &&
	    !b->chained) {
		/* a callback may submit more work */
		struct target_op *next = target_op_new(TARGET_OP_GET);

		b->chained = 1;
		next->key = xstrdup("BlankExperience");
		target_submit(b->t, next, batch_done, b);
	}
	target_op_free(op);
}

static void test_concurrency(void)
{
	struct batch b = {NULL, 0, 0, 0};
	long long t0, ms;

	emu_reset(&emu);
	b.t = open_target("v1", "s3cr3t-value", 2000);
	if (target_get(b.t, "BlankSection", NULL, NULL, NULL) < 0)
		diag("warm-up: %s", err_msg());
	emu_faults(&emu, "{\"latencyMs\":200}");
	t0 = time_mono_ms();
	for (int i = 0; i < 16; i++) {
		struct target_op *op = target_op_new(TARGET_OP_GET);

		op->key = xstrdup(i == 0 ? "BlankSection" : "SysContentFolder");
		target_submit(b.t, op, batch_done, &b);
	}
	is_int(target_run(b.t), 0, "run 16 operations");
	ms = time_mono_ms() - t0;
	is_int(b.done, 17, "16 done callbacks, plus one chained");
	is_int(b.ok, 17, "all succeed");
	ok(ms >= 390 && ms < 1400,
	   "at concurrency 8 they overlap: %lld ms (not 3200)", ms);

	/* token expiry in the middle of a batch: one shared refresh */
	emu_ctl(&emu, "POST", "/_emulator/tokens/expire", NULL, NULL);
	emu_faults(&emu, "{\"latencyMs\":20}");
	clear_journal();
	memset(&b.done, 0, sizeof(int) * 3);
	b.chained = 1;
	for (int i = 0; i < 12; i++) {
		struct target_op *op = target_op_new(TARGET_OP_GET);

		op->key = xstrdup("BlankSection");
		target_submit(b.t, op, batch_done, &b);
	}
	is_int(target_run(b.t), 0, "a batch after the tokens expired");
	is_int(b.ok, 12, "all 12 succeed");
	is_int(count_token_requests(), 1, "after one shared refresh");
	target_free(b.t);
	emu_reset(&emu);
}

static void test_stale_reads(void)
{
	struct target *t = open_target("v1", "s3cr3t-value", 3000);
	json_t *desired = load(ARTICLE), *doc = NULL, *entries, *patch;
	char *etag = NULL, *etag2 = NULL, *got_etag = NULL;
	long long t0, ms;
	int n404;

	emu_reset(&emu);
	emu_faults(&emu, "{\"staleReadMs\":600}");
	is_int(target_create(t, desired, NULL, &etag), 0, "create");
	clear_journal();
	t0 = time_mono_ms();
	is_int(target_get(t, "Article", NULL, &doc, &got_etag), 0,
	       "a read right after the create succeeds");
	ms = time_mono_ms() - t0;
	is_str(got_etag, etag, "with the created version");
	entries = api_journal();
	n404 = 0;
	for (size_t i = 0; i < json_array_size(entries); i++)
		if (entry_status(json_array_get(entries, i)) == 404)
			n404++;
	ok(n404 >= 1, "after %d stale 404s, retried", n404);
	ok(ms >= 400, "for about the stale window (%lld ms)", ms);
	json_decref(entries);
	json_decref(doc);
	doc = NULL;
	free(got_etag);
	got_etag = NULL;

	/* a patch, then a read: the old version is not taken for current */
	usleep(700 * 1000);
	patch = load("{\"displayName\":\"Changed\"}");
	is_int(target_patch(t, "Article", patch, etag, 0, NULL, &etag2), 0,
	       "patch");
	is_int(target_get(t, "Article", NULL, &doc, &got_etag), 0,
	       "read after the patch");
	is_str(got_etag, etag2, "shows the patched version, not the stale one");
	is_str(jx_str(doc, "displayName"), "Changed", "with its content");
	json_decref(doc);
	doc = NULL;
	free(got_etag);
	got_etag = NULL;

	/* a delete, then a read: 404 in the end */
	usleep(700 * 1000);
	is_int(target_delete(t, "Article", etag2), 0, "delete");
	is_int(target_get(t, "Article", NULL, NULL, NULL), ERR_NOTFOUND,
	       "a read after the delete ends in ERR_NOTFOUND");
	err_clear();

	/* a type not written in this run: no waiting */
	clear_journal();
	t0 = time_mono_ms();
	is_int(target_get(t, "Unknown", NULL, NULL, NULL), ERR_NOTFOUND,
	       "an unknown type is not waited for");
	ok(time_mono_ms() - t0 < 300, "at once");
	err_clear();
	target_free(t);

	/* the wait is bounded */
	t = open_target("v1", "s3cr3t-value", 300);
	emu_faults(&emu, "{\"staleReadMs\":5000}");
	json_object_set_new(desired, "key", json_string("Article2"));
	is_int(target_create(t, desired, NULL, NULL), 0, "create Article2");
	t0 = time_mono_ms();
	is_int(target_get(t, "Article2", NULL, NULL, NULL), ERR_NOTFOUND,
	       "a read that stays stale gives up");
	ms = time_mono_ms() - t0;
	ok(ms >= 250 && ms < 1500, "after the bound (%lld ms)", ms);
	err_clear();
	target_free(t);
	emu_reset(&emu);
	json_decref(patch);
	json_decref(desired);
	free(etag);
	free(etag2);
}

static void test_lost_answers(void)
{
	struct target *t = open_target("v1", "s3cr3t-value", 2000);
	json_t *desired = load(ARTICLE), *entries, *patch, *doc = NULL;
	struct target_op op;
	char *etag = NULL;

	emu_reset(&emu);
	/* a create whose answer is lost: the retry's 409 is checked */
	emu_rule(&emu,
		 "{\"method\":\"POST\",\"path\":\"/_cms/v1/contenttypes\","
		 "\"count\":1,\"action\":\"drop\",\"phase\":\"after\"}");
	clear_journal();
	target_op_init(&op, TARGET_OP_CREATE);
	op.doc = json_incref(desired);
	target_submit(t, &op, NULL, NULL);
	is_int(target_run(t), 0, "run");
	is_int(op.result, 0, "a create whose answer was lost succeeds");
	is_int(op.verified, 1, "confirmed by a read");
	ok(op.etag_out && *op.etag_out, "with the ETag from the read");
	etag = op.etag_out ? xstrdup(op.etag_out) : NULL;
	entries = api_journal();
	is_int(json_array_size(entries), 3, "POST (lost), POST (409), GET");
	is_int(entry_status(json_array_get(entries, 1)), 409, "the 409");
	is_str(jx_str(json_array_get(entries, 2), "method"), "GET",
	       "then the check");
	json_decref(entries);
	target_op_release(&op);

	/* a patch whose answer is lost: the retry's 412 is checked */
	patch = load("{\"displayName\":\"Renamed\"}");
	emu_rule(&emu, "{\"method\":\"PATCH\",\"path\":\"/_cms/v1/"
		       "contenttypes/Article\",\"count\":1,\"action\":"
		       "\"drop\"}");
	target_op_init(&op, TARGET_OP_PATCH);
	op.key = xstrdup("Article");
	op.etag = xstrdup(etag);
	op.doc = json_incref(patch);
	target_submit(t, &op, NULL, NULL);
	is_int(target_run(t), 0, "run");
	is_int(op.result, 0, "a patch whose answer was lost succeeds");
	is_int(op.verified, 1, "confirmed by a read");
	free(etag);
	etag = xstrdup(op.etag_out ? op.etag_out : "");
	target_op_release(&op);

	/* but a real conflict stays a conflict */
	emu_ctl(&emu, "POST", "/_emulator/editor/contenttypes/Article",
		"{\"description\":\"by an editor\"}", NULL);
	emu_rule(&emu, "{\"method\":\"PATCH\",\"path\":\"/_cms/v1/"
		       "contenttypes/Article\",\"count\":1,\"status\":503}");
	json_decref(patch);
	patch = load("{\"displayName\":\"Mine\"}");
	is_int(target_patch(t, "Article", patch, etag, 0, NULL, NULL),
	       ERR_CONFLICT,
	       "an editor's change after our read: "
	       "ERR_CONFLICT despite the retry");
	err_clear();
	is_int(target_get(t, "Article", NULL, &doc, NULL), 0, "get");
	is_str(jx_str(doc, "description"), "by an editor",
	       "the editor's change stands");
	is_str(jx_str(doc, "displayName"), "Renamed", "and ours did not land");
	json_decref(doc);

	/* a delete whose answer is lost: the retry's 404 means done */
	emu_rule(&emu, "{\"method\":\"DELETE\",\"path\":\"/_cms/v1/"
		       "contenttypes/Article\",\"count\":1,\"action\":"
		       "\"drop\"}");
	target_op_init(&op, TARGET_OP_DELETE);
	op.key = xstrdup("Article");
	target_submit(t, &op, NULL, NULL);
	is_int(target_run(t), 0, "run");
	is_int(op.result, 0, "a delete whose answer was lost succeeds");
	is_int(op.verified, 1, "the 404 after it counts as done");
	target_op_release(&op);

	json_decref(patch);
	json_decref(desired);
	free(etag);
	target_free(t);
	emu_reset(&emu);
}

static void test_cancel(void)
{
	struct batch b = {NULL, 0, 0, 1};

	emu_reset(&emu);
	b.t = open_target("v1", "s3cr3t-value", 2000);
	for (int i = 0; i < 20; i++) {
		struct target_op *op = target_op_new(TARGET_OP_GET);

		op->key = xstrdup("BlankSection");
		target_submit(b.t, op, batch_done, &b);
	}
	target_cancel_pending(b.t);
	is_int(target_run(b.t), 0, "run after a cancel");
	is_int(b.done, 20, "every operation reports");
	is_int(b.ok, 0, "none ran");
	target_free(b.t);
}

int main(void)
{
	plan_lazy();
	test_urls();
	if (http_global_init() < 0 || emu_start(&emu, NULL) < 0) {
		ok(0, "the emulator starts (it is built with the tests)");
		return done_testing();
	}
	test_list();
	test_crud_v1();
	test_errors();
	test_import();
	test_preview3();
	test_concurrency();
	test_stale_reads();
	test_lost_answers();
	test_cancel();
	emu_stop(&emu);
	http_global_cleanup();
	return done_testing();
}
