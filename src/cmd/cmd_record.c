/*
 * catalyst-sync record TYPE --file DOC.json: records an edit made by a
 * person or an AI tool, writes it to Catalyst in the row's own shape, and
 * keeps its source, author, message and base (brief §7).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/output.h"
#include "core/history.h"
#include "source/capture.h"
#include "store/store.h"
#include "util/err.h"
#include "util/jx.h"
#include "util/xalloc.h"

static const char record_synopsis[] =
	"catalyst-sync record TYPE --file DOC.json [--source AI|UI]\n"
	"                          [--author NAME] [--message TEXT]\n"
	"                          [--base VERSION] [--no-merge] [--json]";
static const char record_description[] =
	"Records an edit of the content type TYPE: DOC.json holds the whole\n"
	"type in the Catalyst form that 'export --form catalyst --json'\n"
	"prints (one object, or an array of one). The edit is written to the\n"
	"Catalyst database in the row's own shape and becomes a version with\n"
	"its source, author and message. --base names the version the edit\n"
	"was made from (default: the head); when the head has moved past it,\n"
	"the edit becomes a branch and is merged at once: a three-way merge\n"
	"from their common version, written to Catalyst as a version with\n"
	"two parents. Paths both changed differently are conflicts: they go\n"
	"to the conflict log, the branch stays in the store and Catalyst\n"
	"keeps the head ('resolve TYPE --branch VERSION' settles it);\n"
	"--no-merge keeps any such edit as a branch. A document equal to\n"
	"the head records nothing.";

/* The document: one object, or an array of one, for this type. */
static int load_doc(json_t **out, const char *path, const struct ctx_type *t)
{
	json_t *doc = NULL, *form;
	const char *id;
	int ret;

	*out = NULL;
	if ((ret = jx_load_file(&doc, path)) < 0)
		return ret;
	form = doc;
	if (json_is_array(doc)) {
		if (json_array_size(doc) != 1) {
			ret = err_set(ERR_INVALID,
				      "'%s' holds %zu documents; give one "
				      "content type",
				      path, json_array_size(doc));
			goto out;
		}
		form = json_array_get(doc, 0);
	}
	if (!json_is_object(form)) {
		ret = err_set(ERR_INVALID,
			      "'%s' is not a content type in the Catalyst form "
			      "(an object)",
			      path);
		goto out;
	}
	id = jx_str(form, "id");
	if (id && strcmp(id, t->id)) {
		ret = err_set(ERR_INVALID,
			      "'%s' is content type '%s', not '%s' (%s)", path,
			      id, t->name ? t->name : t->id, t->id);
		goto out;
	}
	*out = json_deep_copy(form);
	if (!id)
		json_object_set_new(*out, "id", json_string(t->id));
	if (!jx_str(*out, "websiteId"))
		json_object_set_new(*out, "websiteId",
				    json_string(t->website_id));
	ret = 0;
out:
	json_decref(doc);
	return ret;
}

static void print_result(const struct history_record_result *r,
			 const struct history_edit *e, const struct ctx_type *t)
{
	if (r->unchanged) {
		printf("nothing to record: the document equals the head "
		       "(%.12s)\n",
		       r->head);
		return;
	}
	if (r->branch && r->merged[0]) {
		printf("recorded %.12s as a branch of %s (the head moved to "
		       "%.12s since %.12s) and merged it: version %.12s, in "
		       "Catalyst\n",
		       r->version, t->name ? t->name : t->id, r->head, r->base,
		       r->merged);
		return;
	}
	if (r->branch) {
		printf("recorded %.12s as a branch of %s: the head moved to "
		       "%.12s since %.12s; Catalyst keeps the head until the "
		       "branches are merged",
		       r->version, t->name ? t->name : t->id, r->head, r->base);
		if (r->conflicts)
			printf(" (%zu conflicting path%s: 'catalyst-sync "
			       "resolve %s --branch %.12s --strategy "
			       "local|remote')",
			       r->conflicts, r->conflicts == 1 ? "" : "s",
			       t->key ? t->key : t->id, r->version);
		printf("\n");
		return;
	}
	printf("recorded %.12s (%s%s%s)", r->version, e->source,
	       e->author ? ", " : "", e->author ? e->author : "");
	if (e->message)
		printf(": %s", e->message);
	printf("\n");
}

int cmd_record(int argc, char **argv, struct ctx *ctx)
{
	const char *file = NULL, *source = "UI", *author = NULL,
		   *message = NULL, *base = NULL;
	int json = 0, no_merge = 0;
	const struct opt_spec opts[] = {
		OPT_STRING_("file", 0, &file, "DOC.json",
			    "the edited content type (Catalyst form)"),
		OPT_STRING_("source", 0, &source, "AI|UI",
			    "who made the edit (default UI)"),
		OPT_STRING_("author", 0, &author, "NAME", "the author's name"),
		OPT_STRING_("message", 0, &message, "TEXT",
			    "what the edit does"),
		OPT_STRING_("base", 0, &base, "VERSION",
			    "the version the edit was made from"),
		OPT_FLAG_("no-merge", 0, &no_merge,
			  "keep an edit behind the head as a branch, unmerged"),
		OPT_FLAG_("json", 0, &json, "print the result as JSON"),
		OPT_END_()};
	struct history_record_result res;
	struct history_edit ed = {0};
	struct ctx_type t = {0};
	struct store *store = NULL;
	struct capture *cap = NULL;
	json_t *form = NULL;
	char *base_id = NULL, *pos[1], src[8];
	int nr, ret;

	ret = cmd_parse(ctx, argc, argv, opts, record_synopsis,
			record_description, pos, &nr, 1);
	if (ret)
		return ret > 0 ? EXIT_OK : ret;
	if (nr != 1)
		return err_set(ERR_USAGE, "record needs a TYPE");
	if (!file)
		return err_set(ERR_USAGE, "record needs --file DOC.json");
	if (strlen(source) != 2 ||
	    (strcasecmp(source, "AI") && strcasecmp(source, "UI")))
		return err_set(ERR_USAGE, "--source must be AI or UI, not '%s'",
			       source);
	src[0] = (char)(source[0] & ~0x20);
	src[1] = (char)(source[1] & ~0x20);
	src[2] = '\0';
	if ((ret = ctx_open_history(ctx, &store, &cap)) < 0)
		goto out;
	if ((ret = ctx_find_type(ctx, store, pos[0], &t)) < 0)
		goto out;
	if (!t.in_catalyst) {
		ret = err_set(ERR_NOTFOUND,
			      "content type '%s' was deleted in Catalyst",
			      pos[0]);
		goto out;
	}
	if ((ret = load_doc(&form, file, &t)) < 0)
		goto out;
	if (base && (ret = store_version_resolve(store, base, &base_id)) < 0)
		goto out;
	ed.type_id = t.id;
	ed.form = form;
	ed.source = src;
	ed.author = author;
	ed.message = message;
	ed.base = base_id;
	ed.no_merge = no_merge;
	if ((ret = history_record(store, cap, &ed, &res)) < 0)
		goto out;
	if (json) {
		json_t *o = json_pack(
			"{s:i, s:{s:s, s:s?, s:s?}, s:s?, s:s, s:s, s:b, s:b, "
			"s:b, s:s?, s:I}",
			"format_version", OUTPUT_FORMAT_VERSION, "type", "id",
			t.id, "name", t.name, "key", t.key, "version",
			res.version[0] ? res.version : NULL, "head", res.head,
			"base", res.base, "unchanged", res.unchanged, "branch",
			res.branch, "written", res.written, "merged",
			res.merged[0] ? res.merged : NULL, "conflicts",
			(json_int_t)res.conflicts);

		output_json(stdout, o);
		json_decref(o);
	} else {
		print_result(&res, &ed, &t);
	}
	ret = 0;
out:
	free(base_id);
	json_decref(form);
	ctx_type_release(&t);
	capture_close(cap);
	store_close(store);
	return ret;
}
