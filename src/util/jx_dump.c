/*
 * jx dumps: pretty for people, compact for the store and the wire
 * (util/jx.h).
 */
#include <stdio.h>
#include <string.h>

#include "util/buf.h"
#include "util/jx.h"
#include "util/banned.h"

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
