#include <stdlib.h>

#include "tap.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/timeutil.h"

static void parses(const char *text, long long want, unsigned want_parts)
{
	long long ms = -7;
	unsigned parts = 99;

	is_int(time_parse_iso(text, &ms, &parts), 0, "'%s' parses", text);
	is_int(ms, want, "'%s' is %lld ms", text, want);
	is_int(parts, want_parts, "'%s' has its parts", text);
}

static void refuses(const char *text)
{
	long long ms;

	is_int(time_parse_iso(text, &ms, NULL), -1, "'%s' is refused", text);
}

static void formats(long long ms, const char *want)
{
	struct buf b = BUF_INIT;

	is_int(time_format_utc(&b, ms), 0, "%lld formats", ms);
	is_str(b.ptr, want, "as '%s'", want);
	buf_release(&b);
}

int main(void)
{
	long long ms;

	plan_lazy();
	parses("2024-01-01", 1704067200000LL, 0);
	parses("2024-02-29T12:30", 1709209800000LL,
	       TIME_HAS_CLOCK | TIME_T_SEPARATOR);
	parses("2025-08-15 01:23:45", 1755221025000LL,
	       TIME_HAS_CLOCK | TIME_HAS_SECONDS);
	parses("2025-08-15T01:23:45.160Z", 1755221025160LL,
	       TIME_HAS_CLOCK | TIME_HAS_SECONDS | TIME_HAS_ZONE |
		       TIME_T_SEPARATOR);
	parses("2025-08-15T03:23:45+02:00", 1755221025000LL,
	       TIME_HAS_CLOCK | TIME_HAS_SECONDS | TIME_HAS_ZONE |
		       TIME_T_SEPARATOR);
	parses("2025-08-14T20:23:45-0500", 1755221025000LL,
	       TIME_HAS_CLOCK | TIME_HAS_SECONDS | TIME_HAS_ZONE |
		       TIME_T_SEPARATOR);
	parses("1969-12-31T23:59:59Z", -1000,
	       TIME_HAS_CLOCK | TIME_HAS_SECONDS | TIME_HAS_ZONE |
		       TIME_T_SEPARATOR);
	refuses("2023-02-29");
	refuses("2024-13-01");
	refuses("2024-1-01");
	refuses("2024-01-01T25:00");
	refuses("2024-01-01T10:00:00.Z");
	refuses("2024-01-01T10:00:00+2");
	refuses("2024-01-01x");
	refuses("");
	is_int(time_parse_iso(NULL, &ms, NULL), -1, "NULL is refused");
	formats(1704067200000LL, "2024-01-01T00:00:00Z");
	formats(1755221025160LL, "2025-08-15T01:23:45.160Z");
	formats(-1000, "1969-12-31T23:59:59Z");
	{
		struct buf b = BUF_INIT;

		is_int(time_format_utc(&b, 253402300800000LL), -1,
		       "year 10000 does not format");
		is_int(b.len, 0, "and appends nothing");
		buf_release(&b);
	}
	is_int(time_parse_duration(&ms, "500ms"), 0, "500ms");
	is_int(ms, 500, "is 500 ms");
	is_int(time_parse_duration(&ms, "30d"), 0, "30d");
	is_int(ms, 30LL * 86400000, "is 30 days");
	is_int(time_parse_duration(&ms, "12"), 0, "a bare number");
	is_int(ms, 12000, "is seconds");
	is_int(time_parse_duration(&ms, "5 weeks"), ERR_INVALID,
	       "an unknown unit is refused");
	is_int(time_parse_duration(&ms, "-1s"), ERR_INVALID,
	       "a negative duration is refused");
	is_int(time_days_in_month(2024, 2), 29, "leap February");
	is_int(time_days_in_month(1900, 2), 28, "a century is no leap year");
	is_int(time_days_in_month(2000, 2), 29, "unless it divides by 400");
	return done_testing();
}
