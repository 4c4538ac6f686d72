/*
 * log: leveled, per-component diagnostics on stderr.
 *
 * The macros test the level and component before formatting anything, so a
 * disabled log_debug costs one branch. Components are short names ("http",
 * "store", "source", "config"); --trace=http,store,-sse enables debug output
 * for some and silences others (see log_set_trace).
 *
 * Secrets never reach the output: log_add_secret() registers a string that is
 * masked wherever it appears, and Authorization headers, bearer tokens,
 * client_secret and access_token values and DSN passwords are masked by
 * shape (log_redact), whether registered or not.
 */
#ifndef UTIL_LOG_H
#define UTIL_LOG_H

#include <stdio.h>

struct buf;

enum log_level {
	LOG_QUIET = 0,
	LOG_ERROR = 1,
	LOG_WARN = 2,
	LOG_INFO = 3,
	LOG_DEBUG = 4
};

extern int log_level_max;

/* Sets the overall level; --verbose raises it, --quiet lowers it. */
void log_set_level(int level);
/*
 * Parses a --trace list ("http,store,-sse", "all"): named components log at
 * debug level, "-name" silences one. Returns 0, or ERR_USAGE on a bad list.
 */
int log_set_trace(const char *spec);
/* Where log lines go (stderr by default); for tests. */
void log_set_stream(FILE *f);
/* Registers a secret to mask in every later line (copied; max 32). */
void log_add_secret(const char *secret);
void log_clear_secrets(void);
/* Masks secrets in b in place: registered ones and known shapes. */
void log_redact(struct buf *b);
/* True when a line of this level and component would be written. */
int log_enabled(int level, const char *component);
void log_write(int level, const char *component, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define log_at_(level, comp, ...)                                              \
	do {                                                                   \
		if ((level) <= log_level_max && log_enabled((level), (comp)))  \
			log_write((level), (comp), __VA_ARGS__);               \
	} while (0)

#define log_error(comp, ...) log_at_(LOG_ERROR, comp, __VA_ARGS__)
#define log_warn(comp, ...) log_at_(LOG_WARN, comp, __VA_ARGS__)
#define log_info(comp, ...) log_at_(LOG_INFO, comp, __VA_ARGS__)
#define log_debug(comp, ...) log_at_(LOG_DEBUG, comp, __VA_ARGS__)

#endif
