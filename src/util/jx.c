#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/jx.h"
#include "util/xalloc.h"

const char *jx_str(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

int jx_true(const json_t *obj, const char *key)
{
	return json_is_true(json_object_get(obj, key));
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
