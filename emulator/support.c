#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "support.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/timeutil.h"
#include "util/xalloc.h"
#include "util/banned.h"

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void rng_seed(struct emu_rng *r, uint64_t seed)
{
	uint64_t x = seed;

	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t rng_next(struct emu_rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

double rng_unit(struct emu_rng *r)
{
	return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

uint64_t rng_below(struct emu_rng *r, uint64_t n)
{
	return n ? rng_next(r) % n : 0;
}

void b64_encode(struct buf *out, const void *p, size_t n, int url)
{
	static const char std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				  "abcdefghijklmnopqrstuvwxyz0123456789+/";
	static const char web[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				  "abcdefghijklmnopqrstuvwxyz0123456789-_";
	const char *alpha = url ? web : std;
	const unsigned char *s = p;
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		unsigned v = (unsigned)s[i] << 16 | (unsigned)s[i + 1] << 8 |
			     s[i + 2];

		buf_addch(out, alpha[v >> 18 & 63]);
		buf_addch(out, alpha[v >> 12 & 63]);
		buf_addch(out, alpha[v >> 6 & 63]);
		buf_addch(out, alpha[v & 63]);
	}
	if (i < n) {
		unsigned v = (unsigned)s[i] << 16;

		if (i + 1 < n)
			v |= (unsigned)s[i + 1] << 8;
		buf_addch(out, alpha[v >> 18 & 63]);
		buf_addch(out, alpha[v >> 12 & 63]);
		if (i + 1 < n)
			buf_addch(out, alpha[v >> 6 & 63]);
		else if (!url)
			buf_addch(out, '=');
		if (!url)
			buf_addch(out, '=');
	}
}

static int b64_value(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

int b64_decode(struct buf *out, const char *s, size_t n)
{
	unsigned acc = 0;
	int bits = 0;

	while (n && s[n - 1] == '=')
		n--;
	for (size_t i = 0; i < n; i++) {
		int v = b64_value((unsigned char)s[i]);

		if (v < 0)
			return err_set(ERR_INVALID, "bad base64");
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf_addch(out, (int)(acc >> bits & 0xff));
		}
	}
	if (bits >= 6)
		return err_set(ERR_INVALID, "bad base64 length");
	return 0;
}

static int digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		char c = (*p)[i];

		if (c < '0' || c > '9')
			return -1;
		v = v * 10 + (c - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

static int expect(const char **p, char c)
{
	if (**p != c)
		return -1;
	(*p)++;
	return 0;
}

int iso_parse(long long *ms_out, const char *s)
{
	const char *p = s;
	int y, mo, d, h, mi, sec, ms = 0, sign, zh, zm;
	static const int mdays[] = {31, 29, 31, 30, 31, 30,
				    31, 31, 30, 31, 30, 31};
	long long days, t;

	if (digits(&p, 4, &y) || expect(&p, '-') || digits(&p, 2, &mo) ||
	    expect(&p, '-') || digits(&p, 2, &d) || (*p != 'T' && *p != 't') ||
	    !++p || digits(&p, 2, &h) || expect(&p, ':') ||
	    digits(&p, 2, &mi) || expect(&p, ':') || digits(&p, 2, &sec))
		goto bad;
	if (*p == '.') {
		int scale = 100, n = 0;

		p++;
		while (*p >= '0' && *p <= '9') {
			ms += (*p - '0') * scale;
			scale /= 10;
			p++;
			n++;
		}
		if (!n)
			goto bad;
	}
	if (*p == 'Z' || *p == 'z') {
		sign = 0;
		zh = zm = 0;
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '-' ? -1 : 1;
		p++;
		if (digits(&p, 2, &zh) || expect(&p, ':') || digits(&p, 2, &zm))
			goto bad;
	} else {
		goto bad;
	}
	if (*p || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 ||
	    mi > 59 || sec > 60 || zh > 23 || zm > 59)
		goto bad;
	days = time_days_from_civil(y, (unsigned)mo, (unsigned)d);
	t = ((days * 24 + h) * 60 + mi) * 60 + sec;
	t -= (long long)sign * (zh * 3600 + zm * 60);
	*ms_out = t * 1000 + ms;
	return 0;
bad:
	return err_set(ERR_INVALID, "'%s' is not an ISO 8601 date-time", s);
}

void sleep_ms(long long ms)
{
	struct timespec ts;

	if (ms <= 0)
		return;
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

void errs_add(json_t *errs, const char *field, const char *fmt, ...)
{
	struct buf detail = BUF_INIT;
	va_list ap;
	json_t *e = json_object(), *d;

	va_start(ap, fmt);
	buf_vaddf(&detail, fmt, ap);
	va_end(ap);
	d = json_stringn(detail.ptr, detail.len);
	json_object_set_new(e, "field", json_string(field));
	json_object_set_new(e, "detail", d ? d : json_string("invalid value"));
	json_array_append_new(errs, e);
	buf_release(&detail);
}

static void merge_into(json_t *target, const json_t *patch)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)patch, k, v)
	{
		json_t *cur = json_object_get(target, k);

		if (json_is_null(v)) {
			json_object_del(target, k);
		} else if (json_is_object(v)) {
			if (!json_is_object(cur)) {
				cur = json_object();
				json_object_set_new(target, k, cur);
			}
			merge_into(cur, v);
		} else {
			json_object_set_new(target, k, json_deep_copy(v));
		}
	}
}

json_t *merge_patch(const json_t *target, const json_t *patch)
{
	json_t *out;

	if (!json_is_object(patch))
		return json_deep_copy(patch);
	out = json_is_object(target) ? json_deep_copy(target) : json_object();
	merge_into(out, patch);
	return out;
}

int json_is_int32(const json_t *v)
{
	json_int_t n;

	if (!json_is_integer(v))
		return 0;
	n = json_integer_value(v);
	return n >= -2147483647LL - 1 && n <= 2147483647LL;
}

int glob_match(const char *pattern, const char *text)
{
	const char *star = NULL, *mark = NULL;

	while (*text) {
		if (*pattern == '*') {
			star = pattern++;
			mark = text;
		} else if (*pattern == '?' || *pattern == *text) {
			pattern++;
			text++;
		} else if (star) {
			pattern = star + 1;
			text = ++mark;
		} else {
			return 0;
		}
	}
	while (*pattern == '*')
		pattern++;
	return !*pattern;
}
