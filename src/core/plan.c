/*
 * plan: the decision per type and the plan document (brief §8, §10).
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/diff.h"
#include "core/findings.h"
#include "core/history.h"
#include "core/lens.h"
#include "core/merge3.h"
#include "core/model.h"
#include "core/order.h"
#include "core/patch.h"
#include "core/plan.h"
#include "store/store.h"
#include "target/target.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/jx.h"
#include "util/thread.h"
#include "util/timeutil.h"
#include "util/xalloc.h"
#include "util/banned.h"

static const char *const action_names[] = {
	[PLAN_NONE] = "none",
	[PLAN_CREATE] = "create",
	[PLAN_UPDATE] = "update",
	[PLAN_DELETE] = "delete",
	[PLAN_RECREATE] = "recreate",
	[PLAN_ADOPT] = "adopt",
	[PLAN_CONVERGED] = "converged",
	[PLAN_FORGET] = "forget",
	[PLAN_DRIFT] = "drift",
	[PLAN_CONFLICT] = "conflict",
	[PLAN_REMOTE_DELETED] = "remote-deleted",
	[PLAN_BLOCKED] = "blocked",
	[PLAN_PULL] = "pull",
	[PLAN_MERGE] = "merge",
	[PLAN_UNPUSHED] = "unpushed",
	[PLAN_IMPORT] = "import",
	[PLAN_REMOVE_LOCAL] = "remove-local",
};
#define ACTIONS_NR (sizeof(action_names) / sizeof(action_names[0]))

const char *plan_action_name(enum plan_action a)
{
	return (size_t)a < ACTIONS_NR ? action_names[a] : "?";
}

int plan_action_parse(const char *name)
{
	size_t i;

	for (i = 0; name && i < ACTIONS_NR; i++)
		if (!strcmp(name, action_names[i]))
			return (int)i;
	return -1;
}

int plan_action_attention(enum plan_action a)
{
	return a == PLAN_DRIFT || a == PLAN_CONFLICT ||
	       a == PLAN_REMOTE_DELETED || a == PLAN_BLOCKED;
}

static int same(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

int plan_mode_pulls(const char *mode)
{
	return same(mode, "pull") || same(mode, "bidirectional");
}

int plan_mode_pushes(const char *mode)
{
	return !same(mode, "pull");
}

enum plan_action plan_decide(const struct plan_sides *s, const char **reason)
{
	const char *why;
	enum plan_action a;

	if (!s->base_hash) {
		if (!s->local_present) {
			a = PLAN_NONE;
			why = "not in Catalyst and never synced";
		} else if (!s->remote_hash) {
			a = PLAN_CREATE;
			why = "new in Catalyst";
		} else if (same(s->local_hash, s->remote_hash)) {
			a = PLAN_ADOPT;
			why = "already in the CMS and identical: recorded as "
			      "the base";
		} else {
			a = PLAN_CONFLICT;
			why = "already in the CMS, different, and never "
			      "synced (no base to merge from)";
		}
		goto out;
	}
	if (!s->local_present) {
		if (!s->remote_hash) {
			a = PLAN_FORGET;
			why = "deleted on both sides: its sync state is "
			      "forgotten";
		} else if (same(s->remote_hash, s->base_hash)) {
			a = PLAN_DELETE;
			why = "deleted in Catalyst";
		} else {
			a = PLAN_CONFLICT;
			why = "deleted in Catalyst but changed in the CMS";
		}
		goto out;
	}
	if (!s->remote_hash) {
		if (same(s->local_hash, s->base_hash)) {
			a = s->recreate ? PLAN_CREATE : PLAN_REMOTE_DELETED;
			why = s->recreate ? "deleted in the CMS: re-created "
					    "(--recreate)"
					  : "deleted in the CMS; 'plan "
					    "--recreate' creates it again";
		} else {
			a = PLAN_CONFLICT;
			why = "changed in Catalyst but deleted in the CMS";
		}
		goto out;
	}
	if (s->local_base_type && s->remote_base_type &&
	    strcmp(s->local_base_type, s->remote_base_type) &&
	    !same(s->local_hash, s->remote_hash)) {
		if (s->allow_data_loss && s->recreate) {
			a = PLAN_RECREATE;
			why = "its category changed: deleted and created again "
			      "(--allow-data-loss --recreate)";
		} else {
			a = PLAN_BLOCKED;
			why = "its category changed, and the CMS cannot change "
			      "a baseType: 'plan --allow-data-loss --recreate' "
			      "deletes and re-creates it, losing its content";
		}
		goto out;
	}
	if (same(s->local_hash, s->base_hash)) {
		if (same(s->remote_hash, s->base_hash)) {
			a = PLAN_NONE;
			why = "in sync";
		} else {
			a = PLAN_DRIFT;
			why = "changed in the CMS since the last sync; push "
			      "mode leaves it alone";
		}
	} else if (same(s->remote_hash, s->base_hash)) {
		a = PLAN_UPDATE;
		why = "changed in Catalyst";
	} else if (same(s->local_hash, s->remote_hash)) {
		a = PLAN_CONVERGED;
		why = "changed the same way on both sides: recorded as the "
		      "base";
	} else {
		a = PLAN_CONFLICT;
		why = "changed in Catalyst and in the CMS";
	}
out:
	if (reason)
		*reason = why;
	return a;
}

/* ---- building a plan ---------------------------------------------------- */

struct entry {
	char *key;
	char *type_id; /* NULL: known from the store only by key */
	char *name;
	char *local_version;
	int local_present;
	char *error; /* the row cannot be used */
	json_t *desired;
	char local_hash[CANON_HASH_LEN + 1];
	json_t *findings;
	int invalid;
	struct store_sync_state st;
	int has_base;
	json_t *remote; /* canonical; NULL: not in the target */
	char remote_hash[CANON_HASH_LEN + 1];
	char *etag;
	int fresh; /* remote comes from a GET */
	enum plan_action action;
	char *reason;
	json_t *patch;
	json_t *data_loss;
	int filtered; /* left out by --type/--exclude */
	/* Kept for the types that are not in sync, which may be pulled or
	 * merged: the Catalyst form of the head and its property keys. */
	json_t *form;
	json_t *prop_keys;
	/* A merge (brief §9): the merged target document, the conflicts
	 * met ([merge_conflicts_to_json]), and what Catalyst takes. */
	json_t *merged;
	json_t *conflicts;
	json_t *new_form; /* the Catalyst form to write; NULL: none */
	json_t *new_keys; /* its {field name: property key} */
	int merge_push;	  /* the merge is sent to the CMS too */
	int importing;	  /* pull --adopt: decided already */
};

struct planner {
	struct store *s;
	struct target *t;
	struct model *m;
	const struct plan_options *o;
	struct entry *e;
	size_t nr, alloc;
	json_t *index;	 /* {key: entry index} */
	json_t *remote;	 /* {key: canonical document} of user types */
	json_t *builtin; /* {key: true} for types with a source */
	int pulls;	 /* the mode pulls: the remote is listed first */
	int error;
};

static void entry_release(struct entry *e)
{
	free(e->key);
	free(e->type_id);
	free(e->name);
	free(e->local_version);
	free(e->error);
	json_decref(e->desired);
	json_decref(e->findings);
	store_sync_state_release(&e->st);
	json_decref(e->remote);
	free(e->etag);
	free(e->reason);
	json_decref(e->patch);
	json_decref(e->data_loss);
	json_decref(e->form);
	json_decref(e->prop_keys);
	json_decref(e->merged);
	json_decref(e->conflicts);
	json_decref(e->new_form);
	json_decref(e->new_keys);
}

static struct entry *add_entry(struct planner *p, const char *key)
{
	struct entry *e;

	ALLOC_GROW(p->e, p->nr + 1, p->alloc);
	e = &p->e[p->nr];
	memset(e, 0, sizeof(*e));
	e->key = xstrdup(key);
	json_object_set_new(p->index, key, json_integer((json_int_t)p->nr));
	p->nr++;
	return e;
}

static void set_remote(struct entry *e, json_t *doc, const char *etag)
{
	json_decref(e->remote);
	e->remote = doc;
	free(e->etag);
	e->etag = etag ? xstrdup(etag) : NULL;
	e->remote_hash[0] = '\0';
}

static int read_base(struct planner *p, struct entry *e, const char *type_id)
{
	int ret =
		store_sync_state_get(p->s, p->o->target_name, type_id, &e->st);

	if (ret == ERR_NOTFOUND) {
		err_clear();
		return 0;
	}
	if (ret < 0)
		return ret;
	e->has_base = e->st.base_hash && e->st.base_doc;
	return 0;
}

/*
 * The id of a type's main-line head, from the heads alone (no snapshot is
 * read: a plan of 1,000 types would parse 1,000 of them); the history's
 * own lookup when the main line has a branch on top.
 */
static int mainline_head(struct store *s, const char *type_id,
			 char out[CANON_HASH_LEN + 1])
{
	struct store_version_list heads = {0};
	size_t i;
	int ret;

	out[0] = '\0';
	if ((ret = store_version_heads(s, type_id, &heads)) < 0)
		return ret;
	for (i = 0; i < heads.nr && !out[0]; i++)
		if (heads.items[i].mainline)
			snprintf(out, CANON_HASH_LEN + 1, "%s",
				 heads.items[i].id);
	store_version_list_release(&heads);
	return out[0] ? 0 : history_heads(s, type_id, out, NULL);
}

/* The remote side of e, once the list is in. */
static int attach_remote(struct planner *p, struct entry *e)
{
	const json_t *doc = json_object_get(p->remote, e->key);

	if (!doc)
		return 0;
	set_remote(e, json_incref((json_t *)doc), NULL);
	return canon_owned_hash(e->remote_hash, doc);
}

static int each_local(struct model_type *t, void *payload)
{
	struct planner *p = payload;
	struct entry *e;
	char head[CANON_HASH_LEN + 1] = "";
	int ret;

	if (json_object_get(p->index, t->key)) {
		/* Two rows with one key: model_open makes keys unique, so
		 * this is a persisted key bound twice; refuse loudly. */
		return err_set(ERR_INVALID, "two types have the key '%s'",
			       t->key);
	}
	e = add_entry(p, t->key);
	e->type_id = xstrdup(t->row->id);
	e->name = t->row->name ? xstrdup(t->row->name) : NULL;
	e->local_present = 1;
	e->findings = json_array();
	findings_append_json(e->findings, &t->findings);
	if (t->error || !t->target) {
		e->error = xstrdup(t->error ? t->error : "cannot be read");
	} else {
		/* The model is done with it: kept by reference. */
		e->desired = json_incref(t->target);
		/* The lens produces owned members only (that is what owned
		 * means), so its hash is L as it stands. */
		memcpy(e->local_hash, t->target_hash, sizeof(e->local_hash));
		e->invalid = model_type_failures(t, p->o->strict) > 0;
	}
	if (p->s && (ret = mainline_head(p->s, t->row->id, head)) < 0)
		return ret;
	e->local_version = head[0] ? xstrdup(head) : NULL;
	if ((ret = read_base(p, e, t->row->id)) < 0)
		return ret;
	/*
	 * Only pulls and merges read the form, and only of a type that is
	 * not in sync: a plan of 10,000 types keeps none. (Modes that pull
	 * list the remote before the model, so that this can be told.)
	 */
	if (!p->pulls || !t->form)
		return 0;
	if ((ret = attach_remote(p, e)) < 0)
		return ret;
	if (!(e->has_base && same(e->local_hash, e->st.base_hash) &&
	      e->remote && same(e->remote_hash, e->st.base_hash))) {
		e->form = json_deep_copy(t->form);
		e->prop_keys = json_incref(t->prop_keys);
	}
	return 0;
}

/* Types with a base whose Catalyst row is gone: deleted in Catalyst. */
static int add_deleted(struct planner *p)
{
	json_t *states = NULL, *st;
	size_t i;
	int ret;

	if ((ret = store_sync_state_list(p->s, NULL, &states)) < 0)
		return ret;
	json_array_foreach(states, i, st)
	{
		const char *key = jx_str(st, "type_key");
		const char *id = jx_str(st, "type_id");
		struct entry *e;

		if (!same(jx_str(st, "target"), p->o->target_name) || !key ||
		    json_object_get(p->index, key))
			continue;
		/* Another website's type is not ours to delete. */
		if (p->o->website_id && id) {
			char *wkey = NULL;

			ret = store_type_key_find(p->s, p->o->website_id, key,
						  &wkey);
			if (ret == ERR_NOTFOUND) {
				err_clear();
				continue;
			}
			if (ret < 0)
				goto out;
			ret = strcmp(wkey, id);
			free(wkey);
			if (ret)
				continue;
		}
		e = add_entry(p, key);
		e->type_id = id ? xstrdup(id) : NULL;
		e->findings = json_array();
		if ((ret = read_base(p, e, id)) < 0)
			goto out;
		if (!e->has_base) {
			e->action = PLAN_NONE;
			e->filtered = 1; /* nothing to do: not shown */
			continue;
		}
		e->local_version = e->st.local_version
					   ? xstrdup(e->st.local_version)
					   : NULL;
		if ((ret = attach_remote(p, e)) < 0)
			goto out;
	}
	ret = 0;
out:
	json_decref(states);
	return ret;
}

static int matches(const struct entry *e, const json_t *specs)
{
	const json_t *v;
	size_t i;

	json_array_foreach(specs, i, v)
	{
		const char *spec = json_string_value(v);

		if (same(spec, e->key) || same(spec, e->type_id) ||
		    same(spec, e->name))
			return 1;
	}
	return 0;
}

/* --type and --exclude; every --type must name a type. */
static int apply_filters(struct planner *p)
{
	const json_t *v;
	size_t i, j;

	json_array_foreach(p->o->only, i, v)
	{
		int found = 0;

		for (j = 0; j < p->nr && !found; j++) {
			json_t *one = json_pack("[O]", v);

			found = matches(&p->e[j], one);
			json_decref(one);
		}
		if (!found)
			return err_set(ERR_USAGE,
				       "--type '%s': no such content type "
				       "(give a key, an id or a name)",
				       json_string_value(v));
	}
	for (j = 0; j < p->nr; j++) {
		struct entry *e = &p->e[j];

		if (p->o->only && json_array_size(p->o->only) &&
		    !matches(e, p->o->only))
			e->filtered = 1;
		if (p->o->exclude && matches(e, p->o->exclude))
			e->filtered = 1;
	}
	return 0;
}

static int pull_form(struct planner *p, struct entry *e, const json_t *from,
		     const json_t *to);
static void settle_to(struct entry *e, enum plan_action a, const char *why);

/* pull --adopt KEY: a remote type nobody manages becomes a Catalyst type. */
static int add_imports(struct planner *p)
{
	const json_t *v;
	size_t i;

	json_array_foreach(p->o->adopt, i, v)
	{
		const char *key = json_string_value(v);
		const json_t *doc =
			key ? json_object_get(p->remote, key) : NULL;
		struct entry *e;
		json_t *owned;
		int ret;

		if (key && json_object_get(p->index, key))
			return err_set(ERR_USAGE,
				       "--adopt '%s': that type is managed "
				       "already (plain 'pull' brings its "
				       "changes)",
				       key);
		if (!doc)
			return err_set(ERR_USAGE,
				       "--adopt '%s': no such type in the "
				       "target (see 'catalyst-sync status "
				       "--all')",
				       key ? key : "?");
		e = add_entry(p, key);
		e->importing = 1;
		e->findings = json_array();
		set_remote(e, json_incref((json_t *)doc), NULL);
		if ((ret = canon_owned_hash(e->remote_hash, doc)) < 0)
			return ret;
		owned = tform_owned(doc);
		ret = pull_form(p, e, NULL, owned);
		json_decref(owned);
		if (ret == 0)
			settle_to(e, PLAN_IMPORT,
				  "only in the CMS: becomes a Catalyst type "
				  "(--adopt)");
	}
	return 0;
}

/* rollback: the Catalyst side of some types is taken from elsewhere. */
static int apply_overrides(struct planner *p)
{
	const char *key;
	json_t *doc;
	int ret;

	json_object_foreach((json_t *)p->o->desired, key, doc)
	{
		const json_t *ix = json_object_get(p->index, key);
		struct entry *e;

		if (!ix)
			return err_set(ERR_NOTFOUND,
				       "'%s' is not a managed content type of "
				       "this target",
				       key);
		e = &p->e[json_integer_value(ix)];
		json_decref(e->desired);
		e->desired = NULL;
		free(e->error);
		e->error = NULL;
		e->local_hash[0] = '\0';
		e->local_present = !json_is_null(doc);
		if (e->local_present) {
			e->desired = tform_owned(doc);
			if ((ret = canon_hash(e->local_hash, e->desired)) < 0)
				return ret;
		}
	}
	return 0;
}

static const char *base_type_of(const json_t *doc)
{
	return doc ? jx_str(doc, "baseType") : NULL;
}

static void decide(struct planner *p, struct entry *e)
{
	struct plan_sides sd = {0};
	const char *why;

	if (e->importing)
		return;

	sd.local_present = e->local_present;
	sd.local_hash = e->local_present ? e->local_hash : NULL;
	sd.local_base_type = base_type_of(e->desired);
	sd.base_hash = e->has_base ? e->st.base_hash : NULL;
	sd.remote_hash = e->remote ? e->remote_hash : NULL;
	sd.remote_base_type = base_type_of(e->remote);
	sd.recreate = p->o->recreate;
	sd.allow_data_loss = p->o->allow_data_loss;
	e->action = plan_decide(&sd, &why);
	free(e->reason);
	e->reason = xstrdup(why);
}

static int writes(enum plan_action a)
{
	return a == PLAN_CREATE || a == PLAN_UPDATE || a == PLAN_DELETE ||
	       a == PLAN_RECREATE || a == PLAN_MERGE;
}

static void block(struct entry *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void block(struct entry *e, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	e->action = PLAN_BLOCKED;
	free(e->reason);
	e->reason = buf_detach(&b, NULL);
}

struct fresh_read {
	struct planner *p;
	size_t idx;
};

static void fresh_done(struct target_op *op, void *payload)
{
	struct fresh_read *fr = payload;
	struct entry *e = &fr->p->e[fr->idx];

	if (op->result == ERR_NOTFOUND) {
		set_remote(e, NULL, NULL);
		e->fresh = 1;
	} else if (op->result < 0) {
		if (!fr->p->error)
			fr->p->error = err_set(op->result, "reading '%s': %s",
					       e->key, op->error);
	} else {
		set_remote(e, json_incref(op->remote), op->etag_out);
		e->fresh = 1;
		if (canon_owned_hash(e->remote_hash, e->remote) < 0 &&
		    !fr->p->error)
			fr->p->error = ERR_INVALID;
	}
}

/* A fresh GET of every type the plan writes: decisions on fresh reads,
 * and the ETags for If-Match. */
static int read_fresh(struct planner *p)
{
	struct target_op *ops;
	struct fresh_read *frs;
	size_t i, n = 0;
	int ret;

	ops = xcalloc(p->nr ? p->nr : 1, sizeof(*ops));
	frs = xcalloc(p->nr ? p->nr : 1, sizeof(*frs));
	for (i = 0; i < p->nr; i++) {
		struct entry *e = &p->e[i];

		/* Drift and conflicts too: a pull records the ETag, a merge
		 * sends it. */
		if (e->filtered || !e->remote ||
		    !(e->action == PLAN_UPDATE || e->action == PLAN_DELETE ||
		      e->action == PLAN_RECREATE || e->action == PLAN_DRIFT ||
		      e->action == PLAN_CONFLICT || e->action == PLAN_IMPORT))
			continue;
		target_op_init(&ops[n], TARGET_OP_GET);
		ops[n].key = xstrdup(e->key);
		frs[n].p = p;
		frs[n].idx = i;
		target_submit(p->t, &ops[n], fresh_done, &frs[n]);
		n++;
	}
	ret = n ? target_run(p->t) : 0;
	if (ret < 0)
		ret = err_set(ERR_REMOTE, "the target's engine failed");
	else if (p->error)
		ret = p->error;
	for (i = 0; i < n; i++) {
		struct entry *e = &p->e[frs[i].idx];

		target_op_release(&ops[i]);
		if (!ret)
			decide(p, e);
	}
	free(ops);
	free(frs);
	return ret;
}

/* Validation errors, unreadable rows and data loss (stage 3). */
static void check_entry(struct planner *p, struct entry *e, enum api_version v)
{
	if (e->error) {
		block(e, "its Catalyst row cannot be used: %s", e->error);
		return;
	}
	if (e->invalid && (writes(e->action) || e->action == PLAN_ADOPT ||
			   e->action == PLAN_CONVERGED)) {
		size_t n = 0, i;
		const json_t *f;

		json_array_foreach(e->findings, i, f) n +=
			same(jx_str(f, "severity"), "error") || p->o->strict;
		block(e,
		      "%zu validation finding%s must be fixed first (see "
		      "'catalyst-sync validate %s')",
		      n, n == 1 ? "" : "s", e->key);
		return;
	}
	if (e->action == PLAN_MERGE) {
		if (!e->merge_push)
			return;
		e->patch = patch_compute(e->remote, e->merged, v);
		if (patch_is_empty(e->patch)) {
			/* The CMS holds the merge already. */
			e->merge_push = 0;
			return;
		}
		goto data_loss;
	}
	if (e->action != PLAN_UPDATE)
		return;
	e->patch = patch_compute(e->remote, e->desired, v);
	if (patch_is_empty(e->patch)) {
		/* Equal on everything we send: nothing to write. */
		e->action = PLAN_CONVERGED;
		free(e->reason);
		e->reason = xstrdup("nothing to send: recorded as the base");
		return;
	}
data_loss:
	if (patch_data_loss(e->remote, e->patch, &e->data_loss) > 0) {
		const json_t *r;
		size_t i;

		json_array_foreach(e->data_loss, i, r)
		{
			struct buf path = BUF_INIT;

			buf_addf(&path, "%s:%s", e->key, jx_str(r, "path"));
			json_array_append_new(
				e->findings,
				json_pack("{s:s, s:s, s:s, s:s+}", "code",
					  "data-loss", "severity",
					  p->o->allow_data_loss ? "warning"
								: "error",
					  "path", path.ptr, "message",
					  jx_str(r, "reason"),
					  p->o->allow_data_loss
						  ? " (allowed)"
						  : ": existing content "
						    "would be lost"));
			buf_release(&path);
		}
		if (!p->o->allow_data_loss)
			block(e,
			      "%zu change%s would lose content in the CMS; "
			      "review them and plan with --allow-data-loss",
			      json_array_size(e->data_loss),
			      json_array_size(e->data_loss) == 1 ? "" : "s");
	}
}

/* ---- pulls and merges (brief §8, §9, §12) ------------------------------ */

/* The decision's reason, and what settles it. */
static void append_reason(struct entry *e, const char *more)
{
	struct buf b = BUF_INIT;

	buf_addf(&b, "%s; %s", e->reason ? e->reason : "", more);
	free(e->reason);
	e->reason = buf_detach(&b, NULL);
}

static void settle_to(struct entry *e, enum plan_action a, const char *why)
{
	e->action = a;
	free(e->reason);
	e->reason = xstrdup(why);
}

/* Whether a field of form has this id. */
static int has_field_id(const json_t *fields, const char *id)
{
	const char *name;
	json_t *f;

	json_object_foreach((json_t *)fields, name,
			    f) if (jx_str(f, "id") &&
				   !strcmp(jx_str(f, "id"), id)) return 1;
	return 0;
}

/*
 * A property that comes back (deleted in Catalyst, kept or re-added in the
 * CMS) is the field it was: the new field takes the identity that holds
 * its key in field_map (the old field's id, else its old name), so the
 * key stays bound to one field and the editors' data stays with it.
 */
static int revive_fields(struct planner *p, struct entry *e)
{
	struct store_field_key *fks = NULL;
	json_t *fields = json_object_get(e->new_form, "fields");
	const char *name;
	json_t *key, *tmp;
	size_t nr = 0, i;
	int ret;

	if (!e->type_id || !p->s || !json_is_object(fields))
		return 0;
	if ((ret = store_field_keys(p->s, e->type_id, &fks, &nr)) < 0)
		return ret;
	json_object_foreach_safe(e->new_keys, tmp, name, key)
	{
		json_t *field = json_object_get(fields, name);
		const char *k = json_string_value(key);

		if (!field || jx_str(field, "id") ||
		    json_object_get(e->prop_keys, name))
			continue;
		for (i = 0; i < nr; i++) {
			const char *ref = fks[i].field_ref;

			if (!k || strcmp(fks[i].key, k))
				continue;
			if (strncmp(ref, "name:", 5)) {
				if (!has_field_id(fields, ref))
					json_object_set_new(field, "id",
							    json_string(ref));
			} else if (strcmp(ref + 5, name) &&
				   !json_object_get(fields, ref + 5)) {
				json_object_set(fields, ref + 5, field);
				json_object_del(fields, name);
				json_object_set(e->new_keys, ref + 5, key);
				json_object_del(e->new_keys, name);
			}
			break;
		}
	}
	store_field_keys_free(fks, nr);
	return 0;
}

/* A field id as Catalyst Studio makes one: "<ms>_<9 base-36 digits>". */
static json_t *new_field_id(void)
{
	static const char digits36[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	char *hex = store_random_id(), tail[10];
	json_t *id;

	for (size_t i = 0; i < 9; i++) {
		unsigned v = 0;

		sscanf(hex + 2 * i, "%2x", &v);
		tail[i] = digits36[v % 36];
	}
	tail[9] = '\0';
	id = json_sprintf("%lld_%s", time_now_ms(), tail);
	free(hex);
	return id;
}

/*
 * A field the CMS added (and that no earlier field's identity revives)
 * gets an id when the form's other fields have them, as the studio gives
 * every field one: it is then known by its id like the studio's own, and
 * keeps its key when renamed. Seed rows have no field ids; neither do
 * their new fields.
 */
static void give_field_ids(struct entry *e)
{
	json_t *fields = json_object_get(e->new_form, "fields");
	const json_t *old = json_object_get(e->form, "fields");
	const char *name;
	json_t *key, *field, *with_id, *m;
	int ids = 0;

	json_object_foreach((json_t *)old, name, field) ids |=
		jx_str(field, "id") != NULL;
	if (!ids || !json_is_object(fields))
		return;
	json_object_foreach(e->new_keys, name, key)
	{
		const char *member;

		field = json_object_get(fields, name);
		if (!json_is_object(field) || jx_str(field, "id") ||
		    json_object_get(old, name))
			continue;
		/* The id first, where the studio writes it. */
		with_id = json_object();
		json_object_set_new(with_id, "id", new_field_id());
		json_object_foreach(field, member, m)
			json_object_set(with_id, member, m);
		json_object_set_new(fields, name, with_id);
	}
}

/* What Catalyst takes: the change from `from` to `to` on the head's form. */
static int pull_form(struct planner *p, struct entry *e, const json_t *from,
		     const json_t *to)
{
	struct lens_back_ctx ctx = {0};
	struct findings f = FINDINGS_INIT;
	int ret;

	ctx.type_key = e->key;
	ctx.type_keys = p->m ? p->m->type_keys : NULL;
	ctx.prop_keys = e->prop_keys;
	ctx.findings = &f;
	json_decref(e->new_form);
	json_decref(e->new_keys);
	e->new_form = e->new_keys = NULL;
	ret = lens_backward(&e->new_form, e->form, from, to, &ctx,
			    &e->new_keys);
	findings_append_json(e->findings, &f);
	if (ret < 0) {
		block(e,
		      "the CMS's version cannot be written back to "
		      "Catalyst: %s",
		      err_msg());
		err_clear();
	} else if (!f.nr && (ret = revive_fields(p, e)) < 0) {
		block(e, "cannot read the field keys: %s", err_msg());
		err_clear();
	} else if (!f.nr) {
		give_field_ids(e);
	} else {
		/*
		 * Half a pull would record a base Catalyst does not hold,
		 * and the next push would undo the rest in the CMS: the
		 * type waits, whole, for a person.
		 */
		block(e,
		      "the CMS holds what Catalyst cannot (%s: %s); nothing "
		      "is pulled: change it in the CMS, or push Catalyst's "
		      "version with --strategy local",
		      f.items[0].path, f.items[0].message);
		ret = ERR_INVALID;
	}
	findings_release(&f);
	return ret;
}

/* The three-way merge of B, L and R over owned paths. */
static int merge_sides(struct planner *p, struct entry *e)
{
	struct merge_result mr = MERGE_RESULT_INIT;
	struct merge_options mo = {0};
	json_t *base = e->has_base ? tform_owned(e->st.base_doc) : NULL;
	json_t *remote = tform_owned(e->remote);
	const json_t *choices = json_object_get(p->o->choices, e->key), *c;
	size_t i;
	int ret;

	mo.prefer = same(p->o->strategy, "remote") ? MERGE_REMOTE : MERGE_LOCAL;
	ret = merge3(base, e->desired, remote, &mo, &mr);
	json_decref(base);
	json_decref(remote);
	if (ret < 0)
		return ret;
	json_decref(e->conflicts);
	e->conflicts = mr.nr ? merge_conflicts_to_json(&mr) : NULL;
	json_decref(e->merged);
	e->merged = mr.merged ? json_incref(mr.merged) : NULL;
	/* resolve --file: each path's chosen value, on the merge. */
	json_array_foreach(
		choices, i,
		c) if ((ret = merge_set_path(&e->merged,
					     json_object_get(c, "segments"),
					     json_object_get(c, "value"))) <
		       0) break;
	merge_result_release(&mr);
	return ret < 0 ? ret : 0;
}

/* Every conflicting path has a value chosen by resolve --file. */
static int all_chosen(const struct planner *p, const struct entry *e)
{
	const json_t *choices = json_object_get(p->o->choices, e->key);
	const json_t *c, *ch;
	size_t i, j;

	if (!choices)
		return 0;
	json_array_foreach(e->conflicts, i, c)
	{
		int found = 0;

		json_array_foreach(choices, j, ch) found |=
			json_equal(json_object_get(ch, "segments"),
				   json_object_get(c, "segments"));
		if (!found)
			return 0;
	}
	return 1;
}

/*
 * Drift and conflicts, as the mode and the strategy settle them: pull
 * and bidirectional modes write Catalyst (the backward lens); push mode
 * only ever overwrites the CMS, and only with --strategy local.
 */
static int settle(struct planner *p, struct entry *e, enum api_version v)
{
	const char *mode = p->o->mode, *strategy = p->o->strategy;
	int pulls = plan_mode_pulls(mode), pushes = plan_mode_pushes(mode);
	int local = same(strategy, "local"), remote = same(strategy, "remote");
	json_t *owned;
	int ret;

	(void)v;
	if (e->filtered)
		return 0;
	switch (e->action) {
	case PLAN_CREATE:
	case PLAN_UPDATE:
	case PLAN_DELETE:
	case PLAN_RECREATE:
		if (!pushes)
			settle_to(e, PLAN_UNPUSHED,
				  "changed in Catalyst; pull does not push: "
				  "'apply' sends it");
		return 0;
	case PLAN_REMOTE_DELETED:
		if (pulls && p->o->allow_delete && e->type_id)
			settle_to(e, PLAN_REMOVE_LOCAL,
				  "deleted in the CMS: removed from Catalyst "
				  "(--allow-delete)");
		else if (pulls)
			append_reason(e, "'pull --allow-delete' removes it "
					 "from Catalyst");
		return 0;
	case PLAN_DRIFT:
		if (local && pushes) {
			settle_to(e, PLAN_UPDATE,
				  "changed in the CMS; --strategy local "
				  "overwrites it with Catalyst's version");
			return 0;
		}
		if (!pulls || !e->form)
			return 0;
		owned = tform_owned(e->remote);
		ret = pull_form(p, e, e->desired, owned);
		json_decref(owned);
		if (ret == 0)
			settle_to(e, PLAN_PULL,
				  "changed in the CMS: Catalyst takes the "
				  "change");
		return 0;
	case PLAN_CONFLICT:
		break;
	default:
		return 0;
	}
	/* Deleted on one side, changed on the other. */
	if (!e->local_present || !e->remote) {
		if (local && pushes)
			settle_to(e, e->remote ? PLAN_DELETE : PLAN_CREATE,
				  e->remote ? "--strategy local: deleted in "
					      "the CMS too"
					    : "--strategy local: created in "
					      "the CMS again");
		else if (remote && pulls && !e->remote && e->type_id)
			settle_to(e, PLAN_REMOVE_LOCAL,
				  "--strategy remote: removed from Catalyst "
				  "too");
		return 0;
	}
	if (!e->desired)
		return 0;
	if ((ret = merge_sides(p, e)) < 0) {
		block(e, "cannot merge: %s", err_msg());
		err_clear();
		return 0;
	}
	if (local && !pulls) {
		settle_to(e, PLAN_UPDATE,
			  "changed on both sides; --strategy local overwrites "
			  "the CMS with Catalyst's version");
		return 0;
	}
	/* Without a base every difference is an addition on both sides:
	 * only a strategy (or a person) can tell what to keep. */
	if (!e->has_base && !local && !remote && !p->o->choices) {
		append_reason(e, "'resolve --strategy local|remote' picks a "
				 "side");
		return 0;
	}
	if (!pulls || !e->form ||
	    (e->conflicts && !local && !remote && !all_chosen(p, e))) {
		append_reason(
			e, e->conflicts ? "conflicting changes: 'catalyst-sync "
					  "conflicts' shows them, 'resolve' "
					  "settles them"
					: "they merge cleanly: 'catalyst-sync "
					  "resolve --strategy merge' (or "
					  "bidirectional mode) applies the "
					  "merge");
		return 0;
	}
	if (!diff_equal(e->merged, e->desired) &&
	    pull_form(p, e, e->desired, e->merged) < 0)
		return 0;
	e->merge_push = pushes;
	settle_to(e, PLAN_MERGE,
		  e->conflicts
			  ? (local    ? "merged; Catalyst won the conflicts "
					"(--strategy local)"
			     : remote ? "merged; the CMS won the conflicts "
					"(--strategy remote)"
				      : "merged as resolved by hand")
			  : "changed on both sides: merged");
	return 0;
}

/* ---- order and operations ---------------------------------------------- */

static enum order_kind order_kind_of(const struct entry *e)
{
	if (e->filtered)
		return ORDER_NONE;
	switch (e->action) {
	case PLAN_CREATE:
	case PLAN_RECREATE:
		/* A re-created type is gone between its delete and its
		 * create: what references it waits for the create. */
		return ORDER_CREATE;
	case PLAN_UPDATE:
		return ORDER_UPDATE;
	case PLAN_MERGE:
		return e->merge_push ? ORDER_UPDATE : ORDER_NONE;
	case PLAN_DELETE:
		return ORDER_DELETE;
	default:
		return ORDER_NONE;
	}
}

/* The document a node survives with (or, for deletes, had). */
static const json_t *order_doc_of(const struct entry *e, enum order_kind k)
{
	if (k == ORDER_UPDATE && e->action == PLAN_MERGE)
		return e->merged;
	if (k == ORDER_CREATE || k == ORDER_UPDATE)
		return e->desired;
	return e->remote;
}

struct opbuild {
	json_t *ops;
	size_t *main_seq; /* per step: the seq of its (last) operation */
};

static json_t *op_new(json_t *ops, const char *action, const struct entry *e)
{
	json_t *op = json_pack("{s:I, s:s, s:s}", "seq",
			       (json_int_t)json_array_size(ops), "action",
			       action, "key", e->key);

	if (e->type_id)
		json_object_set_new(op, "type_id", json_string(e->type_id));
	if (e->local_version)
		json_object_set_new(op, "version",
				    json_string(e->local_version));
	json_object_set_new(op, "after", json_array());
	json_array_append_new(ops, op);
	return op;
}

/* rollback without --catalyst: every write keeps the base. */
static void mark_keep_base(json_t *ops)
{
	json_t *op;
	size_t i;

	json_array_foreach(ops, i, op)
		json_object_set_new(op, "keep_base", json_true());
}

static void op_after(json_t *op, size_t seq)
{
	json_array_append_new(json_object_get(op, "after"),
			      json_integer((json_int_t)seq));
}

static json_t *base_doc_for_record(const struct entry *e)
{
	return json_incref(e->remote);
}

/* Catalyst takes new_form; then (doc given) the base is recorded. */
static json_t *pull_op(json_t *ops, const char *action, const struct entry *e,
		       int record)
{
	json_t *op = op_new(ops, action, e);

	if (e->new_form)
		json_object_set(op, "form", e->new_form);
	if (e->new_keys)
		json_object_set(op, "keys", e->new_keys);
	if (record) {
		json_object_set_new(op, "doc", base_doc_for_record(e));
		json_object_set_new(op, "etag",
				    e->etag ? json_string(e->etag)
					    : json_null());
	}
	return op;
}

static int build_ops(struct planner *p, json_t *ops, enum api_version v)
{
	struct order_node *nodes;
	struct order_result r = {0};
	json_t *unmanaged_keys = json_array();
	size_t *step_seq = NULL, i, nn = 0, *node_entry;
	const char *key;
	json_t *doc;
	int ret;

	nodes = xcalloc(p->nr + json_object_size(p->remote) + 1,
			sizeof(*nodes));
	node_entry = xcalloc(p->nr + json_object_size(p->remote) + 1,
			     sizeof(*node_entry));
	for (i = 0; i < p->nr; i++) {
		struct entry *e = &p->e[i];
		enum order_kind k = order_kind_of(e);

		nodes[nn].key = e->key;
		nodes[nn].kind = k;
		nodes[nn].doc = order_doc_of(e, k);
		/* An update that drops a reference lets a delete go after it.
		 */
		nodes[nn].remote = k == ORDER_UPDATE ? e->remote : NULL;
		node_entry[nn++] = i;
	}
	/* Remote types we do not manage survive as they are. */
	json_object_foreach(p->remote, key, doc)
	{
		if (json_object_get(p->index, key))
			continue;
		nodes[nn].key = key;
		nodes[nn].kind = ORDER_NONE;
		nodes[nn].doc = doc;
		node_entry[nn++] = (size_t)-1;
	}
	if ((ret = order_plan(nodes, nn, &r)) < 0)
		goto out;
	/* Blocked steps block their types (before any op is made). */
	for (i = 0; i < r.nr; i++) {
		const struct order_step *st = &r.steps[i];
		size_t ei = node_entry[st->node];

		if (st->blocked && ei != (size_t)-1 &&
		    p->e[ei].action != PLAN_BLOCKED)
			block(&p->e[ei], "%s", st->blocked);
	}
	step_seq = xcalloc(r.nr + 1, sizeof(*step_seq));
	for (i = 0; i < r.nr; i++) {
		const struct order_step *st = &r.steps[i];
		size_t ei = node_entry[st->node], d;
		struct entry *e;
		json_t *op;

		step_seq[i] = (size_t)-1;
		if (ei == (size_t)-1)
			continue;
		e = &p->e[ei];
		if (e->action == PLAN_BLOCKED)
			continue;
		if (st->phase == ORDER_LINK) {
			op = op_new(ops, "link", e);
			json_object_set_new(
				op, "patch",
				patch_compute(st->phase1_doc ? st->phase1_doc
							     : NULL,
					      e->desired, v));
		} else if (e->action == PLAN_CREATE) {
			op = op_new(ops, "create", e);
			json_object_set(op, "doc",
					st->phase1_doc ? st->phase1_doc
						       : e->desired);
			if (st->phase1_doc)
				json_object_set_new(op, "phase1", json_true());
		} else if (e->action == PLAN_UPDATE ||
			   e->action == PLAN_MERGE) {
			size_t pseq = (size_t)-1;

			/* A merge writes Catalyst first: should that fail
			 * (the row moved), the CMS is left as it was. */
			if (e->action == PLAN_MERGE && e->new_form) {
				pull_op(ops, "pull", e, 0);
				pseq = json_array_size(ops) - 1;
			}
			op = op_new(ops, "update", e);
			if (pseq != (size_t)-1) {
				op_after(op, pseq);
				json_object_set_new(op, "head_version",
						    json_true());
			}
			json_object_set(op, "patch", e->patch);
			json_object_set_new(op, "if_match",
					    e->etag ? json_string(e->etag)
						    : json_null());
			json_object_set(op, "remote", e->remote);
			if (e->data_loss && json_array_size(e->data_loss))
				json_object_set_new(op, "allow_data_loss",
						    json_true());
		} else if (e->action == PLAN_RECREATE) {
			json_t *del = op_new(ops, "delete", e);
			size_t dseq = json_array_size(ops) - 1;

			json_object_set_new(del, "if_match",
					    e->etag ? json_string(e->etag)
						    : json_null());
			json_object_set(del, "remote", e->remote);
			for (d = 0; d < st->deps_nr; d++)
				if (step_seq[st->deps[d]] != (size_t)-1)
					op_after(del, step_seq[st->deps[d]]);
			op = op_new(ops, "create", e);
			json_object_set(op, "doc",
					st->phase1_doc ? st->phase1_doc
						       : e->desired);
			if (st->phase1_doc)
				json_object_set_new(op, "phase1", json_true());
			op_after(op, dseq);
			step_seq[i] = json_array_size(ops) - 1;
			continue;
		} else if (e->action == PLAN_DELETE) {
			op = op_new(ops, "delete", e);
			json_object_set_new(op, "if_match",
					    e->etag ? json_string(e->etag)
						    : json_null());
			json_object_set(op, "remote", e->remote);
		} else {
			continue;
		}
		for (d = 0; d < st->deps_nr; d++)
			if (step_seq[st->deps[d]] != (size_t)-1)
				op_after(op, step_seq[st->deps[d]]);
		step_seq[i] = json_array_size(ops) - 1;
	}
	/* Bookkeeping without requests. */
	for (i = 0; i < p->nr; i++) {
		struct entry *e = &p->e[i];
		json_t *op;

		if (e->filtered)
			continue;
		if (e->action == PLAN_ADOPT || e->action == PLAN_CONVERGED) {
			op = op_new(ops, "record_base", e);
			json_object_set_new(op, "doc", base_doc_for_record(e));
			json_object_set_new(op, "etag",
					    e->etag ? json_string(e->etag)
						    : json_null());
		} else if (e->action == PLAN_FORGET) {
			op_new(ops, "forget", e);
		} else if (e->action == PLAN_PULL ||
			   (e->action == PLAN_MERGE && !e->merge_push)) {
			/* Pull mode: Catalyst takes the merge and the
			 * remote becomes the base; the next push sends the
			 * rest. */
			pull_op(ops, e->new_form ? "pull" : "record_base", e,
				1);
		} else if (e->action == PLAN_IMPORT) {
			op = pull_op(ops, "pull_create", e, 1);
			if (p->o->website_id)
				json_object_set_new(
					op, "website_id",
					json_string(p->o->website_id));
		} else if (e->action == PLAN_REMOVE_LOCAL) {
			op_new(ops, "pull_delete", e);
		}
	}
	ret = 0;
out:
	free(step_seq);
	free(nodes);
	free(node_entry);
	json_decref(unmanaged_keys);
	order_result_release(&r);
	return ret;
}

/* ---- the document ------------------------------------------------------- */

static json_t *changes_of(const struct entry *e)
{
	struct diff d = DIFF_INIT;
	json_t *out = NULL, *from = NULL;
	const json_t *to = NULL;

	switch (e->action) {
	case PLAN_UPDATE:
	case PLAN_CONFLICT:
	case PLAN_RECREATE:
		from = e->remote ? tform_owned(e->remote) : NULL;
		to = e->desired;
		break;
	case PLAN_MERGE:
		from = tform_owned(e->remote);
		to = e->merged;
		break;
	case PLAN_IMPORT:
		to = tform_owned(e->remote);
		diff_json(&d, NULL, to, NULL);
		json_decref((json_t *)to);
		goto done;
	case PLAN_DRIFT:
	case PLAN_PULL:
		from = e->has_base ? tform_owned(e->st.base_doc) : NULL;
		to = e->remote ? tform_owned(e->remote) : NULL;
		diff_json(&d, from, to, NULL);
		json_decref((json_t *)to);
		goto done;
	case PLAN_BLOCKED:
		if (e->remote && e->desired) {
			from = tform_owned(e->remote);
			to = e->desired;
			break;
		}
		return NULL;
	default:
		return NULL;
	}
	if (!to)
		goto done_free;
	diff_json(&d, from, to, NULL);
done:
	out = diff_to_json(&d);
done_free:
	diff_release(&d);
	json_decref(from);
	return out;
}

static void set_str(json_t *o, const char *k, const char *v)
{
	if (v && *v)
		json_object_set_new(o, k, json_string(v));
}

static json_t *type_json(const struct entry *e)
{
	json_t *o = json_pack("{s:s, s:s}", "key", e->key, "action",
			      plan_action_name(e->action));
	json_t *changes;

	set_str(o, "type_id", e->type_id);
	set_str(o, "name", e->name);
	set_str(o, "reason", e->reason);
	/* Left out for its validation failures (strict: warnings too) or an
	 * unreadable row: exit code 1, whatever the findings' severities. */
	if (e->action == PLAN_BLOCKED && (e->error || e->invalid))
		json_object_set_new(o, "invalid", json_true());
	set_str(o, "local_version", e->local_version);
	json_object_set_new(o, "local_hash",
			    e->local_present && e->local_hash[0]
				    ? json_string(e->local_hash)
				    : json_null());
	json_object_set_new(o, "base_hash",
			    e->has_base ? json_string(e->st.base_hash)
					: json_null());
	json_object_set_new(o, "remote_hash",
			    e->remote ? json_string(e->remote_hash)
				      : json_null());
	json_object_set_new(o, "remote_etag",
			    e->etag ? json_string(e->etag) : json_null());
	if (e->action == PLAN_CREATE && e->desired)
		json_object_set_new(
			o, "properties",
			json_integer((json_int_t)json_object_size(
				json_object_get(e->desired, "properties"))));
	if ((changes = changes_of(e)))
		json_object_set_new(o, "changes", changes);
	if (e->action == PLAN_MERGE && e->merged) {
		struct diff d = DIFF_INIT;

		/* What Catalyst takes from the merge. */
		diff_json(&d, e->desired, e->merged, NULL);
		json_object_set_new(o, "catalyst_changes", diff_to_json(&d));
		diff_release(&d);
	}
	if (e->conflicts)
		json_object_set(o, "conflicts", e->conflicts);
	if (e->action == PLAN_CONFLICT && e->merged && !e->conflicts)
		json_object_set_new(o, "mergeable", json_true());
	if (e->data_loss && json_array_size(e->data_loss))
		json_object_set(o, "data_loss", e->data_loss);
	if (json_array_size(e->findings))
		json_object_set(o, "findings", e->findings);
	return o;
}

static int tree_hash(char out[CANON_HASH_LEN + 1], struct planner *p,
		     int remote)
{
	json_t *tree = json_object();
	size_t i;
	int ret;

	for (i = 0; i < p->nr; i++) {
		const struct entry *e = &p->e[i];

		if (remote && e->remote)
			json_object_set_new(tree, e->key,
					    json_string(e->remote_hash));
		else if (!remote && e->local_present && e->local_hash[0])
			json_object_set_new(tree, e->key,
					    json_string(e->local_hash));
	}
	ret = canon_tree_hash(out, tree);
	json_decref(tree);
	return ret;
}

static int cmp_entries(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->key,
		      ((const struct entry *)b)->key);
}

static int document(struct planner *p, json_t *ops, json_t **out)
{
	struct store_info info = {0};
	char local_tree[CANON_HASH_LEN + 1], remote_tree[CANON_HASH_LEN + 1];
	char *id = store_random_id();
	json_t *types = json_array(), *summary = json_object(), *plan;
	struct buf created = BUF_INIT;
	size_t i, counts[ACTIONS_NR] = {0}, unmanaged = 0;
	const char *key;
	json_t *doc;
	int ret;

	if ((ret = store_info(p->s, &info)) < 0 ||
	    (ret = tree_hash(local_tree, p, 0)) < 0 ||
	    (ret = tree_hash(remote_tree, p, 1)) < 0)
		goto out;
	for (i = 0; i < p->nr; i++) {
		const struct entry *e = &p->e[i];

		if (e->filtered)
			continue;
		counts[e->action]++;
		if (e->action != PLAN_NONE)
			json_array_append_new(types, type_json(e));
	}
	json_object_foreach(p->remote, key, doc) unmanaged +=
		!json_object_get(p->index, key);
	for (i = 0; i < ACTIONS_NR; i++)
		json_object_set_new(summary, action_names[i],
				    json_integer((json_int_t)counts[i]));
	json_object_set_new(summary, "unmanaged",
			    json_integer((json_int_t)unmanaged));
	json_object_set_new(summary, "operations",
			    json_integer((json_int_t)json_array_size(ops)));
	time_format_iso(&created, time_now_ms());
	id[12] = '\0';
	plan = json_pack(
		"{s:i, s:s, s:s, s:s, s:{s:s, s:s?, s:s, s:s}, s:s, s:{s:s, "
		"s:s?}, s:s, s:b, s:b, s:b, s:{s:s, s:s}, s:o, s:o, s:o}",
		"format_version", PLAN_FORMAT_VERSION, "kind", "plan", "id", id,
		"created", created.ptr, "target", "name", p->o->target_name,
		"url", p->o->target_url, "identity", p->t->identity,
		"api_version", tform_api_version_name(p->t->version),
		"store_id", info.store_id, "website", "id", p->o->website_id,
		"name", p->o->website_name, "mode",
		p->o->mode ? p->o->mode : "push", "allow_data_loss",
		p->o->allow_data_loss, "recreate", p->o->recreate, "strict",
		p->o->strict, "trees", "local", local_tree, "remote",
		remote_tree, "summary", summary, "types", types, "operations",
		json_incref(ops));
	if (!plan) {
		ret = err_set(ERR_GENERIC, "cannot build the plan document");
		goto out;
	}
	if (p->o->strategy)
		json_object_set_new(plan, "strategy",
				    json_string(p->o->strategy));
	if (p->o->only)
		json_object_set_new(plan, "only", json_deep_copy(p->o->only));
	if (p->o->exclude)
		json_object_set_new(plan, "exclude",
				    json_deep_copy(p->o->exclude));
	*out = plan;
	types = summary = NULL;
	ret = 0;
out:
	json_decref(types);
	json_decref(summary);
	buf_release(&created);
	store_info_release(&info);
	free(id);
	return ret;
}

/*
 * The remote list, read on a thread of its own while the model is read
 * (the two wait on different things: the network and the CPU).
 */
struct list_job {
	struct target *t;
	pthread_t thread;
	json_t *docs, *raw;
	int ret;
	char *msg; /* the error's message, when ret < 0 */
};

static void *list_main(void *payload)
{
	struct list_job *j = payload;

	j->ret = target_list(j->t, &j->docs, &j->raw);
	if (j->ret < 0)
		j->msg = xstrdup(err_msg());
	return NULL;
}

/* The remote documents into p->remote, built-in types apart. */
static void take_remote(struct planner *p, const json_t *docs,
			const json_t *raw)
{
	const json_t *doc;
	size_t i;

	json_array_foreach(raw, i, doc)
	{
		const char *key = jx_str(doc, "key");

		if (key && jx_str(doc, "source"))
			json_object_set_new(p->builtin, key, json_true());
	}
	json_array_foreach(docs, i, doc)
	{
		const char *key = jx_str(doc, "key");

		if (key && !json_object_get(p->builtin, key))
			json_object_set(p->remote, key, (json_t *)doc);
	}
}

/*
 * Reads both sides: the remote list and the model. Unless the mode
 * pulls, the list is read on another thread meanwhile, and each type
 * gets its remote side afterwards.
 */
static int read_sides(struct planner *p)
{
	struct list_job job = {0};
	int ret, aside;
	size_t i;

	job.t = p->t;
	aside = !p->pulls && thread_start(&job.thread, list_main, &job) == 0;
	if (!aside) {
		err_clear(); /* no thread: the list is read here, first */
		list_main(&job);
		if (job.ret < 0) {
			ret = err_set(job.ret, "%s", job.msg);
			goto out;
		}
		take_remote(p, job.docs, job.raw);
	}
	ret = model_each(p->m, each_local, p);
	if (aside) {
		pthread_join(job.thread, NULL);
		if (ret >= 0 && job.ret < 0)
			ret = err_set(job.ret, "%s", job.msg);
		if (ret >= 0)
			take_remote(p, job.docs, job.raw);
	}
	for (i = 0; ret >= 0 && !p->pulls && i < p->nr; i++)
		ret = attach_remote(p, &p->e[i]);
	if (ret >= 0)
		ret = add_deleted(p);
out:
	free(job.msg);
	json_decref(job.docs);
	json_decref(job.raw);
	return ret;
}

int plan_build(struct store *s, struct target *t, struct model *m,
	       const struct plan_options *o, json_t **out)
{
	struct planner p = {0};
	json_t *ops = json_array();
	size_t i;
	int ret;

	*out = NULL;
	p.s = s;
	p.t = t;
	p.m = m;
	p.o = o;
	p.pulls = plan_mode_pulls(o->mode);
	p.index = json_object();
	p.remote = json_object();
	p.builtin = json_object();
	if ((ret = read_sides(&p)) < 0)
		goto out;
	/* Stable order: by key. The index is rebuilt after sorting. */
	qsort(p.e, p.nr, sizeof(*p.e), cmp_entries);
	json_object_clear(p.index);
	for (i = 0; i < p.nr; i++)
		json_object_set_new(p.index, p.e[i].key,
				    json_integer((json_int_t)i));
	if ((ret = apply_filters(&p)) < 0 || (ret = add_imports(&p)) < 0 ||
	    (ret = apply_overrides(&p)) < 0)
		goto out;
	for (i = 0; i < p.nr; i++)
		if (!p.e[i].filtered)
			decide(&p, &p.e[i]);
	if ((ret = read_fresh(&p)) < 0)
		goto out;
	for (i = 0; i < p.nr; i++)
		if (!p.e[i].filtered &&
		    (ret = settle(&p, &p.e[i], t->version)) < 0)
			goto out;
	for (i = 0; i < p.nr; i++)
		if (!p.e[i].filtered)
			check_entry(&p, &p.e[i], t->version);
	if ((ret = build_ops(&p, ops, t->version)) < 0)
		goto out;
	if (o->keep_base)
		mark_keep_base(ops);
	if ((ret = document(&p, ops, out)) < 0)
		goto out;
	ret = 0;
out:
	for (i = 0; i < p.nr; i++)
		entry_release(&p.e[i]);
	free(p.e);
	json_decref(p.index);
	json_decref(p.remote);
	json_decref(p.builtin);
	json_decref(ops);
	return ret;
}
