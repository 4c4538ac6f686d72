/*
 * tap.h: a small in-process TAP producer for unit tests.
 *
 *	int main(void)
 *	{
 *		plan_lazy();
 *		is_int(buf.len, 3, "three bytes");
 *		return done_testing();
 *	}
 *
 * Every check prints "ok N - name" or "not ok N - name" with a diagnostic
 * that names the file and line. done_testing() returns the exit code.
 */
#ifndef TESTS_TAP_H
#define TESTS_TAP_H

#include <stddef.h>

void plan(int n);
void plan_lazy(void);
int done_testing(void);
void diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void skip(int n, const char *reason);

int ok_at(const char *file, int line, int cond, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int is_int_at(const char *file, int line, long long got, long long want,
	      const char *fmt, ...) __attribute__((format(printf, 5, 6)));
int is_str_at(const char *file, int line, const char *got, const char *want,
	      const char *fmt, ...) __attribute__((format(printf, 5, 6)));
int is_mem_at(const char *file, int line, const void *got, size_t got_len,
	      const void *want, size_t want_len, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));

#define ok(cond, ...) ok_at(__FILE__, __LINE__, !!(cond), __VA_ARGS__)
#define is_int(got, want, ...)                                                 \
	is_int_at(__FILE__, __LINE__, (long long)(got), (long long)(want),     \
		  __VA_ARGS__)
#define is_str(got, want, ...) is_str_at(__FILE__, __LINE__, got, want, __VA_ARGS__)
#define is_mem(g, gl, w, wl, ...)                                              \
	is_mem_at(__FILE__, __LINE__, g, gl, w, wl, __VA_ARGS__)

#endif
