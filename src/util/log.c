#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"
#include "util/xalloc.h"

#define LOG_MAX_SECRETS 32
#define LOG_MAX_TRACE 32
#define LOG_MASK "***"

/* The cheap pre-check in the macros; the fine decision is log_enabled(). */
int log_level_max = LOG_WARN;

static int log_level = LOG_WARN;
static FILE *log_stream;
static int trace_all;
static char *trace_on[LOG_MAX_TRACE];
static int trace_on_nr;
static char *trace_off[LOG_MAX_TRACE];
static int trace_off_nr;
static char *secrets[LOG_MAX_SECRETS];
static int secrets_nr;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *level_names[] = { "", "error", "warning", "info",
				     "debug" };

static void update_max(void)
{
	log_level_max = (trace_all || trace_on_nr) ? LOG_DEBUG : log_level;
}

void log_set_level(int level)
{
	if (level < LOG_QUIET)
		level = LOG_QUIET;
	if (level > LOG_DEBUG)
		level = LOG_DEBUG;
	log_level = level;
	update_max();
}

static void free_list(char **list, int *nr)
{
	for (int i = 0; i < *nr; i++)
		FREE_AND_NULL(list[i]);
	*nr = 0;
}

int log_set_trace(const char *spec)
{
	const char *p = spec;

	free_list(trace_on, &trace_on_nr);
	free_list(trace_off, &trace_off_nr);
	trace_all = 0;
	while (*p) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		int off = 0;

		if (n && *p == '-') {
			off = 1;
			p++;
			n--;
		}
		if (!n) {
			update_max();
			return err_set(ERR_USAGE, "empty component in --trace '%s'",
				       spec);
		}
		for (size_t i = 0; i < n; i++) {
			char c = p[i];
			if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			      c == '_')) {
				update_max();
				return err_set(ERR_USAGE,
					       "bad component name in --trace '%s'",
					       spec);
			}
		}
		if (!off && n == 3 && !strncmp(p, "all", 3))
			trace_all = 1;
		else if (off && trace_off_nr < LOG_MAX_TRACE)
			trace_off[trace_off_nr++] = xstrndup(p, n);
		else if (!off && trace_on_nr < LOG_MAX_TRACE)
			trace_on[trace_on_nr++] = xstrndup(p, n);
		p += n;
		if (*p == ',')
			p++;
	}
	update_max();
	return 0;
}

void log_set_stream(FILE *f)
{
	log_stream = f;
}

void log_add_secret(const char *secret)
{
	if (!secret || strlen(secret) < 4)
		return; /* masking "ab" everywhere would garble the log */
	pthread_mutex_lock(&log_lock);
	for (int i = 0; i < secrets_nr; i++) {
		if (!strcmp(secrets[i], secret)) {
			pthread_mutex_unlock(&log_lock);
			return;
		}
	}
	if (secrets_nr < LOG_MAX_SECRETS)
		secrets[secrets_nr++] = xstrdup(secret);
	pthread_mutex_unlock(&log_lock);
}

void log_clear_secrets(void)
{
	pthread_mutex_lock(&log_lock);
	free_list(secrets, &secrets_nr);
	pthread_mutex_unlock(&log_lock);
}

static int in_list(char **list, int nr, const char *name)
{
	for (int i = 0; i < nr; i++)
		if (!strcmp(list[i], name))
			return 1;
	return 0;
}

int log_enabled(int level, const char *component)
{
	if (component && in_list(trace_off, trace_off_nr, component))
		return level <= LOG_ERROR;
	if (level <= log_level)
		return 1;
	if (level == LOG_DEBUG && component &&
	    (trace_all || in_list(trace_on, trace_on_nr, component)))
		return 1;
	return 0;
}

/* Replaces b[from, to) with the mask. */
static void mask_range(struct buf *b, size_t from, size_t to)
{
	struct buf out = BUF_INIT;

	buf_add(&out, b->ptr, from);
	buf_adds(&out, LOG_MASK);
	buf_add(&out, b->ptr + to, b->len - to);
	buf_reset(b);
	buf_add(b, out.ptr, out.len);
	buf_release(&out);
}

static int is_value_end(char c)
{
	return c == '\0' || c == '"' || c == '&' || c == ' ' || c == ',' ||
	       c == '\n' || c == '\r' || c == '}' || c == '\'' || c == ';';
}

/*
 * Masks the value that follows each occurrence of key (case-insensitive),
 * skipping the separators in skip.
 */
static void mask_after(struct buf *b, const char *key, const char *skip,
		       int to_eol)
{
	size_t klen = strlen(key);
	size_t pos = 0;

	while (pos + klen <= b->len) {
		size_t start, end;

		if (strncasecmp(b->ptr + pos, key, klen)) {
			pos++;
			continue;
		}
		start = pos + klen;
		while (start < b->len && strchr(skip, b->ptr[start]))
			start++;
		end = start;
		while (end < b->len && b->ptr[end] != '\n' &&
		       (to_eol ? b->ptr[end] != '\r' : !is_value_end(b->ptr[end])))
			end++;
		if (end > start && strncmp(b->ptr + start, LOG_MASK, 3)) {
			mask_range(b, start, end);
			end = start + strlen(LOG_MASK);
		}
		pos = end > pos ? end : pos + 1;
	}
}

void log_redact(struct buf *b)
{
	pthread_mutex_lock(&log_lock);
	for (int i = 0; i < secrets_nr; i++) {
		char *hit;
		size_t n = strlen(secrets[i]);

		while ((hit = strstr(b->ptr, secrets[i])))
			mask_range(b, (size_t)(hit - b->ptr),
				   (size_t)(hit - b->ptr) + n);
	}
	pthread_mutex_unlock(&log_lock);
	mask_after(b, "authorization:", " ", 1);
	mask_after(b, "bearer ", " ", 0);
	mask_after(b, "\"client_secret\"", ": \"", 0);
	mask_after(b, "client_secret=", "", 0);
	mask_after(b, "\"access_token\"", ": \"", 0);
	mask_after(b, "access_token=", "", 0);
	mask_after(b, "password=", "", 0);
	/* postgresql://user:PASSWORD@host */
	for (size_t pos = 0; pos + 3 < b->len; pos++) {
		char *at, *colon;
		size_t end;

		if (strncmp(b->ptr + pos, "://", 3))
			continue;
		end = pos + 3;
		while (end < b->len && !strchr("/ @\n", b->ptr[end]))
			end++;
		if (end >= b->len || b->ptr[end] != '@')
			continue;
		at = b->ptr + end;
		colon = memchr(b->ptr + pos + 3, ':', (size_t)(at - b->ptr) -
							      pos - 3);
		if (colon && strncmp(colon + 1, LOG_MASK, 3))
			mask_range(b, (size_t)(colon + 1 - b->ptr), end);
	}
}

void log_write(int level, const char *component, const char *fmt, ...)
{
	struct buf line = BUF_INIT;
	va_list ap;
	FILE *out = log_stream ? log_stream : stderr;

	if (level < LOG_ERROR || level > LOG_DEBUG)
		level = LOG_ERROR;
	buf_addf(&line, "%s", level_names[level]);
	if (component && level == LOG_DEBUG)
		buf_addf(&line, " [%s]", component);
	buf_adds(&line, ": ");
	va_start(ap, fmt);
	buf_vaddf(&line, fmt, ap);
	va_end(ap);
	log_redact(&line);
	buf_addch(&line, '\n');
	pthread_mutex_lock(&log_lock);
	fwrite(line.ptr, 1, line.len, out);
	fflush(out);
	pthread_mutex_unlock(&log_lock);
	buf_release(&line);
}
