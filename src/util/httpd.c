/*
 * httpd: the libmicrohttpd wrapper. See httpd.h.
 *
 * MHD calls the access handler several times per request: once when the
 * headers are in, once per chunk of body, and once more when the body is
 * complete. We collect the body in a struct conn_req (created by the URI log
 * callback, which also gives us the raw request target, and freed by the
 * completion callback) and call the user's handler on the last call.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/httpd.h"
#include "util/log.h"
#include "util/xalloc.h"
#include "util/banned.h"

struct httpd {
	struct MHD_Daemon *daemon;
	httpd_handler_fn fn;
	void *payload;
	size_t max_body;
	int port;
};

/* Per-request state, from the URI log callback to the completion one. */
struct conn_req {
	char *target;
	struct buf body;
	int started;
	int too_large;
};

/* The part of a truncated response still to send. */
struct partial {
	char *data;
	size_t len;
};

static void *uri_log_cb(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct conn_req *r = xcalloc(1, sizeof(*r));

	(void)cls;
	(void)c;
	r->target = xstrdup(uri ? uri : "/");
	buf_init(&r->body, 0);
	return r;
}

static void completed_cb(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct conn_req *r = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (!r)
		return;
	free(r->target);
	buf_release(&r->body);
	free(r);
	*con_cls = NULL;
}

static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
	struct buf line = BUF_INIT;

	(void)cls;
	buf_vaddf(&line, fmt, ap);
	buf_rtrim(&line);
	log_debug("http", "microhttpd: %s", line.ptr);
	buf_release(&line);
}

struct header_list {
	struct httpd_header *items;
	size_t nr, alloc;
};

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind,
				      const char *key, const char *value)
{
	struct header_list *l = cls;

	(void)kind;
	ALLOC_GROW(l->items, l->nr + 1, l->alloc);
	l->items[l->nr].name = xstrdup(key ? key : "");
	l->items[l->nr].value = xstrdup(value ? value : "");
	l->nr++;
	return MHD_YES;
}

static void header_list_release(struct header_list *l)
{
	for (size_t i = 0; i < l->nr; i++) {
		free(l->items[i].name);
		free(l->items[i].value);
	}
	free(l->items);
	l->items = NULL;
	l->nr = l->alloc = 0;
}

static int peer_is_loopback(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *info;
	const struct sockaddr *sa;

	info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (!info || !info->client_addr)
		return 0;
	sa = info->client_addr;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;

		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr))
			return 1;
		return IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) &&
		       in6->sin6_addr.s6_addr[12] == 127;
	}
	return 0;
}

static ssize_t partial_read(void *cls, uint64_t pos, char *out, size_t max)
{
	struct partial *p = cls;
	size_t n;

	if (pos >= p->len)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	n = p->len - (size_t)pos;
	if (n > max)
		n = max;
	memcpy(out, p->data + pos, n);
	return (ssize_t)n;
}

static void partial_free(void *cls)
{
	struct partial *p = cls;

	free(p->data);
	free(p);
}

static void response_release(struct httpd_response *res)
{
	for (size_t i = 0; i < res->headers_nr; i++) {
		free(res->headers[i].name);
		free(res->headers[i].value);
	}
	free(res->headers);
	res->headers = NULL;
	res->headers_nr = res->headers_alloc = 0;
	buf_release(&res->body);
}

static int status_has_body(int status)
{
	return status >= 200 && status != 204 && status != 304;
}

/* Turns the handler's response into an MHD one and queues it. */
static enum MHD_Result send_response(struct MHD_Connection *c,
				     struct httpd_response *res)
{
	struct MHD_Response *mr;
	enum MHD_Result ok;

	if (res->action == HTTPD_DROP)
		return MHD_NO;
	if (!status_has_body(res->status)) {
		/* MHD sends a 304's length but never its body. */
		if (res->status != 304)
			buf_reset(&res->body);
		res->action = HTTPD_SEND;
	}
	if (res->action == HTTPD_TRUNCATE && res->truncate_at < res->body.len) {
		struct partial *p = xmalloc(sizeof(*p));
		uint64_t total = res->body.len;

		p->len = res->truncate_at;
		p->data = buf_detach(&res->body, NULL);
		mr = MHD_create_response_from_callback(
			total, 4096, partial_read, p, partial_free);
		if (!mr) {
			partial_free(p);
			return MHD_NO;
		}
	} else if (res->body.len) {
		size_t len = res->body.len;
		char *data = buf_detach(&res->body, NULL);

		mr = MHD_create_response_from_buffer_with_free_callback(
			len, data, free);
		if (!mr) {
			free(data);
			return MHD_NO;
		}
	} else {
		mr = MHD_create_response_from_buffer(0, (void *)"",
						     MHD_RESPMEM_PERSISTENT);
		if (!mr)
			return MHD_NO;
	}
	for (size_t i = 0; i < res->headers_nr; i++)
		MHD_add_response_header(mr, res->headers[i].name,
					res->headers[i].value);
	ok = MHD_queue_response(c, (unsigned int)res->status, mr);
	MHD_destroy_response(mr);
	return ok;
}

static enum MHD_Result run_handler(struct httpd *h, struct MHD_Connection *c,
				   const char *method, struct conn_req *r)
{
	struct header_list hl = {NULL, 0, 0};
	struct httpd_request req;
	struct httpd_response res;
	char *path;
	const char *q;
	enum MHD_Result ok;

	memset(&req, 0, sizeof(req));
	memset(&res, 0, sizeof(res));
	buf_init(&res.body, 0);
	res.status = 500;

	MHD_get_connection_values(c, MHD_HEADER_KIND, collect_header, &hl);
	q = strchr(r->target, '?');
	path = q ? xstrndup(r->target, (size_t)(q - r->target))
		 : xstrdup(r->target);
	req.method = method;
	req.target = r->target;
	req.path = path;
	req.query = q ? q + 1 : "";
	req.headers = hl.items;
	req.headers_nr = hl.nr;
	req.body = r->body.ptr;
	req.body_len = r->body.len;
	req.body_too_large = r->too_large;
	req.loopback = peer_is_loopback(c);

	h->fn(&req, &res, h->payload);
	ok = send_response(c, &res);

	response_release(&res);
	header_list_release(&hl);
	free(path);
	return ok;
}

static enum MHD_Result access_cb(void *cls, struct MHD_Connection *c,
				 const char *url, const char *method,
				 const char *version, const char *upload_data,
				 size_t *upload_data_size, void **con_cls)
{
	struct httpd *h = cls;
	struct conn_req *r = *con_cls;

	(void)url;
	(void)version;
	if (!r) {
		/* Only when the URI log callback did not run: never expected.
		 */
		r = uri_log_cb(NULL, url, c);
		*con_cls = r;
	}
	if (!r->started) {
		const char *cl;

		r->started = 1;
		cl = MHD_lookup_connection_value(
			c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl) {
			char *end;
			unsigned long long n;

			errno = 0;
			n = strtoull(cl, &end, 10);
			if (!errno && end != cl && n > h->max_body) {
				/* Answer now; MHD closes without reading. */
				r->too_large = 1;
				return run_handler(h, c, method, r);
			}
		}
		return MHD_YES;
	}
	if (*upload_data_size) {
		if (!r->too_large &&
		    buf_add_capped(&r->body, upload_data, *upload_data_size,
				   h->max_body) < 0) {
			r->too_large = 1;
			buf_release(&r->body);
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	return run_handler(h, c, method, r);
}

static int resolve(struct sockaddr_storage *ss, socklen_t *len_out,
		   const char *host, int port)
{
	struct addrinfo hints, *res = NULL;
	char service[16];
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(service, sizeof(service), "%d", port);
	rc = getaddrinfo(host, service, &hints, &res);
	if (rc || !res)
		return err_set(ERR_INVALID,
			       "cannot resolve listen address '%s': %s", host,
			       gai_strerror(rc));
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len_out = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

int httpd_start(struct httpd **out, const struct httpd_options *opts,
		httpd_handler_fn fn, void *payload)
{
	struct sockaddr_storage ss;
	socklen_t sslen = 0;
	struct httpd *h = NULL;
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD |
			     MHD_USE_THREAD_PER_CONNECTION | MHD_USE_AUTO |
			     MHD_USE_ERROR_LOG;
	const union MHD_DaemonInfo *info;
	int ret = -1;

	*out = NULL;
	if (opts->port < 0 || opts->port > 65535)
		return err_set(ERR_INVALID, "port %d is out of range",
			       opts->port);
	if (resolve(&ss, &sslen, opts->listen ? opts->listen : "127.0.0.1",
		    opts->port) < 0)
		return ERR_INVALID;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;

	h = xcalloc(1, sizeof(*h));
	h->fn = fn;
	h->payload = payload;
	h->max_body = opts->max_body;
	h->daemon = MHD_start_daemon(
		flags, (uint16_t)opts->port, NULL, NULL, access_cb, h,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		MHD_OPTION_URI_LOG_CALLBACK, uri_log_cb, (void *)h,
		MHD_OPTION_NOTIFY_COMPLETED, completed_cb, (void *)h,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)opts->idle_timeout,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, (void *)h,
		MHD_OPTION_END);
	if (!h->daemon) {
		ret = err_set(-1, "cannot listen on %s port %d: %s",
			      opts->listen ? opts->listen : "127.0.0.1",
			      opts->port,
			      errno ? strerror(errno) : "microhttpd failed");
		goto out;
	}
	info = MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_BIND_PORT);
	h->port = info ? info->port : opts->port;
	*out = h;
	h = NULL;
	ret = 0;
out:
	free(h);
	return ret;
}

int httpd_port(const struct httpd *h)
{
	return h->port;
}

void httpd_stop(struct httpd *h)
{
	if (!h)
		return;
	if (h->daemon)
		MHD_stop_daemon(h->daemon);
	free(h);
}

const char *httpd_header(const struct httpd_request *req, const char *name)
{
	for (size_t i = 0; i < req->headers_nr; i++)
		if (!strcasecmp(req->headers[i].name, name))
			return req->headers[i].value;
	return NULL;
}

void httpd_response_header(struct httpd_response *res, const char *name,
			   const char *value)
{
	ALLOC_GROW(res->headers, res->headers_nr + 1, res->headers_alloc);
	res->headers[res->headers_nr].name = xstrdup(name);
	res->headers[res->headers_nr].value = xstrdup(value);
	res->headers_nr++;
}

void httpd_response_header_del(struct httpd_response *res, const char *name)
{
	size_t j = 0;

	for (size_t i = 0; i < res->headers_nr; i++) {
		if (strcasecmp(res->headers[i].name, name)) {
			res->headers[j++] = res->headers[i];
			continue;
		}
		free(res->headers[i].name);
		free(res->headers[i].value);
	}
	res->headers_nr = j;
}

const char *httpd_response_get(const struct httpd_response *res,
			       const char *name)
{
	for (size_t i = 0; i < res->headers_nr; i++)
		if (!strcasecmp(res->headers[i].name, name))
			return res->headers[i].value;
	return NULL;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int httpd_unescape(struct buf *out, const char *s, size_t n, int plus_space)
{
	for (size_t i = 0; i < n; i++) {
		int hi, lo;

		if (s[i] == '+' && plus_space) {
			buf_addch(out, ' ');
			continue;
		}
		if (s[i] != '%') {
			buf_addch(out, s[i]);
			continue;
		}
		if (i + 2 >= n)
			return err_set(ERR_INVALID,
				       "bad percent escape in '%.*s'", (int)n,
				       s);
		hi = hexval((unsigned char)s[i + 1]);
		lo = hexval((unsigned char)s[i + 2]);
		if (hi < 0 || lo < 0 || (!hi && !lo))
			return err_set(ERR_INVALID,
				       "bad percent escape in '%.*s'", (int)n,
				       s);
		buf_addch(out, hi * 16 + lo);
		i += 2;
	}
	return 0;
}

void httpd_escape(struct buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~') {
			buf_addch(out, c);
		} else {
			buf_addch(out, '%');
			buf_addch(out, hex[c >> 4]);
			buf_addch(out, hex[c & 15]);
		}
	}
}

static const char *const day_names[] = {"Sun", "Mon", "Tue", "Wed",
					"Thu", "Fri", "Sat"};
static const char *const month_names[] = {"Jan", "Feb", "Mar", "Apr",
					  "May", "Jun", "Jul", "Aug",
					  "Sep", "Oct", "Nov", "Dec"};

void httpd_format_date(struct buf *out, long long ms)
{
	time_t secs = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
	struct tm tm;

	gmtime_r(&secs, &tm);
	buf_addf(out, "%s, %02d %s %04d %02d:%02d:%02d GMT",
		 day_names[tm.tm_wday % 7], tm.tm_mday,
		 month_names[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour,
		 tm.tm_min, tm.tm_sec);
}

int httpd_parse_date(long long *ms_out, const char *text)
{
	static const char *const forms[] = {
		"%a, %d %b %Y %H:%M:%S GMT", /* IMF-fixdate */
		"%A, %d-%b-%y %H:%M:%S GMT", /* RFC 850 */
		"%a %b %e %H:%M:%S %Y",	     /* asctime */
	};

	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		struct tm tm;
		const char *end;
		time_t t;

		memset(&tm, 0, sizeof(tm));
		end = strptime(text, forms[i], &tm);
		if (!end)
			continue;
		while (*end == ' ' || *end == '\t')
			end++;
		if (*end)
			continue;
		t = timegm(&tm);
		if (t == (time_t)-1)
			continue;
		*ms_out = (long long)t * 1000;
		return 0;
	}
	return err_set(ERR_INVALID, "'%s' is not an HTTP date", text);
}
