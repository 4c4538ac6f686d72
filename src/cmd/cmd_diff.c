/*
 * catalyst-sync diff TYPE A [B]: what changed between two versions of a
 * content type, down to each attribute, in the Catalyst form or (with
 * --form optimizely) in the Optimizely form the lens makes of each.
 *
 * diff TYPE (base -> local) and diff TYPE --remote come with sync.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/output.h"
#include "core/diff.h"
#include "core/history.h"
#include "core/lens.h"
#include "source/capture.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/timeutil.h"

static const char diff_synopsis[] =
	"catalyst-sync diff TYPE A [B] [--form catalyst|optimizely] [--json]";
static const char diff_description[] =
	"Shows what changed in the content type TYPE from version A to\n"
	"version B (default: the head), member by member down to each field\n"
	"attribute: '~' changed, '+' added, '-' removed; elements of\n"
	"set-valued lists (allowedTypes, ...) one by one. --form optimizely\n"
	"compares the Optimizely documents the two versions become, down to\n"
	"each property attribute. A and B are version ids or unique prefixes\n"
	"of at least 7 digits.";

/* The version spec names, as a version of type t; *v is filled. */
static int load_version(struct store *s, const char *spec,
			const struct ctx_type *t, struct store_version *v)
{
	char *id = NULL;
	int ret;

	store_version_init(v);
	if ((ret = store_version_resolve(s, spec, &id)) < 0)
		return ret;
	ret = store_version_get(s, id, v);
	free(id);
	if (ret < 0)
		return ret;
	if (strcmp(v->type_id, t->id)) {
		ret = err_set(ERR_INVALID,
			      "version %.12s is a version of '%s', not of '%s'",
			      v->id, v->name ? v->name : v->type_id,
			      t->name ? t->name : t->id);
		store_version_release(v);
	}
	return ret;
}

/* The Optimizely form the lens makes of v (NULL for a deletion). */
static int target_of(struct store *s, const struct store_version *v,
		     const struct ctx_type *t, json_t **out)
{
	struct lens_ctx lc = {0};
	json_t *type_keys = NULL, *props = NULL;
	int ret;

	*out = NULL;
	if (v->deleted || !v->snapshot)
		return 0;
	if ((ret = store_type_keys(s, v->website_id, &type_keys)) < 0 ||
	    (ret = history_prop_keys(s, v->type_id, v->snapshot, 0, &props)) <
		    0)
		goto out;
	lc.type_key = t->key ? t->key : v->type_key;
	lc.type_keys = type_keys;
	lc.prop_keys = props;
	ret = lens_forward(out, v->snapshot, &lc);
out:
	json_decref(type_keys);
	json_decref(props);
	return ret;
}

static void header(struct buf *b, const char *mark,
		   const struct store_version *v)
{
	buf_addf(b, "%s %.12s  ", mark, v->id);
	time_format_iso(b, v->created_ms);
	buf_addf(b, "  %s%s%s\n", v->source, v->author ? " " : "",
		 v->author ? v->author : "");
}

int cmd_diff(int argc, char **argv, struct ctx *ctx)
{
	const char *form = "catalyst";
	int json = 0;
	const struct opt_spec opts[] = {
		OPT_STRING_("form", 0, &form, "FORM",
			    "catalyst (default) or optimizely"),
		OPT_FLAG_("json", 0, &json, "print the differences as JSON"),
		OPT_END_()};
	struct store_version a, b;
	struct diff d = DIFF_INIT;
	struct ctx_type t = {0};
	struct store *store = NULL;
	struct capture *cap = NULL;
	struct buf out = BUF_INIT;
	json_t *da = NULL, *db = NULL;
	char head[CANON_HASH_LEN + 1];
	char *pos[3];
	int nr, ret, opti, have_a = 0, have_b = 0;

	ret = cmd_parse(ctx, argc, argv, opts, diff_synopsis, diff_description,
			pos, &nr, 3);
	if (ret)
		return ret > 0 ? EXIT_OK : ret;
	if (nr < 2)
		return err_set(ERR_USAGE,
			       "diff needs a TYPE and a version A (diff TYPE "
			       "without versions comes with sync)");
	if (strcmp(form, "catalyst") && strcmp(form, "optimizely"))
		return err_set(
			ERR_USAGE,
			"--form must be catalyst or optimizely, not '%s'",
			form);
	opti = !strcmp(form, "optimizely");
	if ((ret = ctx_open_history(ctx, &store, &cap)) < 0)
		goto out;
	if ((ret = ctx_find_type(ctx, store, pos[0], &t)) < 0)
		goto out;
	if ((ret = load_version(store, pos[1], &t, &a)) < 0)
		goto out;
	have_a = 1;
	if (nr == 3) {
		ret = load_version(store, pos[2], &t, &b);
	} else {
		if ((ret = history_heads(store, t.id, head, NULL)) < 0)
			goto out;
		ret = load_version(store, head, &t, &b);
	}
	if (ret < 0)
		goto out;
	have_b = 1;
	if (opti) {
		if ((ret = target_of(store, &a, &t, &da)) < 0 ||
		    (ret = target_of(store, &b, &t, &db)) < 0)
			goto out;
	} else {
		da = a.deleted ? NULL : json_incref(a.snapshot);
		db = b.deleted ? NULL : json_incref(b.snapshot);
	}
	diff_json(&d, da, db, NULL);
	if (json) {
		json_t *o = json_pack(
			"{s:i, s:{s:s, s:s?, s:s?}, s:s, s:s, s:s, "
			"s:o}",
			"format_version", OUTPUT_FORMAT_VERSION, "type", "id",
			t.id, "name", t.name, "key", t.key, "form", form,
			"from", a.id, "to", b.id, "changes", diff_to_json(&d));

		output_json(stdout, o);
		json_decref(o);
	} else {
		header(&out, "---", &a);
		header(&out, "+++", &b);
		if (d.nr)
			diff_format(&out, &d);
		else
			buf_adds(&out, "no differences\n");
		fputs(out.ptr, stdout);
	}
	ret = 0;
out:
	if (have_a)
		store_version_release(&a);
	if (have_b)
		store_version_release(&b);
	diff_release(&d);
	json_decref(da);
	json_decref(db);
	buf_release(&out);
	ctx_type_release(&t);
	capture_close(cap);
	store_close(store);
	return ret;
}
