/*
 * catalyst-sync export [TYPE]: prints the content types as the Optimizely
 * documents they become (or, with --form catalyst, as normalized Catalyst
 * forms), as a readable listing or as one JSON array.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/output.h"
#include "core/model.h"
#include "core/tform.h"
#include "core/validate.h"
#include "util/buf.h"
#include "util/config.h"
#include "util/err.h"
#include "util/jx.h"
#include "util/log.h"

static const char export_synopsis[] =
	"catalyst-sync export [TYPE] [--form optimizely|catalyst] [--json]\n"
	"                            [--api-version v1|preview3]";
static const char export_description[] =
	"Prints what the Catalyst content types become in Optimizely: a\n"
	"readable listing, or with --json one JSON array of content types in\n"
	"the wire names of the API version (v1 by default). --form catalyst\n"
	"prints the normalized Catalyst form instead. Rows that cannot be\n"
	"read are reported on stderr and the rest is still printed (exit 1).";

struct export_state {
	int json;
	int catalyst;
	enum api_version version;
	int strict;
	json_t *docs;
	size_t failed;
};

static void print_constraints(struct buf *b, const json_t *p)
{
	static const char *names[] = { "minLength", "maxLength", "pattern",
				       "minimum",   "maximum",   "minItems",
				       "maxItems",  NULL };
	const json_t *v;
	size_t i;

	for (i = 0; names[i]; i++) {
		v = json_object_get(p, names[i]);
		if (!v)
			continue;
		buf_addf(b, " %s=", names[i]);
		jx_dump_compact(b, v);
	}
	v = json_object_get(p, "allowedTypes");
	if (!v && json_object_get(p, "items"))
		v = json_object_get(json_object_get(p, "items"), "allowedTypes");
	if (v) {
		buf_adds(b, " allowed=");
		jx_dump_compact(b, v);
	}
	v = json_object_get(p, "enum");
	if (!v && json_object_get(p, "items"))
		v = json_object_get(json_object_get(p, "items"), "enum");
	if (v) {
		json_t *e;

		buf_adds(b, " enum=");
		json_array_foreach(v, i, e) {
			buf_adds(b, i ? "|" : "");
			jx_dump_compact(b, json_object_get(e, "value"));
		}
	}
}

static int by_sort_order(const void *a, const void *b)
{
	const json_t *pa = *(json_t *const *)a, *pb = *(json_t *const *)b;
	json_int_t oa = json_integer_value(json_object_get(pa, "sortOrder"));
	json_int_t ob = json_integer_value(json_object_get(pb, "sortOrder"));

	return oa < ob ? -1 : oa > ob;
}

/* A listing a person reads: one line for the type, one per property. */
static void print_listing(const struct model_type *t)
{
	const json_t *doc = t->target, *props = json_object_get(doc, "properties");
	const char **keys;
	json_t **vals;
	size_t n;
	struct buf line = BUF_INIT;

	printf("%s  \"%s\"  %s  (Catalyst %s)\n", t->key,
	       jx_str(doc, "displayName"), jx_str(doc, "baseType"),
	       t->row->id);
	keys = jx_sorted_keys(props, &n);
	vals = calloc(n ? n : 1, sizeof(*vals));
	for (size_t i = 0; i < n; i++)
		vals[i] = json_object_get(props, keys[i]);
	/* Stable: equal sortOrders keep key order. */
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && by_sort_order(&vals[j - 1], &vals[j]) > 0; j--) {
			json_t *tv = vals[j];
			const char *tk = keys[j];

			vals[j] = vals[j - 1];
			keys[j] = keys[j - 1];
			vals[j - 1] = tv;
			keys[j - 1] = tk;
		}
	for (size_t i = 0; i < n; i++) {
		const json_t *p = vals[i];
		const json_t *items = json_object_get(p, "items");

		buf_reset(&line);
		buf_addf(&line, "  %-22s ", keys[i]);
		if (items)
			buf_addf(&line, "%s<%s>", jx_str(p, "type"),
				 jx_str(items, "type"));
		else
			buf_adds(&line, jx_str(p, "type"));
		if (jx_true(p, "isRequired"))
			buf_adds(&line, " required");
		if (jx_str(p, "format"))
			buf_addf(&line, " format=%s", jx_str(p, "format"));
		print_constraints(&line, p);
		if (jx_str(p, "displayName"))
			buf_addf(&line, "  \"%s\"", jx_str(p, "displayName"));
		printf("%s\n", line.ptr);
	}
	printf("\n");
	buf_release(&line);
	free(keys);
	free(vals);
}

static int export_one(struct model_type *t, const json_t *website,
		      void *payload)
{
	struct export_state *s = payload;

	(void)website;
	if (t->error || !t->target) {
		fprintf(stderr, "catalyst-sync: %s\n",
			t->error ? t->error : "cannot transform");
		s->failed++;
		return 0;
	}
	if (validate_failures(&t->findings, s->strict)) {
		for (size_t i = 0; i < t->findings.nr; i++)
			fprintf(stderr, "catalyst-sync: %s: %s: %s [%s]\n",
				finding_severity_name(t->findings.items[i].severity),
				t->findings.items[i].path,
				t->findings.items[i].message,
				t->findings.items[i].code);
		s->failed++;
	}
	if (s->json) {
		json_array_append_new(s->docs,
				      s->catalyst ? json_incref(t->form)
						  : tform_to_wire(t->target,
								  s->version));
		return 0;
	}
	if (s->catalyst) {
		output_json(stdout, t->form);
		return 0;
	}
	print_listing(t);
	return 0;
}

int cmd_export(int argc, char **argv, struct ctx *ctx)
{
	struct export_state s = { 0 };
	const char *form = "optimizely", *version = "v1";
	int lenient = 0;
	const struct opt_spec opts[] = {
		OPT_STRING_("form", 0, &form, "FORM",
			    "optimizely (default) or catalyst"),
		OPT_FLAG_("json", 0, &s.json, "print one JSON array"),
		OPT_STRING_("api-version", 0, &version, "VERSION",
			    "wire names of v1 (default) or preview3"),
		OPT_FLAG_("lenient", 0, &lenient,
			  "only errors fail (warnings are reported)"),
		OPT_END_()
	};
	char *pos[1];
	struct config *config;
	int nr, ret;

	ret = cmd_parse(ctx, argc, argv, opts, export_synopsis,
			export_description, pos, &nr, 1);
	if (ret)
		return ret > 0 ? EXIT_OK : ret;
	if (strcmp(form, "optimizely") && strcmp(form, "catalyst"))
		return err_set(ERR_USAGE,
			       "--form must be optimizely or catalyst, not '%s'",
			       form);
	s.catalyst = !strcmp(form, "catalyst");
	if (tform_parse_api_version(&s.version, version) < 0)
		return err_set(ERR_USAGE,
			       "--api-version must be v1 or preview3, not '%s'",
			       version);
	if ((ret = ctx_config(ctx, &config)) < 0)
		return ret;
	s.strict = !lenient && !strcmp(config->validation, "strict");
	s.docs = json_array();
	ret = ctx_each_type(ctx, nr ? pos[0] : NULL, export_one, &s);
	if (ret < 0)
		goto out;
	if (s.json)
		output_json(stdout, s.docs);
	if (s.failed)
		log_error("export", "%zu type%s could not be exported cleanly",
			  s.failed, s.failed == 1 ? "" : "s");
	ret = s.failed ? EXIT_ERROR : EXIT_OK;
out:
	json_decref(s.docs);
	return ret;
}
