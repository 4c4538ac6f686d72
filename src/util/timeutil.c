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
