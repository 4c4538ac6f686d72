#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/buf.h"
#include "util/err.h"

#define ERR_MSG_MAX 2048

static _Thread_local char err_buf[ERR_MSG_MAX];
static _Thread_local int err_last = ERR_OK;

int err_set(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err_buf, sizeof(err_buf), fmt, ap);
	va_end(ap);
	err_last = code;
	return code;
}

int err_prefix(const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	size_t n;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	if (err_buf[0])
		buf_addf(&b, ": %s", err_buf);
	n = b.len < sizeof(err_buf) - 1 ? b.len : sizeof(err_buf) - 1;
	memcpy(err_buf, b.ptr, n);
	err_buf[n] = '\0';
	buf_release(&b);
	return err_last;
}

const char *err_msg(void)
{
	return err_buf;
}

int err_code(void)
{
	return err_last;
}

void err_clear(void)
{
	err_buf[0] = '\0';
	err_last = ERR_OK;
}

const char *err_code_name(int code)
{
	switch (code) {
	case ERR_OK:
		return "ok";
	case ERR_NOTFOUND:
		return "not found";
	case ERR_CONFLICT:
		return "conflict";
	case ERR_AUTH:
		return "authentication";
	case ERR_RATELIMIT:
		return "rate limited";
	case ERR_TIMEOUT:
		return "timeout";
	case ERR_INVALID:
		return "invalid";
	case ERR_REMOTE:
		return "remote";
	case ERR_USAGE:
		return "usage";
	case ERR_ATTENTION:
		return "attention";
	default:
		return "error";
	}
}
