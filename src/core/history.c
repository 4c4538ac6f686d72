/*
 * history: changelog and scans into versions, edits with intents, heads
 * and branches. See history.h for the rules and docs/history.md for the
 * story.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/canon.h"
#include "core/catalyst_form.h"
#include "core/history.h"
#include "core/keys.h"
#include "core/lens.h"
#include "core/merge3.h"
#include "core/model.h"
#include "source/capture.h"
#include "source/catalyst_sqlite.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/jx.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/xalloc.h"
#include "util/banned.h"

/* Changelog rows turned into versions per store transaction. */
#define HISTORY_BATCH 500

/*
 * CS_FAULT_AT=<point> ends the process at once (exit code 9, no cleanup,
 * as a crash would) when it reaches point: the tests kill a run between the
 * steps of the two-database protocol. Debug builds only.
 */
static void fault_point(const char *point)
{
#ifndef NDEBUG
	const char *env = getenv("CS_FAULT_AT");

	if (env && !strcmp(env, point)) {
		fflush(NULL);
		_exit(9);
	}
#else
	(void)point;
#endif
}

const char *history_deleted_hash(void)
{
	static char hash[CANON_HASH_LEN + 1];

	if (!hash[0]) {
		json_t *null = json_null();

		if (canon_hash(hash, null) < 0)
			abort();
	}
	return hash;
}

/* What one sync pass carries. */
struct hist {
	struct store *s;
	struct capture *c;
	json_t *keys; /* {website id: {type id: key}} of models read once */
	struct history_sync_report *rep;
	const char *install_id;
	long long cursor;
	size_t in_batch;
	/* Who made the states observe records (history_note); NULL: an
	 * unattributed edit in Catalyst, source UI. */
	const char *source, *author, *message;
};

/* --- keys --------------------------------------------------------------- */

/* {key: true} for every value of map, for keys_assign_types' taken. */
static json_t *taken_of(const json_t *map)
{
	json_t *taken = json_object(), *v;
	const char *k;

	json_object_foreach((json_t *)map, k, v)
	{
		json_object_set_new(taken, json_string_value(v), json_true());
	}
	return taken;
}

/* The keys model_open gives the types of a website, read once per pass. */
static int website_keys(struct hist *h, const char *website_id,
			const json_t **out)
{
	struct model m;
	json_t *persisted = NULL, *taken = NULL;
	int ret;

	*out = json_object_get(h->keys, website_id);
	if (*out)
		return 0;
	if ((ret = store_type_keys(h->s, website_id, &persisted)) < 0)
		return ret;
	taken = taken_of(persisted);
	ret = model_open(&m, capture_db(h->c), website_id, persisted, taken);
	if (ret == 0) {
		json_object_set(h->keys, website_id, m.type_keys);
		model_release(&m);
		*out = json_object_get(h->keys, website_id);
	}
	json_decref(persisted);
	json_decref(taken);
	return ret;
}

/*
 * The type's Optimizely key: persisted, else generated as the model
 * would (and then persisted: keys are generated once, brief §5). *out is
 * malloc'd.
 */
static int type_key(struct hist *h, const char *website_id, const char *type_id,
		    const char *name, char **out)
{
	const json_t *keys;
	const char *k;
	int ret;

	ret = store_type_key_get(h->s, type_id, out);
	if (ret != ERR_NOTFOUND)
		return ret;
	err_clear();
	if ((ret = website_keys(h, website_id, &keys)) < 0)
		return ret;
	k = jx_str(keys, type_id);
	*out = k ? xstrdup(k) : keys_type_key(name ? name : type_id);
	ret = store_type_key_put(h->s, website_id, type_id, *out, "generated");
	if (ret == ERR_CONFLICT) {
		log_warn("history", "%s", err_msg());
		err_clear();
		ret = 0;
	}
	return ret;
}

/* A field's ref in field_map: its id, else "name:" + its name. */
static void field_ref(struct buf *b, const char *name, const json_t *field)
{
	const char *id = jx_str(field, "id");

	buf_reset(b);
	if (id && *id)
		buf_adds(b, id);
	else
		buf_addf(b, "name:%s", name);
}

int history_prop_keys(struct store *s, const char *type_id, const json_t *form,
		      int persist, json_t **out)
{
	struct store_field_key *fks = NULL;
	size_t nr = 0;
	json_t *existing = json_object(), *used = json_object(), *keys = NULL;
	const json_t *fields = json_object_get(form, "fields"), *f;
	struct buf ref = BUF_INIT, other = BUF_INIT;
	const char *name;
	int ret;

	*out = NULL;
	if ((ret = store_field_keys(s, type_id, &fks, &nr)) < 0)
		goto out;
	/* Current fields: by their ref. */
	json_object_foreach((json_t *)fields, name, f)
	{
		field_ref(&ref, name, f);
		for (size_t i = 0; i < nr; i++)
			if (!strcmp(fks[i].field_ref, ref.ptr)) {
				json_object_set_new(existing, name,
						    json_string(fks[i].key));
				json_object_set_new(used, fks[i].field_ref,
						    json_true());
			}
	}
	/* Fields that are gone keep their keys reserved. */
	for (size_t i = 0; i < nr; i++) {
		if (json_object_get(used, fks[i].field_ref))
			continue;
		buf_reset(&other);
		buf_addf(&other, "\x01%s", fks[i].field_ref);
		json_object_set_new(existing, other.ptr,
				    json_string(fks[i].key));
	}
	keys = keys_assign_properties(form, existing, jx_str(form, "name"),
				      lens_base_type(jx_str(form, "category")),
				      NULL);
	if (persist) {
		json_object_foreach((json_t *)fields, name, f)
		{
			struct store_field_key fk;
			const char *key = jx_str(keys, name);

			if (!key)
				continue;
			field_ref(&ref, name, f);
			fk.field_ref = ref.ptr;
			fk.field_name = (char *)name;
			fk.key = (char *)key;
			ret = store_field_key_put(s, type_id, &fk);
			if (ret == ERR_CONFLICT) {
				log_debug("history", "%s", err_msg());
				err_clear();
			} else if (ret < 0) {
				goto out;
			}
		}
	}
	*out = keys;
	keys = NULL;
	ret = 0;
out:
	store_field_keys_free(fks, nr);
	json_decref(existing);
	json_decref(used);
	json_decref(keys);
	buf_release(&ref);
	buf_release(&other);
	return ret;
}

/* --- versions ----------------------------------------------------------- */

/*
 * Makes and stores a version of type_id (form NULL: a deletion) with the
 * given parents, persisting the type's keys. v is filled (the caller
 * releases it). Returns 0, or 1 when that exact version existed.
 */
static int add_version(struct hist *h, struct store_version *v,
		       const char *type_id, const char *website_id,
		       const char *name, const json_t *form,
		       const char *const *parents, size_t parents_nr,
		       const char *source)
{
	char hash[CANON_HASH_LEN + 1], id[CANON_HASH_LEN + 1];
	json_t *props = NULL;
	int ret;

	if (form) {
		if ((ret = canon_content_hash(hash, form)) < 0)
			return ret;
	} else {
		memcpy(hash, history_deleted_hash(), sizeof(hash));
	}
	if ((ret = canon_version_id(id, type_id, hash, parents, parents_nr)) <
	    0)
		return ret;
	v->id = xstrdup(id);
	v->type_id = xstrdup(type_id);
	v->website_id = xstrdup(website_id ? website_id : "");
	v->name = name ? xstrdup(name) : NULL;
	v->content_hash = xstrdup(hash);
	v->snapshot = form ? json_deep_copy(form) : NULL;
	v->deleted = !form;
	v->source = xstrdup(source);
	if (!v->created_ms)
		v->created_ms = time_now_ms();
	for (size_t i = 0; i < parents_nr; i++)
		store_version_add_parent(v, parents[i]);
	if ((ret = type_key(h, v->website_id, type_id, name, &v->type_key)) < 0)
		return ret;
	if (form &&
	    (ret = history_prop_keys(h->s, type_id, form, 1, &props)) < 0)
		return ret;
	json_decref(props);
	ret = store_version_put(h->s, v);
	if (ret >= 0 && h->rep && ret == 0)
		h->rep->versions++;
	return ret;
}

/*
 * A state of a type as Catalyst holds it (form NULL: the row is gone),
 * recorded on the main line unless it equals the head. changelog_id < 0
 * when it does not come from the changelog; when_ms 0 means now.
 */
static int observe(struct hist *h, const char *type_id, const char *website_id,
		   const char *name, const json_t *form, long long changelog_id,
		   long long when_ms)
{
	struct store_version head, v;
	char hash[CANON_HASH_LEN + 1];
	const char *parent;
	int has_head, ret;

	store_version_init(&v);
	ret = store_version_mainline(h->s, type_id, &head);
	if (ret == ERR_NOTFOUND) {
		err_clear();
		has_head = 0;
	} else if (ret < 0) {
		return ret;
	} else {
		has_head = 1;
	}
	if (form) {
		if ((ret = canon_content_hash(hash, form)) < 0)
			goto out;
	} else {
		memcpy(hash, history_deleted_hash(), sizeof(hash));
	}
	if (has_head ? !strcmp(head.content_hash, hash) : !form) {
		ret = 0; /* the head's content, or a delete of nothing */
		goto out;
	}
	v.created_ms = when_ms;
	v.author = h->author ? xstrdup(h->author) : NULL;
	v.message = h->message ? xstrdup(h->message) : NULL;
	if (changelog_id >= 0) {
		v.changelog_install = xstrdup(h->install_id);
		v.changelog_id = changelog_id;
	}
	parent = has_head ? head.id : NULL;
	if (!website_id && has_head)
		website_id = head.website_id;
	if (!name && has_head)
		name = head.name;
	ret = add_version(h, &v, type_id, website_id, name, form,
			  has_head ? &parent : NULL, has_head ? 1 : 0,
			  h->source ? h->source : STORE_SOURCE_UI);
	if (ret > 0)
		ret = 0;
out:
	if (has_head)
		store_version_release(&head);
	store_version_release(&v);
	return ret;
}

/* Normalizes a row; NULL (with a warning) when it cannot be read. */
static json_t *row_form(struct hist *h, const struct catalyst_row *row,
			const char *where)
{
	json_t *form = NULL;

	if (catalyst_form_from_row(&form, NULL, row, NULL) < 0) {
		log_warn("history", "%s: %s; no version recorded", where,
			 err_msg());
		err_clear();
		if (h->rep)
			h->rep->unreadable++;
		return NULL;
	}
	return form;
}

/* --- the changelog ------------------------------------------------------ */

static int save_cursor(struct hist *h)
{
	struct buf key = BUF_INIT, val = BUF_INIT;
	int ret;

	buf_addf(&key, HISTORY_CURSOR_PREFIX "%s", h->install_id);
	buf_addf(&val, "%lld", h->cursor);
	ret = store_meta_set(h->s, key.ptr, val.ptr);
	buf_release(&key);
	buf_release(&val);
	return ret;
}

static int load_cursor(struct hist *h)
{
	struct buf key = BUF_INIT;
	char *v = NULL;
	int ret;

	h->cursor = 0;
	buf_addf(&key, HISTORY_CURSOR_PREFIX "%s", h->install_id);
	ret = store_meta_get(h->s, key.ptr, &v);
	if (ret == ERR_NOTFOUND) {
		err_clear();
		ret = 0;
	} else if (ret == 0) {
		h->cursor = strtoll(v, NULL, 10);
	}
	free(v);
	buf_release(&key);
	return ret;
}

static int one_change(const struct capture_change *ch, void *payload)
{
	struct hist *h = payload;
	struct buf where = BUF_INIT;
	json_t *form = NULL;
	int ret;

	if (h->rep)
		h->rep->changes++;
	if (ch->op != CAPTURE_DELETE) {
		buf_addf(&where, "changelog row %lld", ch->id);
		form = row_form(h, &ch->row, where.ptr);
		if (!form) {
			ret = 0;
			goto next;
		}
	}
	ret = observe(h, ch->row.id, ch->row.website_id, ch->row.name, form,
		      ch->id, ch->changed_ms);
	if (ret < 0)
		goto out;
next:
	h->cursor = ch->id;
	/* Long changelogs are committed in batches. */
	if (++h->in_batch >= HISTORY_BATCH) {
		if ((ret = save_cursor(h)) < 0 ||
		    (ret = store_commit(h->s)) < 0 ||
		    (ret = store_begin(h->s, 1)) < 0)
			goto out;
		h->in_batch = 0;
	}
	ret = 0;
out:
	json_decref(form);
	buf_release(&where);
	return ret;
}

static int process_changelog(struct hist *h)
{
	int ret;

	if ((ret = load_cursor(h)) < 0)
		return ret;
	if ((ret = store_begin(h->s, 1)) < 0)
		return ret;
	h->in_batch = 0;
	ret = capture_each_change(h->c, h->cursor, one_change, h);
	if (ret == ERR_NOTFOUND) {
		err_clear();
		ret = 0;
	}
	if (ret < 0 || (ret = save_cursor(h)) < 0) {
		store_rollback(h->s);
		return ret;
	}
	return store_commit(h->s);
}

/* --- full scan ---------------------------------------------------------- */

struct scan {
	struct hist *h;
	json_t *seen; /* {type id: true} */
};

static int scan_row(const struct catalyst_row *row, void *payload)
{
	struct scan *sc = payload;
	struct buf where = BUF_INIT;
	json_t *form;
	int ret = 0;

	json_object_set_new(sc->seen, row->id ? row->id : "", json_true());
	buf_addf(&where, "content type '%s'", row->id ? row->id : "?");
	form = row_form(sc->h, row, where.ptr);
	if (form)
		ret = observe(sc->h, row->id, row->website_id, row->name, form,
			      -1, 0);
	json_decref(form);
	buf_release(&where);
	return ret;
}

/*
 * Records every type whose row differs from its head, and a deletion for
 * every type with history whose row is gone. Catalyst is read in one
 * transaction, with the changelog's last id, so that the cursor moves
 * past exactly what the scan saw.
 */
static int full_scan(struct hist *h)
{
	struct scan sc = {h, json_object()};
	json_t *types = NULL, *w;
	const char *id;
	long long last = 0;
	int ret, cap_tx = 0, store_tx = 0;

	if ((ret = capture_begin(h->c, 0)) < 0)
		goto out;
	cap_tx = 1;
	if ((ret = capture_last_change(h->c, &last)) < 0)
		goto out;
	if ((ret = store_begin(h->s, 1)) < 0)
		goto out;
	store_tx = 1;
	ret = catalyst_db_each_type(capture_db(h->c), NULL, scan_row, &sc);
	if (ret < 0)
		goto out;
	if ((ret = store_version_types(h->s, &types)) < 0)
		goto out;
	json_object_foreach(types, id, w)
	{
		if (json_object_get(sc.seen, id))
			continue;
		if ((ret = observe(h, id, json_string_value(w), NULL, NULL, -1,
				   0)) < 0)
			goto out;
	}
	if (h->install_id && last > h->cursor) {
		h->cursor = last;
		if ((ret = save_cursor(h)) < 0)
			goto out;
	}
	ret = store_commit(h->s);
	store_tx = 0;
	if (h->rep)
		h->rep->scanned = 1;
out:
	if (store_tx)
		store_rollback(h->s);
	if (cap_tx)
		capture_rollback(h->c);
	json_decref(sc.seen);
	json_decref(types);
	return ret;
}

/* --- intents ------------------------------------------------------------ */

/* Stores the version an intent describes and ends the intent, together. */
static int complete_intent(struct hist *h, const struct store_intent *in,
			   int mainline, const char *note)
{
	const json_t *p = in->payload, *list = json_object_get(p, "parents");
	struct store_version v;
	const char *parents[2] = {jx_str(p, "parent"), NULL};
	size_t parents_nr = parents[0] ? 1 : 0;
	int ret;

	/* A merge names both of its parents. */
	if (json_array_size(list) == 2) {
		parents[0] = json_string_value(json_array_get(list, 0));
		parents[1] = json_string_value(json_array_get(list, 1));
		parents_nr = parents[0] && parents[1] ? 2 : 0;
	}

	store_version_init(&v);
	if ((ret = store_begin(h->s, 1)) < 0)
		return ret;
	v.mainline = mainline;
	v.author = jx_str(p, "author") ? xstrdup(jx_str(p, "author")) : NULL;
	v.message = jx_str(p, "message") ? xstrdup(jx_str(p, "message")) : NULL;
	v.created_ms = json_integer_value(json_object_get(p, "created_ms"));
	ret = add_version(h, &v, in->type_id, jx_str(p, "website_id"),
			  jx_str(json_object_get(p, "form"), "name"),
			  json_object_get(p, "form"),
			  parents_nr ? parents : NULL, parents_nr,
			  jx_str(p, "source"));
	if (ret >= 0)
		ret = store_intent_finish(h->s, in->id, "done", note);
	if (ret < 0)
		store_rollback(h->s);
	else
		ret = store_commit(h->s);
	store_version_release(&v);
	return ret;
}

struct written_check {
	const char *type_id;
	const char *hash;
	int seen;
};

static int find_written(const struct capture_change *ch, void *payload)
{
	struct written_check *w = payload;
	char hash[CANON_HASH_LEN + 1];
	json_t *form = NULL;

	if (ch->op == CAPTURE_DELETE || !ch->row.id ||
	    strcmp(ch->row.id, w->type_id))
		return 0;
	if (catalyst_form_from_row(&form, NULL, &ch->row, NULL) < 0) {
		err_clear();
		return 0;
	}
	if (canon_content_hash(hash, form) == 0 && !strcmp(hash, w->hash))
		w->seen = 1;
	json_decref(form);
	return 0;
}

/* Finishes, redoes or branches one unfinished intent (brief §7). */
static int recover_intent(const struct store_intent *in, void *payload)
{
	struct hist *h = payload;
	const json_t *p = in->payload, *form = json_object_get(p, "form");
	const char *want = jx_str(p, "content_hash");
	const char *old = jx_str(p, "old_hash");
	struct catalyst_row row;
	struct written_check wc = {in->type_id, want, 0};
	json_t *now_form = NULL;
	char now[CANON_HASH_LEN + 1] = "";
	int ret, gone = 0;

	if (strcmp(in->kind, "record") || !json_is_object(form) || !want ||
	    !old) {
		log_warn("history",
			 "intent %lld (%s) cannot be resumed by "
			 "this catalyst-sync; left pending",
			 in->id, in->kind);
		return 0;
	}
	ret = catalyst_db_get_type(capture_db(h->c), in->type_id, &row);
	if (ret == ERR_NOTFOUND) {
		err_clear();
		gone = 1;
	} else if (ret < 0) {
		return ret;
	} else {
		if (catalyst_form_from_row(&now_form, NULL, &row, NULL) < 0 ||
		    canon_content_hash(now, now_form) < 0)
			err_clear();
		catalyst_row_release(&row);
		json_decref(now_form);
	}
	if (!gone && strcmp(now, want)) {
		/* Written, then edited again? The changelog tells. */
		ret = capture_each_change(
			h->c, json_integer_value(json_object_get(p, "mark")),
			find_written, &wc);
		if (ret == ERR_NOTFOUND)
			err_clear();
		else if (ret < 0)
			return ret;
	}
	if (!gone && (!strcmp(now, want) || wc.seen)) {
		ret = complete_intent(h, in, 1,
				      "finished after an interruption");
		if (!ret && h->rep)
			h->rep->intents_finished++;
		if (!ret)
			log_info("history",
				 "finished the interrupted record "
				 "of '%s'",
				 in->type_id);
		return ret;
	}
	if (!gone && !strcmp(now, old)) {
		ret = capture_write(h->c, form, old);
		if (ret < 0)
			return ret;
		ret = complete_intent(h, in, 1, "redone after an interruption");
		if (!ret && h->rep)
			h->rep->intents_redone++;
		if (!ret)
			log_info("history",
				 "redid the interrupted record of "
				 "'%s'",
				 in->type_id);
		return ret;
	}
	/* Catalyst moved on without it: keep the edit, as a branch. */
	ret = complete_intent(h, in, 0,
			      gone ? "the type was deleted before the edit "
				     "was written; kept as a branch"
				   : "the type changed in Catalyst before the "
				     "edit was written; kept as a branch");
	if (!ret && h->rep)
		h->rep->intents_branched++;
	if (!ret)
		log_warn("history",
			 "an interrupted edit of '%s' could not be written "
			 "(the type %s meanwhile); it is kept as a branch",
			 in->type_id, gone ? "was deleted" : "changed");
	return ret;
}

/* --- sync --------------------------------------------------------------- */

static void hist_init(struct hist *h, struct store *s, struct capture *c,
		      struct history_sync_report *rep)
{
	memset(h, 0, sizeof(*h));
	h->s = s;
	h->c = c;
	h->keys = json_object();
	h->rep = rep;
}

int history_sync(struct store *s, struct capture *c, unsigned flags,
		 struct history_sync_report *report)
{
	struct history_sync_report local;
	struct capture_status st = {0};
	struct hist h;
	char *mode = NULL;
	int ret, scan = flags & HISTORY_FORCE_SCAN;

	if (!report)
		report = &local;
	memset(report, 0, sizeof(*report));
	hist_init(&h, s, c, report);
	if ((ret = capture_check(c, &st)) < 0)
		goto out;
	report->health = st.health;
	h.install_id = st.install_id;
	ret = store_meta_get(s, HISTORY_MODE_KEY, &mode);
	if (ret == ERR_NOTFOUND) {
		err_clear();
	} else if (ret < 0) {
		goto out;
	}
	report->expects_triggers = mode && !strcmp(mode, "triggers");
	if (!report->expects_triggers || st.health != CAPTURE_OK)
		scan = 1;
	if (report->expects_triggers && st.health != CAPTURE_OK &&
	    !(flags & HISTORY_QUIET))
		log_warn("history",
			 "the change-capture triggers in '%s' are %s (%s); "
			 "edits made meanwhile are recorded by a full scan, "
			 "without their order; run 'catalyst-sync init' to "
			 "reinstall them",
			 capture_path(c),
			 st.triggers_nr == 3 ? "out of date" : "missing",
			 st.triggers_nr == 3
				 ? "ContentType has changed columns"
				 : "ContentType was rebuilt, as Prisma's "
				   "migrations do");
	if ((ret = store_intent_pending(s, recover_intent, &h)) < 0)
		goto out;
	if (st.install_id && st.has_changelog &&
	    (ret = process_changelog(&h)) < 0)
		goto out;
	if (scan && (ret = full_scan(&h)) < 0)
		goto out;
	ret = 0;
out:
	free(mode);
	capture_status_release(&st);
	json_decref(h.keys);
	return ret;
}

int history_init(struct store *s, struct capture *c, int triggers,
		 int *installed_out, struct history_sync_report *report)
{
	int ret, changed = 0;

	if (triggers)
		ret = capture_install(c, &changed);
	else
		ret = capture_uninstall(c, NULL);
	if (ret < 0)
		return ret;
	if (installed_out)
		*installed_out = changed;
	if ((ret = store_meta_set(s, HISTORY_MODE_KEY,
				  triggers ? "triggers" : "scan")) < 0)
		return ret;
	return history_sync(s, c, HISTORY_FORCE_SCAN | HISTORY_QUIET, report);
}

int history_uninstall(struct store *s, struct capture *c, int *removed_out)
{
	int ret = capture_uninstall(c, removed_out);

	if (ret < 0 || !s)
		return ret;
	return store_meta_set(s, HISTORY_MODE_KEY, "scan");
}

/* --- record ------------------------------------------------------------- */

int history_heads(struct store *s, const char *type_id,
		  char main_out[CANON_HASH_LEN + 1], json_t **branches_out)
{
	struct store_version_list heads;
	struct store_version main;
	int ret;

	if (main_out)
		main_out[0] = '\0';
	if (branches_out)
		*branches_out = NULL;
	ret = store_version_mainline(s, type_id, &main);
	if (ret == ERR_NOTFOUND) {
		err_clear();
		if (branches_out)
			*branches_out = json_array();
		return 0;
	}
	if (ret < 0)
		return ret;
	if (main_out)
		memcpy(main_out, main.id, CANON_HASH_LEN + 1);
	if (branches_out) {
		ret = store_version_heads(s, type_id, &heads);
		if (ret == 0) {
			*branches_out = json_array();
			for (size_t i = 0; i < heads.nr; i++)
				if (strcmp(heads.items[i].id, main.id))
					json_array_append_new(
						*branches_out,
						json_string(heads.items[i].id));
		}
		store_version_list_release(&heads);
	}
	store_version_release(&main);
	return ret;
}

/* A branch version: in the store only (no intent: one database). */
static int record_branch(struct hist *h, const struct history_edit *e,
			 const json_t *stored, const char *website_id,
			 struct history_record_result *out)
{
	struct store_version v;
	const char *parent = out->base;
	int ret;

	store_version_init(&v);
	v.mainline = 0;
	v.author = e->author ? xstrdup(e->author) : NULL;
	v.message = e->message ? xstrdup(e->message) : NULL;
	if ((ret = store_begin(h->s, 1)) < 0)
		return ret;
	ret = add_version(h, &v, e->type_id, website_id, jx_str(stored, "name"),
			  stored, &parent, 1, e->source);
	if (ret < 0) {
		store_rollback(h->s);
	} else {
		ret = store_commit(h->s);
		if (!ret) {
			memcpy(out->version, v.id, CANON_HASH_LEN + 1);
			out->branch = 1;
		}
	}
	store_version_release(&v);
	return ret;
}

/* An edit that became a branch is merged at once, unless asked not to. */
static int merge_new_branch(struct store *s, struct capture *c,
			    const struct history_edit *e,
			    struct history_record_result *out)
{
	struct history_merge_result mr = {0};
	int ret;

	if (e->no_merge || e->merge_parent)
		return 0;
	ret = history_merge(s, c, e->type_id, out->version, HISTORY_MERGE_AUTO,
			    e->author, &mr);
	if (!ret) {
		memcpy(out->merged, mr.version, sizeof(out->merged));
		out->conflicts = mr.conflicts;
	}
	history_merge_result_release(&mr);
	return ret;
}

int history_record(struct store *s, struct capture *c,
		   const struct history_edit *e,
		   struct history_record_result *out)
{
	struct store_version head, base;
	struct hist h;
	json_t *stored = NULL, *payload = NULL;
	char hash[CANON_HASH_LEN + 1], old[CANON_HASH_LEN + 1];
	char id[CANON_HASH_LEN + 1];
	struct store_intent in;
	long long intent = 0, mark = 0, now = time_now_ms();
	const char *parents[2];
	int ret, has_head = 0, has_base = 0;

	memset(out, 0, sizeof(*out));
	memset(&in, 0, sizeof(in));
	hist_init(&h, s, c, NULL);
	store_version_init(&head);
	store_version_init(&base);
	if ((ret = store_version_mainline(s, e->type_id, &head)) < 0) {
		if (ret == ERR_NOTFOUND)
			ret = err_set(ERR_NOTFOUND,
				      "content type '%s' has no history yet; "
				      "run 'catalyst-sync init'",
				      e->type_id);
		goto out;
	}
	has_head = 1;
	memcpy(out->head, head.id, sizeof(out->head));
	if (e->base) {
		if ((ret = store_version_get(s, e->base, &base)) < 0)
			goto out;
		has_base = 1;
		if (strcmp(base.type_id, e->type_id)) {
			ret = err_set(ERR_INVALID,
				      "version %.12s is a version of another "
				      "content type ('%s')",
				      base.id, base.type_id);
			goto out;
		}
		memcpy(out->base, base.id, sizeof(out->base));
	} else {
		memcpy(out->base, head.id, sizeof(out->base));
	}
	if (!head.deleted) {
		if ((ret = capture_prepare(c, e->form, &stored, hash, old)) < 0)
			goto out;
	} else {
		ret = err_set(ERR_NOTFOUND,
			      "content type '%s' was deleted in Catalyst",
			      e->type_id);
		goto out;
	}
	/* A merge is a version even when its content is the head's: it
	 * closes the branch. */
	if (!e->merge_parent &&
	    (!strcmp(hash, head.content_hash) ||
	     (has_base && !strcmp(hash, base.content_hash)))) {
		out->unchanged = 1;
		ret = 0;
		goto out;
	}
	if (strcmp(out->base, head.id)) {
		ret = record_branch(&h, e, stored, head.website_id, out);
		if (!ret)
			ret = merge_new_branch(s, c, e, out);
		goto out;
	}

	/* Step 1: the intent, in the store. */
	parents[0] = head.id;
	parents[1] = e->merge_parent;
	if ((ret = canon_version_id(id, e->type_id, hash, parents,
				    e->merge_parent ? 2 : 1)) < 0)
		goto out;
	if ((ret = capture_last_change(c, &mark)) < 0)
		goto out;
	payload = json_pack("{s:s, s:s, s:s, s:s, s:s, s:O, s:s, s:s?, s:s?, "
			    "s:I, s:I}",
			    "version", id, "parent", parents[0], "website_id",
			    head.website_id, "content_hash", hash, "old_hash",
			    old, "form", stored, "source", e->source, "author",
			    e->author, "message", e->message, "created_ms",
			    (json_int_t)now, "mark", (json_int_t)mark);
	if (e->merge_parent)
		json_object_set_new(
			payload, "parents",
			json_pack("[s, s]", parents[0], parents[1]));
	if ((ret = store_intent_add(s, "record", e->type_id, payload,
				    &intent)) < 0)
		goto out;
	fault_point("record:after-intent");

	/* Step 2: Catalyst, in one transaction. */
	ret = capture_write(c, stored, old);
	if (ret == ERR_CONFLICT) {
		/* Someone edited the row since: our edit is now behind. */
		log_warn("history", "%s; the edit is recorded as a branch",
			 err_msg());
		err_clear();
		if ((ret = store_intent_finish(s, intent, "abandoned",
					       "the row changed meanwhile")) <
		    0)
			goto out;
		if ((ret = history_sync(s, c, HISTORY_QUIET, NULL)) < 0)
			goto out;
		ret = record_branch(&h, e, stored, head.website_id, out);
		if (!ret)
			ret = merge_new_branch(s, c, e, out);
		goto out;
	}
	if (ret < 0) {
		int keep = ret;

		if (store_intent_finish(s, intent, "abandoned",
					"the write to Catalyst failed") < 0)
			err_clear();
		ret = keep;
		goto out;
	}
	out->written = 1;
	fault_point("record:after-catalyst");

	/* Step 3: the version and the intent's completion, together. */
	in.id = intent;
	in.kind = (char *)"record";
	in.type_id = (char *)e->type_id;
	in.payload = payload;
	if ((ret = complete_intent(&h, &in, 1, NULL)) < 0)
		goto out;
	memcpy(out->version, id, sizeof(out->version));
	ret = 0;
out:
	if (has_head)
		store_version_release(&head);
	if (has_base)
		store_version_release(&base);
	json_decref(stored);
	json_decref(payload);
	json_decref(h.keys);
	return ret;
}

/* --- merging branches ---------------------------------------------------- */

void history_merge_result_release(struct history_merge_result *r)
{
	json_decref(r->conflict_list);
	memset(r, 0, sizeof(*r));
}

/*
 * The nearest common ancestor of two versions: every ancestor of a (itself
 * included) is marked, then b's ancestors are walked breadth first until
 * one is marked. Histories are short, so a walk by store_version_get is
 * enough.
 */
static int common_ancestor(struct store *s, const char *a, const char *b,
			   char out[CANON_HASH_LEN + 1])
{
	json_t *seen = json_object(), *queue = json_array();
	size_t i;
	int ret = 0, pass;

	out[0] = '\0';
	for (pass = 0; pass < 2 && !out[0]; pass++) {
		json_array_clear(queue);
		json_array_append_new(queue, json_string(pass ? b : a));
		for (i = 0; i < json_array_size(queue) && !out[0]; i++) {
			const char *id =
				json_string_value(json_array_get(queue, i));
			struct store_version v;

			if (pass && json_object_get(seen, id)) {
				snprintf(out, CANON_HASH_LEN + 1, "%s", id);
				break;
			}
			if (!pass)
				json_object_set_new(seen, id, json_true());
			if ((ret = store_version_get(s, id, &v)) < 0)
				goto out;
			for (size_t p = 0; p < v.parents_nr; p++)
				json_array_append_new(
					queue, json_string(v.parents[p]));
			store_version_release(&v);
		}
	}
	ret = 0;
out:
	json_decref(seen);
	json_decref(queue);
	return ret;
}

static const char *conflict_kind_of(enum merge_kind k)
{
	return k == MERGE_DELETE_MODIFY ? "delete"
	       : k == MERGE_BOTH_ADDED	? "structural"
					: "field";
}

/* Every path of a branch merge in conflict_log, pending or settled. */
static int log_branch_conflicts(struct store *s, const char *type_id,
				const struct store_version *head,
				const struct store_version *branch,
				const struct store_version *anc,
				const struct merge_result *mr,
				enum history_merge_strategy strategy,
				const char *author)
{
	size_t i;
	int ret;

	for (i = 0; i < mr->nr; i++) {
		const struct merge_conflict *mc = &mr->items[i];
		struct store_conflict c = {0};

		c.origin = (char *)"branch";
		c.type_id = (char *)type_id;
		c.type_key = head->type_key;
		c.path = mc->path;
		c.segments = mc->segments;
		c.kind = (char *)conflict_kind_of(mc->kind);
		c.base_value = mc->base;
		c.local_value = mc->local;
		c.remote_value = mc->remote;
		c.base_hash = anc->content_hash;
		c.local_hash = head->content_hash;
		c.remote_hash = branch->content_hash;
		if ((ret = store_conflict_add(s, &c)) < 0)
			return ret;
	}
	if (strategy == HISTORY_MERGE_AUTO || !mr->nr)
		return 0;
	return store_conflict_resolve(
		s, "branch", NULL, type_id, NULL,
		strategy == HISTORY_MERGE_HEAD ? "local_wins" : "remote_wins",
		NULL, author, time_now_ms(), NULL);
}

/* A branch that was merged has a child: merging it again would only make
 * an empty merge. */
static int still_a_head(struct store *s, const char *type_id, const char *id)
{
	struct store_version_list heads = {0};
	size_t i;
	int ret, found = 0;

	if ((ret = store_version_heads(s, type_id, &heads)) < 0)
		return ret;
	for (i = 0; i < heads.nr; i++)
		found |= !strcmp(heads.items[i].id, id);
	store_version_list_release(&heads);
	if (!found)
		return err_set(ERR_INVALID,
			       "version %.12s is merged already (it is not a "
			       "head any more)",
			       id);
	return 0;
}

int history_merge(struct store *s, struct capture *c, const char *type_id,
		  const char *branch_id, enum history_merge_strategy strategy,
		  const char *author, struct history_merge_result *out)
{
	struct store_version head, branch, anc;
	struct merge_result mr = MERGE_RESULT_INIT;
	struct merge_options mo = {0};
	struct history_edit ed = {0};
	struct history_record_result rr;
	struct buf msg = BUF_INIT;
	int ret, got_head = 0, got_branch = 0, got_anc = 0;

	memset(out, 0, sizeof(*out));
	store_version_init(&head);
	store_version_init(&branch);
	store_version_init(&anc);
	if ((ret = store_version_get(s, branch_id, &branch)) < 0)
		goto out;
	got_branch = 1;
	if (strcmp(branch.type_id, type_id) || branch.mainline) {
		ret = err_set(ERR_INVALID,
			      "version %.12s is not a branch of '%s'",
			      branch_id, type_id);
		goto out;
	}
	if ((ret = still_a_head(s, type_id, branch.id)) < 0)
		goto out;
	if ((ret = store_version_mainline(s, type_id, &head)) < 0)
		goto out;
	got_head = 1;
	if (head.deleted || !head.snapshot || !branch.snapshot) {
		ret = err_set(ERR_INVALID,
			      "'%s' was deleted in Catalyst: its branch "
			      "%.12s cannot be merged",
			      type_id, branch_id);
		goto out;
	}
	if ((ret = common_ancestor(s, head.id, branch.id, out->ancestor)) < 0)
		goto out;
	if (out->ancestor[0]) {
		if ((ret = store_version_get(s, out->ancestor, &anc)) < 0)
			goto out;
		got_anc = 1;
	}
	mo.prefer =
		strategy == HISTORY_MERGE_BRANCH ? MERGE_REMOTE : MERGE_LOCAL;
	if ((ret = merge3(got_anc ? anc.snapshot : NULL, head.snapshot,
			  branch.snapshot, &mo, &mr)) < 0)
		goto out;
	out->conflicts = mr.nr;
	if (mr.nr)
		out->conflict_list = merge_conflicts_to_json(&mr);
	if ((ret = log_branch_conflicts(s, type_id, &head, &branch,
					got_anc ? &anc : &head, &mr, strategy,
					author)) < 0)
		goto out;
	if (mr.nr && strategy == HISTORY_MERGE_AUTO) {
		ret = 0;
		goto out;
	}
	buf_addf(&msg, "Merge %s edit %.12s", branch.source, branch.id);
	if (branch.author)
		buf_addf(&msg, " by %s", branch.author);
	buf_addf(&msg, " into %.12s", head.id);
	if (mr.nr)
		buf_addf(&msg, " (%zu conflict%s: %s wins)", mr.nr,
			 mr.nr == 1 ? "" : "s",
			 strategy == HISTORY_MERGE_HEAD ? "the head"
							: "the branch");
	ed.type_id = type_id;
	ed.form = mr.merged;
	ed.source = STORE_SOURCE_SYNC;
	ed.author = author;
	ed.message = msg.ptr;
	ed.base = head.id;
	ed.merge_parent = branch.id;
	ed.no_merge = 1;
	if ((ret = history_record(s, c, &ed, &rr)) < 0)
		goto out;
	memcpy(out->version, rr.version, sizeof(out->version));
	if (!rr.written && rr.branch)
		ret = err_set(ERR_CONFLICT,
			      "'%s' changed in Catalyst during the merge; "
			      "the merge is kept as a branch",
			      type_id);
out:
	if (got_head)
		store_version_release(&head);
	if (got_branch)
		store_version_release(&branch);
	if (got_anc)
		store_version_release(&anc);
	merge_result_release(&mr);
	buf_release(&msg);
	return ret;
}

int history_note(struct store *s, struct capture *c, const char *type_id,
		 const char *source, const char *author, const char *message,
		 char version_out[CANON_HASH_LEN + 1])
{
	struct catalyst_row row;
	struct hist h;
	json_t *form = NULL;
	int ret, got = 0;

	hist_init(&h, s, c, NULL);
	h.source = source;
	h.author = author;
	h.message = message;
	memset(&row, 0, sizeof(row));
	ret = catalyst_db_get_type(capture_db(c), type_id, &row);
	if (ret == ERR_NOTFOUND) {
		err_clear();
	} else if (ret < 0) {
		goto out;
	} else {
		got = 1;
		if (!(form = row_form(&h, &row, type_id))) {
			ret = err_set(ERR_INVALID,
				      "content type '%s' cannot be read back",
				      type_id);
			goto out;
		}
	}
	if ((ret = store_begin(s, 1)) < 0)
		goto out;
	ret = observe(&h, type_id, got ? row.website_id : NULL,
		      got ? row.name : NULL, form, -1, 0);
	if (ret < 0) {
		store_rollback(s);
		goto out;
	}
	if ((ret = store_commit(s)) < 0)
		goto out;
	ret = history_heads(s, type_id, version_out, NULL);
out:
	if (got)
		catalyst_row_release(&row);
	json_decref(form);
	json_decref(h.keys);
	return ret;
}
