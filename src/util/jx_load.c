/*
 * jx_load: JSON text into jansson trees, through yajl where it is sure to
 * read as jansson does (util/jx.h).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_parse.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/jx.h"
#include "util/banned.h"

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
		if (end - p >= 4 && p[1] == 'u' &&
		    (p[2] == 'd' || p[2] == 'D') && p[3] &&
		    strchr("89abAB", p[3]))
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
	ok = yajl_parse(h, (const unsigned char *)text, len) ==
		     yajl_status_ok &&
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
