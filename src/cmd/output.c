/*
 * output: printing and saving shared by the commands.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd/output.h"
#include "core/findings.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/jx.h"
#include "util/banned.h"

void output_findings_text(FILE *out, const struct findings *f)
{
	for (size_t i = 0; i < f->nr; i++)
		fprintf(out, "  %s: %s: %s [%s]\n",
			finding_severity_name(f->items[i].severity),
			f->items[i].path, f->items[i].message,
			f->items[i].code);
}

json_t *output_findings_json(const struct findings *f)
{
	json_t *arr = json_array();

	findings_append_json(arr, f);
	return arr;
}

void output_json(FILE *out, const json_t *v)
{
	struct buf b = BUF_INIT;

	jx_dump_pretty(&b, v);
	buf_addch(&b, '\n');
	fwrite(b.ptr, 1, b.len, out);
	buf_release(&b);
}

int output_save_json(const char *path, const json_t *doc)
{
	struct buf b = BUF_INIT, tmp = BUF_INIT;
	FILE *f;
	int ret = 0;

	jx_dump_pretty(&b, doc);
	buf_addch(&b, '\n');
	buf_addf(&tmp, "%s.tmp", path);
	f = fopen(tmp.ptr, "w");
	if (!f || fwrite(b.ptr, 1, b.len, f) != b.len || fflush(f) ||
	    fsync(fileno(f)))
		ret = err_set(ERR_GENERIC, "cannot write %s: %s", tmp.ptr,
			      strerror(errno));
	if (f && fclose(f) && !ret)
		ret = err_set(ERR_GENERIC, "cannot write %s: %s", tmp.ptr,
			      strerror(errno));
	if (!ret && rename(tmp.ptr, path) < 0)
		ret = err_set(ERR_GENERIC, "cannot save %s: %s", path,
			      strerror(errno));
	if (ret)
		(void)unlink(tmp.ptr);
	buf_release(&b);
	buf_release(&tmp);
	return ret;
}
