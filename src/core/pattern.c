/*
 * pattern: does a property pattern compile?
 *
 * Optimizely patterns are .NET regular expressions. There is no .NET regex
 * engine here, so the pattern is translated to POSIX extended syntax (the
 * common .NET-only constructs mapped to something of the same shape) and
 * given to regcomp. An approximation, documented in docs/validation.md.
 */
#include <pthread.h>
#include <regex.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/pattern.h"
#include "util/buf.h"
#include "util/xalloc.h"
#include "util/banned.h"

/* Regex repetition counts above this are clamped before regcomp. */
#define PATTERN_DUP_MAX 255

static int is_digit(int ch)
{
	return ch >= '0' && ch <= '9';
}

static int is_alpha(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

static int is_hex(int ch)
{
	return is_digit(ch) || (ch >= 'a' && ch <= 'f') ||
	       (ch >= 'A' && ch <= 'F');
}

struct rx {
	const char *s;
	size_t len, pos;
	int depth;
	struct buf out;
	struct buf why; /* set on the first error */
};

static int rx_fail(struct rx *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int rx_fail(struct rx *r, const char *fmt, ...)
{
	va_list ap;

	if (!r->why.len) {
		va_start(ap, fmt);
		buf_vaddf(&r->why, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int rx_peek(const struct rx *r, size_t ahead)
{
	return r->pos + ahead < r->len ? (unsigned char)r->s[r->pos + ahead]
				       : -1;
}

/* Decodes one UTF-8 character at r->pos (a stray byte stands for itself). */
static unsigned rx_char(struct rx *r)
{
	const unsigned char *p = (const unsigned char *)r->s + r->pos;
	size_t left = r->len - r->pos, n = 1;
	unsigned cp = p[0];

	if (cp >= 0xF0 && left >= 4)
		n = 4, cp &= 0x07;
	else if (cp >= 0xE0 && left >= 3)
		n = 3, cp &= 0x0F;
	else if (cp >= 0xC0 && left >= 2)
		n = 2, cp &= 0x1F;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xC0) != 0x80) {
			r->pos++;
			return p[0];
		}
		cp = (cp << 6) | (p[i] & 0x3F);
	}
	r->pos += n;
	return cp;
}

/* Skips n hex digits after the escape letter; fills *cp. */
static int rx_hex(struct rx *r, int n, unsigned *cp)
{
	*cp = 0;
	for (int i = 0; i < n; i++) {
		int ch = rx_peek(r, 0);

		if (ch < 0 || !is_hex(ch))
			return rx_fail(r, "insufficient hexadecimal digits");
		*cp = *cp * 16 + (unsigned)(is_digit(ch)
						    ? ch - '0'
						    : (ch | 0x20) - 'a' + 10);
		r->pos++;
	}
	return 0;
}

/* Skips "{Name}" after \p or \P. */
static int rx_skip_braced(struct rx *r)
{
	if (rx_peek(r, 0) != '{')
		return rx_fail(r, "malformed \\p{...} character class");
	while (r->pos < r->len && r->s[r->pos] != '}')
		r->pos++;
	if (r->pos >= r->len)
		return rx_fail(r, "malformed \\p{...} character class");
	r->pos++;
	return 0;
}

enum rx_item {
	RX_CHAR,  /* a single character (cp) */
	RX_CLASS, /* a shorthand class; text holds its bracket form or "" */
};

/*
 * One escape inside [...] after the backslash: a character or a class.
 * .NET rejects an unknown letter escape; so do we.
 */
static int rx_class_escape(struct rx *r, enum rx_item *kind, unsigned *cp,
			   const char **text)
{
	int ch = rx_peek(r, 0);

	*kind = RX_CHAR;
	*text = "";
	if (ch < 0)
		return rx_fail(r, "illegal \\ at end of pattern");
	if (!is_alpha(ch) && !is_digit(ch)) {
		*cp = rx_char(r);
		return 0;
	}
	r->pos++;
	switch (ch) {
	case 'd':
		*kind = RX_CLASS, *text = "[:digit:]";
		return 0;
	case 'w':
		*kind = RX_CLASS, *text = "[:alnum:]_";
		return 0;
	case 's':
		*kind = RX_CLASS, *text = "[:space:]";
		return 0;
	case 'D':
	case 'W':
	case 'S':
		*kind = RX_CLASS;
		return 0;
	case 'p':
	case 'P':
		*kind = RX_CLASS, *text = "[:alpha:]";
		return rx_skip_braced(r);
	case 'b':
		*cp = 8;
		return 0;
	case 't':
		*cp = 9;
		return 0;
	case 'n':
		*cp = 10;
		return 0;
	case 'v':
		*cp = 11;
		return 0;
	case 'f':
		*cp = 12;
		return 0;
	case 'r':
		*cp = 13;
		return 0;
	case 'e':
		*cp = 27;
		return 0;
	case 'a':
		*cp = 7;
		return 0;
	case 'x':
		return rx_hex(r, 2, cp);
	case 'u':
		return rx_hex(r, 4, cp);
	case 'c':
		if (!is_alpha(rx_peek(r, 0)))
			return rx_fail(r, "missing control character");
		*cp = (unsigned)(rx_peek(r, 0) & 0x1F);
		r->pos++;
		return 0;
	default:
		if (is_digit(ch)) {
			*cp = (unsigned)(ch - '0');
			for (int i = 0; i < 2 && rx_peek(r, 0) >= '0' &&
					rx_peek(r, 0) <= '7';
			     i++)
				*cp = *cp * 8 + (unsigned)(rx_peek(r, 0) - '0'),
				r->pos++;
			return 0;
		}
		return rx_fail(r, "unrecognized escape sequence '\\%c'", ch);
	}
}

/* Characters that need a fixed place inside an ERE bracket expression. */
static int rx_bracket_special(unsigned cp)
{
	return cp == ']' || cp == '-' || cp == '^' || cp == '[' || cp == '\\';
}

static int rx_printable(unsigned cp)
{
	return cp > 0x20 && cp < 0x7F;
}

/*
 * A character class at r->pos ('['). When emit is set, writes an ERE
 * bracket expression that accepts roughly the same characters; special
 * characters are moved to the places ERE wants them, characters it cannot
 * spell (non-ASCII, controls) are left out.
 */
static int rx_class(struct rx *r, int emit)
{
	struct buf body = BUF_INIT;
	int negate = 0, first = 1, closed = 0;
	int has_rb = 0, has_dash = 0, has_caret = 0, has_lb = 0, has_bs = 0;
	int items = 0, ret = -1;

	r->pos++;
	if (rx_peek(r, 0) == '^') {
		negate = 1;
		r->pos++;
	}
	while (r->pos < r->len) {
		enum rx_item kind = RX_CHAR;
		const char *text = "";
		unsigned lo, hi;
		int ch = rx_peek(r, 0);

		if (ch == ']' && !first) {
			r->pos++;
			closed = 1;
			break;
		}
		if (ch == '-' && !first && rx_peek(r, 1) == '[') {
			/* .NET class subtraction: [a-z-[aeiou]] */
			r->pos++;
			if (rx_class(r, 0) < 0)
				goto out;
			if (rx_peek(r, 0) != ']') {
				rx_fail(r, "a subtraction must be the last "
					   "element in a character class");
				goto out;
			}
			r->pos++;
			closed = 1;
			break;
		}
		first = 0;
		if (ch == '\\') {
			r->pos++;
			if (rx_class_escape(r, &kind, &lo, &text) < 0)
				goto out;
		} else {
			lo = rx_char(r);
		}
		if (kind == RX_CLASS) {
			buf_adds(&body, text);
			items++;
			continue;
		}
		if (rx_peek(r, 0) == '-' && rx_peek(r, 1) >= 0 &&
		    rx_peek(r, 1) != ']' && rx_peek(r, 1) != '[') {
			r->pos++;
			if (rx_peek(r, 0) == '\\') {
				r->pos++;
				if (rx_class_escape(r, &kind, &hi, &text) < 0)
					goto out;
				if (kind == RX_CLASS) {
					rx_fail(r, "cannot include a class in "
						   "a character range");
					goto out;
				}
			} else {
				hi = rx_char(r);
			}
			if (hi < lo) {
				rx_fail(r, "range in reverse order");
				goto out;
			}
			if (rx_printable(lo) && rx_printable(hi) &&
			    !rx_bracket_special(lo) &&
			    !rx_bracket_special(hi)) {
				buf_addf(&body, "%c-%c", (char)lo, (char)hi);
				items++;
			}
			continue;
		}
		if (lo == ']')
			has_rb = 1;
		else if (lo == '-')
			has_dash = 1;
		else if (lo == '^')
			has_caret = 1;
		else if (lo == '[')
			has_lb = 1;
		else if (lo == '\\')
			has_bs = 1;
		else if (rx_printable(lo))
			buf_addch(&body, (char)lo);
		else
			continue;
		items++;
	}
	if (!closed) {
		rx_fail(r, "unterminated [] set");
		goto out;
	}
	if (emit) {
		if (!items) {
			buf_addch(&r->out, '.');
		} else if (!negate && has_caret && items == 1) {
			buf_adds(&r->out, "\\^");
		} else {
			buf_addch(&r->out, '[');
			if (negate)
				buf_addch(&r->out, '^');
			if (has_rb)
				buf_addch(&r->out, ']');
			buf_add(&r->out, body.ptr, body.len);
			if (has_bs)
				buf_addch(&r->out, '\\');
			if (has_caret)
				buf_addch(&r->out, '^');
			if (has_lb)
				buf_addch(&r->out, '[');
			if (has_dash)
				buf_addch(&r->out, '-');
			buf_addch(&r->out, ']');
		}
	}
	ret = 0;
out:
	buf_release(&body);
	return ret;
}

/* An escape outside [...], after the backslash. */
static int rx_escape(struct rx *r)
{
	unsigned cp;
	int ch = rx_peek(r, 0);

	if (ch < 0)
		return rx_fail(r, "illegal \\ at end of pattern");
	if (ch >= 0x80) {
		rx_char(r);
		buf_addch(&r->out, '.');
		return 0;
	}
	if (!is_alpha(ch) && !is_digit(ch)) {
		/* An escaped punctuation character is itself. */
		r->pos++;
		buf_addch(&r->out, '\\');
		buf_addch(&r->out, (char)ch);
		return 0;
	}
	r->pos++;
	switch (ch) {
	case 'd':
		buf_adds(&r->out, "[0-9]");
		return 0;
	case 'D':
		buf_adds(&r->out, "[^0-9]");
		return 0;
	case 'w':
	case 'W':
	case 's':
	case 'S':
	case 'b':
	case 'B':
		/* GNU regcomp knows these. */
		buf_addch(&r->out, '\\');
		buf_addch(&r->out, (char)ch);
		return 0;
	case 'A':
		buf_addch(&r->out, '^');
		return 0;
	case 'z':
	case 'Z':
		buf_addch(&r->out, '$');
		return 0;
	case 'G':
		return 0;
	case 'p':
	case 'P':
		buf_addch(&r->out, '.');
		return rx_skip_braced(r);
	case 'k': {
		int close = rx_peek(r, 0) == '<'    ? '>'
			    : rx_peek(r, 0) == '\'' ? '\''
						    : 0;

		if (!close)
			return rx_fail(r, "malformed \\k<...> named back "
					  "reference");
		for (r->pos++; r->pos < r->len && r->s[r->pos] != close;)
			r->pos++;
		if (r->pos >= r->len)
			return rx_fail(r, "malformed \\k<...> named back "
					  "reference");
		r->pos++;
		buf_addch(&r->out, '.');
		return 0;
	}
	case 'x':
	case 'u':
		if (rx_hex(r, ch == 'x' ? 2 : 4, &cp) < 0)
			return -1;
		buf_addch(&r->out, '.');
		return 0;
	case 'c':
		if (!is_alpha(rx_peek(r, 0)))
			return rx_fail(r, "missing control character");
		r->pos++;
		buf_addch(&r->out, '.');
		return 0;
	case 't':
	case 'n':
	case 'v':
	case 'f':
	case 'r':
	case 'e':
	case 'a':
		buf_addch(&r->out, '.');
		return 0;
	case '0':
		for (int i = 0;
		     i < 2 && rx_peek(r, 0) >= '0' && rx_peek(r, 0) <= '7'; i++)
			r->pos++;
		buf_addch(&r->out, '.');
		return 0;
	default:
		if (is_digit(ch)) {
			/* A back reference; regcomp checks that it exists. */
			buf_addch(&r->out, '\\');
			buf_addch(&r->out, (char)ch);
			while (is_digit(rx_peek(r, 0)))
				r->pos++;
			return 0;
		}
		return rx_fail(r, "unrecognized escape sequence '\\%c'", ch);
	}
}

/* "(" at r->pos: plain groups, and the .NET "(?...)" constructs. */
static int rx_group(struct rx *r)
{
	int ch;

	r->pos++;
	if (rx_peek(r, 0) != '?') {
		r->depth++;
		buf_addch(&r->out, '(');
		return 0;
	}
	r->pos++;
	ch = rx_peek(r, 0);
	if (ch == ':' || ch == '=' || ch == '!' || ch == '>') {
		r->pos++;
	} else if (ch == '<' &&
		   (rx_peek(r, 1) == '=' || rx_peek(r, 1) == '!')) {
		r->pos += 2;
	} else if (ch == '<' || ch == '\'') {
		int close = ch == '<' ? '>' : '\'';

		for (r->pos++; r->pos < r->len && r->s[r->pos] != close;)
			r->pos++;
		if (r->pos >= r->len)
			return rx_fail(r, "unterminated group name");
		r->pos++;
	} else if (ch == '#') {
		while (r->pos < r->len && r->s[r->pos] != ')')
			r->pos++;
		if (r->pos >= r->len)
			return rx_fail(r, "unterminated (?#...) comment");
		r->pos++;
		return 0;
	} else if (ch == '(') {
		/* A conditional: (?(cond)yes|no) becomes ((cond)yes|no). */
	} else {
		size_t start = r->pos;

		while (r->pos < r->len && strchr("imnsx-", r->s[r->pos]))
			r->pos++;
		if (r->pos == start || r->pos >= r->len ||
		    (r->s[r->pos] != ')' && r->s[r->pos] != ':'))
			return rx_fail(r, "unrecognized grouping construct");
		if (r->s[r->pos++] == ')')
			return 0; /* inline options: (?i) */
	}
	r->depth++;
	buf_addch(&r->out, '(');
	return 0;
}

/* Reads a repetition count, saturating. */
static long rx_count(struct rx *r)
{
	long v = 0;

	while (is_digit(rx_peek(r, 0))) {
		if (v < 1000000)
			v = v * 10 + (rx_peek(r, 0) - '0');
		r->pos++;
	}
	return v;
}

/* "{" at r->pos: a quantifier {n}, {n,}, {n,m}, or a literal brace. */
static int rx_brace(struct rx *r)
{
	size_t save = r->pos;
	long lo, hi = -1;
	int open_ended = 0;

	r->pos++;
	if (!is_digit(rx_peek(r, 0)))
		goto literal;
	lo = rx_count(r);
	if (rx_peek(r, 0) == ',') {
		r->pos++;
		if (is_digit(rx_peek(r, 0)))
			hi = rx_count(r);
		else
			open_ended = 1;
	} else {
		hi = lo;
	}
	if (rx_peek(r, 0) != '}')
		goto literal;
	r->pos++;
	if (!open_ended && hi < lo)
		return rx_fail(r, "illegal {x,y} with x > y");
	if (lo > PATTERN_DUP_MAX)
		lo = PATTERN_DUP_MAX;
	if (hi > PATTERN_DUP_MAX)
		hi = PATTERN_DUP_MAX;
	if (open_ended)
		buf_addf(&r->out, "{%ld,}", lo);
	else
		buf_addf(&r->out, "{%ld,%ld}", lo, hi);
	return 0;
literal:
	r->pos = save + 1;
	buf_adds(&r->out, "\\{");
	return 0;
}

/*
 * Checks that a pattern compiles. Patterns are .NET regular expressions;
 * they are translated to POSIX extended syntax (the common .NET-only
 * constructs mapped to something of the same shape) and given to regcomp.
 * This is an approximation: see docs/validation.md. Returns 0, or -1 with
 * the reason in *why.
 */
static int check_uncached(const char *pat, size_t len, struct buf *why)
{
	struct rx r = {pat, len, 0, 0, BUF_INIT, BUF_INIT};
	regex_t re;
	int ret = -1, rc;

	if (strlen(pat) != len) {
		buf_adds(why, "it contains a NUL character");
		goto out;
	}
	while (r.pos < r.len && !r.why.len) {
		int ch = (unsigned char)r.s[r.pos];

		switch (ch) {
		case '\\':
			r.pos++;
			rx_escape(&r);
			break;
		case '[':
			rx_class(&r, 1);
			break;
		case '(':
			rx_group(&r);
			break;
		case ')':
			if (!r.depth) {
				rx_fail(&r, "too many )'s");
				break;
			}
			r.depth--;
			r.pos++;
			buf_addch(&r.out, ')');
			break;
		case '{':
			rx_brace(&r);
			break;
		default:
			buf_addch(&r.out, (char)ch);
			r.pos++;
			break;
		}
	}
	if (!r.why.len && r.depth)
		rx_fail(&r, "not enough )'s");
	if (r.why.len) {
		buf_add(why, r.why.ptr, r.why.len);
		goto out;
	}
	rc = regcomp(&re, r.out.ptr, REG_EXTENDED | REG_NOSUB);
	if (rc) {
		char msg[256];

		regerror(rc, &re, msg, sizeof(msg));
		if (msg[0] >= 'A' && msg[0] <= 'Z')
			msg[0] = (char)(msg[0] - 'A' + 'a');
		buf_adds(why, msg);
		goto out;
	}
	regfree(&re);
	ret = 0;
out:
	buf_release(&r.out);
	buf_release(&r.why);
	return ret;
}

/*
 * The verdicts of the patterns checked so far. A model repeats a handful of
 * patterns on thousands of fields (and stages 1 and 2 both check each one),
 * and regcomp is the dearest part of validation, so each pattern is
 * compiled once per process. The cache is shared by every thread, under
 * cache_lock; it stops growing at PATTERN_CACHE_MAX entries (later patterns
 * are checked every time) and is never freed.
 */
#define PATTERN_CACHE_SLOTS 1024 /* a power of two */
#define PATTERN_CACHE_MAX 512
/* Longer patterns are not cached. */
#define PATTERN_CACHE_LEN 1024

struct verdict {
	char *pat; /* NULL: a free slot */
	size_t len;
	char *why; /* NULL when it compiles */
};

static struct verdict cache[PATTERN_CACHE_SLOTS];
static size_t cache_nr;
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

/* The slot of pat: its verdict, or the free slot where it would go. */
static struct verdict *cache_slot(const char *pat, size_t len)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)pat[i]) * 16777619u;
	for (i = h & (PATTERN_CACHE_SLOTS - 1);;
	     i = (i + 1) & (PATTERN_CACHE_SLOTS - 1)) {
		struct verdict *v = &cache[i];

		if (!v->pat || (v->len == len && !memcmp(v->pat, pat, len)))
			return v;
	}
}

int pattern_check(const char *pat, size_t len, struct buf *why)
{
	struct buf mine = BUF_INIT;
	struct verdict *v;
	int ret;

	if (len > PATTERN_CACHE_LEN)
		return check_uncached(pat, len, why);
	pthread_mutex_lock(&cache_lock);
	v = cache_slot(pat, len);
	if (v->pat) {
		if (v->why)
			buf_adds(why, v->why);
		ret = v->why ? -1 : 0;
		pthread_mutex_unlock(&cache_lock);
		return ret;
	}
	pthread_mutex_unlock(&cache_lock);

	ret = check_uncached(pat, len, &mine);
	buf_add(why, mine.ptr, mine.len);

	pthread_mutex_lock(&cache_lock);
	v = cache_slot(pat, len);
	if (!v->pat && cache_nr < PATTERN_CACHE_MAX) {
		v->pat = xmalloc(len + 1);
		memcpy(v->pat, pat, len);
		v->pat[len] = '\0';
		v->len = len;
		v->why = ret < 0 ? buf_detach(&mine, NULL) : NULL;
		cache_nr++;
	}
	pthread_mutex_unlock(&cache_lock);
	buf_release(&mine);
	return ret;
}
