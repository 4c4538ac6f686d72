#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_parse.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/jx.h"
#include "util/xalloc.h"

#define JX_FILE_MAX (64u << 20)

/*
 * The fast path of jx_load. jansson's parser reads a byte at a time through
 * a callback and costs about 35 us for a 2.5 KB document; yajl lexes the
 * same document in 4 us, and the tree is then built with jansson's checked
 * constructors (they refuse invalid UTF-8, as its parser does). The fast
 * path declines whatever it is not certain jansson reads the same way, and
 * jansson's parser decides those documents, so what jx_load accepts, the
 * tree it builds and every message it gives stay jansson's.
 */

/* Deeper documents are left to jansson (its own limit is 2048). */
#define JX_FAST_DEPTH 512
/* Longer number literals are left to jansson. */
#define JX_FAST_NUMBER 64

struct jx_builder {
	const char *text, *end; /* the input: keys inside it are stable */
	yajl_handle h;
	size_t value_end; /* where the top-level value ended */
	json_t *root;
	json_t *stack[JX_FAST_DEPTH]; /* open containers, borrowed */
	size_t depth;
	const char *key; /* the pending member's name, and its length */
	size_t key_len;
	struct buf key_copy; /* a name yajl unescaped into its own buffer */
};

/* Hangs v (a new reference) where the document is; 0 to decline. */
static int fast_attach(struct jx_builder *b, json_t *v)
{
	json_t *parent;

	if (!v)
		return 0;
	if (!b->depth) {
		/*
		 * yajl takes a partial token after the value for the end of
		 * the input ("{}\"" is read as {}): where the value ends is
		 * noted, and the rest checked, here. A number has no end of
		 * its own there; a document that is one goes to jansson.
		 */
		if (json_is_number(v)) {
			json_decref(v);
			return 0;
		}
		b->root = v;
		b->value_end = yajl_get_bytes_consumed(b->h);
		return 1;
	}
	parent = b->stack[b->depth - 1];
	if (json_is_array(parent))
		return json_array_append_new(parent, v) == 0;
	/* A duplicate or a NUL in a name: jansson's parser says why. */
	if (memchr(b->key, '\0', b->key_len) ||
	    json_object_getn(parent, b->key, b->key_len)) {
		json_decref(v);
		return 0;
	}
	return json_object_setn_new(parent, b->key, b->key_len, v) == 0;
}

static int fast_null(void *ctx)
{
	return fast_attach(ctx, json_null());
}

static int fast_boolean(void *ctx, int yes)
{
	return fast_attach(ctx, json_boolean(yes));
}

/* Numbers as jansson reads them: an integer unless there is a fraction or
 * an exponent; out of range is jansson's error to give. */
static int fast_number(void *ctx, const char *s, size_t len)
{
	char text[JX_FAST_NUMBER], *end;
	json_int_t i;
	double d;

	if (len >= sizeof(text))
		return 0;
	memcpy(text, s, len);
	text[len] = '\0';
	errno = 0;
	if (strpbrk(text, ".eE")) {
		d = strtod(text, &end);
		if (end != text + len ||
		    ((d == HUGE_VAL || d == -HUGE_VAL) && errno == ERANGE))
			return 0;
		return fast_attach(ctx, json_real(d));
	}
	i = strtoll(text, &end, 10);
	if (end != text + len || errno == ERANGE)
		return 0;
	return fast_attach(ctx, json_integer(i));
}

static int fast_string(void *ctx, const unsigned char *s, size_t len)
{
	return fast_attach(ctx, json_stringn((const char *)s, len));
}

static int fast_key(void *ctx, const unsigned char *s, size_t len)
{
	struct jx_builder *b = ctx;
	const char *p = (const char *)s;

	if (p >= b->text && p + len <= b->end) {
		b->key = p;
	} else {
		/* yajl reuses its buffer for the next string: keep a copy. */
		buf_reset(&b->key_copy);
		buf_add(&b->key_copy, p, len);
		b->key = b->key_copy.ptr;
	}
	b->key_len = len;
	return 1;
}

static int fast_open(struct jx_builder *b, json_t *container)
{
	if (!container || b->depth == JX_FAST_DEPTH) {
		json_decref(container);
		return 0;
	}
	if (!fast_attach(b, container))
		return 0;
	b->stack[b->depth++] = container;
	return 1;
}

static int fast_start_map(void *ctx)
{
	return fast_open(ctx, json_object());
}

static int fast_start_array(void *ctx)
{
	return fast_open(ctx, json_array());
}

static int fast_close(void *ctx)
{
	struct jx_builder *b = ctx;

	if (!--b->depth)
		b->value_end = yajl_get_bytes_consumed(b->h);
	return 1;
}

/* Nothing but JSON's white space from the value's end on. */
static int fast_rest_is_space(const struct jx_builder *b)
{
	const char *p = b->text + b->value_end;

	if (b->value_end > (size_t)(b->end - b->text))
		return 0;
	for (; p < b->end; p++)
		if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
			return 0;
	return 1;
}

static const yajl_callbacks fast_callbacks = {
	fast_null,	fast_boolean,	  NULL,	      NULL,
	fast_number,	fast_string,	  fast_start_map, fast_key,
	fast_close,	fast_start_array, fast_close,
};

/*
 * What yajl reads otherwise than jansson: \v and \f as white space, and a
 * high surrogate escape (a lone one becomes '?'). Such documents, rare in
 * practice, go to jansson whole.
 */
static int fast_unsure(const char *text, size_t len)
{
	const char *p = text, *end = text + len;

	if (memchr(text, '\v', len) || memchr(text, '\f', len))
		return 1;
	while ((p = memchr(p, '\\', (size_t)(end - p))) != NULL) {
		if (end - p >= 4 && p[1] == 'u' && (p[2] == 'd' || p[2] == 'D') &&
		    strchr("89abAB", p[3]) && p[3])
			return 1;
		p++;
	}
	return 0;
}

int jx_parse_fast(json_t **out, const char *text, size_t len)
{
	struct jx_builder b;
	yajl_handle h;
	int ok;

	*out = NULL;
	if (fast_unsure(text, len))
		return 1;
	b.text = text;
	b.end = text + len;
	b.root = NULL;
	b.depth = 0;
	b.key = NULL;
	b.key_len = 0;
	b.key_copy = (struct buf)BUF_INIT;
	b.value_end = 0;
	h = b.h = yajl_alloc(&fast_callbacks, NULL, &b);
	/* jansson checks the UTF-8 of every string it is given. */
	yajl_config(h, yajl_dont_validate_strings, 1);
	ok = yajl_parse(h, (const unsigned char *)text, len) == yajl_status_ok &&
	     yajl_complete_parse(h) == yajl_status_ok && b.root && !b.depth &&
	     fast_rest_is_space(&b);
	yajl_free(h);
	buf_release(&b.key_copy);
	if (!ok) {
		json_decref(b.root);
		return 1;
	}
	*out = b.root;
	return 0;
}

int jx_load(json_t **out, const char *text, size_t len, const char *what)
{
	json_error_t e;
	json_t *v;

	*out = NULL;
	if (jx_parse_fast(out, text, len) == 0)
		return 0;
	v = json_loadb(
		text, len,
		JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
	if (!v)
		return err_set(ERR_INVALID, "cannot parse %s at %d:%d: %s",
			       what, e.line, e.column, e.text);
	*out = v;
	return 0;
}

int jx_load_file(json_t **out, const char *path)
{
	struct buf text = BUF_INIT;
	char chunk[65536];
	FILE *f;
	size_t n;
	int ret = -1;

	*out = NULL;
	f = fopen(path, "rb");
	if (!f)
		return err_set(ERR_NOTFOUND, "cannot open '%s': %s", path,
			       strerror(errno));
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (buf_add_capped(&text, chunk, n, JX_FILE_MAX) < 0) {
			ret = err_set(ERR_INVALID, "'%s' is larger than %u MiB",
				      path, JX_FILE_MAX >> 20);
			goto out;
		}
	}
	if (ferror(f)) {
		ret = err_set(-1, "cannot read '%s': %s", path,
			      strerror(errno));
		goto out;
	}
	ret = jx_load(out, text.ptr, text.len, path);
out:
	fclose(f);
	buf_release(&text);
	return ret;
}

const char *jx_str(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

int jx_true(const json_t *obj, const char *key)
{
	return json_is_true(json_object_get(obj, key));
}

static int dump_cb(const char *p, size_t n, void *data)
{
	buf_add(data, p, n);
	return 0;
}

void jx_dump_pretty(struct buf *b, const json_t *v)
{
	json_dump_callback(v, dump_cb, b,
			   JSON_INDENT(2) | JSON_PRESERVE_ORDER |
				   JSON_ENCODE_ANY);
}

/*
 * The compact dump, written here rather than through json_dump_callback,
 * which costs a callback per token and an snprintf per number and per
 * escape (the state store writes every document it keeps this way). The
 * output is json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) byte for byte;
 * t_jx holds it to that.
 */
static void dump_string(struct buf *b, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *in = (const unsigned char *)s;
	char *p;
	size_t i;

	buf_grow(b, len * 6 + 2);
	p = b->ptr + b->len;
	*p++ = '"';
	for (i = 0; i < len; i++) {
		unsigned char ch = in[i];

		if (ch >= 0x20 && ch != '"' && ch != '\\') {
			*p++ = (char)ch;
			continue;
		}
		*p++ = '\\';
		switch (ch) {
		case '"':
		case '\\':
			*p++ = (char)ch;
			break;
		case '\b':
			*p++ = 'b';
			break;
		case '\f':
			*p++ = 'f';
			break;
		case '\n':
			*p++ = 'n';
			break;
		case '\r':
			*p++ = 'r';
			break;
		case '\t':
			*p++ = 't';
			break;
		default:
			*p++ = 'u';
			*p++ = '0';
			*p++ = '0';
			*p++ = hex[ch >> 4];
			*p++ = hex[ch & 15];
			break;
		}
	}
	*p++ = '"';
	buf_setlen(b, (size_t)(p - b->ptr));
}

static void dump_integer(struct buf *b, json_int_t i)
{
	char text[24], *p = text + sizeof(text);
	unsigned long long u = i < 0 ? 0ULL - (unsigned long long)i
				      : (unsigned long long)i;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (i < 0)
		*--p = '-';
	buf_add(b, p, (size_t)(text + sizeof(text) - p));
}

/* As jansson: 17 significant digits, ".0" when it would read as an
 * integer, and no '+' or leading zeros in the exponent. */
static void dump_real(struct buf *b, double d)
{
	char text[48], *e, *digits, *from;
	int n = snprintf(text, sizeof(text) - 3, "%.17g", d);

	if (n < 0 || (size_t)n >= sizeof(text) - 3)
		return;
	if (!strchr(text, '.') && !strchr(text, 'e')) {
		memcpy(text + n, ".0", 3);
		n += 2;
	}
	e = strchr(text, 'e');
	if (e) {
		digits = e + 1;
		if (*digits == '-')
			digits++;
		from = e + 2;
		while (*from == '0')
			from++;
		if (from != digits) {
			memmove(digits, from, strlen(from) + 1);
			n = (int)strlen(text);
		}
	}
	buf_add(b, text, (size_t)n);
}

static void dump_value(struct buf *b, const json_t *v)
{
	const char *key;
	size_t len, i;
	json_t *m;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		buf_addch(b, '{');
		i = 0;
		json_object_keylen_foreach((json_t *)v, key, len, m)
		{
			if (i++)
				buf_addch(b, ',');
			dump_string(b, key, len);
			buf_addch(b, ':');
			dump_value(b, m);
		}
		buf_addch(b, '}');
		break;
	case JSON_ARRAY:
		buf_addch(b, '[');
		for (i = 0; i < json_array_size(v); i++) {
			if (i)
				buf_addch(b, ',');
			dump_value(b, json_array_get(v, i));
		}
		buf_addch(b, ']');
		break;
	case JSON_STRING:
		dump_string(b, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		dump_integer(b, json_integer_value(v));
		break;
	case JSON_REAL:
		dump_real(b, json_real_value(v));
		break;
	case JSON_TRUE:
		buf_add(b, "true", 4);
		break;
	case JSON_FALSE:
		buf_add(b, "false", 5);
		break;
	case JSON_NULL:
		buf_add(b, "null", 4);
		break;
	}
}

void jx_dump_compact(struct buf *b, const json_t *v)
{
	if (v)
		dump_value(b, v);
}

void jx_set_new(json_t *obj, const char *key, json_t *v)
{
	if (v)
		json_object_set_new(obj, key, v);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

const char **jx_sorted_keys(const json_t *obj, size_t *nr_out)
{
	size_t n = json_object_size(obj), i = 0;
	const char **keys = xcalloc(n ? n : 1, sizeof(*keys));
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)obj, k, v) keys[i++] = k;
	qsort(keys, n, sizeof(*keys), cmp_str);
	*nr_out = n;
	return keys;
}

size_t jx_pick(const json_t *obj, const char *const *names, size_t nr,
	       json_t **slots)
{
	const char *key;
	size_t len, i, found = 0;
	json_t *v;

	for (i = 0; i < nr; i++)
		slots[i] = NULL;
	if (!json_is_object(obj))
		return 0;
	json_object_keylen_foreach((json_t *)obj, key, len, v)
	{
		if (strlen(key) != len)
			continue;
		for (i = 0; i < nr; i++)
			if (key[0] == names[i][0] && !strcmp(key, names[i])) {
				slots[i] = v;
				found++;
				break;
			}
	}
	return found;
}

int jx_is_integral(const json_t *v)
{
	double d;

	if (json_is_integer(v))
		return 1;
	if (!json_is_real(v))
		return 0;
	d = json_real_value(v);
	return isfinite(d) && d == floor(d);
}
