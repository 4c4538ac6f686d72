/*
 * findings: what validation (and key generation) has to say about a model.
 *
 * A finding has a documented code ("unknown-field-type"), a severity, a path
 * "<type>:<path>" ("Article:fields.title.validation.maxLength") and a message
 * in plain words. The codes are listed in docs/validation.md.
 */
#ifndef CORE_FINDINGS_H
#define CORE_FINDINGS_H

#include <jansson.h>
#include <stddef.h>

enum finding_severity {
	FINDING_ERROR = 0,
	FINDING_WARNING = 1
};

struct finding {
	enum finding_severity severity;
	char *code;
	char *path;
	char *message;
};

struct findings {
	struct finding *items;
	size_t nr, alloc;
};

#define FINDINGS_INIT { NULL, 0, 0 }

/* Appends a finding; all strings are copied. */
void findings_add(struct findings *f, enum finding_severity severity,
		  const char *code, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
void findings_release(struct findings *f);
/* How many findings have this severity. */
size_t findings_count(const struct findings *f, enum finding_severity s);
/* Appends every finding of src to dst (copies). */
void findings_merge(struct findings *dst, const struct findings *src);
const char *finding_severity_name(enum finding_severity s);
/* Appends each finding to out as {code, severity, path, message}. */
void findings_append_json(json_t *out, const struct findings *f);

#endif
