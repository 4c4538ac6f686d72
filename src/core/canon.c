#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/canon.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/sha256.h"
#include "util/xalloc.h"
#include "util/banned.h"

/*
 * The walk over a value. On failure the leaf records why, and each
 * container on the way back up puts its step in front of path, so the
 * message names where the bad value is without costing anything on success.
 */
struct canon_ctx {
	struct buf *out;
	const char *reason;
	struct buf path;
};

/* An object member, for sorting. */
struct canon_member {
	const char *key;
	size_t key_len;
	json_t *value;
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

static int utf8_valid(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len)
		if (utf8_next((const unsigned char *)s, len, &i) == UTF8_BAD)
			return 0;
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
	const unsigned char *u = (const unsigned char *)s;
	size_t run = 0, i = 0;

	buf_addch(c->out, '"');
	while (i < len) {
		size_t at = i;
		uint32_t cp;
		const char *esc;

		/* Plain printable ASCII joins the run without decoding. */
		if (u[i] >= 0x20 && u[i] < 0x80 && u[i] != '"' && u[i] != '\\') {
			i++;
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
		buf_add(c->out, s + run, at - run);
		if (esc)
			buf_adds(c->out, esc);
		else
			buf_addf(c->out, "\\u%04" PRIx32, cp);
		run = i;
	}
	buf_add(c->out, s + run, len - run);
	buf_addch(c->out, '"');
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

void canon_number(struct buf *out, double d)
{
	char digits[24];
	uint64_t m;
	int k, n, e;

	assert(isfinite(d));
	if (d == 0) {
		buf_addch(out, '0'); /* -0 too */
		return;
	}
	if (d < 0) {
		buf_addch(out, '-');
		d = -d;
	}
	if (d < 9007199254740992.0 && d == (double)(uint64_t)d) {
		/* An integer below 2^53 prints as its digits in every form. */
		char tmp[24];
		size_t at = sizeof(tmp);

		for (m = (uint64_t)d; m; m /= 10)
			tmp[--at] = (char)('0' + m % 10);
		buf_add(out, tmp + at, sizeof(tmp) - at);
		return;
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
		buf_add(out, digits, (size_t)k);
		for (int i = 0; i < n - k; i++)
			buf_addch(out, '0');
	} else if (0 < n && n <= 21) {
		buf_add(out, digits, (size_t)n);
		buf_addch(out, '.');
		buf_add(out, digits + n, (size_t)(k - n));
	} else if (-6 < n && n <= 0) {
		buf_adds(out, "0.");
		for (int i = 0; i < -n; i++)
			buf_addch(out, '0');
		buf_add(out, digits, (size_t)k);
	} else {
		buf_addch(out, digits[0]);
		if (k > 1) {
			buf_addch(out, '.');
			buf_add(out, digits + 1, (size_t)(k - 1));
		}
		buf_addf(out, "e%c%d", n - 1 < 0 ? '-' : '+', abs(n - 1));
	}
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

static int add_value(struct canon_ctx *c, const json_t *v);

static int add_object(struct canon_ctx *c, const json_t *v)
{
	struct canon_member *members = NULL;
	size_t nr = 0;
	void *iter;
	int ret = -1;

	members = xcalloc(json_object_size(v) + 1, sizeof(*members));
	for (iter = json_object_iter((json_t *)v); iter;
	     iter = json_object_iter_next((json_t *)v, iter)) {
		struct canon_member *mb = &members[nr++];

		mb->key = json_object_iter_key(iter);
		mb->key_len = json_object_iter_key_len(iter);
		mb->value = json_object_iter_value(iter);
		if (!utf8_valid(mb->key, mb->key_len)) {
			c->reason = "invalid UTF-8 in an object key";
			ret = ERR_INVALID;
			goto out;
		}
	}
	qsort(members, nr, sizeof(*members), member_cmp);

	buf_addch(c->out, '{');
	for (size_t i = 0; i < nr; i++) {
		if (i)
			buf_addch(c->out, ',');
		ret = add_string(c, members[i].key, members[i].key_len);
		assert(!ret); /* validated above */
		buf_addch(c->out, ':');
		ret = add_value(c, members[i].value);
		if (ret) {
			path_prepend(c, members[i].key, members[i].key_len);
			goto out;
		}
	}
	buf_addch(c->out, '}');
	ret = 0;
out:
	free(members);
	return ret;
}

static int add_array(struct canon_ctx *c, const json_t *v)
{
	char step[32];
	int ret;

	buf_addch(c->out, '[');
	for (size_t i = 0; i < json_array_size(v); i++) {
		if (i)
			buf_addch(c->out, ',');
		ret = add_value(c, json_array_get(v, i));
		if (ret) {
			snprintf(step, sizeof(step), "%zu", i);
			path_prepend(c, step, strlen(step));
			return ret;
		}
	}
	buf_addch(c->out, ']');
	return 0;
}

static int add_number(struct canon_ctx *c, double d)
{
	if (!isfinite(d)) {
		/* jansson refuses to make these; never hash one regardless. */
		c->reason = "NaN or Infinity is not a JSON number";
		return ERR_INVALID;
	}
	canon_number(c->out, d);
	return 0;
}

static int add_value(struct canon_ctx *c, const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return add_object(c, v);
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
		buf_adds(c->out, "true");
		return 0;
	case JSON_FALSE:
		buf_adds(c->out, "false");
		return 0;
	case JSON_NULL:
		buf_adds(c->out, "null");
		return 0;
	}
	assert(!"unknown jansson type");
	return -1;
}

int canon_json(struct buf *out, const json_t *v)
{
	struct canon_ctx c = {out, NULL, BUF_INIT};
	size_t start = out->len;
	int ret;

	ret = add_value(&c, v);
	if (ret) {
		/* Leave out as it was: no half-written document. */
		buf_setlen(out, start);
		if (c.path.len)
			err_set(ret, "cannot canonicalize JSON: %s at '%s'",
				c.reason, c.path.ptr);
		else
			err_set(ret, "cannot canonicalize JSON: %s", c.reason);
	}
	buf_release(&c.path);
	return ret;
}

int canon_hash(char out[CANON_HASH_LEN + 1], const json_t *v)
{
	struct buf b = BUF_INIT;
	int ret;

	out[0] = '\0';
	ret = canon_json(&b, v);
	if (!ret)
		sha256_hex(out, b.ptr, b.len);
	buf_release(&b);
	return ret;
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
 * A copy of fields without the "id" of each field, at every depth of nested
 * fields. Shallow: only the objects on the way are copied, the values are
 * shared, so hashing a form does not copy it whole.
 */
static json_t *fields_without_ids(json_t *fields)
{
	json_t *out = must(json_object());

	for (void *it = json_object_iter(fields); it;
	     it = json_object_iter_next(fields, it)) {
		json_t *field = json_object_iter_value(it);
		json_t *copy;

		if (!json_is_object(field)) {
			must_set(out, json_object_iter_key(it), json_incref(field));
			continue;
		}
		copy = must(json_copy(field));
		json_object_del(copy, "id");
		if (json_is_object(json_object_get(copy, "fields")))
			must_set(copy, "fields",
				 fields_without_ids(json_object_get(copy, "fields")));
		must_set(out, json_object_iter_key(it), copy);
	}
	return out;
}

int canon_content_hash(char out[CANON_HASH_LEN + 1], const json_t *form)
{
	json_t *copy = NULL, *rels;
	int ret = -1;

	out[0] = '\0';
	if (!json_is_object(form)) {
		ret = err_set(ERR_INVALID, "a catalyst form must be an object");
		goto out;
	}
	copy = must(json_copy((json_t *)form));
	json_object_del(copy, "id");
	json_object_del(copy, "websiteId");
	if (json_is_object(json_object_get(copy, "fields")))
		must_set(copy, "fields",
			 fields_without_ids(json_object_get(copy, "fields")));
	rels = json_object_get(copy, "relationships");
	if (json_is_object(rels)) {
		json_t *stripped = must(json_object());

		for (void *it = json_object_iter(rels); it;
		     it = json_object_iter_next(rels, it)) {
			json_t *rel = json_object_iter_value(it);

			if (json_is_object(rel)) {
				rel = must(json_copy(rel));
				json_object_del(rel, "id");
			} else {
				json_incref(rel);
			}
			must_set(stripped, json_object_iter_key(it), rel);
		}
		must_set(copy, "relationships", stripped);
	}
	ret = canon_hash(out, copy);
out:
	json_decref(copy);
	return ret;
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
