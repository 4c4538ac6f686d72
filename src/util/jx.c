#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/jx.h"
#include "util/xalloc.h"

#define JX_FILE_MAX (64u << 20)

int jx_load(json_t **out, const char *text, size_t len, const char *what)
{
	json_error_t e;
	json_t *v;

	*out = NULL;
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

void jx_dump_compact(struct buf *b, const json_t *v)
{
	json_dump_callback(v, dump_cb, b,
			   JSON_COMPACT | JSON_PRESERVE_ORDER |
				   JSON_ENCODE_ANY);
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
