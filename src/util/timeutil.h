/*
 * timeutil: clocks, timestamps and durations.
 */
#ifndef UTIL_TIMEUTIL_H
#define UTIL_TIMEUTIL_H

struct buf;

/* Milliseconds since the epoch (wall clock). */
long long time_now_ms(void);
/* Milliseconds from a monotonic clock, for measuring intervals. */
long long time_mono_ms(void);
/* Appends ms since the epoch as ISO 8601 UTC with milliseconds
 * ("2025-08-15T01:23:45.160Z"). */
void time_format_iso(struct buf *out, long long ms);
/*
 * Parses a duration: a number and a unit ms, s, m, h or d ("500ms", "30s",
 * "30d"); a bare number is seconds. Returns 0 and the milliseconds, or
 * ERR_INVALID.
 */
int time_parse_duration(long long *ms_out, const char *text)
	__attribute__((warn_unused_result));
/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
long long time_days_from_civil(long long y, unsigned m, unsigned d);

#endif
