/*
 * catalyst-sync show VERSION: one version, its metadata and its Catalyst
 * form (brief §7).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/output.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/timeutil.h"

static const char show_synopsis[] = "catalyst-sync show VERSION [--json]";
static const char show_description[] =
	"Prints one version of a content type: its id, type, parents, change\n"
	"source, author, time and message, then the whole Catalyst form it\n"
	"holds. VERSION is a full version id or a unique prefix of at least 7\n"
	"of its digits (as log prints them).";

static json_t *version_json(const struct store_version *v)
{
	json_t *o = json_object(), *parents = json_array();
	struct buf t = BUF_INIT;

	time_format_iso(&t, v->created_ms);
	for (size_t i = 0; i < v->parents_nr; i++)
		json_array_append_new(parents, json_string(v->parents[i]));
	json_object_set_new(o, "id", json_string(v->id));
	json_object_set_new(o, "type",
			    json_pack("{s:s, s:s?, s:s?, s:s}", "id",
				      v->type_id, "name", v->name, "key",
				      v->type_key, "website", v->website_id));
	json_object_set_new(o, "parents", parents);
	json_object_set_new(o, "source", json_string(v->source));
	json_object_set_new(o, "author",
			    v->author ? json_string(v->author) : json_null());
	json_object_set_new(o, "message",
			    v->message ? json_string(v->message) : json_null());
	json_object_set_new(o, "created", json_string(t.ptr));
	json_object_set_new(o, "content_hash", json_string(v->content_hash));
	json_object_set_new(o, "deleted", json_boolean(v->deleted));
	json_object_set_new(o, "mainline", json_boolean(v->mainline));
	if (v->changelog_id >= 0)
		json_object_set_new(o, "changelog_id",
				    json_integer(v->changelog_id));
	json_object_set(o, "snapshot", v->snapshot ? v->snapshot : json_null());
	buf_release(&t);
	return o;
}

int cmd_show(int argc, char **argv, struct ctx *ctx)
{
	int json = 0;
	const struct opt_spec opts[] = {
		OPT_FLAG_("json", 0, &json, "print the version as JSON"),
		OPT_END_()};
	struct store_version v;
	struct store *store = NULL;
	struct buf t = BUF_INIT;
	char *pos[1], *id = NULL;
	int nr, ret, got = 0;

	ret = cmd_parse(ctx, argc, argv, opts, show_synopsis, show_description,
			pos, &nr, 1);
	if (ret)
		return ret > 0 ? EXIT_OK : ret;
	if (nr != 1)
		return err_set(ERR_USAGE, "show needs a VERSION");
	if ((ret = ctx_open_store(ctx, 0, &store)) < 0)
		goto out;
	if ((ret = store_version_resolve(store, pos[0], &id)) < 0)
		goto out;
	if ((ret = store_version_get(store, id, &v)) < 0)
		goto out;
	got = 1;
	if (json) {
		json_t *o = json_pack("{s:i, s:o}", "format_version",
				      OUTPUT_FORMAT_VERSION, "version",
				      version_json(&v));

		output_json(stdout, o);
		json_decref(o);
		ret = 0;
		goto out;
	}
	time_format_iso(&t, v.created_ms);
	printf("version  %s\n", v.id);
	printf("type     %s (%s), key %s\n", v.name ? v.name : "?", v.type_id,
	       v.type_key ? v.type_key : "?");
	for (size_t i = 0; i < v.parents_nr; i++)
		printf("%s %s\n", i ? "        " : "parents ", v.parents[i]);
	if (!v.parents_nr)
		printf("parents  (none: the first version)\n");
	printf("source   %s%s\n", v.source,
	       v.mainline ? "" : " (a branch, not in Catalyst)");
	printf("author   %s\n", v.author ? v.author : "-");
	printf("date     %s\n", t.ptr);
	if (v.changelog_id >= 0)
		printf("changelog #%lld\n", v.changelog_id);
	if (v.message)
		printf("message  %s\n", v.message);
	printf("content  %s\n\n", v.content_hash);
	if (v.deleted)
		printf("(the content type was deleted in Catalyst)\n");
	else
		output_json(stdout, v.snapshot);
	ret = 0;
out:
	if (got)
		store_version_release(&v);
	buf_release(&t);
	free(id);
	store_close(store);
	return ret;
}
