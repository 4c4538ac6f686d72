/*
 * call: replies, query parameters, request headers and preconditions,
 * shared by every handler.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "emu.h"
#include "util/err.h"
#include "util/jx.h"
#include "util/timeutil.h"
#include "util/xalloc.h"
#include "util/banned.h"

static const char *status_title(int status)
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
	case 405:
		return "Method Not Allowed";
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
		return status < 500 ? "Client Error" : "Server Error";
	}
}

void reply_header(struct call *c, const char *name, const char *value)
{
	httpd_response_header(c->res, name, value);
}

void reply_raw(struct call *c, int status, const char *ctype, const char *p,
	       size_t n)
{
	c->res->status = status;
	buf_reset(&c->res->body);
	buf_add(&c->res->body, p, n);
	if (ctype)
		reply_header(c, "Content-Type", ctype);
}

void reply_json(struct call *c, int status, json_t *body)
{
	c->res->status = status;
	buf_reset(&c->res->body);
	jx_dump_compact(&c->res->body, body);
	json_decref(body);
	reply_header(c, "Content-Type", "application/json; charset=utf-8");
}

void reply_empty(struct call *c, int status)
{
	c->res->status = status;
	buf_reset(&c->res->body);
}

void reply_not_modified(struct call *c)
{
	c->res->status = 304;
	httpd_response_header_del(c->res, "Content-Type");
}

void reply_problem(struct call *c, int status, const char *code, json_t *errs,
		   const char *fmt, ...)
{
	struct buf detail = BUF_INIT, type = BUF_INIT, trace = BUF_INIT;
	json_t *p = json_object(), *d;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&detail, fmt, ap);
	va_end(ap);
	buf_addf(&type, "https://httpstatuses.io/%d", status);
	buf_addf(&trace, "%032llx", c->seq);
	d = json_stringn(detail.ptr, detail.len);
	json_object_set_new(p, "type", json_string(type.ptr));
	json_object_set_new(p, "title", json_string(status_title(status)));
	json_object_set_new(p, "status", json_integer(status));
	json_object_set_new(p, "detail", d ? d : json_string("error"));
	json_object_set_new(p, "code", json_string(code));
	json_object_set_new(p, "traceId", json_string(trace.ptr));
	if (errs && json_array_size(errs))
		json_object_set(p, "errors", errs);
	json_decref(errs);
	c->res->status = status;
	buf_reset(&c->res->body);
	jx_dump_compact(&c->res->body, p);
	json_decref(p);
	reply_header(c, "Content-Type",
		     status == 429 ? "application/json; charset=utf-8"
				   : "application/problem+json; charset=utf-8");
	buf_release(&detail);
	buf_release(&type);
	buf_release(&trace);
}

static void query_add(struct call *c, char *name, char *value)
{
	ALLOC_GROW(c->q, c->q_nr + 1, c->q_alloc);
	c->q[c->q_nr].name = name;
	c->q[c->q_nr].value = value;
	c->q_nr++;
}

int call_parse_query(struct call *c)
{
	const char *p = c->req->query;

	while (*p) {
		const char *end = strchr(p, '&');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		const char *eq = memchr(p, '=', n);
		struct buf name = BUF_INIT, value = BUF_INIT;
		size_t nn = eq ? (size_t)(eq - p) : n;

		if (n && (httpd_unescape(&name, p, nn, 1) < 0 ||
			  (eq && httpd_unescape(&value, eq + 1, n - nn - 1, 1) <
					 0))) {
			buf_release(&name);
			buf_release(&value);
			reply_problem(c, 400, "ValidationFailed", NULL,
				      "The query string has a bad escape.");
			err_clear();
			return -1;
		}
		if (n)
			query_add(c, buf_detach(&name, NULL),
				  buf_detach(&value, NULL));
		p += n;
		if (*p == '&')
			p++;
	}
	return 0;
}

const char *call_query(const struct call *c, const char *name)
{
	for (size_t i = 0; i < c->q_nr; i++)
		if (!strcmp(c->q[i].name, name))
			return c->q[i].value;
	return NULL;
}

int call_query_has(const struct call *c, const char *name, const char *value)
{
	int seen = 0;
	size_t vlen = strlen(value);

	for (size_t i = 0; i < c->q_nr; i++) {
		const char *p = c->q[i].value;

		if (strcmp(c->q[i].name, name))
			continue;
		seen = 1;
		while (*p) {
			size_t n = strcspn(p, ",");
			const char *s = p;
			size_t m = n;

			while (m && *s == ' ') {
				s++;
				m--;
			}
			while (m && s[m - 1] == ' ')
				m--;
			if (m == vlen && !strncasecmp(s, value, m))
				return 1;
			p += n;
			if (*p == ',')
				p++;
		}
	}
	return seen ? 0 : -1;
}

void call_release(struct call *c)
{
	for (size_t i = 0; i < c->q_nr; i++) {
		free(c->q[i].name);
		free(c->q[i].value);
	}
	free(c->q);
	c->q = NULL;
	c->q_nr = c->q_alloc = 0;
	FREE_AND_NULL(c->client);
}

json_t *call_body_object(struct call *c)
{
	json_t *v = NULL;

	if (!c->req->body_len) {
		reply_problem(c, 400, "InvalidJson", NULL,
			      "The request body is empty.");
		return NULL;
	}
	if (jx_load(&v, c->req->body, c->req->body_len, "the request body") <
	    0) {
		reply_problem(c, 400, "InvalidJson", NULL, "%s", err_msg());
		err_clear();
		return NULL;
	}
	if (!json_is_object(v)) {
		json_decref(v);
		reply_problem(c, 400, "InvalidJson", NULL,
			      "The request body must be a JSON object.");
		return NULL;
	}
	return v;
}

int media_type_is(const char *header, const char *type)
{
	size_t n;

	if (!header)
		return 0;
	while (*header == ' ' || *header == '\t')
		header++;
	n = strcspn(header, ";");
	while (n && (header[n - 1] == ' ' || header[n - 1] == '\t'))
		n--;
	return n == strlen(type) && !strncasecmp(header, type, n);
}

static int header_has_token(const char *h, const char *token)
{
	size_t n = strlen(token);

	for (; h && *h; h++)
		if (!strncasecmp(h, token, n))
			return 1;
	return 0;
}

int call_wants_representation(const struct call *c)
{
	for (size_t i = 0; i < c->req->headers_nr; i++)
		if (!strcasecmp(c->req->headers[i].name, "Prefer") &&
		    header_has_token(c->req->headers[i].value,
				     "return=representation"))
			return 1;
	return 0;
}

int call_ignores_data_loss(const struct call *c)
{
	const char *v = httpd_header(c->req, "cms-ignore-data-loss-warnings");

	if (!v)
		return 0;
	while (*v == ' ')
		v++;
	return !strncasecmp(v, "true", 4) && (!v[4] || v[4] == ' ');
}

/*
 * Compares an If-Match / If-None-Match list with etag. Returns 1 on a
 * match, 0 on none, -1 when the list holds only weak validators (and so
 * is ignored).
 */
static int etag_list_match(const char *list, const char *etag)
{
	const char *p = list;
	int strong = 0;
	size_t elen = strlen(etag);

	while (*p) {
		size_t n;

		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (!*p)
			break;
		n = strcspn(p, ",");
		while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n == 1 && *p == '*')
			return 1;
		if (n >= 2 && (p[0] == 'W' || p[0] == 'w') && p[1] == '/') {
			p += strcspn(p, ",");
			continue;
		}
		strong = 1;
		if (n == elen && !memcmp(p, etag, n))
			return 1;
		/* an unquoted tag compares with the inside of ours */
		if (elen > 2 && n == elen - 2 && !memcmp(p, etag + 1, n))
			return 1;
		p += strcspn(p, ",");
	}
	return strong ? 0 : -1;
}

int call_check_preconditions(struct call *c, const struct res *r)
{
	const char *im = httpd_header(c->req, "If-Match");
	const char *ius = httpd_header(c->req, "If-Unmodified-Since");
	long long since;

	if (im) {
		if (!etag_list_match(im, r->etag)) {
			reply_problem(c, 412, "PreconditionFailed", NULL,
				      "The '%s' has changed: If-Match does not "
				      "match the current ETag %s.",
				      r->key, r->etag);
			return -1;
		}
		return 0;
	}
	if (ius && httpd_parse_date(&since, ius) == 0 &&
	    r->modified_ms / 1000 > since / 1000) {
		reply_problem(c, 412, "PreconditionFailed", NULL,
			      "The '%s' has been modified since %s.", r->key,
			      ius);
		return -1;
	}
	err_clear();
	return 0;
}

int call_not_modified(const struct call *c, const char *etag, long long ms)
{
	const char *inm = httpd_header(c->req, "If-None-Match");
	const char *ims = httpd_header(c->req, "If-Modified-Since");
	long long since;

	if (inm) {
		int m = etag_list_match(inm, etag);

		if (m >= 0)
			return m;
	}
	if (ims && httpd_parse_date(&since, ims) == 0)
		return ms / 1000 <= since / 1000;
	err_clear();
	return 0;
}

void reply_validators(struct call *c, const char *etag, long long ms)
{
	struct buf date = BUF_INIT;

	httpd_format_date(&date, ms);
	reply_header(c, "ETag", etag);
	reply_header(c, "Last-Modified", date.ptr);
	buf_release(&date);
}

void call_now_iso(const struct call *c, struct buf *out)
{
	time_format_iso(out, c->now_ms);
}

const char *call_user(const struct call *c)
{
	return c->client ? c->client : "api";
}

void reply_res(struct call *c, int status, struct res *r)
{
	const struct buf *f =
		res_form(r, c->version == EMU_P3 ? FORM_P3 : FORM_V1);

	reply_raw(c, status, JSON_CTYPE, f->ptr, f->len);
}

void reply_written(struct call *c, struct res *r, int with_body, int prefer)
{
	if (!with_body) {
		reply_empty(c, 204);
		return;
	}
	reply_res(c, 200, r);
	if (prefer)
		reply_header(c, "Preference-Applied", "return=representation");
}
