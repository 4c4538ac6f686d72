/*
 * httpd: a small HTTP/1.1 server over libmicrohttpd.
 *
 * This is the only file that includes microhttpd.h. It runs one thread per
 * connection, so a handler may block (sleep to model latency, wait on a lock)
 * without holding up other clients. A handler sees the whole request at once:
 * the raw request target, the headers and the body, read into one buffer up
 * to a cap. It fills a struct httpd_response; httpd sends it with a
 * Content-Length (never chunked), or drops or truncates it on request, which
 * is how the emulator injects network faults.
 *
 *	static void hello(const struct httpd_request *req,
 *			  struct httpd_response *res, void *payload)
 *	{
 *		res->status = 200;
 *		httpd_response_header(res, "Content-Type", "text/plain");
 *		buf_adds(&res->body, "hello\n");
 *	}
 *
 *	struct httpd_options o = HTTPD_OPTIONS_INIT;
 *	struct httpd *h;
 *	if (httpd_start(&h, &o, hello, NULL) < 0)
 *		die(err_msg());
 *	printf("port %d\n", httpd_port(h));
 *	...
 *	httpd_stop(h);
 */
#ifndef UTIL_HTTPD_H
#define UTIL_HTTPD_H

#include <stddef.h>

#include "util/buf.h"

struct httpd;

struct httpd_header {
	char *name;
	char *value;
};

struct httpd_request {
	const char *method;
	/* The request target exactly as sent: path and query. */
	const char *target;
	/* The raw path (target up to '?') and query (after '?', or ""). */
	const char *path;
	const char *query;
	/* Headers in the order received, names as sent. */
	const struct httpd_header *headers;
	size_t headers_nr;
	/* The body, NUL-terminated; binary-safe by body_len. */
	const char *body;
	size_t body_len;
	/* Set when the body was larger than max_body (body is then empty). */
	int body_too_large;
	/* Set when the peer's address is a loopback address. */
	int loopback;
};

enum httpd_action {
	HTTPD_SEND = 0, /* send the response as it is */
	HTTPD_DROP,	/* close the connection without a response */
	HTTPD_TRUNCATE	/* announce the full length, send truncate_at, close */
};

struct httpd_response {
	int status;
	struct httpd_header *headers;
	size_t headers_nr, headers_alloc;
	/*
	 * The body. A 204 never carries one; for a 304, only the body's
	 * length is sent (as Content-Length), so a 304 can carry the 200's
	 * body to announce its length. For any other status an empty body
	 * goes out as "Content-Length: 0".
	 */
	struct buf body;
	enum httpd_action action;
	size_t truncate_at;
};

/*
 * Called once per request, in the connection's own thread, possibly in
 * several threads at once. The response starts as 500 with no headers and
 * an empty body.
 */
typedef void (*httpd_handler_fn)(const struct httpd_request *req,
				 struct httpd_response *res, void *payload);

struct httpd_options {
	const char *listen;    /* numeric address or host name */
	int port;	       /* 0 picks a free port */
	size_t max_body;       /* larger bodies set body_too_large */
	unsigned idle_timeout; /* seconds before an idle connection closes */
};

#define HTTPD_OPTIONS_INIT                                                     \
	{                                                                      \
		"127.0.0.1", 0, 32u << 20, 60                                  \
	}

/*
 * Starts serving in background threads. *out is owned by the caller and
 * released with httpd_stop. Returns 0, or -1 with a message (the address
 * cannot be resolved, the port is taken).
 */
int httpd_start(struct httpd **out, const struct httpd_options *opts,
		httpd_handler_fn fn, void *payload)
	__attribute__((warn_unused_result));
/* The port actually bound. */
int httpd_port(const struct httpd *h);
/*
 * Stops listening, waits for the connection threads to finish and frees h.
 * Accepts NULL.
 */
void httpd_stop(struct httpd *h);

/* The first header named name (case-insensitive), or NULL. */
const char *httpd_header(const struct httpd_request *req, const char *name);
/* Adds a response header; both strings are copied. */
void httpd_response_header(struct httpd_response *res, const char *name,
			   const char *value);
/* Removes every response header called name. */
void httpd_response_header_del(struct httpd_response *res, const char *name);
/* The value of a response header already set, or NULL. */
const char *httpd_response_get(const struct httpd_response *res,
			       const char *name);

/*
 * Appends the percent-decoded form of s[0..n) to out; with plus_space, '+'
 * becomes a space (form and query encoding). Returns 0, or ERR_INVALID on a
 * bad escape or an encoded NUL.
 */
int httpd_unescape(struct buf *out, const char *s, size_t n, int plus_space)
	__attribute__((warn_unused_result));
/* Appends s percent-encoded as a path segment (RFC 3986 unreserved kept). */
void httpd_escape(struct buf *out, const char *s);
/* Appends ms since the epoch as an HTTP date ("Sun, 06 Nov 1994 08:49:37 GMT").
 */
void httpd_format_date(struct buf *out, long long ms);
/*
 * Parses an HTTP date (IMF-fixdate, RFC 850 or asctime form). Returns 0 and
 * the time in ms since the epoch, or ERR_INVALID.
 */
int httpd_parse_date(long long *ms_out, const char *text)
	__attribute__((warn_unused_result));

#endif
