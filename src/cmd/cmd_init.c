/*
 * catalyst-sync init [--no-triggers] [--uninstall]: sets up the state store
 * and change capture in the Catalyst database (brief §7, §13).
 */
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/history.h"
#include "source/capture.h"
#include "source/catalyst_sqlite.h"
#include "store/store.h"
#include "core/canon.h"
#include "core/diff.h"
#include "core/model.h"
#include "core/tform.h"
#include "target/target.h"
#include "util/buf.h"
#include "util/config.h"
#include "util/err.h"
#include "util/jx.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

static const char init_synopsis[] =
	"catalyst-sync init [--no-triggers] [--uninstall] [--adopt-remote]";
static const char init_description[] =
	"Sets catalyst-sync up for a Catalyst database: creates the state\n"
	"store (sync.state.storage) when there is none, installs change\n"
	"capture in the Catalyst database (a changelog table and triggers on\n"
	"ContentType, all named _catalyst_sync_*; Catalyst's own tables and\n"
	"rows are not touched) and records the current state of every content\n"
	"type as a version. Running it again is safe: it repairs triggers\n"
	"that are missing (a Prisma migration that rebuilt ContentType drops\n"
	"them) and records what changed. With --adopt-remote it also reads\n"
	"the target and records as in sync every type whose remote document\n"
	"equals what its Catalyst type becomes (a lost state store is rebuilt\n"
	"this way); the others are listed and left for plan.";

static int uninstall(struct ctx *ctx, const char *path)
{
	struct store *store = NULL;
	struct capture *cap = NULL;
	int removed = 0, ret;

	ret = ctx_open_store(ctx, 0, &store);
	if (ret == ERR_NOTFOUND)
		err_clear();
	else if (ret < 0)
		return ret;
	if ((ret = capture_open(&cap, path)) < 0)
		goto out;
	if ((ret = history_uninstall(store, cap, &removed)) < 0)
		goto out;
	if (removed)
		printf("removed catalyst-sync's triggers, changelog and meta "
		       "table from '%s'\n",
		       path);
	else
		printf("nothing of catalyst-sync's is installed in '%s'\n",
		       path);
	ret = 0;
out:
	capture_close(cap);
	store_close(store);
	return ret;
}


struct adopt {
	struct store *store;
	struct target *target;
	const char *target_name;
	json_t *remote; /* {key: canonical document} */
	json_t *seen;   /* {key: true} for the Catalyst types */
	size_t adopted, differ, absent;
};

/* Records remote doc as the base of t: both sides agree on it. */
static int adopt_base(struct adopt *a, const struct model_type *t,
		      json_t *doc, const char *etag)
{
	struct store_sync_state st = {0};
	char head[CANON_HASH_LEN + 1], hash[CANON_HASH_LEN + 1];
	json_t *owned = tform_owned(doc), *overlay = NULL;
	int ret;

	if ((ret = history_heads(a->store, t->row->id, head, NULL)) < 0 ||
	    (ret = canon_hash(hash, owned)) < 0)
		goto out;
	st.target = xstrdup(a->target_name);
	st.type_id = xstrdup(t->row->id);
	st.type_key = xstrdup(t->key);
	st.base_doc = json_incref(doc);
	st.base_hash = xstrdup(hash);
	st.remote_etag = etag ? xstrdup(etag) : NULL;
	st.local_version = xstrdup(head);
	st.status = xstrdup("in_sync");
	st.conflict_status = xstrdup("none");
	st.last_sync_ms = st.updated_ms = time_now_ms();
	overlay = tform_overlay(doc);
	if ((ret = store_sync_state_put(a->store, &st)) < 0 ||
	    (ret = store_overlay_put(a->store, a->target_name, t->row->id,
				     overlay)) < 0)
		goto out;
	ret = 0;
out:
	json_decref(owned);
	json_decref(overlay);
	store_sync_state_release(&st);
	return ret;
}

static int adopt_one(struct model_type *t, const json_t *website,
		     void *payload)
{
	struct adopt *a = payload;
	const json_t *listed;
	json_t *owned = NULL, *doc = NULL;
	struct diff d = DIFF_INIT;
	char *etag = NULL;
	int ret = 0;

	(void)website;
	if (!t->target)
		return 0; /* an unreadable row: validate says why */
	json_object_set_new(a->seen, t->key, json_true());
	listed = json_object_get(a->remote, t->key);
	if (!listed) {
		a->absent++;
		printf("  %-28s not in the target: plan will create it\n",
		       t->key);
		return 0;
	}
	/* The list is no snapshot: decide on a fresh read, with its ETag. */
	if ((ret = target_get(a->target, t->key, NULL, &doc, &etag)) < 0)
		goto out;
	owned = tform_owned(doc);
	if (!diff_equal(owned, t->target)) {
		diff_json(&d, owned, t->target, NULL);
		a->differ++;
		printf("  %-28s differs (%zu difference%s, first at %s): "
		       "not adopted\n",
		       t->key, d.nr, d.nr == 1 ? "" : "s",
		       d.nr ? d.items[0].path : "?");
		goto out;
	}
	if ((ret = adopt_base(a, t, doc, etag)) < 0)
		goto out;
	a->adopted++;
	printf("  %-28s in sync: adopted\n", t->key);
out:
	diff_release(&d);
	json_decref(owned);
	json_decref(doc);
	free(etag);
	return ret;
}

/*
 * init --adopt-remote: bases for the types whose remote document equals
 * their lens output, so that a lost store is rebuilt without a push.
 */
static int adopt_remote(struct ctx *ctx, struct store *store)
{
	struct adopt a = {0};
	const struct config_target *cfg;
	struct catalyst_db *db = NULL;
	json_t *websites = NULL, *docs = NULL, *raw = NULL, *doc;
	size_t i, unmanaged = 0;
	int ret;

	if ((ret = ctx_open_catalyst(ctx, &db, &websites)) < 0)
		goto out;
	if (json_array_size(websites) != 1) {
		ret = err_set(ERR_USAGE,
			      "a target syncs one website and the database "
			      "has %zu; pick one with --website",
			      json_array_size(websites));
		goto out;
	}
	if ((ret = ctx_open_target(ctx, &a.target, &cfg)) < 0)
		goto out;
	if ((ret = store_target_put(store, cfg->name, cfg->url,
				    jx_str(json_array_get(websites, 0),
					   "id"))) < 0)
		goto out;
	if ((ret = target_list(a.target, &docs, &raw)) < 0)
		goto out;
	a.store = store;
	a.target_name = cfg->name;
	a.remote = json_object();
	a.seen = json_object();
	json_array_foreach(docs, i, doc)
		if (jx_str(doc, "key"))
			json_object_set(a.remote, jx_str(doc, "key"), doc);
	printf("adopting from target '%s' (%s):\n", cfg->name, cfg->url);
	if ((ret = ctx_each_type(ctx, NULL, adopt_one, &a)) < 0)
		goto out;
	json_array_foreach(raw, i, doc)
		if (!jx_str(doc, "source") &&
		    !json_object_get(a.seen, jx_str(doc, "key")))
			unmanaged++;
	printf("%zu adopted, %zu differ, %zu not in the target; %zu remote "
	       "type%s not in Catalyst (unmanaged)\n",
	       a.adopted, a.differ, a.absent, unmanaged,
	       unmanaged == 1 ? "" : "s");
	ret = 0;
out:
	json_decref(a.remote);
	json_decref(a.seen);
	json_decref(docs);
	json_decref(raw);
	json_decref(websites);
	target_free(a.target);
	catalyst_db_close(db);
	return ret;
}

int cmd_init(int argc, char **argv, struct ctx *ctx)
{
	int no_triggers = 0, do_uninstall = 0, adopt = 0;
	const struct opt_spec opts[] = {
		OPT_FLAG_("no-triggers", 0, &no_triggers,
			  "record changes by scanning, without triggers "
			  "(removes ours)"),
		OPT_FLAG_("uninstall", 0, &do_uninstall,
			  "remove what catalyst-sync added to the Catalyst "
			  "database"),
		OPT_FLAG_("adopt-remote", 0, &adopt,
			  "record as in sync the remote types that equal "
			  "Catalyst's"),
		OPT_END_()};
	struct history_sync_report rep;
	struct capture_status before = {0};
	struct store_info info = {0};
	struct store *store = NULL;
	struct capture *cap = NULL;
	const char *path;
	char *pos[1];
	int nr, ret, installed = 0;

	ret = cmd_parse(ctx, argc, argv, opts, init_synopsis, init_description,
			pos, &nr, 0);
	if (ret)
		return ret > 0 ? EXIT_OK : ret;
	if (adopt && do_uninstall)
		return err_set(ERR_USAGE, "--adopt-remote and --uninstall do "
					  "not go together");
	if (no_triggers && do_uninstall)
		return err_set(ERR_USAGE, "--no-triggers and --uninstall do "
					  "not go together");
	if ((ret = ctx_database(ctx, &path)) < 0)
		return ret;
	if (do_uninstall)
		return uninstall(ctx, path);
	if ((ret = capture_open(&cap, path)) < 0)
		goto out;
	if ((ret = capture_check(cap, &before)) < 0)
		goto out;
	if ((ret = ctx_open_store(ctx, 1, &store)) < 0)
		goto out;
	if ((ret = store_info(store, &info)) < 0)
		goto out;
	printf("state store '%s'%s (schema %d)\n", info.location,
	       store_created(store) ? " created" : "", info.schema_version);
	if ((ret = history_init(store, cap, !no_triggers, &installed, &rep)) <
	    0)
		goto out;
	if (no_triggers)
		printf("change capture: no triggers; changes are found by "
		       "scanning '%s'\n",
		       path);
	else if (installed && before.health == CAPTURE_BROKEN)
		printf("change capture: triggers repaired in '%s'\n", path);
	else if (installed)
		printf("change capture: triggers installed in '%s'\n", path);
	else
		printf("change capture: triggers already installed in '%s'\n",
		       path);
	if (rep.intents_finished + rep.intents_redone + rep.intents_branched)
		printf("finished %zu interrupted edit%s\n",
		       rep.intents_finished + rep.intents_redone +
			       rep.intents_branched,
		       rep.intents_finished + rep.intents_redone +
					       rep.intents_branched ==
				       1
			       ? ""
			       : "s");
	printf("%zu new version%s recorded", rep.versions,
	       rep.versions == 1 ? "" : "s");
	if (rep.unreadable)
		printf(" (%zu row%s could not be read)", rep.unreadable,
		       rep.unreadable == 1 ? "" : "s");
	printf("\n");
	if (adopt && (ret = adopt_remote(ctx, store)) < 0)
		goto out;
	ret = rep.unreadable ? EXIT_ERROR : EXIT_OK;
out:
	capture_status_release(&before);
	store_info_release(&info);
	capture_close(cap);
	store_close(store);
	return ret;
}
