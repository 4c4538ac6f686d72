/*
 * catalyst-sync validate [TYPE]: checks the Catalyst model against
 * Catalyst's own rules and Optimizely's, without touching any server.
 */
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/output.h"
#include "core/model.h"
#include "util/config.h"
#include "util/err.h"

static const char validate_synopsis[] =
	"catalyst-sync validate [TYPE] [--json] [--strict | --lenient]";
static const char validate_description[] =
	"Reads the content types of the website from the Catalyst database,\n"
	"normalizes them, gives them their Optimizely keys, transforms them\n"
	"and checks the result. Exit code 1 when a row cannot be read or a\n"
	"type has an error (with --strict, or validation: strict in the\n"
	"configuration, a warning too).";

struct validate_state {
	int json;
	int strict;
	json_t *types; /* --json: the report's types */
	size_t types_nr, failed_nr, errors, warnings;
};

static int validate_one(struct model_type *t, const json_t *website,
			void *payload)
{
	struct validate_state *s = payload;
	size_t failures = model_type_failures(t, s->strict);
	size_t errors = findings_count(&t->findings, FINDING_ERROR) +
			(t->error ? 1 : 0);
	size_t warnings = findings_count(&t->findings, FINDING_WARNING);

	s->types_nr++;
	s->errors += errors;
	s->warnings += warnings;
	if (failures)
		s->failed_nr++;
	if (s->json) {
		json_t *o = json_pack(
			"{s:s, s:s, s:s?, s:s, s:b, s:o}", "id", t->row->id,
			"name", t->row->name ? t->row->name : "", "key", t->key,
			"website", json_string_value(json_object_get(website, "id")),
			"valid", failures == 0, "findings",
			output_findings_json(&t->findings));

		if (t->error)
			json_object_set_new(o, "error", json_string(t->error));
		json_array_append_new(s->types, o);
		return 0;
	}
	if (t->error) {
		printf("%s (%s): cannot be read\n  error: %s\n",
		       t->row->name ? t->row->name : "?", t->row->id, t->error);
		return 0;
	}
	printf("%s (%s): %s", t->row->name, t->key,
	       failures ? "invalid" : "ok");
	if (errors || warnings)
		printf(" (%zu error%s, %zu warning%s)", errors,
		       errors == 1 ? "" : "s", warnings,
		       warnings == 1 ? "" : "s");
	printf("\n");
	output_findings_text(stdout, &t->findings);
	return 0;
}

int cmd_validate(int argc, char **argv, struct ctx *ctx)
{
	struct validate_state s = { 0 };
	int strict = 0, lenient = 0;
	const struct opt_spec opts[] = {
		OPT_FLAG_("json", 0, &s.json, "print the report as JSON"),
		OPT_FLAG_("strict", 0, &strict, "warnings fail validation"),
		OPT_FLAG_("lenient", 0, &lenient, "only errors fail validation"),
		OPT_END_()
	};
	char *pos[1];
	struct config *config;
	int nr, ret;

	ret = cmd_parse(ctx, argc, argv, opts, validate_synopsis,
			validate_description, pos, &nr, 1);
	if (ret)
		return ret > 0 ? EXIT_OK : ret;
	if ((ret = ctx_config(ctx, &config)) < 0)
		return ret;
	s.strict = strict || (!lenient && !strcmp(config->validation, "strict"));
	s.types = json_array();
	ret = ctx_each_type(ctx, nr ? pos[0] : NULL, validate_one, &s);
	if (ret < 0)
		goto out;
	if (s.json) {
		json_t *report = json_pack(
			"{s:i, s:b, s:O, s:{s:i, s:i, s:i, s:i}}",
			"format_version", OUTPUT_FORMAT_VERSION, "strict",
			s.strict, "types", s.types, "summary", "types",
			(json_int_t)s.types_nr, "invalid", (json_int_t)s.failed_nr,
			"errors", (json_int_t)s.errors, "warnings",
			(json_int_t)s.warnings);

		output_json(stdout, report);
		json_decref(report);
	} else {
		printf("%zu type%s checked: %zu valid, %zu invalid; %zu "
		       "error%s, %zu warning%s%s\n",
		       s.types_nr, s.types_nr == 1 ? "" : "s",
		       s.types_nr - s.failed_nr, s.failed_nr, s.errors,
		       s.errors == 1 ? "" : "s", s.warnings,
		       s.warnings == 1 ? "" : "s",
		       s.strict && s.warnings ? " (strict: warnings fail)" : "");
	}
	ret = s.failed_nr ? EXIT_ERROR : EXIT_OK;
out:
	json_decref(s.types);
	return ret;
}
