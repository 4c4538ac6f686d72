/*
 * buf: a growable byte buffer.
 *
 * ptr is never NULL and always NUL-terminated, so a struct buf can be used as
 * a C string at any time; len counts the bytes, so it is binary-safe too.
 * Appends abort on out-of-memory and return nothing. Readers of untrusted
 * input check their own size limits before appending (see buf_add_capped).
 *
 *	struct buf b = BUF_INIT;
 *	buf_addf(&b, "%d types", n);
 *	puts(b.ptr);
 *	buf_release(&b);
 */
#ifndef UTIL_BUF_H
#define UTIL_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *ptr;
	size_t len;
	size_t cap;
};

extern char buf_empty_[1];
#define BUF_INIT { buf_empty_, 0, 0 }

void buf_init(struct buf *b, size_t hint);
/* Frees the contents; the buffer is empty and usable afterwards. */
void buf_release(struct buf *b);
/* Empties the buffer, keeping its memory. */
void buf_reset(struct buf *b);
/* Ensures room for extra more bytes (plus the NUL). */
void buf_grow(struct buf *b, size_t extra);
void buf_setlen(struct buf *b, size_t len);
void buf_add(struct buf *b, const void *p, size_t n);
void buf_adds(struct buf *b, const char *s);
void buf_addch(struct buf *b, int c);
void buf_addf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void buf_vaddf(struct buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/*
 * Appends n bytes unless that would make the buffer longer than max.
 * Returns 0, or -1 (and appends nothing) when the cap would be exceeded.
 */
int buf_add_capped(struct buf *b, const void *p, size_t n, size_t max)
	__attribute__((warn_unused_result));
/* Returns the contents as a malloc'd string the caller frees; b is reset. */
char *buf_detach(struct buf *b, size_t *len_out);
/* Removes trailing whitespace. */
void buf_rtrim(struct buf *b);

#endif
