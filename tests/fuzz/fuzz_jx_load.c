/*
 * fuzz_jx_load: libFuzzer target for jx_load and its fast path. Aborts
 * when the law of tests/jxlaw.h breaks (the fast path reading something
 * otherwise than jansson, or jx_load judging otherwise than jansson).
 *
 *	meson setup build-fuzz -Dfuzz=true (with CC=clang)
 *	build-fuzz/tests/fuzz_jx_load tests/fuzz/corpus/jx
 *
 * t_jx replays tests/fuzz/corpus/jx in every build.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "jxlaw.h"
#include "util/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf why = BUF_INIT;
	int taken;

	if (jxlaw_check((const char *)data, size, &taken, &why) < 0) {
		fprintf(stderr, "fuzz_jx_load: %s\n", why.ptr);
		abort();
	}
	buf_release(&why);
	return 0;
}
