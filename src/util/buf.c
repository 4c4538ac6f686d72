#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/xalloc.h"

char buf_empty_[1];

void buf_init(struct buf *b, size_t hint)
{
	b->ptr = buf_empty_;
	b->len = 0;
	b->cap = 0;
	if (hint)
		buf_grow(b, hint);
}

void buf_release(struct buf *b)
{
	if (b->cap)
		free(b->ptr);
	buf_init(b, 0);
}

void buf_reset(struct buf *b)
{
	buf_setlen(b, 0);
}

void buf_grow(struct buf *b, size_t extra)
{
	size_t need;

	if (extra > (size_t)-1 - b->len - 1) {
		fprintf(stderr, "fatal: buffer size overflow\n");
		abort();
	}
	need = b->len + extra + 1;
	if (need <= b->cap)
		return;
	if (!b->cap)
		b->ptr = NULL;
	if (need < b->cap * 2)
		need = b->cap * 2;
	if (need < 64)
		need = 64;
	b->ptr = xrealloc(b->ptr, need);
	if (!b->cap)
		b->ptr[0] = '\0';
	b->cap = need;
}

void buf_setlen(struct buf *b, size_t len)
{
	if (len > (b->cap ? b->cap - 1 : 0)) {
		fprintf(stderr, "BUG: buf_setlen beyond capacity\n");
		abort();
	}
	b->len = len;
	/* A buffer that never grew points at the shared empty string,
	 * which already ends in NUL: writing it would race between
	 * threads. */
	if (b->cap)
		b->ptr[len] = '\0';
}

void buf_add(struct buf *b, const void *p, size_t n)
{
	if (!n)
		return;
	buf_grow(b, n);
	memcpy(b->ptr + b->len, p, n);
	buf_setlen(b, b->len + n);
}

void buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void buf_addch(struct buf *b, int c)
{
	buf_grow(b, 1);
	b->ptr[b->len] = (char)c;
	buf_setlen(b, b->len + 1);
}

void buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	buf_grow(b, 64);
	va_copy(cp, ap);
	n = vsnprintf(b->ptr + b->len, b->cap - b->len, fmt, cp);
	va_end(cp);
	if (n < 0) {
		fprintf(stderr, "BUG: vsnprintf failed\n");
		abort();
	}
	if ((size_t)n >= b->cap - b->len) {
		buf_grow(b, (size_t)n);
		n = vsnprintf(b->ptr + b->len, b->cap - b->len, fmt, ap);
	}
	buf_setlen(b, b->len + (size_t)n);
}

void buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(b, fmt, ap);
	va_end(ap);
}

int buf_add_capped(struct buf *b, const void *p, size_t n, size_t max)
{
	if (n > max || b->len > max - n)
		return -1;
	buf_add(b, p, n);
	return 0;
}

char *buf_detach(struct buf *b, size_t *len_out)
{
	char *p;

	if (len_out)
		*len_out = b->len;
	if (!b->cap)
		p = xstrdup("");
	else
		p = b->ptr;
	buf_init(b, 0);
	return p;
}

void buf_rtrim(struct buf *b)
{
	size_t n = b->len;

	while (n && (b->ptr[n - 1] == ' ' || b->ptr[n - 1] == '\t' ||
		     b->ptr[n - 1] == '\n' || b->ptr[n - 1] == '\r'))
		n--;
	if (b->cap)
		buf_setlen(b, n);
}
