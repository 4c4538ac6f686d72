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
/* Which parts time_parse_iso found. */
enum time_parts {
	TIME_HAS_CLOCK = 1 << 0,   /* "HH:MM" followed the date */
	TIME_HAS_SECONDS = 1 << 1, /* ":SS" */
	TIME_HAS_ZONE = 1 << 2,    /* "Z" or an offset */
	TIME_T_SEPARATOR = 1 << 3  /* the clock came after 'T', not ' ' */
};

/*
 * Parses "YYYY-MM-DD", optionally followed by 'T' (or a space) and
 * "HH:MM[:SS[.fraction]]" and a zone "Z", "+HH:MM" or "+HHMM"; a date or a
 * time without a zone is UTC. The date must exist (leap years counted).
 * Sets *ms_out (milliseconds since the epoch) and *parts_out (may be NULL)
 * to the enum time_parts found. Returns 0, or -1 when text is not one.
 */
int time_parse_iso(const char *text, long long *ms_out, unsigned *parts_out);
/*
 * Appends ms as "YYYY-MM-DDTHH:MM:SSZ", with ".mmm" before the Z only when
 * there are milliseconds. Returns -1 (appending nothing) outside years
 * 0000..9999.
 */
int time_format_utc(struct buf *out, long long ms);
/* Days in month m (1..12) of year y. */
int time_days_in_month(long long y, int m);
/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
long long time_days_from_civil(long long y, unsigned m, unsigned d);

#endif
