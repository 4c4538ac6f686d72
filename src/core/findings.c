#include <stdarg.h>
#include <stdlib.h>

#include "core/findings.h"
#include "util/buf.h"
#include "util/xalloc.h"

void findings_add(struct findings *f, enum finding_severity severity,
		  const char *code, const char *path, const char *fmt, ...)
{
	struct buf msg = BUF_INIT;
	struct finding *it;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	ALLOC_GROW(f->items, f->nr + 1, f->alloc);
	it = &f->items[f->nr++];
	it->severity = severity;
	it->code = xstrdup(code);
	it->path = xstrdup(path ? path : "");
	it->message = buf_detach(&msg, NULL);
}

void findings_release(struct findings *f)
{
	for (size_t i = 0; i < f->nr; i++) {
		free(f->items[i].code);
		free(f->items[i].path);
		free(f->items[i].message);
	}
	free(f->items);
	f->items = NULL;
	f->nr = f->alloc = 0;
}

size_t findings_count(const struct findings *f, enum finding_severity s)
{
	size_t n = 0;

	for (size_t i = 0; i < f->nr; i++)
		if (f->items[i].severity == s)
			n++;
	return n;
}

void findings_merge(struct findings *dst, const struct findings *src)
{
	for (size_t i = 0; i < src->nr; i++)
		findings_add(dst, src->items[i].severity, src->items[i].code,
			     src->items[i].path, "%s", src->items[i].message);
}

const char *finding_severity_name(enum finding_severity s)
{
	return s == FINDING_ERROR ? "error" : "warning";
}

void findings_append_json(json_t *out, const struct findings *f)
{
	for (size_t i = 0; i < f->nr; i++)
		json_array_append_new(
			out,
			json_pack("{s:s, s:s, s:s, s:s}", "code",
				  f->items[i].code, "severity",
				  finding_severity_name(f->items[i].severity),
				  "path", f->items[i].path, "message",
				  f->items[i].message));
}
