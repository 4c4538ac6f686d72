#include "cmd/output.h"
#include "core/findings.h"
#include "util/buf.h"
#include "util/jx.h"

void output_findings_text(FILE *out, const struct findings *f)
{
	for (size_t i = 0; i < f->nr; i++)
		fprintf(out, "  %s: %s: %s [%s]\n",
			finding_severity_name(f->items[i].severity),
			f->items[i].path, f->items[i].message, f->items[i].code);
}

json_t *output_findings_json(const struct findings *f)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < f->nr; i++)
		json_array_append_new(
			arr, json_pack("{s:s, s:s, s:s, s:s}", "code",
				       f->items[i].code, "severity",
				       finding_severity_name(f->items[i].severity),
				       "path", f->items[i].path, "message",
				       f->items[i].message));
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
