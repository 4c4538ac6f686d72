/*
 * catalyst-sync status [TYPE]: per content type its key, its head, whether
 * it changed since it was last synced, its branches; and the health of
 * change capture (brief §7, §16).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/output.h"
#include "core/history.h"
#include "core/model.h"
#include "source/capture.h"
#include "source/catalyst_sqlite.h"
#include "store/store.h"
#include "target/target.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/jx.h"
#include "util/xalloc.h"

static const char status_synopsis[] =
	"catalyst-sync status [TYPE] [--all] [--json]";
static const char status_description[] =
	"Shows, for every content type of the website (or the one TYPE\n"
	"names): its Optimizely key, its head version, whether it changed\n"
	"since it was last synced to each target ('never synced' before the\n"
	"first sync), and its branches (heads not merged yet). The first line\n"
	"says whether change capture works: the triggers installed by\n"
	"'catalyst-sync init' can go missing when a Prisma migration rebuilds\n"
	"ContentType, and then only scans find changes, without their order.\n"
	"With --all it also reads the target and lists its unmanaged types:\n"
	"those in the CMS that no Catalyst type and no sync state know (sync\n"
	"ignores them).";

struct status_state {
	struct store *store;
	int json;
	const char *only; /* a type id, or NULL */
	json_t *seen;	  /* {type id: true} */
	json_t *keys;	  /* {key: true} of every type shown */
	json_t *types;	  /* --json */
	size_t nr, branched, changed;
};

/* The sync part of a type: per target, in sync or changed since. */
static int sync_json(struct status_state *s, const char *id, const char *head,
		     json_t **out)
{
	json_t *states = NULL, *st;
	size_t i;
	int ret;

	*out = json_array();
	if (!s->store)
		return 0;
	if ((ret = store_sync_state_list(s->store, id, &states)) < 0)
		return ret;
	json_array_foreach(states, i, st)
	{
		const char *local = jx_str(st, "local_version");
		int changed = !local || !head || strcmp(local, head);

		json_array_append_new(
			*out, json_pack("{s:s, s:s, s:s?, s:b}", "target",
					jx_str(st, "target"), "status",
					jx_str(st, "status"), "local_version",
					local, "changed", changed));
	}
	json_decref(states);
	return 0;
}

static void print_type(const json_t *o)
{
	struct buf line = BUF_INIT;
	const json_t *sync = json_object_get(o, "sync"), *x;
	const json_t *branches = json_object_get(o, "branches");
	const char *head = jx_str(o, "head");
	size_t i;

	buf_addf(&line, "%-24s %-24s ", jx_str(o, "name"),
		 jx_str(o, "key") ? jx_str(o, "key") : "-");
	if (jx_true(o, "deleted"))
		buf_addf(&line, "head %.12s  deleted in Catalyst", head);
	else if (head)
		buf_addf(&line, "head %.12s", head);
	else
		buf_adds(&line, "no history");
	if (!json_array_size(sync)) {
		buf_adds(&line, "  never synced");
	} else {
		json_array_foreach(sync, i, x)
		{
			const char *st = jx_str(x, "status");

			/* What the last apply left alone says more. */
			if (st && (!strcmp(st, "drift") ||
				   !strcmp(st, "conflict") ||
				   !strcmp(st, "blocked") ||
				   !strcmp(st, "failed")))
				buf_addf(&line, "  %s: %s at the last apply",
					 jx_str(x, "target"), st);
			else
				buf_addf(&line, "  %s: %s",
					 jx_str(x, "target"),
					 jx_true(x, "changed")
						 ? "changed since last sync"
						 : "in sync");
		}
	}
	if (json_array_size(branches)) {
		buf_addf(&line, "  %zu branch%s:", json_array_size(branches),
			 json_array_size(branches) == 1 ? "" : "es");
		json_array_foreach(branches, i, x)
			buf_addf(&line, " %.12s", json_string_value(x));
	}
	printf("%s\n", line.ptr);
	buf_release(&line);
}

static int add_type(struct status_state *s, const char *id, const char *name,
		    const char *key, const char *website, int deleted)
{
	char head[CANON_HASH_LEN + 1] = "";
	json_t *branches = NULL, *sync = NULL, *o;
	int ret;

	if (s->store &&
	    (ret = history_heads(s->store, id, head, &branches)) < 0)
		return ret;
	if (!branches)
		branches = json_array();
	if ((ret = sync_json(s, id, head[0] ? head : NULL, &sync)) < 0) {
		json_decref(branches);
		return ret;
	}
	if (key)
		json_object_set_new(s->keys, key, json_true());
	o = json_pack("{s:s, s:s, s:s?, s:s, s:s?, s:b, s:o, s:o}", "id", id,
		      "name", name ? name : id, "key", key, "website", website,
		      "head", head[0] ? head : NULL, "deleted", deleted,
		      "branches", branches, "sync", sync);
	s->nr++;
	if (json_array_size(branches))
		s->branched++;
	if (s->json)
		json_array_append_new(s->types, o);
	else {
		print_type(o);
		json_decref(o);
	}
	return 0;
}

struct website_pass {
	struct status_state *s;
	const char *website;
	const json_t *keys;
};

static int status_row(const struct catalyst_row *row, void *payload)
{
	struct website_pass *p = payload;

	json_object_set_new(p->s->seen, row->id, json_true());
	if (p->s->only && strcmp(p->s->only, row->id))
		return 0;
	return add_type(p->s, row->id, row->name, jx_str(p->keys, row->id),
			p->website, 0);
}

/* Types with history whose rows are gone, in the websites shown. */
static int deleted_types(struct status_state *s, const json_t *websites)
{
	struct store_version v;
	json_t *types = NULL, *w, *site;
	const char *id;
	size_t i;
	int ret;

	if (!s->store)
		return 0;
	if ((ret = store_version_types(s->store, &types)) < 0)
		return ret;
	json_object_foreach(types, id, w)
	{
		int listed = 0;

		if (json_object_get(s->seen, id) ||
		    (s->only && strcmp(s->only, id)))
			continue;
		json_array_foreach(websites, i, site)
		{
			listed |= !strcmp(jx_str(site, "id"),
					  json_string_value(w));
		}
		if (!listed)
			continue;
		if ((ret = store_version_mainline(s->store, id, &v)) < 0)
			break;
		ret = add_type(s, id, v.name, v.type_key, v.website_id,
			       v.deleted);
		store_version_release(&v);
		if (ret < 0)
			break;
	}
	json_decref(types);
	return ret;
}

/* --all: the target's user types that nothing here knows. */
static int unmanaged_types(struct ctx *ctx, struct status_state *s,
			   json_t **out)
{
	struct target *t = NULL;
	json_t *docs = NULL, *raw = NULL, *states = NULL, *doc, *st;
	size_t i;
	int ret;

	*out = json_array();
	if ((ret = ctx_open_target(ctx, &t, NULL)) < 0 ||
	    (ret = target_list(t, &docs, &raw)) < 0)
		goto out;
	if (s->store && (ret = store_sync_state_list(s->store, NULL,
						     &states)) < 0)
		goto out;
	json_array_foreach(states, i, st)
		if (jx_str(st, "type_key"))
			json_object_set_new(s->keys, jx_str(st, "type_key"),
					    json_true());
	json_array_foreach(raw, i, doc)
	{
		const char *key = jx_str(doc, "key");

		if (key && !jx_str(doc, "source") &&
		    !json_object_get(s->keys, key))
			json_array_append_new(*out, json_string(key));
	}
	ret = 0;
out:
	json_decref(docs);
	json_decref(raw);
	json_decref(states);
	target_free(t);
	return ret;
}

static const char *capture_line(const struct capture_status *st,
				const char *mode, int have_store)
{
	if (!have_store)
		return "not set up; run 'catalyst-sync init'";
	if (st->health == CAPTURE_OK)
		return "triggers installed";
	if (mode && !strcmp(mode, "triggers"))
		return st->triggers_nr == 3
			       ? "triggers out of date (full scans); run "
				 "'catalyst-sync init'"
			       : "triggers missing (full scans); run "
				 "'catalyst-sync init'";
	return "no triggers (full scans)";
}

int cmd_status(int argc, char **argv, struct ctx *ctx)
{
	struct status_state s = {0};
	int all = 0;
	const struct opt_spec opts[] = {
		OPT_FLAG_("all", 0, &all,
			  "also list the target's unmanaged types"),
		OPT_FLAG_("json", 0, &s.json, "print the status as JSON"),
		OPT_END_()};
	struct capture_status st = {0};
	struct ctx_type t = {0};
	struct capture *cap = NULL;
	struct catalyst_db *db = NULL;
	json_t *websites = NULL, *w, *persisted = NULL, *capture_json = NULL;
	json_t *unmanaged = NULL;
	char *mode = NULL, *pos[1];
	const char *path;
	struct model m = {0};
	size_t i;
	int nr, ret;

	ret = cmd_parse(ctx, argc, argv, opts, status_synopsis,
			status_description, pos, &nr, 1);
	if (ret)
		return ret > 0 ? EXIT_OK : ret;
	ret = ctx_open_history(ctx, &s.store, &cap);
	if (ret == ERR_NOTFOUND && strstr(err_msg(), "catalyst-sync init")) {
		/* No store yet: the types and their keys, no history. */
		err_clear();
		if ((ret = ctx_database(ctx, &path)) < 0 ||
		    (ret = capture_open(&cap, path)) < 0)
			goto out;
	} else if (ret < 0) {
		goto out;
	}
	if ((ret = capture_check(cap, &st)) < 0)
		goto out;
	if (s.store) {
		ret = store_meta_get(s.store, HISTORY_MODE_KEY, &mode);
		if (ret == ERR_NOTFOUND)
			err_clear();
		else if (ret < 0)
			goto out;
	}
	if (nr) {
		if ((ret = ctx_find_type(ctx, s.store, pos[0], &t)) < 0)
			goto out;
		s.only = t.id;
	}
	if ((ret = ctx_open_catalyst(ctx, &db, &websites)) < 0)
		goto out;
	capture_json = json_pack("{s:s, s:s?, s:s, s:i, s:s?}", "health",
				 capture_health_name(st.health), "mode", mode,
				 "summary", capture_line(&st, mode, !!s.store),
				 "triggers", st.triggers_nr, "install_id",
				 st.install_id);
	if (!s.json)
		printf("change capture: %s\n",
		       capture_line(&st, mode, !!s.store));
	s.seen = json_object();
	s.keys = json_object();
	s.types = json_array();
	json_array_foreach(websites, i, w)
	{
		struct website_pass p = {&s, jx_str(w, "id"), NULL};

		if (s.store &&
		    (ret = store_type_keys(s.store, p.website, &persisted)) < 0)
			goto out;
		if ((ret = model_open(&m, db, p.website, persisted, NULL)) < 0)
			goto out;
		p.keys = m.type_keys;
		ret = catalyst_db_each_header(db, p.website, status_row, &p);
		model_release(&m);
		json_decref(persisted);
		persisted = NULL;
		if (ret < 0)
			goto out;
	}
	if ((ret = deleted_types(&s, websites)) < 0)
		goto out;
	if (all && (ret = unmanaged_types(ctx, &s, &unmanaged)) < 0)
		goto out;
	if (s.json) {
		json_t *o = json_pack("{s:i, s:O, s:O}", "format_version",
				      OUTPUT_FORMAT_VERSION, "capture",
				      capture_json, "types", s.types);

		if (unmanaged)
			json_object_set(o, "unmanaged", unmanaged);

		output_json(stdout, o);
		json_decref(o);
	} else {
		printf("%zu content type%s", s.nr, s.nr == 1 ? "" : "s");
		if (s.branched)
			printf(", %zu with branches to merge", s.branched);
		printf("\n");
		for (i = 0; i < json_array_size(unmanaged); i++)
			printf("%-24s %-24s unmanaged: in the CMS only, "
			       "ignored by sync\n",
			       "-",
			       json_string_value(
				       json_array_get(unmanaged, i)));
	}
	ret = 0;
out:
	model_release(&m);
	json_decref(persisted);
	json_decref(capture_json);
	json_decref(websites);
	json_decref(s.seen);
	json_decref(s.keys);
	json_decref(unmanaged);
	json_decref(s.types);
	free(mode);
	capture_status_release(&st);
	ctx_type_release(&t);
	catalyst_db_close(db);
	capture_close(cap);
	store_close(s.store);
	return ret;
}
