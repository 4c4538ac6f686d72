#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jxlaw.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/jx.h"

#define JXLAW_FLAGS (JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL)

/* A dump that shows every difference the law cares about. */
static void exact_dump(struct buf *b, const json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY |
					JSON_PRESERVE_ORDER |
					JSON_REAL_PRECISION(17));

	buf_reset(b);
	if (s)
		buf_adds(b, s);
	free(s);
}

int jxlaw_check(const char *text, size_t len, int *taken, struct buf *why)
{
	struct buf fast_dump = BUF_INIT, ref_dump = BUF_INIT;
	json_t *fast = NULL, *ref, *loaded = NULL;
	json_error_t e;
	int ret = -1, load_ret;

	buf_reset(why);
	*taken = jx_parse_fast(&fast, text, len) == 0;
	ref = json_loadb(text, len, JXLAW_FLAGS, &e);
	if (*taken) {
		if (!fast) {
			buf_adds(why, "the fast path read nothing");
			goto out;
		}
		if (!ref) {
			buf_addf(why, "the fast path read what jansson refuses "
				      "(%s)", e.text);
			goto out;
		}
		exact_dump(&fast_dump, fast);
		exact_dump(&ref_dump, ref);
		if (strcmp(fast_dump.ptr, ref_dump.ptr)) {
			buf_addf(why, "trees differ: fast %s, jansson %s",
				 fast_dump.ptr, ref_dump.ptr);
			goto out;
		}
	} else if (fast) {
		buf_adds(why, "declined but set *out");
		goto out;
	}
	if (ref) {
		char *want = json_dumps(ref, JSON_COMPACT | JSON_ENCODE_ANY);

		buf_reset(&fast_dump);
		jx_dump_compact(&fast_dump, ref);
		if (!want || strcmp(fast_dump.ptr, want))
			buf_addf(why, "jx_dump_compact wrote %s, jansson %s",
				 fast_dump.ptr, want ? want : "nothing");
		free(want);
		if (why->len)
			goto out;
	}
	load_ret = jx_load(&loaded, text, len, "doc");
	if (!ref != (load_ret < 0)) {
		buf_addf(why, "jx_load %s what jansson %s",
			 load_ret < 0 ? "refused" : "accepted",
			 ref ? "accepts" : "refuses");
		goto out;
	}
	if (!ref) {
		struct buf want = BUF_INIT;

		buf_addf(&want, "cannot parse doc at %d:%d: %s", e.line,
			 e.column, e.text);
		if (strcmp(err_msg(), want.ptr))
			buf_addf(why, "message '%s', jansson's '%s'",
				 err_msg(), want.ptr);
		buf_release(&want);
		if (why->len)
			goto out;
	}
	ret = 0;
out:
	err_clear();
	json_decref(fast);
	json_decref(ref);
	json_decref(loaded);
	buf_release(&fast_dump);
	buf_release(&ref_dump);
	return ret;
}
