#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "util/buf.h"

static void test_basic(void)
{
	struct buf b = BUF_INIT;
	char *p;
	size_t n;

	is_int(b.len, 0, "a new buffer is empty");
	is_str(b.ptr, "", "and its ptr is a valid empty string");
	buf_adds(&b, "abc");
	buf_addch(&b, 'd');
	buf_addf(&b, "-%d-%s", 42, "x");
	is_str(b.ptr, "abcd-42-x", "adds, addch and addf append");
	is_int(b.len, 9, "len counts the bytes");
	buf_add(&b, "\0z", 2);
	is_int(b.len, 11, "binary bytes count too");
	ok(b.ptr[b.len] == '\0', "always NUL-terminated");
	buf_reset(&b);
	is_str(b.ptr, "", "reset empties");
	buf_adds(&b, "keep  \n\t");
	buf_rtrim(&b);
	is_str(b.ptr, "keep", "rtrim removes trailing whitespace");
	p = buf_detach(&b, &n);
	is_str(p, "keep", "detach hands over the string");
	is_int(n, 4, "and its length");
	is_int(b.len, 0, "and leaves the buffer empty");
	free(p);
	buf_release(&b);
}

static void test_growth(void)
{
	struct buf b = BUF_INIT;
	struct buf big = BUF_INIT;

	for (int i = 0; i < 10000; i++)
		buf_addf(&b, "%04d", i % 10000);
	is_int(b.len, 40000, "many appends grow the buffer");
	ok(!strncmp(b.ptr + 39996, "9999", 4), "and keep the content");
	for (int i = 0; i < 300; i++)
		buf_addch(&big, 'x');
	buf_addf(&b, "%s", big.ptr);
	is_int(b.len, 40300, "a long formatted append is not cut");
	buf_release(&b);
	buf_release(&big);
}

static void test_capped(void)
{
	struct buf b = BUF_INIT;

	is_int(buf_add_capped(&b, "12345", 5, 8), 0, "under the cap appends");
	is_int(buf_add_capped(&b, "6789", 4, 8), -1, "over the cap refuses");
	is_str(b.ptr, "12345", "and appends nothing");
	is_int(buf_add_capped(&b, "678", 3, 8), 0, "exactly at the cap is fine");
	buf_release(&b);
	is_int(b.len, 0, "release leaves an empty buffer");
	buf_release(&b);
	ok(1, "releasing twice is harmless");
}

int main(void)
{
	plan_lazy();
	test_basic();
	test_growth();
	test_capped();
	return done_testing();
}
