#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/timeutil.h"

long long time_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long long time_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Howard Hinnant's days_from_civil, in the public domain. */
long long time_days_from_civil(long long y, unsigned m, unsigned d)
{
	long long era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long long)doe - 719468;
}

void time_format_iso(struct buf *out, long long ms)
{
	time_t secs = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
	int frac = (int)(ms - (long long)secs * 1000);
	struct tm tm;

	gmtime_r(&secs, &tm);
	buf_addf(out, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 frac);
}

int time_parse_duration(long long *ms_out, const char *text)
{
	char *end;
	long long n, mult;

	errno = 0;
	n = strtoll(text, &end, 10);
	if (errno || end == text || n < 0)
		return err_set(ERR_INVALID,
			       "'%s' is not a duration (try 500ms, 30s, 5m, "
			       "12h or 30d)",
			       text);
	if (!*end || !strcmp(end, "s"))
		mult = 1000;
	else if (!strcmp(end, "ms"))
		mult = 1;
	else if (!strcmp(end, "m"))
		mult = 60 * 1000;
	else if (!strcmp(end, "h"))
		mult = 3600 * 1000;
	else if (!strcmp(end, "d"))
		mult = 86400LL * 1000;
	else
		return err_set(ERR_INVALID,
			       "'%s' has an unknown unit (use ms, s, m, h or d)",
			       text);
	if (n > (long long)9e15 / mult)
		return err_set(ERR_INVALID, "duration '%s' is too long", text);
	*ms_out = n * mult;
	return 0;
}

int time_days_in_month(long long y, int m)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30,
				     31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : mdays[m - 1];
}

/* Reads exactly n decimal digits at *p and advances past them. */
static int take_digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

/* "HH:MM[:SS[.fraction]]" and an optional zone; seconds from midnight UTC. */
static int parse_clock(const char **sp, long long *secs, int *ms,
		       unsigned *parts)
{
	const char *s = *sp;
	int h, mi, sec = 0, oh = 0, om = 0, sign = 0;

	if (take_digits(&s, 2, &h) || *s++ != ':' || take_digits(&s, 2, &mi))
		return -1;
	*parts |= TIME_HAS_CLOCK;
	if (*s == ':') {
		s++;
		if (take_digits(&s, 2, &sec))
			return -1;
		*parts |= TIME_HAS_SECONDS;
		if (*s == '.' || *s == ',') {
			int digits = 0, scale = 100;

			for (s++; *s >= '0' && *s <= '9'; s++, digits++) {
				*ms += (*s - '0') * scale;
				scale /= 10;
			}
			if (!digits || digits > 9)
				return -1;
		}
	}
	if (*s == 'Z' || *s == 'z') {
		*parts |= TIME_HAS_ZONE;
		s++;
	} else if (*s == '+' || *s == '-') {
		*parts |= TIME_HAS_ZONE;
		sign = *s++ == '-' ? -1 : 1;
		if (take_digits(&s, 2, &oh))
			return -1;
		if (*s == ':')
			s++;
		if (take_digits(&s, 2, &om))
			return -1;
	}
	if (h > 23 || mi > 59 || sec > 59 || oh > 23 || om > 59)
		return -1;
	*secs = h * 3600LL + mi * 60LL + sec - sign * (oh * 3600LL + om * 60LL);
	*sp = s;
	return 0;
}

int time_parse_iso(const char *text, long long *ms_out, unsigned *parts_out)
{
	const char *s = text;
	unsigned parts = 0;
	long long secs = 0;
	int y, mo, d, ms = 0;

	if (!s || take_digits(&s, 4, &y) || *s++ != '-' ||
	    take_digits(&s, 2, &mo) || *s++ != '-' || take_digits(&s, 2, &d))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > time_days_in_month(y, mo))
		return -1;
	if (*s == 'T' || *s == 't' || *s == ' ') {
		if (*s != ' ')
			parts |= TIME_T_SEPARATOR;
		s++;
		if (parse_clock(&s, &secs, &ms, &parts) < 0)
			return -1;
	}
	if (*s)
		return -1;
	*ms_out = (time_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
		   secs) * 1000 + ms;
	if (parts_out)
		*parts_out = parts;
	return 0;
}

int time_format_utc(struct buf *out, long long ms)
{
	long long secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
	int frac = (int)(ms - secs * 1000);
	struct tm tm;
	time_t t = (time_t)secs;

	if (!gmtime_r(&t, &tm) || tm.tm_year + 1900 < 0 ||
	    tm.tm_year + 1900 > 9999)
		return -1;
	buf_addf(out, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (frac)
		buf_addf(out, ".%03d", frac);
	buf_addch(out, 'Z');
	return 0;
}
