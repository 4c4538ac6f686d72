/*
 * support: small helpers of the emulator (PRNG, base64, dates, JSON).
 */
#ifndef EMU_SUPPORT_H
#define EMU_SUPPORT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct buf;

/* xoshiro256**, seeded through splitmix64: the emulator's only randomness. */
struct emu_rng {
	uint64_t s[4];
};

void rng_seed(struct emu_rng *r, uint64_t seed);
uint64_t rng_next(struct emu_rng *r);
/* A double in [0, 1). */
double rng_unit(struct emu_rng *r);
/* An integer in [0, n); 0 when n is 0. */
uint64_t rng_below(struct emu_rng *r, uint64_t n);

/* Appends base64 of p[0..n); url selects the URL alphabet without padding. */
void b64_encode(struct buf *out, const void *p, size_t n, int url);
/*
 * Appends the bytes that s[0..n) encodes, in either alphabet, padded or
 * not. Returns 0, or ERR_INVALID.
 */
int b64_decode(struct buf *out, const char *s, size_t n)
	__attribute__((warn_unused_result));

/*
 * Parses an ISO 8601 date-time with a zone ("2025-01-01T00:00:00Z",
 * "2025-01-01T00:00:00.5+02:00"). Returns 0 and ms since the epoch, or
 * ERR_INVALID.
 */
int iso_parse(long long *ms_out, const char *s)
	__attribute__((warn_unused_result));

/* Sleeps for ms milliseconds (nothing when ms <= 0). */
void sleep_ms(long long ms);

/* Appends {"field": field, "detail": printf(fmt)} to the array errs. */
void errs_add(json_t *errs, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * RFC 7396: returns a new value, target with patch merged in. Neither
 * argument is changed; target may be NULL.
 */
json_t *merge_patch(const json_t *target, const json_t *patch);

/* True when v is a JSON integer within int32. */
int json_is_int32(const json_t *v);

/* Glob match of text against pattern ('*' any run, '?' one character). */
int glob_match(const char *pattern, const char *text);

#endif
