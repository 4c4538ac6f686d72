/*
 * emu: the request pipeline (control routes, faults, latency, routing,
 * journal) and the emulator's lifecycle and state file.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "emu.h"
#include "util/err.h"
#include "util/jx.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/xalloc.h"
#include "util/banned.h"

void emu_init(struct emu *e)
{
	memset(e, 0, sizeof(*e));
	pthread_mutex_init(&e->lock, NULL);
	model_init(&e->model);
	e->next_rule_id = 1;
	e->faults.token_ttl = 300;
	e->faults_initial = e->faults;
}

void emu_release(struct emu *e)
{
	model_release(&e->model);
	journal_clear(&e->journal);
	free(e->journal.ring);
	e->journal.ring = NULL;
	rules_clear(e);
	free(e->rules);
	e->rules = NULL;
	free(e->window);
	e->window = NULL;
	FREE_AND_NULL(e->client_id);
	FREE_AND_NULL(e->client_secret);
	FREE_AND_NULL(e->state_path);
	pthread_mutex_destroy(&e->lock);
}

void emu_reset(struct emu *e)
{
	model_seed(&e->model);
	journal_clear(&e->journal);
	rules_clear(e);
	e->faults = e->faults_initial;
	free(e->window);
	e->window = NULL;
	e->window_cap = e->window_start = e->window_nr = 0;
	rng_seed(&e->rng, e->seed);
}

void emu_persist(struct emu *e)
{
	struct buf text = BUF_INIT, tmp = BUF_INIT;
	FILE *f;

	if (!e->state_path)
		return;
	model_dump(&e->model, &text);
	buf_addf(&tmp, "%s.tmp", e->state_path);
	f = fopen(tmp.ptr, "wb");
	if (!f) {
		log_error(NULL, "cannot write '%s': %s", tmp.ptr,
			  strerror(errno));
		goto out;
	}
	if (fwrite(text.ptr, 1, text.len, f) != text.len || fflush(f)) {
		log_error(NULL, "cannot write '%s': %s", tmp.ptr,
			  strerror(errno));
		fclose(f);
		unlink(tmp.ptr);
		goto out;
	}
	if (fclose(f) || rename(tmp.ptr, e->state_path)) {
		log_error(NULL, "cannot replace '%s': %s", e->state_path,
			  strerror(errno));
		unlink(tmp.ptr);
	}
out:
	buf_release(&text);
	buf_release(&tmp);
}

int emu_load_state_file(struct emu *e)
{
	json_t *doc = NULL;
	int ret = -1;

	if (!e->state_path)
		return 0;
	if (access(e->state_path, F_OK) < 0) {
		emu_persist(e);
		return 0;
	}
	if ((ret = jx_load_file(&doc, e->state_path)) < 0)
		goto out;
	if ((ret = model_load(&e->model, doc)) < 0) {
		err_prefix("state file '%s'", e->state_path);
		goto out;
	}
	ret = 0;
out:
	json_decref(doc);
	return ret;
}

/* What the fault stage decided for one request. */
struct plan {
	long long delay_ms;
	int status;	   /* answer this without processing, or 0 */
	long retry_after;  /* with status; -1 none */
	const char *fault; /* for the journal */
	int drop_before;
	int drop_after;
	int truncate;
	const char *after_fault;
};

static int method_matches(const char *rule, const char *method)
{
	return !strcmp(rule, "*") || !strcasecmp(rule, method);
}

static void rule_remove(struct emu *e, size_t i)
{
	rule_release(&e->rules[i]);
	memmove(e->rules + i, e->rules + i + 1,
		(e->rules_nr - i - 1) * sizeof(*e->rules));
	e->rules_nr--;
}

static void plan_rules(struct emu *e, const struct httpd_request *req,
		       struct plan *p)
{
	int applied = 0;

	for (size_t i = 0; i < e->rules_nr; i++) {
		struct fault_rule *r = &e->rules[i];

		if (!method_matches(r->method, req->method) ||
		    !glob_match(r->path, req->path))
			continue;
		if (r->after > 0) {
			r->after--;
			continue;
		}
		if (r->action == RULE_DELAY) {
			p->delay_ms += r->delay_ms;
		} else if (!applied) {
			applied = 1;
			switch (r->action) {
			case RULE_STATUS:
				p->status = r->status;
				p->retry_after = r->retry_after;
				p->fault = "script";
				break;
			case RULE_DROP:
				if (r->phase_after) {
					p->drop_after = 1;
				} else {
					p->drop_before = 1;
					p->fault = "drop";
				}
				p->after_fault = "drop";
				break;
			case RULE_TRUNCATE:
				p->truncate = 1;
				p->after_fault = "truncate";
				break;
			default:
				break;
			}
		} else {
			continue;
		}
		if (r->count > 0 && --r->count == 0) {
			rule_remove(e, i);
			i--;
		}
	}
}

/* Returns 1 (and the seconds to wait) when the request is over the limit. */
static int rate_limited(struct emu *e, long long now, long *retry)
{
	size_t limit = (size_t)e->faults.rate_limit;

	if (e->faults.rate_limit <= 0)
		return 0;
	if (limit != e->window_cap) {
		free(e->window);
		e->window = xcalloc(limit, sizeof(*e->window));
		e->window_cap = limit;
		e->window_start = e->window_nr = 0;
	}
	while (e->window_nr && now - e->window[e->window_start] >= 60000) {
		e->window_start = (e->window_start + 1) % e->window_cap;
		e->window_nr--;
	}
	if (e->window_nr == e->window_cap) {
		long long wait = e->window[e->window_start] + 60000 - now;

		*retry = (long)((wait + 999) / 1000);
		if (*retry < 1)
			*retry = 1;
		return 1;
	}
	e->window[(e->window_start + e->window_nr) % e->window_cap] = now;
	e->window_nr++;
	return 0;
}

/* The fault stage; lock held. Draws from the PRNG in a fixed order. */
static void plan_faults(struct emu *e, const struct httpd_request *req,
			struct plan *p)
{
	static const int statuses[] = {500, 502, 503};
	const struct emu_faults *f = &e->faults;
	int error = 0, drop = 0, trunc = 0;
	long retry;

	memset(p, 0, sizeof(*p));
	p->retry_after = -1;
	p->delay_ms = f->latency_ms;
	if (f->jitter_ms > 0)
		p->delay_ms += (long long)rng_below(&e->rng,
						    (uint64_t)f->jitter_ms + 1);
	if (f->error_rate > 0 && rng_unit(&e->rng) < f->error_rate)
		error = statuses[rng_below(&e->rng, 3)];
	if (f->drop_rate > 0 && rng_unit(&e->rng) < f->drop_rate)
		drop = 1;
	if (f->truncate_rate > 0 && rng_unit(&e->rng) < f->truncate_rate)
		trunc = 1;

	plan_rules(e, req, p);
	if (p->status || p->drop_before)
		return;
	if (rate_limited(e, time_mono_ms(), &retry)) {
		p->status = 429;
		p->retry_after = retry;
		p->fault = "ratelimit";
		return;
	}
	if (error) {
		p->status = error;
		p->fault = "error";
		return;
	}
	if (!p->drop_after && !p->truncate) {
		if (drop) {
			p->drop_after = 1;
			p->after_fault = "drop";
		} else if (trunc) {
			p->truncate = 1;
			p->after_fault = "truncate";
		}
	}
}

static const char *status_code(int status)
{
	switch (status) {
	case 400:
		return "BadRequest";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "NotFound";
	case 409:
		return "Conflict";
	case 412:
		return "PreconditionFailed";
	case 429:
		return "TooManyRequests";
	case 500:
		return "InternalServerError";
	case 502:
		return "BadGateway";
	case 503:
		return "ServiceUnavailable";
	case 504:
		return "GatewayTimeout";
	default:
		return "Error";
	}
}

static const struct {
	const char *prefix;
	enum emu_version version;
} prefixes[] = {
	{"/_cms/v1", EMU_V1},
	{"/_cms/preview3", EMU_P3},
	{"/v1", EMU_V1},
	{"/preview3", EMU_P3},
};

static int is_token_path(const char *path)
{
	static const char *const paths[] = {"/oauth/token",
					    "/_cms/v1/oauth/token",
					    "/_cms/preview3/oauth/token", NULL};

	for (const char *const *p = paths; *p; p++) {
		size_t n = strlen(*p);

		if (!strncmp(path, *p, n) &&
		    (!path[n] || (path[n] == '/' && !path[n + 1])))
			return 1;
	}
	return 0;
}

/* Decodes one path segment into a key; NULL (and a 4xx reply) if bad. */
static char *segment_key(struct call *c, const char *seg)
{
	struct buf key = BUF_INIT;

	if (strchr(seg, '/') || !*seg) {
		reply_problem(c, 404, "NotFound", NULL, "No route for '%s'.",
			      c->req->path);
		return NULL;
	}
	if (httpd_unescape(&key, seg, strlen(seg), 0) < 0) {
		buf_release(&key);
		err_clear();
		reply_problem(c, 400, "ValidationFailed", NULL,
			      "The path '%s' has a bad percent escape.",
			      c->req->path);
		return NULL;
	}
	return buf_detach(&key, NULL);
}

static void route_api(struct call *c)
{
	struct emu *e = c->emu;
	const char *path = c->req->path;
	char *rest = NULL, *key = NULL;
	size_t n = 0, i;

	for (i = 0; i < sizeof(prefixes) / sizeof(*prefixes); i++) {
		n = strlen(prefixes[i].prefix);
		if (!strncmp(path, prefixes[i].prefix, n) &&
		    (path[n] == '/' || !path[n]))
			break;
	}
	if (i == sizeof(prefixes) / sizeof(*prefixes)) {
		reply_problem(c, 404, "NotFound", NULL, "No route for '%s'.",
			      path);
		return;
	}
	c->prefix = prefixes[i].prefix;
	c->version = prefixes[i].version;
	rest = xstrdup(path + n);
	n = strlen(rest);
	if (n > 1 && rest[n - 1] == '/')
		rest[n - 1] = '\0';
	if (call_parse_query(c) < 0)
		goto out;

	pthread_mutex_lock(&e->lock);
	if (oauth_check(c) < 0)
		goto unlock;
	if (!strcmp(rest, "/contenttypes")) {
		api_types(c, NULL);
	} else if (!strncmp(rest, "/contenttypes/", 14)) {
		if ((key = segment_key(c, rest + 14)))
			api_types(c, key);
	} else if (!strcmp(rest, "/propertygroups")) {
		api_groups(c, NULL);
	} else if (!strncmp(rest, "/propertygroups/", 16)) {
		if ((key = segment_key(c, rest + 16)))
			api_groups(c, key);
	} else if (!strcmp(rest, "/manifest") && c->version == EMU_V1) {
		api_manifest(c);
	} else {
		reply_problem(c, 404, "NotFound", NULL, "No route for '%s'.",
			      path);
	}
unlock:
	pthread_mutex_unlock(&e->lock);
out:
	free(key);
	free(rest);
}

static void route(struct call *c)
{
	if (c->req->body_too_large) {
		reply_problem(c, 413, "PayloadTooLarge", NULL,
			      "The request body is larger than the limit.");
		return;
	}
	if (is_token_path(c->req->path)) {
		if (strcmp(c->req->method, "POST")) {
			reply_header(c, "Allow", "POST");
			reply_problem(c, 405, "MethodNotAllowed", NULL,
				      "Use POST to get a token.");
			return;
		}
		pthread_mutex_lock(&c->emu->lock);
		oauth_token(c);
		pthread_mutex_unlock(&c->emu->lock);
		return;
	}
	route_api(c);
}

static json_t *masked_headers(const struct httpd_request *req)
{
	json_t *h = json_object();

	for (size_t i = 0; i < req->headers_nr; i++) {
		struct buf name = BUF_INIT, value = BUF_INIT;
		const char *v = req->headers[i].value;
		json_t *prev, *js;

		for (const char *p = req->headers[i].name; *p; p++)
			buf_addch(&name, tolower((unsigned char)*p));
		if (!strcmp(name.ptr, "authorization")) {
			buf_add(&value, v, strcspn(v, " "));
			buf_adds(&value, " ***");
		} else {
			buf_adds(&value, v);
			log_redact(&value);
		}
		prev = json_object_get(h, name.ptr);
		if (json_is_string(prev)) {
			struct buf joined = BUF_INIT;

			buf_addf(&joined, "%s, %s", json_string_value(prev),
				 value.ptr);
			buf_reset(&value);
			buf_add(&value, joined.ptr, joined.len);
			buf_release(&joined);
		}
		js = json_stringn(value.ptr, value.len);
		if (js)
			json_object_set_new(h, name.ptr, js);
		buf_release(&name);
		buf_release(&value);
	}
	return h;
}

/*
 * Whether log_redact could change text: it looks for these words (in any
 * case) and the configured secret. Scanning for them first keeps a large
 * manifest body from costing a full redaction pass.
 */
static int may_hold_secret(const struct emu *e, const char *p, size_t n)
{
	static const char *const words[] = {
		"secret",	 "token", "bearer", "password",
		"authorization", "://",	  NULL};
	struct buf lower = BUF_INIT;
	int hit = 0;

	if (memmem(p, n, e->client_secret, strlen(e->client_secret)))
		return 1;
	buf_grow(&lower, n);
	for (size_t i = 0; i < n; i++)
		lower.ptr[i] = (char)tolower((unsigned char)p[i]);
	buf_setlen(&lower, n);
	for (const char *const *w = words; *w && !hit; w++)
		hit = memmem(lower.ptr, lower.len, *w, strlen(*w)) != NULL;
	buf_release(&lower);
	return hit;
}

static void journal_record(struct call *c, long long t0)
{
	const struct httpd_request *req = c->req;
	struct journal_entry je;
	struct buf body = BUF_INIT;
	size_t n = req->body_len;

	memset(&je, 0, sizeof(je));
	je.seq = c->seq;
	je.time_ms = c->now_ms;
	je.method = xstrdup(req->method);
	je.path = xstrdup(req->path);
	je.query = xstrdup(req->query);
	je.headers = masked_headers(req);
	if (n > EMU_JOURNAL_BODY_MAX) {
		n = EMU_JOURNAL_BODY_MAX;
		je.body_cut = 1;
	}
	buf_add(&body, req->body, n);
	if (may_hold_secret(c->emu, body.ptr, body.len))
		log_redact(&body);
	je.body_len = body.len;
	je.body = buf_detach(&body, NULL);
	je.status = c->res->status;
	je.fault = c->fault;
	je.duration_ms = time_mono_ms() - t0;

	pthread_mutex_lock(&c->emu->lock);
	journal_add(&c->emu->journal, &je);
	pthread_mutex_unlock(&c->emu->lock);
	journal_entry_release(&je);
}

void emu_handle(const struct httpd_request *req, struct httpd_response *res,
		void *payload)
{
	struct emu *e = payload;
	struct call c;
	struct plan p;
	long long t0 = time_mono_ms();

	memset(&c, 0, sizeof(c));
	c.emu = e;
	c.req = req;
	c.res = res;
	c.now_ms = time_now_ms();

	if (!strcmp(req->path, "/_emulator") ||
	    !strncmp(req->path, "/_emulator/", 11)) {
		if (!req->loopback) {
			reply_problem(&c, 403, "Forbidden", NULL,
				      "The control API only answers loopback "
				      "clients.");
		} else if (req->body_too_large) {
			reply_problem(&c, 413, "PayloadTooLarge", NULL,
				      "The request body is larger than the "
				      "limit.");
		} else if (call_parse_query(&c) == 0) {
			pthread_mutex_lock(&e->lock);
			control_handle(&c, req->path + 10);
			pthread_mutex_unlock(&e->lock);
		}
		call_release(&c);
		return;
	}

	pthread_mutex_lock(&e->lock);
	c.seq = ++e->next_seq;
	plan_faults(e, req, &p);
	pthread_mutex_unlock(&e->lock);

	sleep_ms(p.delay_ms);
	if (p.drop_before) {
		res->action = HTTPD_DROP;
		res->status = 0;
		c.fault = "drop";
	} else if (p.status) {
		char ra[32];

		if (p.retry_after >= 0) {
			snprintf(ra, sizeof(ra), "%ld", p.retry_after);
			reply_header(&c, "Retry-After", ra);
		}
		if (p.status == 401)
			reply_header(&c, "WWW-Authenticate", "Bearer");
		reply_problem(&c, p.status, status_code(p.status), NULL, "%s",
			      p.status == 429
				      ? "The rate limit has been exceeded."
				      : "The emulator injected this failure.");
		c.fault = p.fault;
	} else {
		route(&c);
		if (p.drop_after) {
			res->action = HTTPD_DROP;
			c.fault = p.after_fault;
		} else if (p.truncate && res->body.len >= 2 &&
			   res->status != 204 && res->status != 304) {
			res->action = HTTPD_TRUNCATE;
			res->truncate_at = res->body.len / 2;
			c.fault = p.after_fault;
		}
	}
	log_debug("http", "%s %s -> %d%s%s", req->method, req->target,
		  res->status, c.fault ? " fault " : "",
		  c.fault ? c.fault : "");
	journal_record(&c, t0);
	call_release(&c);
}
