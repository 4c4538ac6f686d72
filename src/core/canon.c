#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/canon.h"
#include "core/tform.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/sha256.h"
#include "util/xalloc.h"
#include "util/banned.h"

/*
 * Where the canonical text goes: a growable byte area that starts in the
 * caller's frame (most documents fit) and moves to the heap when it does
 * not. Hashing reads it in one piece; canon_json copies it out at the end,
 * so a failure leaves the caller's buffer as it was.
 */
struct sink {
	char *ptr;
	size_t len, cap;
	char *heap; /* ptr once it has moved to the heap */
};

/* The size of the area in the frame of canon_hash and canon_json. */
#define CANON_STACK_BYTES 16384

static void sink_init(struct sink *s, char *area, size_t size)
{
	s->ptr = area;
	s->len = 0;
	s->cap = size;
	s->heap = NULL;
}

static void sink_grow(struct sink *s, size_t n)
{
	size_t cap = s->cap * 2;

	if (cap < s->len + n)
		cap = s->len + n;
	if (s->heap) {
		s->heap = xrealloc(s->heap, cap);
	} else {
		s->heap = xmalloc(cap);
		memcpy(s->heap, s->ptr, s->len);
	}
	s->ptr = s->heap;
	s->cap = cap;
}

static inline void sink_add(struct sink *s, const char *p, size_t n)
{
	if (s->cap - s->len < n)
		sink_grow(s, n);
	memcpy(s->ptr + s->len, p, n);
	s->len += n;
}

static inline void sink_addch(struct sink *s, char ch)
{
	if (s->cap == s->len)
		sink_grow(s, 1);
	s->ptr[s->len++] = ch;
}

static void sink_release(struct sink *s)
{
	free(s->heap);
}

/*
 * What an object is, for the content hash (canon_content_hash): the members
 * that are identity, not content, are left out as the object is written, so
 * that hashing a form copies nothing.
 */
enum canon_mode {
	MODE_PLAIN,  /* every member */
	MODE_FORM,   /* a Catalyst form: no "id" or "websiteId" */
	MODE_FIELDS, /* its fields, or a field's nested fields, by name */
	MODE_FIELD,  /* one field: no "id" */
	MODE_RELS,   /* its relationships, by name */
	MODE_REL,    /* one relationship: no "id" */
	/* The owned members of a canonical target document (core/tform),
	 * for canon_owned_hash: */
	MODE_TTYPE,  /* the type: its owned members */
	MODE_TPROPS, /* its properties, by key */
	MODE_TPROP,  /* one property: its owned members */
	MODE_TITEMS, /* a property's items: their owned members */
};

/*
 * The walk over a value. On failure the leaf records why, and each
 * container on the way back up puts its step in front of path, so the
 * message names where the bad value is without costing anything on success.
 */
struct canon_ctx {
	struct sink *out;
	const char *reason;
	struct buf path;
};

/* An object member, for sorting. */
struct canon_member {
	const char *key;
	size_t key_len;
	json_t *value;
	int plain; /* the key is printable ASCII with nothing to escape */
};

#define UTF8_BAD UINT32_MAX

/*
 * Decodes the code point at s[*i] and advances *i past it. Returns UTF8_BAD
 * for anything RFC 3629 forbids: stray continuation bytes, truncated or
 * overlong sequences, surrogates and values above U+10FFFF.
 */
static uint32_t utf8_next(const unsigned char *s, size_t len, size_t *i)
{
	static const uint32_t min_cp[] = {0, 0, 0x80, 0x800, 0x10000};
	unsigned char c = s[*i];
	uint32_t cp;
	size_t n;

	if (c < 0x80) {
		(*i)++;
		return c;
	} else if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		cp = c & 0x07;
	} else {
		return UTF8_BAD;
	}
	if (len - *i < n)
		return UTF8_BAD;
	for (size_t k = 1; k < n; k++) {
		if ((s[*i + k] & 0xc0) != 0x80)
			return UTF8_BAD;
		cp = (cp << 6) | (s[*i + k] & 0x3f);
	}
	if (cp < min_cp[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return UTF8_BAD;
	*i += n;
	return cp;
}

/* Printable ASCII other than '"' and '\\': written as it is. */
static inline int is_plain(unsigned char ch)
{
	return ch >= 0x20 && ch < 0x80 && ch != '"' && ch != '\\';
}

/*
 * Whether s is valid UTF-8; *plain_out tells whether every byte is_plain
 * (then the string is written as it is, between quotes).
 */
static int utf8_valid(const char *s, size_t len, int *plain_out)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;
	int plain = 1;

	while (i < len) {
		if (is_plain(u[i])) {
			i++;
			continue;
		}
		plain = 0;
		if (u[i] < 0x80)
			i++;
		else if (utf8_next(u, len, &i) == UTF8_BAD)
			return 0;
	}
	*plain_out = plain;
	return 1;
}

/*
 * UTF-8 byte order is code point order, and UTF-16 order differs from it
 * only between a character in U+E000..U+FFFF (lead byte 0xEE or 0xEF) and
 * one above U+FFFF (lead byte 0xF0..0xF4), where the surrogate pair sorts
 * first. At the first byte that differs, both bytes are leads of that pair
 * of classes only then (continuation bytes are below 0xC0), so one byte
 * comparison decides.
 */
static int member_cmp(const void *a_, const void *b_)
{
	const struct canon_member *a = a_, *b = b_;
	size_t n = a->key_len < b->key_len ? a->key_len : b->key_len;
	const unsigned char *x = (const unsigned char *)a->key;
	const unsigned char *y = (const unsigned char *)b->key;

	for (size_t i = 0; i < n; i++) {
		if (x[i] == y[i])
			continue;
		if (x[i] >= 0xee && y[i] >= 0xee && (x[i] >= 0xf0) != (y[i] >= 0xf0))
			return x[i] >= 0xf0 ? -1 : 1;
		return x[i] < y[i] ? -1 : 1;
	}
	return a->key_len < b->key_len ? -1 : a->key_len > b->key_len;
}

/* The two-character escape of RFC 8785 §3.2.2.2 for cp, or NULL. */
static const char *short_escape(uint32_t cp)
{
	switch (cp) {
	case '\b':
		return "\\b";
	case '\t':
		return "\\t";
	case '\n':
		return "\\n";
	case '\f':
		return "\\f";
	case '\r':
		return "\\r";
	case '"':
		return "\\\"";
	case '\\':
		return "\\\\";
	default:
		return NULL;
	}
}

/*
 * Appends s as a JSON string: the short escapes, \u00xx for the other
 * control characters, and everything else as the UTF-8 it already is.
 */
static int add_string(struct canon_ctx *c, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	size_t run = 0, i = 0;

	sink_addch(c->out, '"');
	while (i < len) {
		size_t at = i;
		uint32_t cp;
		const char *esc;

		/* Plain printable ASCII joins the run without decoding. */
		if (is_plain(u[i])) {
			while (++i < len && is_plain(u[i]))
				;
			continue;
		}
		cp = utf8_next(u, len, &i);

		if (cp == UTF8_BAD) {
			c->reason = "invalid UTF-8 in a string";
			return ERR_INVALID;
		}
		esc = short_escape(cp);
		if (!esc && cp >= 0x20)
			continue; /* literal: it joins the current run */
		sink_add(c->out, s + run, at - run);
		if (esc) {
			sink_add(c->out, esc, 2);
		} else {
			/* \u00xx: the other control characters */
			char u4[6] = {'\\', 'u',	  '0',
				      '0',  hex[cp >> 4], hex[cp & 15]};

			sink_add(c->out, u4, sizeof(u4));
		}
		run = i;
	}
	sink_add(c->out, s + run, len - run);
	sink_addch(c->out, '"');
	return 0;
}

/*
 * The shortest decimal m * 10^(e - p + 1) (m of p digits, or fewer once
 * trailing zeros go) that strtod reads back as d, for finite d > 0.
 *
 * printf's correctly rounded p-digit value is the closest candidate, so it
 * wins whenever it round-trips. At a power of two the doubles below d are
 * twice as dense as those above, and the closest p-digit value can fall just
 * outside the narrow side while its neighbour on the wide side still reads
 * back as d (2^172 needs 16 digits, not 17), so the neighbours are tried too.
 *
 * Candidates are written as "<integer>e<exp>", which has no radix point, so
 * neither printing nor reading depends on LC_NUMERIC.
 */
static void shortest_digits(double d, uint64_t *m_out, int *p_out, int *e_out)
{
	char tmp[64];
	int exp2;
	/* Only a power of two has the lopsided gap, so spare the others. */
	int tries = frexp(d, &exp2) == 0.5 ? 3 : 1;

	for (int p = 1; p <= 17; p++) {
		uint64_t m = 0, lo = 1, cand[3];
		int e, ce[3];
		char *s;

		snprintf(tmp, sizeof(tmp), "%.*e", p - 1, d);
		for (s = tmp; *s != 'e'; s++)
			if (*s >= '0' && *s <= '9')
				m = m * 10 + (uint64_t)(*s - '0');
		e = (int)strtol(s + 1, NULL, 10);
		for (int k = 1; k < p; k++)
			lo *= 10;

		cand[0] = m, ce[0] = e;
		cand[1] = m + 1, ce[1] = e;
		if (cand[1] == lo * 10)
			cand[1] = lo, ce[1] = e + 1;
		cand[2] = m - 1, ce[2] = e;
		if (cand[2] < lo)
			cand[2] = lo * 10 - 1, ce[2] = e - 1;

		for (int k = 0; k < tries; k++) {
			snprintf(tmp, sizeof(tmp), "%" PRIu64 "e%d", cand[k],
				 ce[k] - p + 1);
			if (strtod(tmp, NULL) == d) {
				*m_out = cand[k];
				*p_out = p;
				*e_out = ce[k];
				return;
			}
		}
	}
	/* 17 significant digits always identify a double. */
	fprintf(stderr, "BUG: no round-trip decimal for %a\n", d);
	abort();
}

/* The longest text number_text writes ("-0.000001234567890123456"...). */
#define CANON_NUMBER_MAX 40

/* Appends n copies of ch at p; returns the new end. */
static char *fill(char *p, char ch, int n)
{
	for (int i = 0; i < n; i++)
		*p++ = ch;
	return p;
}

/* canon_number's text into out (no NUL); returns its length. */
static size_t number_text(char *out, double d)
{
	char digits[24];
	char *p = out;
	uint64_t m;
	int k, n, e;

	assert(isfinite(d));
	if (d == 0) {
		*p++ = '0'; /* -0 too */
		return 1;
	}
	if (d < 0) {
		*p++ = '-';
		d = -d;
	}
	if (d < 9007199254740992.0 && d == (double)(uint64_t)d) {
		/* An integer below 2^53 prints as its digits in every form. */
		char tmp[24];
		size_t at = sizeof(tmp);

		for (m = (uint64_t)d; m; m /= 10)
			tmp[--at] = (char)('0' + m % 10);
		memcpy(p, tmp + at, sizeof(tmp) - at);
		return (size_t)(p - out) + sizeof(tmp) - at;
	}
	shortest_digits(d, &m, &k, &e);
	while (m % 10 == 0) {
		m /= 10;
		k--;
	}
	snprintf(digits, sizeof(digits), "%" PRIu64, m);

	/*
	 * ECMA-262 Number::toString: the value is 0.digits * 10^n with k
	 * digits; n decides between integer, fixed and exponent notation.
	 */
	n = e + 1;
	if (k <= n && n <= 21) {
		memcpy(p, digits, (size_t)k);
		p = fill(p + k, '0', n - k);
	} else if (0 < n && n <= 21) {
		memcpy(p, digits, (size_t)n);
		p += n;
		*p++ = '.';
		memcpy(p, digits + n, (size_t)(k - n));
		p += k - n;
	} else if (-6 < n && n <= 0) {
		*p++ = '0';
		*p++ = '.';
		p = fill(p, '0', -n);
		memcpy(p, digits, (size_t)k);
		p += k;
	} else {
		*p++ = digits[0];
		if (k > 1) {
			*p++ = '.';
			memcpy(p, digits + 1, (size_t)(k - 1));
			p += k - 1;
		}
		p += snprintf(p, CANON_NUMBER_MAX - (size_t)(p - out), "e%c%d",
			      n - 1 < 0 ? '-' : '+', abs(n - 1));
	}
	return (size_t)(p - out);
}

void canon_number(struct buf *out, double d)
{
	char text[CANON_NUMBER_MAX];

	buf_add(out, text, number_text(text, d));
}

/* Puts "/<step>" in front of the error path (JSON Pointer escaping). */
static void path_prepend(struct canon_ctx *c, const char *key, size_t len)
{
	struct buf step = BUF_INIT;

	buf_addch(&step, '/');
	for (size_t i = 0; i < len; i++) {
		if (key[i] == '~')
			buf_adds(&step, "~0");
		else if (key[i] == '/')
			buf_adds(&step, "~1");
		else
			buf_addch(&step, key[i]);
	}
	buf_add(&step, c->path.ptr, c->path.len);
	buf_release(&c->path);
	c->path = step;
}

static int add_value(struct canon_ctx *c, const json_t *v,
		     enum canon_mode mode);

/* Objects up to this size sort their members in the frame. */
#define CANON_SMALL_OBJECT 32

/* Whether member key of an object of this mode is left out. */
static int skipped(enum canon_mode mode, const char *key, size_t len)
{
	switch (mode) {
	case MODE_FORM:
		return (len == 2 && !memcmp(key, "id", 2)) ||
		       (len == 9 && !memcmp(key, "websiteId", 9));
	case MODE_FIELD:
	case MODE_REL:
		return len == 2 && !memcmp(key, "id", 2);
	case MODE_TTYPE:
		return !tform_type_member_owned(key);
	case MODE_TPROP:
	case MODE_TITEMS:
		return !tform_property_member_owned(key);
	default:
		return 0;
	}
}

/* The mode of member key (whose value is v) of an object of this mode. */
static enum canon_mode member_mode(enum canon_mode mode, const char *key,
				   size_t len, const json_t *v)
{
	if (!json_is_object(v))
		return MODE_PLAIN;
	switch (mode) {
	case MODE_FORM:
		if (len == 6 && !memcmp(key, "fields", 6))
			return MODE_FIELDS;
		if (len == 13 && !memcmp(key, "relationships", 13))
			return MODE_RELS;
		return MODE_PLAIN;
	case MODE_FIELD:
		return len == 6 && !memcmp(key, "fields", 6) ? MODE_FIELDS
							     : MODE_PLAIN;
	case MODE_FIELDS:
		return MODE_FIELD;
	case MODE_RELS:
		return MODE_REL;
	case MODE_TTYPE:
		return len == 10 && !memcmp(key, "properties", 10)
			       ? MODE_TPROPS
			       : MODE_PLAIN;
	case MODE_TPROPS:
		return MODE_TPROP;
	case MODE_TPROP:
		return len == 5 && !memcmp(key, "items", 5) ? MODE_TITEMS
							    : MODE_PLAIN;
	default:
		return MODE_PLAIN;
	}
}

/* Sorts members; small objects (most) by insertion, in place. */
static void sort_members(struct canon_member *mb, size_t nr)
{
	if (nr > 16) {
		qsort(mb, nr, sizeof(*mb), member_cmp);
		return;
	}
	for (size_t i = 1; i < nr; i++) {
		struct canon_member t = mb[i];
		size_t j = i;

		for (; j && member_cmp(&mb[j - 1], &t) > 0; j--)
			mb[j] = mb[j - 1];
		mb[j] = t;
	}
}

static int add_object(struct canon_ctx *c, const json_t *v,
		      enum canon_mode mode)
{
	struct canon_member small[CANON_SMALL_OBJECT];
	struct canon_member *members = small, *heap = NULL;
	size_t nr = 0, size = json_object_size(v);
	void *iter;
	int ret = -1;

	if (size > CANON_SMALL_OBJECT)
		members = heap = xcalloc(size, sizeof(*members));
	for (iter = json_object_iter((json_t *)v); iter;
	     iter = json_object_iter_next((json_t *)v, iter)) {
		struct canon_member *mb = &members[nr];

		mb->key = json_object_iter_key(iter);
		mb->key_len = json_object_iter_key_len(iter);
		if (skipped(mode, mb->key, mb->key_len))
			continue;
		mb->value = json_object_iter_value(iter);
		nr++;
		if (!utf8_valid(mb->key, mb->key_len, &mb->plain)) {
			c->reason = "invalid UTF-8 in an object key";
			ret = ERR_INVALID;
			goto out;
		}
	}
	sort_members(members, nr);

	sink_addch(c->out, '{');
	for (size_t i = 0; i < nr; i++) {
		if (i)
			sink_addch(c->out, ',');
		if (members[i].plain) {
			sink_addch(c->out, '"');
			sink_add(c->out, members[i].key, members[i].key_len);
			sink_add(c->out, "\":", 2);
		} else {
			ret = add_string(c, members[i].key, members[i].key_len);
			assert(!ret); /* validated above */
			sink_addch(c->out, ':');
		}
		ret = add_value(c, members[i].value,
				member_mode(mode, members[i].key,
					    members[i].key_len,
					    members[i].value));
		if (ret) {
			path_prepend(c, members[i].key, members[i].key_len);
			goto out;
		}
	}
	sink_addch(c->out, '}');
	ret = 0;
out:
	free(heap);
	return ret;
}

static int add_array(struct canon_ctx *c, const json_t *v)
{
	char step[32];
	int ret;

	sink_addch(c->out, '[');
	for (size_t i = 0; i < json_array_size(v); i++) {
		if (i)
			sink_addch(c->out, ',');
		ret = add_value(c, json_array_get(v, i), MODE_PLAIN);
		if (ret) {
			snprintf(step, sizeof(step), "%zu", i);
			path_prepend(c, step, strlen(step));
			return ret;
		}
	}
	sink_addch(c->out, ']');
	return 0;
}

static int add_number(struct canon_ctx *c, double d)
{
	char text[CANON_NUMBER_MAX];

	if (!isfinite(d)) {
		/* jansson refuses to make these; never hash one regardless. */
		c->reason = "NaN or Infinity is not a JSON number";
		return ERR_INVALID;
	}
	sink_add(c->out, text, number_text(text, d));
	return 0;
}

static int add_value(struct canon_ctx *c, const json_t *v, enum canon_mode mode)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return add_object(c, v, mode);
	case JSON_ARRAY:
		return add_array(c, v);
	case JSON_STRING:
		return add_string(c, json_string_value(v),
				  json_string_length(v));
	case JSON_INTEGER:
		/* RFC 8785 numbers are IEEE doubles, integers included. */
		return add_number(c, (double)json_integer_value(v));
	case JSON_REAL:
		return add_number(c, json_real_value(v));
	case JSON_TRUE:
		sink_add(c->out, "true", 4);
		return 0;
	case JSON_FALSE:
		sink_add(c->out, "false", 5);
		return 0;
	case JSON_NULL:
		sink_add(c->out, "null", 4);
		return 0;
	}
	assert(!"unknown jansson type");
	return -1;
}

/*
 * Writes the canonical form of v (an object of mode, or any value) to out;
 * on failure records the message and returns its code, out then holding a
 * partial document.
 */
static int serialize(struct sink *out, const json_t *v, enum canon_mode mode)
{
	struct canon_ctx c = {out, NULL, BUF_INIT};
	int ret;

	ret = add_value(&c, v, mode);
	if (ret) {
		if (c.path.len)
			err_set(ret, "cannot canonicalize JSON: %s at '%s'",
				c.reason, c.path.ptr);
		else
			err_set(ret, "cannot canonicalize JSON: %s", c.reason);
	}
	buf_release(&c.path);
	return ret;
}

int canon_json(struct buf *out, const json_t *v)
{
	char area[CANON_STACK_BYTES];
	struct sink s;
	int ret;

	/* On failure out stays as it was: no half-written document. */
	sink_init(&s, area, sizeof(area));
	ret = serialize(&s, v, MODE_PLAIN);
	if (!ret)
		buf_add(out, s.ptr, s.len);
	sink_release(&s);
	return ret;
}

/* The hash of the canonical text of v, serialized in mode. */
static int hash_mode(char out[CANON_HASH_LEN + 1], const json_t *v,
		     enum canon_mode mode)
{
	char area[CANON_STACK_BYTES];
	struct sink s;
	int ret;

	out[0] = '\0';
	sink_init(&s, area, sizeof(area));
	ret = serialize(&s, v, mode);
	if (!ret)
		sha256_hex(out, s.ptr, s.len);
	sink_release(&s);
	return ret;
}

int canon_hash(char out[CANON_HASH_LEN + 1], const json_t *v)
{
	return hash_mode(out, v, MODE_PLAIN);
}

/*
 * jansson returns NULL only when out of memory; like xmalloc, give up then
 * rather than hash a document with a member silently missing.
 */
static _Noreturn void die_oom(void)
{
	fprintf(stderr, "fatal: out of memory\n");
	abort();
}

static json_t *must(json_t *v)
{
	if (!v)
		die_oom();
	return v;
}

static void must_set(json_t *obj, const char *key, json_t *v)
{
	if (json_object_set_new(obj, key, must(v)))
		die_oom();
}

/*
 * The form is written without its identity members as it is serialized
 * (MODE_FORM): nothing is copied. The text is the one the earlier shallow
 * copy gave, so the hashes of stored versions still hold.
 */
int canon_content_hash(char out[CANON_HASH_LEN + 1], const json_t *form)
{
	out[0] = '\0';
	if (!json_is_object(form))
		return err_set(ERR_INVALID,
			       "a catalyst form must be an object");
	return hash_mode(out, form, MODE_FORM);
}

/* As canon_content_hash: the members not owned are left out as written. */
int canon_owned_hash(char out[CANON_HASH_LEN + 1], const json_t *canonical)
{
	/* tform_owned makes {} of anything else. */
	if (!json_is_object(canonical)) {
		sha256_hex(out, "{}", 2);
		return 0;
	}
	return hash_mode(out, canonical, MODE_TTYPE);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int canon_version_id(char out[CANON_HASH_LEN + 1], const char *type_id,
		     const char *content_hash, const char *const *parents,
		     size_t nr)
{
	const char **sorted = NULL;
	json_t *doc, *arr;
	int ret;

	assert(type_id && content_hash && (parents || !nr));
	out[0] = '\0';
	sorted = xcalloc(nr + 1, sizeof(*sorted));
	for (size_t i = 0; i < nr; i++)
		sorted[i] = parents[i];
	qsort(sorted, nr, sizeof(*sorted), cmp_str);

	/* _nocheck: canon_json validates UTF-8 and reports it properly. */
	arr = must(json_array());
	for (size_t i = 0; i < nr; i++)
		if (json_array_append_new(arr,
					  must(json_string_nocheck(sorted[i]))))
			die_oom();
	doc = must(json_object());
	must_set(doc, "parents", arr);
	must_set(doc, "type", json_string_nocheck(type_id));
	must_set(doc, "content", json_string_nocheck(content_hash));
	ret = canon_hash(out, doc);
	json_decref(doc);
	free(sorted);
	return ret;
}

int canon_tree_hash(char out[CANON_HASH_LEN + 1], const json_t *key_to_hash)
{
	json_t *tree = (json_t *)key_to_hash; /* jansson iterators lack const */

	out[0] = '\0';
	if (!json_is_object(tree))
		return err_set(ERR_INVALID, "a tree must be an object");
	for (void *it = json_object_iter(tree); it;
	     it = json_object_iter_next(tree, it))
		if (!json_is_string(json_object_iter_value(it)))
			return err_set(ERR_INVALID,
				       "the tree entry '%s' is not a string",
				       json_object_iter_key(it));
	return canon_hash(out, tree);
}
