#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tap.h"

static int planned = -1;
static int run;
static int failed;

void plan(int n)
{
	planned = n;
	printf("1..%d\n", n);
	fflush(stdout);
}

void plan_lazy(void)
{
	planned = -1;
}

int done_testing(void)
{
	if (planned < 0)
		printf("1..%d\n", run);
	else if (planned != run) {
		printf("# planned %d tests but ran %d\n", planned, run);
		failed++;
	}
	fflush(stdout);
	return failed ? 1 : 0;
}

void diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

void skip(int n, const char *reason)
{
	for (int i = 0; i < n; i++)
		printf("ok %d # skip %s\n", ++run, reason);
	fflush(stdout);
}

static int report(const char *file, int line, int cond, const char *fmt,
		  va_list ap)
{
	run++;
	printf("%s %d - ", cond ? "ok" : "not ok", run);
	vprintf(fmt, ap);
	printf("\n");
	if (!cond) {
		failed++;
		printf("#   failed at %s:%d\n", file, line);
	}
	fflush(stdout);
	return cond;
}

int ok_at(const char *file, int line, int cond, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = report(file, line, cond, fmt, ap);
	va_end(ap);
	return r;
}

int is_int_at(const char *file, int line, long long got, long long want,
	      const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = report(file, line, got == want, fmt, ap);
	va_end(ap);
	if (!r)
		printf("#   got: %lld\n#  want: %lld\n", got, want);
	return r;
}

int is_str_at(const char *file, int line, const char *got, const char *want,
	      const char *fmt, ...)
{
	va_list ap;
	int same = (!got && !want) || (got && want && !strcmp(got, want));
	int r;

	va_start(ap, fmt);
	r = report(file, line, same, fmt, ap);
	va_end(ap);
	if (!r)
		printf("#   got: %s%s%s\n#  want: %s%s%s\n", got ? "'" : "",
		       got ? got : "NULL", got ? "'" : "", want ? "'" : "",
		       want ? want : "NULL", want ? "'" : "");
	return r;
}

int is_mem_at(const char *file, int line, const void *got, size_t got_len,
	      const void *want, size_t want_len, const char *fmt, ...)
{
	va_list ap;
	int same = got_len == want_len && !memcmp(got, want, got_len);
	int r;

	va_start(ap, fmt);
	r = report(file, line, same, fmt, ap);
	va_end(ap);
	if (!r)
		printf("#   got: '%.*s' (%zu bytes)\n#  want: '%.*s' (%zu bytes)\n",
		       (int)got_len, (const char *)got, got_len, (int)want_len,
		       (const char *)want, want_len);
	return r;
}
