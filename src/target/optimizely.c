/*
 * optimizely: the target port over the Optimizely CMS content-type API,
 * v1 and preview3 (brief §14; ../shared/reference/optimizely-api.md).
 *
 * Every operation is a small state machine over HTTP calls: a first
 * request, and sometimes a read after it (the write answered without a
 * body, or its answer was lost and a 409/412/404 needs checking). Reads of
 * types written earlier in the run are retried for a bounded time while
 * they look stale, as the live service serves stale reads for a while.
 */
#include <limits.h>
#include <regex.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/patch.h"
#include "core/tform.h"
#include "target/http.h"
#include "target/oauth.h"
#include "target/target.h"
#include "util/buf.h"
#include "util/config.h"
#include "util/err.h"
#include "util/jx.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/xalloc.h"
#include "util/banned.h"

#define MAX_PAGE_INDEX 10000
#define STALE_FIRST_DELAY_MS 100
#define STALE_MAX_DELAY_MS 1000
#define MAX_LISTED_ERRORS 20

struct opstate;

struct opti {
	struct target *t;
	enum api_version v;
	char *api; /* the API base URL, no trailing '/' */
	char *token_url;
	struct http *h;
	struct oauth *oauth;
	struct target_options opts;
	/* key -> {"created", "deleted", "etag", "prev"}: our writes */
	json_t *written;
	/* operations that ended at submit time, reported by run */
	struct opstate *deferred;
};

/*
 * A list reads its pages a few at a time: the first two together, then,
 * once the first tells how many there are, the rest at once. Pages are
 * folded in their order, and the list ends at the first empty page (a
 * count is an estimate, never trusted for the end).
 */
#define LIST_WINDOW_FIRST 2
#define LIST_WINDOW_MAX 8

struct list_pages {
	unsigned next;	    /* the next page to ask for */
	unsigned folded;    /* the next page to fold into the items */
	unsigned inflight;  /* asked for, not answered yet */
	unsigned window;    /* how many may be in flight */
	unsigned last;	    /* the page the count says is empty, or
			     * UINT_MAX */
	unsigned empty;	    /* the first page answered empty (UINT_MAX);
			     * folded past it, the list is complete */
	json_t *answered;   /* {page: items} answered ahead of their turn */
	int fail_code;	    /* the first failure, reported once none */
	char *fail_msg;	    /* is in flight any more */
};

enum step {
	S_MAIN,	    /* the operation's own request */
	S_READBACK, /* a read after a write that sent no body */
	S_VERIFY    /* a read to check a 409/412 after a lost answer */
};

struct opstate {
	struct opti *o;
	struct target_op *op;
	target_done_fn done;
	void *payload;
	enum step step;
	struct list_pages pages;	  /* LIST */
	json_t *items, *raw_items, *seen; /* LIST */
	long long stale_until;		  /* 0: no stale re-read yet */
	unsigned stale_tries;
	char *want_etag;      /* read-back: the ETag our write reported */
	char *conflict_msg;   /* S_VERIFY: the message if the check fails */
	struct opstate *next; /* in o->deferred */
};

/* ---- URLs ---------------------------------------------------------------- */

static int is_saas_host(const char *url)
{
	static const char re_text[] =
		"^https://api(-[^.]+)?\\.cms[^.]*\\.optimizely\\.com$";
	regex_t re;
	int hit;

	if (regcomp(&re, re_text, REG_EXTENDED | REG_NOSUB))
		return 0;
	hit = !regexec(&re, url, 0, NULL, 0);
	regfree(&re);
	return hit;
}

void target_optimizely_urls(const char *url, enum api_version v, char **api_out,
			    char **token_out)
{
	struct buf host = BUF_INIT, api = BUF_INIT, tok = BUF_INIT;
	const char *ver = tform_api_version_name(v);

	buf_adds(&host, url);
	if (host.len && host.ptr[host.len - 1] == '/')
		buf_setlen(&host, host.len - 1);
	if (is_saas_host(host.ptr)) {
		buf_addf(&api, "%s/%s", host.ptr, ver);
		buf_addf(&tok, "%s/oauth/token", host.ptr);
	} else {
		buf_addf(&api, "%s/_cms/%s", host.ptr, ver);
		buf_addf(&tok, "%s/oauth/token", api.ptr);
	}
	*api_out = buf_detach(&api, NULL);
	*token_out = buf_detach(&tok, NULL);
	buf_release(&host);
}

/* Appends s percent-encoded: everything but the unreserved characters. */
static void add_pct(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' ||
		    ch == '_' || ch == '~') {
			buf_addch(b, ch);
		} else {
			buf_addch(b, '%');
			buf_addch(b, hex[ch >> 4]);
			buf_addch(b, hex[ch & 15]);
		}
	}
}

static char *type_url(const struct opti *o, const char *key)
{
	struct buf b = BUF_INIT;

	buf_addf(&b, "%s/contenttypes/", o->api);
	add_pct(&b, key);
	return buf_detach(&b, NULL);
}

static char *api_path(const struct opti *o, const char *path)
{
	struct buf b = BUF_INIT;

	buf_addf(&b, "%s%s", o->api, path);
	return buf_detach(&b, NULL);
}

static char *list_url(const struct opti *o, unsigned page)
{
	struct buf b = BUF_INIT;

	buf_addf(&b, "%s/contenttypes?pageIndex=%u&pageSize=%u", o->api, page,
		 o->opts.page_size);
	return buf_detach(&b, NULL);
}

/* ---- errors -------------------------------------------------------------- */

static const char *reason_phrase(long status)
{
	switch (status) {
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 409:
		return "Conflict";
	case 412:
		return "Precondition Failed";
	case 413:
		return "Payload Too Large";
	case 415:
		return "Unsupported Media Type";
	case 429:
		return "Too Many Requests";
	case 500:
		return "Internal Server Error";
	case 502:
		return "Bad Gateway";
	case 503:
		return "Service Unavailable";
	case 504:
		return "Gateway Timeout";
	default:
		return NULL;
	}
}

static int status_code(long status)
{
	if (status == 404)
		return ERR_NOTFOUND;
	if (status == 409 || status == 412)
		return ERR_CONFLICT;
	if (status == 401 || status == 403)
		return ERR_AUTH;
	if (status == 429)
		return ERR_RATELIMIT;
	if (status >= 400 && status < 500)
		return ERR_INVALID;
	return ERR_REMOTE;
}

static void add_field_error(struct buf *out, const char *field,
			    const char *detail)
{
	if (!detail || !*detail)
		return;
	buf_adds(out, "; ");
	if (field && *field)
		buf_addf(out, "%s: ", field);
	buf_adds(out, detail);
}

/*
 * The answer in plain words: "HTTP 400 Bad Request (ValidationFailed): One
 * or more validation errors occurred; properties.title.type: ...". Reads
 * problem+json (title, code, detail, errors[] as a list of {field, detail}
 * or as the older {field: [messages]} map); anything else gives the status.
 */
static void describe_answer(struct buf *out, const struct http_call *c)
{
	json_t *j = NULL, *errs, *e, *msgs;
	const char *title = NULL, *code = NULL, *detail = NULL, *k;
	size_t i, j2;

	if (c->response.len &&
	    jx_load(&j, c->response.ptr, c->response.len, "problem") == 0 &&
	    json_is_object(j)) {
		title = jx_str(j, "title");
		code = jx_str(j, "code");
		detail = jx_str(j, "detail");
	}
	err_clear();
	buf_addf(out, "HTTP %ld", c->status);
	if (title && *title)
		buf_addf(out, " %s", title);
	else if (reason_phrase(c->status))
		buf_addf(out, " %s", reason_phrase(c->status));
	if (code && *code)
		buf_addf(out, " (%s)", code);
	if (detail && *detail)
		buf_addf(out, ": %s", detail);
	errs = json_object_get(j, "errors");
	if (json_is_array(errs)) {
		json_array_foreach(errs, i, e) {
			if (i >= MAX_LISTED_ERRORS) {
				buf_addf(out, "; and %zu more",
					 json_array_size(errs) - i);
				break;
			}
			if (json_is_string(e))
				add_field_error(out, NULL,
						json_string_value(e));
			else
				add_field_error(out, jx_str(e, "field"),
						jx_str(e, "detail")
							? jx_str(e, "detail")
							: jx_str(e, "message"));
		}
	} else if (json_is_object(errs)) {
		json_object_foreach(errs, k, msgs) {
			if (json_is_string(msgs))
				add_field_error(out, k,
						json_string_value(msgs));
			json_array_foreach(msgs, j2, e) {
				add_field_error(out, k, json_string_value(e));
			}
		}
	}
	json_decref(j);
}

/* ---- finishing an operation ---------------------------------------------- */

static void state_free(struct opstate *s)
{
	if (!s)
		return;
	json_decref(s->items);
	json_decref(s->raw_items);
	json_decref(s->seen);
	json_decref(s->pages.answered);
	free(s->pages.fail_msg);
	free(s->want_etag);
	free(s->conflict_msg);
	free(s);
}

/* Ends the operation: result code (0 or < 0) and message; runs done. */
static void finish(struct opstate *s, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void finish(struct opstate *s, int code, const char *fmt, ...)
{
	struct target_op *op = s->op;
	target_done_fn done = s->done;
	void *payload = s->payload;

	op->result = code;
	if (code < 0 && fmt) {
		struct buf b = BUF_INIT;
		va_list ap;

		va_start(ap, fmt);
		buf_vaddf(&b, fmt, ap);
		va_end(ap);
		log_redact(&b);
		free(op->error);
		op->error = buf_detach(&b, NULL);
	}
	op->state = NULL;
	state_free(s);
	if (done)
		done(op, payload);
}

static void succeed(struct opstate *s)
{
	finish(s, 0, NULL);
}

/* What the operation is about, for messages ("create content type 'A'"). */
static void describe_op(struct buf *b, const struct opstate *s)
{
	const struct target_op *op = s->op;
	const char *key = op->key;

	if (op->kind == TARGET_OP_CREATE)
		key = jx_str(op->doc, "key");
	switch (op->kind) {
	case TARGET_OP_LIST:
		buf_adds(b, "list content types");
		return;
	case TARGET_OP_GET:
		buf_adds(b, "read content type");
		break;
	case TARGET_OP_CREATE:
		buf_adds(b, "create content type");
		break;
	case TARGET_OP_PATCH:
		buf_adds(b, "update content type");
		break;
	case TARGET_OP_DELETE:
		buf_adds(b, "delete content type");
		break;
	case TARGET_OP_IMPORT:
		buf_addf(b, "import %zu content type%s",
			 json_array_size(op->doc),
			 json_array_size(op->doc) == 1 ? "" : "s");
		return;
	}
	buf_addf(b, " '%s'", key ? key : "");
}

/* Ends the operation with the failure that answer c shows. */
/* Why call c of s failed, into msg ("cannot ...: ..."); returns the code. */
static int failure(struct buf *msg, struct opstate *s,
		   const struct http_call *c)
{
	struct buf what = BUF_INIT, why = BUF_INIT;
	int code;

	describe_op(&what, s);
	s->op->status = c->status;
	if (c->result < 0) {
		code = c->result;
		buf_adds(&why, c->error ? c->error : "no answer");
	} else {
		code = status_code(c->status);
		describe_answer(&why, c);
	}
	buf_addf(msg, "cannot %s: %s", what.ptr, why.ptr);
	buf_release(&what);
	buf_release(&why);
	return code;
}

/* The same for an answer that is not the JSON object it should be. */
static int bad_json(struct buf *msg, struct opstate *s,
		    const struct http_call *c)
{
	struct buf what = BUF_INIT;

	describe_op(&what, s);
	s->op->status = c->status;
	buf_addf(msg, "cannot %s: the answer (HTTP %ld) is not a JSON object",
		 what.ptr, c->status);
	buf_release(&what);
	return ERR_REMOTE;
}

static void fail_answer(struct opstate *s, const struct http_call *c)
{
	struct buf msg = BUF_INIT;
	int code = failure(&msg, s, c);

	finish(s, code, "%s", msg.ptr);
	buf_release(&msg);
}

static void fail_bad_json(struct opstate *s, const struct http_call *c)
{
	struct buf msg = BUF_INIT;
	int code = bad_json(&msg, s, c);

	finish(s, code, "%s", msg.ptr);
	buf_release(&msg);
}

/* ---- requests ------------------------------------------------------------ */

static void on_answer(struct http_call *c, void *payload);

static struct http_call *api_call(const char *method, const char *url)
{
	struct http_call *c = http_call_new(method, url);

	c->flags = HTTP_AUTH;
	/* a write's lost answer must not be hidden by a silent resend */
	if (strcmp(method, "GET"))
		c->flags |= HTTP_FRESH;
	http_call_add_header(c, "Accept: application/json");
	return c;
}

static void send_call(struct opstate *s, struct http_call *c)
{
	s->op->requests++;
	http_submit(s->o->h, c, on_answer, s);
}

static void set_json_body(struct http_call *c, const json_t *v,
			  const char *type)
{
	struct buf text = BUF_INIT;

	jx_dump_compact(&text, v);
	http_call_set_body(c, text.ptr, text.len, type);
	buf_release(&text);
}

static void send_get(struct opstate *s, const char *key, const char *etag)
{
	char *url = type_url(s->o, key);
	struct http_call *c = api_call("GET", url);

	if (etag && *etag)
		http_call_add_header(c, "If-None-Match: %s", etag);
	send_call(s, c);
	free(url);
}

/* Parses the answer body as a JSON object (*out); -1 when it is not. */
static int parse_object(json_t **out, const struct http_call *c)
{
	*out = NULL;
	if (jx_load(out, c->response.ptr, c->response.len, "answer") < 0 ||
	    !json_is_object(*out)) {
		err_clear();
		json_decref(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

/* Stores a document answer in the operation (takes raw). */
static void take_doc(struct opstate *s, json_t *raw, const char *etag)
{
	struct target_op *op = s->op;

	json_decref(op->raw);
	json_decref(op->remote);
	op->raw = raw;
	op->remote = tform_canonical(raw, s->o->v);
	free(op->etag_out);
	op->etag_out = etag ? xstrdup(etag) : NULL;
}

/* Records a write of ours, so later reads can tell a stale answer. */
static void remember(struct opti *o, const char *key, int created, int deleted,
		     const char *prev, const char *etag)
{
	json_t *w = json_object_get(o->written, key);

	if (!w) {
		w = json_object();
		json_object_set_new(o->written, key, w);
	}
	if (created)
		json_object_set_new(w, "created", json_true());
	json_object_set_new(w, "deleted", json_boolean(deleted));
	json_object_del(w, "prev");
	json_object_del(w, "etag");
	if (prev)
		json_object_set_new(w, "prev", json_string(prev));
	if (etag)
		json_object_set_new(w, "etag", json_string(etag));
}

/*
 * Whether to read again because the answer may be stale; when so, the call
 * is resubmitted after a short delay (a timer, never a sleep).
 */
static int retry_stale(struct opstate *s, struct http_call *c)
{
	long long now = time_mono_ms(), delay;

	if (!s->stale_until)
		s->stale_until = now + s->o->opts.stale_wait_ms;
	if (now >= s->stale_until)
		return 0;
	delay = (long long)STALE_FIRST_DELAY_MS
		<< (s->stale_tries < 4 ? s->stale_tries : 4);
	if (delay > STALE_MAX_DELAY_MS)
		delay = STALE_MAX_DELAY_MS;
	if (now + delay > s->stale_until)
		delay = s->stale_until - now;
	s->stale_tries++;
	log_debug("http", "%s %s looks stale (%ld); reading again in %lld ms",
		  c->method, c->url, c->status, delay);
	s->op->requests++;
	http_submit_delayed(s->o->h, c, delay, on_answer, s);
	return 1;
}

/* ---- reads (GET, read-back, verify) -------------------------------------- */

static const char *read_key(const struct opstate *s)
{
	if (s->op->kind == TARGET_OP_CREATE)
		return jx_str(s->op->doc, "key");
	return s->op->key;
}

/* What a read shows once it is settled; ends the operation. */
static void read_settled(struct opstate *s, struct http_call *c, json_t *raw)
{
	struct target_op *op = s->op;
	const char *etag = http_call_header(c, "etag");
	json_t *canon;
	int ok;

	if (s->step != S_VERIFY) {
		take_doc(s, raw, etag);
		if (s->step == S_READBACK && !op->etag_out && s->want_etag)
			op->etag_out = xstrdup(s->want_etag);
		succeed(s);
		return;
	}
	/* S_VERIFY: did the write whose answer was lost take effect? */
	canon = tform_canonical(raw, s->o->v);
	if (op->kind == TARGET_OP_CREATE) {
		json_t *p = patch_compute(canon, op->doc, s->o->v);

		ok = patch_is_empty(p);
		json_decref(p);
	} else {
		ok = patch_satisfied(canon, op->doc);
	}
	json_decref(canon);
	if (!ok) {
		char *msg = xstrdup(s->conflict_msg);

		json_decref(raw);
		finish(s, ERR_CONFLICT, "%s", msg);
		free(msg);
		return;
	}
	log_debug("http", "a lost answer to %s '%s' was confirmed by a read",
		  target_op_kind_name(op->kind), read_key(s));
	op->verified = 1;
	if (op->kind == TARGET_OP_CREATE)
		remember(s->o, read_key(s), 1, 0, NULL, etag);
	else
		remember(s->o, read_key(s), 0, 0, op->etag, etag);
	take_doc(s, raw, etag);
	succeed(s);
}

static void on_read(struct opstate *s, struct http_call *c)
{
	const char *key = read_key(s);
	const json_t *w = json_object_get(s->o->written, key ? key : "");
	int tolerate_404 = s->step != S_MAIN ||
			   (w && !json_is_true(json_object_get(w, "deleted")));
	const char *etag;
	json_t *raw = NULL;

	if (c->result < 0)
		goto fail;
	if (c->status == 304 && s->step == S_MAIN) {
		s->op->not_modified = 1;
		etag = http_call_header(c, "etag");
		if (!etag)
			etag = s->op->etag ? s->op->etag : "";
		s->op->etag_out = xstrdup(etag);
		http_call_free(c);
		succeed(s);
		return;
	}
	if (c->status == 404 && tolerate_404 && retry_stale(s, c))
		return;
	if (c->status != 200)
		goto fail;
	if (parse_object(&raw, c) < 0) {
		fail_bad_json(s, c);
		http_call_free(c);
		return;
	}
	etag = http_call_header(c, "etag");
	if (w) {
		const char *prev = jx_str(w, "prev");
		const char *mine = jx_str(w, "etag");
		int stale = json_is_true(json_object_get(w, "deleted")) ||
			    (etag && prev && !strcmp(etag, prev) &&
			     (!mine || strcmp(etag, mine)));

		if (s->step == S_READBACK && s->want_etag && etag &&
		    strcmp(etag, s->want_etag))
			stale = 1;
		if (stale && retry_stale(s, c)) {
			json_decref(raw);
			return;
		}
	}
	s->op->status = c->status;
	read_settled(s, c, raw);
	http_call_free(c);
	return;
fail:
	if (s->step == S_VERIFY && c->result == 0 && c->status == 404 &&
	    s->op->kind == TARGET_OP_CREATE) {
		char *msg = xstrdup(s->conflict_msg);

		http_call_free(c);
		finish(s, ERR_CONFLICT, "%s", msg);
		free(msg);
		return;
	}
	fail_answer(s, c);
	http_call_free(c);
}

/* Switches the operation to a read of its type (read-back or verify). */
static void start_read(struct opstate *s, enum step step,
		       const struct http_call *after)
{
	const char *etag = after ? http_call_header(after, "etag") : NULL;

	s->step = step;
	free(s->want_etag);
	s->want_etag = etag ? xstrdup(etag) : NULL;
	if (step == S_VERIFY) {
		struct buf m = BUF_INIT;

		buf_adds(&m, "cannot ");
		describe_op(&m, s);
		buf_adds(&m, ": ");
		describe_answer(&m, after);
		free(s->conflict_msg);
		s->conflict_msg = buf_detach(&m, NULL);
	}
	send_get(s, read_key(s), NULL);
}

/* ---- the operations ------------------------------------------------------ */

/* Folds one page's items into the list, in page order. */
static void fold_page(struct opstate *s, json_t *items)
{
	json_t *item;
	size_t i;

	json_array_foreach(items, i, item) {
		const char *key = jx_str(item, "key");
		json_t *at, *stub;

		if (!json_is_object(item) || !key)
			continue;
		/* What canonicalizing drops and callers ask about; the item
		 * itself (the page is ours) is canonicalized in place. */
		stub = json_object();
		json_object_set_new(stub, "key", json_string(key));
		if (json_object_get(item, "source"))
			json_object_set(stub, "source",
					json_object_get(item, "source"));
		tform_canonicalize(item, s->o->v);
		at = json_object_get(s->seen, jx_str(stub, "key"));
		if (at) {
			/* moved between pages: keep the later copy */
			size_t n = (size_t)json_integer_value(at);

			json_array_set_new(s->raw_items, n, stub);
			json_array_set(s->items, n, item);
			continue;
		}
		json_object_set_new(
			s->seen, jx_str(stub, "key"),
			json_integer((json_int_t)json_array_size(s->items)));
		json_array_append_new(s->raw_items, stub);
		json_array_append(s->items, item);
	}
}

/* The page a list call asked for (our own URL says it). */
static unsigned page_of(const struct http_call *c)
{
	const char *p = strstr(c->url, "pageIndex=");

	return p ? (unsigned)strtoul(p + 10, NULL, 10) : 0;
}

/* Keeps the first failure; the list ends when nothing is in flight. */
static void list_failed(struct opstate *s, int code, const char *msg)
{
	if (s->pages.fail_code)
		return;
	s->pages.fail_code = code;
	s->pages.fail_msg = xstrdup(msg);
}

/* Asks for pages while the window and the known end allow. */
static void list_more(struct opstate *s)
{
	struct list_pages *lp = &s->pages;

	while (!lp->fail_code && lp->inflight < lp->window &&
	       lp->next < lp->empty &&
	       (lp->last == UINT_MAX || lp->next <= lp->last ||
		lp->next == lp->folded)) {
		char *url;

		if (lp->next > MAX_PAGE_INDEX) {
			struct buf m = BUF_INIT;

			buf_addf(&m, "cannot list content types: more than %d "
				     "pages",
				 MAX_PAGE_INDEX);
			list_failed(s, ERR_REMOTE, m.ptr);
			buf_release(&m);
			return;
		}
		url = list_url(s->o, lp->next++);
		lp->inflight++;
		send_call(s, api_call("GET", url));
		free(url);
	}
}

/* Reads the count off the first page and widens the window to it. */
static void list_count(struct opstate *s, const json_t *page)
{
	const char *count = s->o->v == API_PREVIEW3 ? "totalItemCount"
						    : "totalCount";
	const json_t *n = json_object_get(page, count);
	unsigned size = s->o->opts.page_size;
	json_int_t total;

	if (!json_is_integer(n) || (total = json_integer_value(n)) < 0 ||
	    total > (json_int_t)size * MAX_PAGE_INDEX)
		return;
	s->pages.last = (unsigned)((total + size - 1) / size);
	s->pages.window = s->pages.last + 1 < LIST_WINDOW_MAX
				  ? s->pages.last + 1
				  : LIST_WINDOW_MAX;
	if (s->pages.window < LIST_WINDOW_FIRST)
		s->pages.window = LIST_WINDOW_FIRST;
}

static void on_list(struct opstate *s, struct http_call *c)
{
	struct list_pages *lp = &s->pages;
	unsigned k = page_of(c);
	json_t *page = NULL, *items;
	struct buf msg = BUF_INIT;
	char name[16];
	int code = 0;

	lp->inflight--;
	if (c->result < 0 || c->status != 200) {
		code = failure(&msg, s, c);
	} else if (parse_object(&page, c) < 0 ||
		   !json_is_array(items = json_object_get(page, "items"))) {
		code = bad_json(&msg, s, c);
	} else {
		if (k == 0)
			list_count(s, page);
		if (!json_array_size(items) && k < lp->empty)
			lp->empty = k;
		snprintf(name, sizeof(name), "%u", k);
		json_object_set(lp->answered, name, items);
	}
	if (code)
		list_failed(s, code, msg.ptr);
	buf_release(&msg);
	json_decref(page);
	http_call_free(c);
	/* Fold what is next in order, up to the first empty page. */
	while (!lp->fail_code && lp->folded <= lp->empty) {
		snprintf(name, sizeof(name), "%u", lp->folded);
		items = json_object_get(lp->answered, name);
		if (!items)
			break;
		fold_page(s, items);
		json_object_del(lp->answered, name);
		lp->folded++;
	}
	list_more(s);
	if (lp->inflight)
		return;
	if (lp->fail_code) {
		finish(s, lp->fail_code, "%s", lp->fail_msg);
		return;
	}
	s->op->status = 200;
	s->op->remote = s->items;
	s->op->raw = s->raw_items;
	s->items = s->raw_items = NULL;
	succeed(s);
}

/*
 * A write answered 2xx: take the representation it carried, or read the
 * type back when it came without one. Consumes c.
 */
static void take_written(struct opstate *s, struct http_call *c,
			 const char *etag)
{
	json_t *raw = NULL;

	if (!c->response.len) {
		start_read(s, S_READBACK, c);
		http_call_free(c);
		return;
	}
	if (parse_object(&raw, c) < 0) {
		fail_bad_json(s, c);
		http_call_free(c);
		return;
	}
	take_doc(s, raw, etag);
	http_call_free(c);
	succeed(s);
}

static void on_create(struct opstate *s, struct http_call *c)
{
	const char *key = read_key(s);
	const char *etag;

	if (c->result == 0 && (c->status == 201 || c->status == 200)) {
		etag = http_call_header(c, "etag");
		s->op->status = c->status;
		remember(s->o, key, 1, 0, NULL, etag);
		take_written(s, c, etag);
		return;
	}
	if (c->result == 0 && c->status == 409) {
		/* "already there" is checked, not trusted: it may be ours,
		 * from an attempt whose answer was lost */
		s->op->status = c->status;
		start_read(s, S_VERIFY, c);
		http_call_free(c);
		return;
	}
	fail_answer(s, c);
	http_call_free(c);
}

static void on_patch(struct opstate *s, struct http_call *c)
{
	const char *etag;

	if (c->result == 0 && (c->status == 200 || c->status == 204)) {
		etag = http_call_header(c, "etag");
		s->op->status = c->status;
		remember(s->o, s->op->key, 0, 0, s->op->etag, etag);
		take_written(s, c, etag);
		return;
	}
	if (c->result == 0 && c->status == 412 && c->ambiguous) {
		s->op->status = c->status;
		start_read(s, S_VERIFY, c);
		http_call_free(c);
		return;
	}
	fail_answer(s, c);
	http_call_free(c);
}

static void on_delete(struct opstate *s, struct http_call *c)
{
	json_t *raw = NULL;

	if (c->result == 0 && (c->status == 200 || c->status == 204 ||
			       (c->status == 404 && c->ambiguous))) {
		s->op->status = c->status;
		s->op->verified = c->status == 404;
		remember(s->o, s->op->key, 0, 1, s->op->etag, NULL);
		if (c->status == 200 && c->response.len &&
		    parse_object(&raw, c) == 0)
			take_doc(s, raw, NULL);
		http_call_free(c);
		succeed(s);
		return;
	}
	fail_answer(s, c);
	http_call_free(c);
}

static void on_import(struct opstate *s, struct http_call *c)
{
	struct target_op *op = s->op;
	json_t *res = NULL, *errs, *e, *doc;
	struct buf msg = BUF_INIT;
	size_t i;

	if (c->result < 0 || (c->status != 200 && c->status != 202)) {
		fail_answer(s, c);
		http_call_free(c);
		return;
	}
	op->status = c->status;
	if (c->status == 200 && parse_object(&res, c) < 0) {
		fail_bad_json(s, c);
		http_call_free(c);
		return;
	}
	http_call_free(c);
	op->outcomes = res;
	errs = json_object_get(res, "errors");
	if (json_array_size(errs)) {
		buf_adds(&msg, "cannot ");
		describe_op(&msg, s);
		buf_adds(&msg, ": the server refused the manifest");
		json_array_foreach(errs, i, e) {
			const char *r = jx_str(e, "resource");

			if (i >= MAX_LISTED_ERRORS) {
				buf_addf(&msg, "; and %zu more",
					 json_array_size(errs) - i);
				break;
			}
			buf_adds(&msg, "; ");
			if (r && *r)
				buf_addf(&msg, "%s: ", r);
			buf_adds(&msg, jx_str(e, "message")
					       ? jx_str(e, "message")
					       : "(no message)");
		}
		finish(s, ERR_INVALID, "%s", msg.ptr);
		buf_release(&msg);
		return;
	}
	json_array_foreach(op->doc, i, doc) {
		if (jx_str(doc, "key"))
			remember(s->o, jx_str(doc, "key"), 1, 0, NULL, NULL);
	}
	succeed(s);
}

static void on_answer(struct http_call *c, void *payload)
{
	struct opstate *s = payload;

	if (s->step != S_MAIN || s->op->kind == TARGET_OP_GET) {
		on_read(s, c);
		return;
	}
	switch (s->op->kind) {
	case TARGET_OP_LIST:
		on_list(s, c);
		break;
	case TARGET_OP_CREATE:
		on_create(s, c);
		break;
	case TARGET_OP_PATCH:
		on_patch(s, c);
		break;
	case TARGET_OP_DELETE:
		on_delete(s, c);
		break;
	case TARGET_OP_IMPORT:
		on_import(s, c);
		break;
	case TARGET_OP_GET:
		break;
	}
}

/* Ends an operation that cannot start, from run (never from submit). */
static void defer_failure(struct opstate *s, int code, const char *msg)
{
	s->op->result = code;
	free(s->op->error);
	s->op->error = xstrdup(msg);
	s->next = s->o->deferred;
	s->o->deferred = s;
}

static int need_key(struct opstate *s, const char *key)
{
	struct buf b = BUF_INIT;

	if (key && *key)
		return 1;
	buf_adds(&b, "cannot ");
	describe_op(&b, s);
	buf_adds(&b, ": no key");
	defer_failure(s, ERR_INVALID, b.ptr);
	buf_release(&b);
	return 0;
}

static void opti_submit(struct target *t, struct target_op *op,
			target_done_fn done, void *payload)
{
	struct opti *o = t->impl;
	struct opstate *s = xcalloc(1, sizeof(*s));
	struct http_call *c;
	json_t *wire, *manifest, *list, *doc;
	char *url;
	size_t i;

	s->o = o;
	s->op = op;
	s->done = done;
	s->payload = payload;
	op->state = s;
	switch (op->kind) {
	case TARGET_OP_LIST:
		s->items = json_array();
		s->raw_items = json_array();
		s->seen = json_object();
		s->pages.answered = json_object();
		s->pages.window = LIST_WINDOW_FIRST;
		s->pages.last = UINT_MAX;
		s->pages.empty = UINT_MAX;
		list_more(s);
		break;
	case TARGET_OP_GET:
		if (need_key(s, op->key))
			send_get(s, op->key, op->etag);
		break;
	case TARGET_OP_CREATE:
		if (!json_is_object(op->doc)) {
			defer_failure(s, ERR_INVALID,
				      "cannot create a content type: no "
				      "document");
			break;
		}
		if (!need_key(s, jx_str(op->doc, "key")))
			break;
		url = api_path(o, "/contenttypes");
		c = api_call("POST", url);
		if (o->v == API_V1)
			http_call_add_header(c,
					     "Prefer: return=representation");
		wire = tform_to_wire(op->doc, o->v);
		set_json_body(c, wire, "application/json");
		json_decref(wire);
		send_call(s, c);
		free(url);
		break;
	case TARGET_OP_PATCH:
		if (!need_key(s, op->key))
			break;
		url = type_url(o, op->key);
		c = api_call("PATCH", url);
		if (op->etag && *op->etag)
			http_call_add_header(c, "If-Match: %s", op->etag);
		if (o->v == API_V1)
			http_call_add_header(c,
					     "Prefer: return=representation");
		if (op->flags & TARGET_ALLOW_DATA_LOSS)
			http_call_add_header(c,
					     "cms-ignore-data-loss-warnings: "
					     "true");
		wire = op->doc ? tform_to_wire(op->doc, o->v) : json_object();
		set_json_body(c, wire, "application/merge-patch+json");
		json_decref(wire);
		send_call(s, c);
		free(url);
		break;
	case TARGET_OP_DELETE:
		if (!need_key(s, op->key))
			break;
		url = type_url(o, op->key);
		c = api_call("DELETE", url);
		if (op->etag && *op->etag)
			http_call_add_header(c, "If-Match: %s", op->etag);
		send_call(s, c);
		free(url);
		break;
	case TARGET_OP_IMPORT:
		if (o->v != API_V1) {
			defer_failure(s, ERR_INVALID,
				      "cannot import a manifest: the "
				      "manifest needs API version v1");
			break;
		}
		if (!json_is_array(op->doc)) {
			defer_failure(s, ERR_INVALID,
				      "cannot import a manifest: no list "
				      "of content types");
			break;
		}
		list = json_array();
		json_array_foreach(op->doc, i, doc) {
			json_array_append_new(list, tform_to_wire(doc, o->v));
		}
		manifest = json_pack("{s:o}", "contentTypes", list);
		url = api_path(o, "/manifest");
		c = api_call("POST", url);
		if (op->flags & TARGET_ALLOW_DATA_LOSS)
			http_call_add_header(c,
					     "cms-ignore-data-loss-warnings: "
					     "true");
		set_json_body(c, manifest, "application/json");
		json_decref(manifest);
		send_call(s, c);
		free(url);
		break;
	}
}

/* Reports the operations that ended at submit time. */
static int drain_deferred(struct opti *o)
{
	int n = 0;

	while (o->deferred) {
		struct opstate *s = o->deferred;
		struct target_op *op = s->op;
		target_done_fn done = s->done;
		void *payload = s->payload;

		o->deferred = s->next;
		op->state = NULL;
		state_free(s);
		if (done)
			done(op, payload);
		n++;
	}
	return n;
}

static int opti_run(struct target *t)
{
	struct opti *o = t->impl;

	for (;;) {
		drain_deferred(o);
		if (http_run(o->h) < 0)
			return -1;
		if (!o->deferred)
			return 0;
	}
}

static void opti_cancel_pending(struct target *t)
{
	struct opti *o = t->impl;

	http_cancel_pending(o->h);
}

static void opti_free(struct target *t)
{
	struct opti *o = t->impl;

	if (!o)
		return;
	while (o->deferred) {
		struct opstate *s = o->deferred;

		o->deferred = s->next;
		s->op->state = NULL;
		state_free(s);
	}
	oauth_free(o->oauth);
	http_free(o->h);
	free(o->api);
	free(o->token_url);
	json_decref(o->written);
	free(o);
	t->impl = NULL;
}

static const struct target_ops optimizely_ops = {
	TARGET_OPS_VERSION, "optimizely",	 opti_submit,
	opti_run,	    opti_cancel_pending, opti_free,
};

int target_optimizely_open(struct target **out, const struct config_target *cfg,
			   const struct target_options *opts)
{
	struct target *t = NULL;
	struct opti *o;
	struct http_options ho;
	struct buf id = BUF_INIT;
	int ret;

	*out = NULL;
	t = xcalloc(1, sizeof(*t));
	t->ops = &optimizely_ops;
	o = xcalloc(1, sizeof(*o));
	t->impl = o;
	o->t = t;
	o->opts = *opts;
	if (!o->opts.page_size)
		o->opts.page_size = 1000;
	o->written = json_object();
	if ((ret = tform_parse_api_version(
		     &o->v, cfg->api_version ? cfg->api_version : "v1")) < 0)
		goto out;
	t->version = o->v;
	if (!cfg->url || !*cfg->url) {
		ret = err_set(ERR_INVALID, "no URL configured for target '%s'",
			      cfg->name ? cfg->name : "optimizely");
		goto out;
	}
	target_optimizely_urls(cfg->url, o->v, &o->api, &o->token_url);
	http_options_init(&ho);
	if (cfg->concurrency > 0)
		ho.concurrency = (unsigned)cfg->concurrency;
	if (cfg->rate_limit > 0)
		ho.rate_limit = (unsigned)cfg->rate_limit;
	if (cfg->retries >= 0)
		ho.retries = (unsigned)cfg->retries;
	if (cfg->timeout_ms > 0)
		ho.timeout_ms = cfg->timeout_ms;
	if (ho.connect_timeout_ms > ho.timeout_ms)
		ho.connect_timeout_ms = ho.timeout_ms;
	ho.ca_file = cfg->ca_file;
	ho.backoff_base_ms = opts->backoff_base_ms;
	ho.backoff_max_ms = opts->backoff_max_ms;
	if (opts->retry_after_max_ms > 0)
		ho.retry_after_max_ms = opts->retry_after_max_ms;
	ho.seed = opts->seed;
	if ((ret = http_new(&o->h, &ho)) < 0)
		goto out;
	if ((ret = oauth_new(&o->oauth, o->h, o->token_url, cfg->client_id,
			     cfg->client_secret)) < 0)
		goto out;
	t->name = xstrdup(cfg->name ? cfg->name : "optimizely");
	buf_addf(&id, "%s %s %s", t->name, cfg->url,
		 tform_api_version_name(o->v));
	t->identity = buf_detach(&id, NULL);
	log_debug("http", "target '%s': API at %s, token at %s", t->name,
		  o->api, o->token_url);
	*out = t;
	t = NULL;
	ret = 0;
out:
	target_free(t);
	return ret;
}
