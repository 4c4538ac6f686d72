/*
 * apply: the executor of plans (brief §11); see apply.h for the protocol.
 */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/apply.h"
#include "core/diff.h"
#include "core/history.h"
#include "core/patch.h"
#include "core/plan.h"
#include "core/tform.h"
#include "source/capture.h"
#include "source/catalyst_sqlite.h"
#include "store/store.h"
#include "target/target.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/jx.h"
#include "util/log.h"
#include "util/progress.h"
#include "util/timeutil.h"
#include "util/xalloc.h"
#include "util/banned.h"

#define LOCK_TTL_MS (5 * 60 * 1000LL)

enum xstate { X_PENDING, X_RUNNING, X_DONE, X_FAILED, X_SKIPPED };

static const char *const xstate_names[] = {"pending", "running", "done",
					   "failed", "skipped"};

struct xop {
	size_t seq;
	const json_t *op; /* the plan's operation (borrowed from the plan) */
	const char *action, *key, *type_id, *version;
	enum xstate state;
	size_t waiting; /* dependencies not done yet */
	size_t *dependents;
	size_t dependents_nr, dependents_alloc;
	int attempts;
	int reconcile; /* was running when the run stopped: read first */
	int in_bulk;
	char *error;
	int conflict;
	int refused; /* stale, or depends on a stale one: attention */
	char *etag;  /* If-Match to send (a link's comes from its create) */
	long long started_ms;
	struct target_op top;
	/* Written by a Catalyst operation: the version it left, and the id
	 * of a type it created (pull_create). */
	char new_version[CANON_HASH_LEN + 1];
	char *new_type_id;
};

struct exec {
	struct store *s;
	struct target *t;
	const struct apply_options *o;
	const json_t *plan;
	const char *target_name;
	const char *website_id;
	char run_id[65];
	long long started_ms;
	struct store_lock lock;
	struct xop *x;
	size_t nr;
	size_t *ready;
	size_t ready_head, ready_nr, ready_alloc;
	size_t inflight;
	unsigned concurrency;
	int stopping;
	int fatal;     /* a store error: nothing more can be journaled */
	int batch;     /* inside one transaction the caller commits */
	int run_new;   /* the run is not stored yet: its first write */
	json_t *etags; /* {key: ETag} learnt during the run */
};

/* ---- crash points ---------------------------------------------------------
 */

static void fault_point(void)
{
#ifndef NDEBUG
	static long calls, at = -1;

	if (at < 0) {
		const char *env = getenv("CS_FAULT_AT");

		at = 0;
		if (env && !strncmp(env, "apply:", 6))
			at = strtol(env + 6, NULL, 10);
	}
	if (at > 0 && ++calls == at) {
		fflush(NULL);
		kill(getpid(), SIGKILL);
	}
#endif
}

/* ---- small helpers --------------------------------------------------------
 */

static int is(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

/* The operations that write Catalyst, not the target. */
static int is_local(const char *a)
{
	return is(a, "pull") || is(a, "pull_create") || is(a, "pull_delete");
}

static void set_error(struct xop *x, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void set_error(struct xop *x, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	free(x->error);
	x->error = buf_detach(&b, NULL);
}

static void ready_push(struct exec *e, size_t i)
{
	ALLOC_GROW(e->ready, e->ready_nr + 1, e->ready_alloc);
	e->ready[e->ready_nr++] = i;
}

static int ready_pop(struct exec *e, size_t *i)
{
	if (e->ready_head == e->ready_nr)
		return 0;
	*i = e->ready[e->ready_head++];
	return 1;
}

static json_t *op_request(const struct xop *x)
{
	const json_t *v = json_object_get(x->op, "doc");

	if (!v)
		v = json_object_get(x->op, "patch");
	return (json_t *)v;
}

/* Journals x as it is now (the caller holds a transaction or not). */
static int journal(struct exec *e, const struct xop *x, const json_t *response)
{
	struct store_op op = {0};

	op.run_id = e->run_id;
	op.seq = (long)x->seq;
	op.type_id = (char *)x->type_id;
	op.type_key = (char *)x->key;
	op.action = (char *)x->action;
	op.state = (char *)xstate_names[x->state];
	/* The request is in the run's plan and the answer in the history:
	 * the journal keeps states, not third copies of documents. */
	(void)response;
	op.etag = x->etag;
	op.error = x->error;
	op.attempts = x->attempts;
	op.started_ms = x->started_ms;
	op.finished_ms = x->state >= X_DONE ? time_now_ms() : 0;
	return store_op_put(e->s, &op);
}

static int history(struct exec *e, const struct xop *x, const char *status,
		   const json_t *response)
{
	struct store_history_entry h = {0};

	h.run_id = e->run_id;
	h.target = (char *)e->target_name;
	h.type_id = (char *)x->type_id;
	h.type_key = (char *)x->key;
	/* The version the write made (a pull's SYNC version, a merge's
	 * head) when there is one, else the one the plan saw. */
	h.version_id =
		(char *)(x->new_version[0] ? x->new_version : x->version);
	h.direction = (char *)(is_local(x->action) ? "pull" : "push");
	h.action = (char *)x->action;
	h.status = (char *)status;
	h.pushed = op_request(x);
	h.response = (json_t *)response;
	h.error = x->error;
	h.actor = (char *)e->o->actor;
	h.started_ms = x->started_ms ? x->started_ms : time_now_ms();
	h.finished_ms = time_now_ms();
	return store_history_add(e->s, &h);
}

/* The sync state of x's type after a write that left doc remotely. */
static int record_base(struct exec *e, struct xop *x, const json_t *doc,
		       const char *etag, const char *status)
{
	struct store_sync_state st = {0};
	char hash[CANON_HASH_LEN + 1];
	json_t *overlay;
	int ret;

	if (!x->type_id)
		return 0;
	if ((ret = canon_owned_hash(hash, doc)) < 0)
		return ret;
	if (!x->new_version[0] && jx_true(x->op, "head_version") &&
	    (ret = history_heads(e->s, x->type_id, x->new_version, NULL)) < 0)
		return ret;
	st.target = (char *)e->target_name;
	st.type_id = (char *)x->type_id;
	st.type_key = (char *)x->key;
	st.base_doc = (json_t *)doc;
	st.base_hash = hash;
	st.remote_etag = (char *)etag;
	st.local_version =
		(char *)(x->new_version[0] ? x->new_version : x->version);
	st.status = (char *)status;
	st.conflict_status = (char *)"none";
	st.last_sync_ms = st.updated_ms = time_now_ms();
	if ((ret = store_sync_state_put(e->s, &st)) < 0)
		return ret;
	overlay = tform_overlay(doc);
	ret = store_overlay_put(e->s, e->target_name, x->type_id, overlay);
	json_decref(overlay);
	if (ret < 0)
		return ret;
	if (e->website_id) {
		char *have = NULL;

		ret = store_type_key_get(e->s, x->type_id, &have);
		if (ret == ERR_NOTFOUND) {
			err_clear();
			ret = store_type_key_put(e->s, e->website_id,
						 x->type_id, x->key,
						 "generated");
		}
		free(have);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* The sync state after a delete or a forget: nothing agreed any more. */
static int forget_base(struct exec *e, const struct xop *x)
{
	struct store_sync_state st = {0};

	if (!x->type_id)
		return 0;
	st.target = (char *)e->target_name;
	st.type_id = (char *)x->type_id;
	st.type_key = (char *)x->key;
	st.local_version = (char *)x->version;
	st.status = (char *)"deleted";
	st.conflict_status = (char *)"none";
	st.last_sync_ms = st.updated_ms = time_now_ms();
	return store_sync_state_put(e->s, &st);
}

int apply_mark_status(struct store *s, const char *target, const char *type_id,
		      const char *type_key, const char *status, int conflict)
{
	struct store_sync_state st = {0};
	int ret;

	if (!type_id)
		return 0;
	ret = store_sync_state_get(s, target, type_id, &st);
	if (ret == ERR_NOTFOUND) {
		err_clear();
		st.target = xstrdup(target);
		st.type_id = xstrdup(type_id);
		st.type_key = xstrdup(type_key);
	} else if (ret < 0) {
		return ret;
	}
	free(st.status);
	st.status = xstrdup(status);
	free(st.conflict_status);
	st.conflict_status = xstrdup(conflict ? "detected" : "none");
	st.updated_ms = time_now_ms();
	ret = store_sync_state_put(s, &st);
	store_sync_state_release(&st);
	return ret;
}

/* A type whose write failed keeps its base; its status says why. */
static int mark_state(struct exec *e, const struct xop *x, const char *status,
		      int conflict)
{
	return apply_mark_status(e->s, e->target_name, x->type_id, x->key,
				 status, conflict);
}

/* ---- the graph ------------------------------------------------------------
 */

static void finish(struct exec *e, struct xop *x, enum xstate st);

/* Skips every pending operation that depends on x, transitively. */
static void skip_dependents(struct exec *e, struct xop *x)
{
	size_t i;

	for (i = 0; i < x->dependents_nr; i++) {
		struct xop *d = &e->x[x->dependents[i]];

		if (d->state != X_PENDING || d->reconcile)
			continue;
		set_error(d, "depends on %s '%s', which %s", x->action, x->key,
			  x->state == X_FAILED ? "failed" : "was skipped");
		d->refused = x->refused;
		finish(e, d, X_SKIPPED);
	}
}

static void commit_or_fatal(struct exec *e, int ret)
{
	if (e->batch && ret >= 0)
		return;
	if (ret < 0) {
		store_rollback(e->s);
		if (!e->fatal)
			e->fatal = ret;
		return;
	}
	if ((ret = store_commit(e->s)) < 0 && !e->fatal)
		e->fatal = ret;
}

/*
 * Ends x in state st: journal, history and sync state in one transaction,
 * then the progress stream and the graph. For done writes the caller has
 * already recorded the base inside the same transaction (finish_write).
 */
static void finish_journal(struct exec *e, struct xop *x, enum xstate st,
			   const json_t *response, int in_tx)
{
	const char *hs;
	int ret = 0;

	x->state = st;
	if (!in_tx && (ret = store_begin(e->s, 1)) < 0) {
		if (!e->fatal)
			e->fatal = ret;
		return;
	}
	if (st == X_FAILED && !strcmp(x->action, "link"))
		hs = "PARTIAL";
	else
		hs = st == X_DONE     ? "SUCCESS"
		     : st == X_FAILED ? "FAILED"
				      : "SKIPPED";
	if (st == X_FAILED && ret >= 0)
		ret = mark_state(e, x, x->conflict ? "conflict" : "failed",
				 x->conflict);
	if (ret >= 0)
		ret = journal(e, x, response);
	if (ret >= 0)
		ret = history(e, x, hs, response);
	commit_or_fatal(e, ret);
	fault_point();
}

/* The progress stream and the graph, once x has ended. */
static void ended(struct exec *e, struct xop *x)
{
	size_t i;

	if (e->o->progress)
		progress_done(e->o->progress, x->action, x->key,
			      x->state == X_DONE     ? PROGRESS_OK
			      : x->state == X_FAILED ? PROGRESS_FAILED
						     : PROGRESS_SKIPPED,
			      x->error);
	if (x->state != X_DONE) {
		skip_dependents(e, x);
		return;
	}
	for (i = 0; i < x->dependents_nr; i++) {
		struct xop *d = &e->x[x->dependents[i]];

		if (d->waiting && !--d->waiting && d->state == X_PENDING)
			ready_push(e, x->dependents[i]);
	}
}

static void finish(struct exec *e, struct xop *x, enum xstate st)
{
	finish_journal(e, x, st, NULL, 0);
	ended(e, x);
}

/* A write that took effect: base, journal and history together. */
static void finish_write(struct exec *e, struct xop *x, const json_t *remote,
			 const char *etag)
{
	int ret = 0;

	if (!e->batch && (ret = store_begin(e->s, 1)) < 0) {
		if (!e->fatal)
			e->fatal = ret;
		return;
	}
	fault_point();
	if (jx_true(x->op, "keep_base"))
		ret = mark_state(e, x, "drift", 0); /* rollback: see plan.h */
	else if (is(x->action, "delete") || is(x->action, "forget") ||
		 is(x->action, "pull_delete"))
		ret = forget_base(e, x);
	else if (remote)
		ret = record_base(e, x, remote, etag, "in_sync");
	if (ret < 0) {
		store_rollback(e->s);
		if (!e->fatal)
			e->fatal = ret;
		return;
	}
	if (etag)
		json_object_set_new(e->etags, x->key, json_string(etag));
	else
		json_object_del(e->etags, x->key);
	free(x->error);
	x->error = NULL;
	finish_journal(e, x, X_DONE, remote, 1);
	ended(e, x);
}

/* ---- sending --------------------------------------------------------------
 */

static void dispatch(struct exec *e);

static void on_done(struct target_op *op, void *payload);

struct done_ctx {
	struct exec *e;
	size_t i;
};

/* Marks x running (committed) before its request goes out. */
static int mark_running(struct exec *e, struct xop *x)
{
	int ret;

	x->state = X_RUNNING;
	x->attempts++;
	x->started_ms = time_now_ms();
	ret = journal(e, x, NULL);
	if (ret < 0 && !e->fatal)
		e->fatal = ret;
	fault_point();
	return ret;
}

static int backup(struct exec *e, struct xop *x)
{
	struct store_backup b = {0};
	const json_t *remote = json_object_get(x->op, "remote");

	if (!e->o->backup || !remote)
		return 0;
	b.run_id = e->run_id;
	b.target = (char *)e->target_name;
	b.type_id = (char *)x->type_id;
	b.type_key = (char *)x->key;
	b.doc = (json_t *)remote;
	b.etag = (char *)jx_str(x->op, "if_match");
	b.created_ms = time_now_ms();
	return store_backup_add(e->s, &b);
}

static struct done_ctx *done_ctx_new(struct exec *e, size_t i)
{
	struct done_ctx *dc = xmalloc(sizeof(*dc));

	dc->e = e;
	dc->i = i;
	return dc;
}

/* Sends x's request: doc (a new reference, or NULL), If-Match etag. */
static void send(struct exec *e, size_t i, enum target_op_kind kind,
		 json_t *doc, const char *etag, unsigned flags)
{
	struct xop *x = &e->x[i];

	target_op_release(&x->top);
	target_op_init(&x->top, kind);
	x->top.key = xstrdup(x->key);
	x->top.doc = doc;
	x->top.etag = etag ? xstrdup(etag) : NULL;
	x->top.flags = flags;
	e->inflight++;
	target_submit(e->t, &x->top, on_done, done_ctx_new(e, i));
}

/* ---- operations on Catalyst (brief §7, §12) ------------------------------ */

/* Keeps the property keys the plan chose for the form's new fields. */
static int persist_keys(struct exec *e, const char *type_id, const json_t *form,
			const json_t *keys)
{
	const json_t *fields = json_object_get(form, "fields");
	const char *name;
	json_t *key;
	int ret;

	json_object_foreach((json_t *)keys, name, key)
	{
		struct store_field_key fk = {0};
		const char *fid = jx_str(json_object_get(fields, name), "id");
		struct buf ref = BUF_INIT;

		if (fid)
			buf_adds(&ref, fid);
		else
			buf_addf(&ref, "name:%s", name);
		fk.field_ref = ref.ptr;
		fk.field_name = (char *)name;
		fk.key = (char *)json_string_value(key);
		ret = fk.key ? store_field_key_put(e->s, type_id, &fk) : 0;
		buf_release(&ref);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* The main line must still be where the plan saw it. */
static int check_head(struct exec *e, const struct xop *x,
		      char head[CANON_HASH_LEN + 1])
{
	int ret = history_heads(e->s, x->type_id, head, NULL);

	if (ret < 0)
		return ret;
	if (!is(head, x->version))
		return ERR_CONFLICT;
	return 0;
}

/* Catalyst takes the form (a pull, or a merge's Catalyst side). */
static int local_pull(struct exec *e, struct xop *x)
{
	const json_t *form = json_object_get(x->op, "form");
	struct history_record_result rr;
	struct history_edit ed = {0};
	struct store_version hv;
	char head[CANON_HASH_LEN + 1], hash[CANON_HASH_LEN + 1];
	json_t *stored = NULL;
	struct buf msg = BUF_INIT;
	int ret = check_head(e, x, head), done;

	if (ret == ERR_CONFLICT) {
		/* Written by this run before a crash, or moved by someone? */
		if ((ret = capture_prepare(e->o->capture, form, &stored, hash,
					   NULL)) < 0)
			return ret;
		json_decref(stored);
		if ((ret = store_version_get(e->s, head, &hv)) < 0)
			return ret;
		done = !strcmp(hv.content_hash, hash);
		store_version_release(&hv);
		if (!done)
			return err_set(ERR_CONFLICT,
				       "changed in Catalyst since the plan: "
				       "not overwritten");
		memcpy(x->new_version, head, sizeof(x->new_version));
		return 0;
	}
	if (ret < 0 || (ret = persist_keys(e, x->type_id, form,
					   json_object_get(x->op, "keys"))) < 0)
		return ret;
	buf_addf(&msg, "Pulled from %s (run %.12s)", e->target_name, e->run_id);
	ed.type_id = x->type_id;
	ed.form = form;
	ed.source = STORE_SOURCE_SYNC;
	ed.author = e->o->actor;
	ed.message = msg.ptr;
	ed.base = x->version;
	ed.no_merge = 1;
	ret = history_record(e->s, e->o->capture, &ed, &rr);
	buf_release(&msg);
	if (ret < 0)
		return ret;
	if (rr.branch)
		return err_set(ERR_CONFLICT,
			       "changed in Catalyst while it was written: "
			       "kept as a branch, not overwritten");
	memcpy(x->new_version, rr.version[0] ? rr.version : head,
	       sizeof(x->new_version));
	return 0;
}

struct orphan {
	struct store *s;
	const char *name;
	char *id;
};

/* A row of that name that no key is bound to yet. */
static int find_orphan(const struct catalyst_row *row, void *payload)
{
	struct orphan *o = payload;
	char *key = NULL;
	int ret;

	if (o->id || !row->name || strcmp(row->name, o->name))
		return 0;
	ret = store_type_key_get(o->s, row->id, &key);
	free(key);
	if (ret == ERR_NOTFOUND) {
		err_clear();
		o->id = xstrdup(row->id);
		return 0;
	}
	return ret < 0 ? ret : 0;
}

/* A remote type becomes a Catalyst type (pull --adopt). */
static int local_create(struct exec *e, struct xop *x)
{
	const char *website = jx_str(x->op, "website_id");
	char *id = NULL;
	int ret;

	if (!website)
		return err_set(ERR_INVALID, "the plan names no website");
	/* Created by this run before a crash? */
	ret = store_type_key_find(e->s, website, x->key, &id);
	if (ret == ERR_NOTFOUND) {
		err_clear();
		ret = capture_create(e->o->capture, website,
				     json_object_get(x->op, "form"), NULL, &id);
		if (ret == ERR_CONFLICT) {
			/* Created by a run killed before it bound the key? */
			struct orphan o = {
				e->s,
				jx_str(json_object_get(x->op, "form"), "name"),
				NULL};

			if (o.name &&
			    catalyst_db_each_header(capture_db(e->o->capture),
						    website, find_orphan,
						    &o) == 0 &&
			    o.id) {
				err_clear();
				id = o.id;
				ret = 0;
			} else {
				free(o.id);
			}
		}
		if (ret == 0)
			ret = store_type_key_put(e->s, website, id, x->key,
						 "mapped");
	}
	if (ret < 0) {
		free(id);
		return ret;
	}
	x->new_type_id = id;
	x->type_id = id;
	if ((ret = persist_keys(e, id, json_object_get(x->op, "form"),
				json_object_get(x->op, "keys"))) < 0)
		return ret;
	return history_note(e->s, e->o->capture, id, STORE_SOURCE_SYNC,
			    e->o->actor, "Imported from the CMS (pull --adopt)",
			    x->new_version);
}

/* A type deleted in the CMS leaves Catalyst (pull --allow-delete). */
static int local_remove(struct exec *e, struct xop *x)
{
	struct store_version hv;
	char head[CANON_HASH_LEN + 1];
	int ret = check_head(e, x, head), deleted, moved = ret == ERR_CONFLICT;

	if (ret < 0 && !moved)
		return ret;
	if ((ret = store_version_get(e->s, head, &hv)) < 0)
		return ret;
	deleted = hv.deleted;
	/* Moved since the plan: done by this run before a crash (the
	 * head is the deletion), or changed by someone. */
	if (moved && !deleted) {
		store_version_release(&hv);
		return err_set(ERR_CONFLICT,
			       "changed in Catalyst since the plan: not "
			       "removed");
	}
	ret = deleted ? 0
		      : capture_delete(e->o->capture, x->type_id,
				       hv.content_hash);
	store_version_release(&hv);
	if (ret == ERR_NOTFOUND) /* removed before a crash */
		err_clear();
	else if (ret < 0)
		return ret;
	return history_note(e->s, e->o->capture, x->type_id, STORE_SOURCE_SYNC,
			    e->o->actor, "Removed: deleted in the CMS",
			    x->new_version);
}

static void run_local(struct exec *e, struct xop *x)
{
	const char *a = x->action;
	const json_t *doc = json_object_get(x->op, "doc");
	int ret;

	if (!e->o->capture) {
		set_error(x, "writing Catalyst needs its database");
		finish(e, x, X_FAILED);
		return;
	}
	if (mark_running(e, x) < 0)
		return;
	if (e->o->progress)
		progress_start(e->o->progress, a, x->key);
	ret = is(a, "pull")	     ? local_pull(e, x)
	      : is(a, "pull_create") ? local_create(e, x)
				     : local_remove(e, x);
	if (ret < 0) {
		x->conflict = ret == ERR_CONFLICT;
		set_error(x, "%s", err_msg());
		err_clear();
		finish(e, x, X_FAILED);
		return;
	}
	/* A merge's Catalyst side: its update records the base. */
	finish_write(e, x, is(a, "pull_delete") ? NULL : doc,
		     doc ? jx_str(x->op, "etag") : NULL);
}

static void start(struct exec *e, size_t i)
{
	struct xop *x = &e->x[i];
	const char *a = x->action;

	if (is_local(a)) {
		/* Idempotent: after a crash they look before they write. */
		x->reconcile = 0;
		run_local(e, x);
		return;
	}
	if (x->reconcile) {
		/* Did the write of the crashed run take effect? */
		x->state = X_RUNNING;
		if (e->o->progress)
			progress_start(e->o->progress, "check", x->key);
		send(e, i, TARGET_OP_GET, NULL, NULL, 0);
		return;
	}
	if (is(a, "record_base")) {
		finish_write(e, x, json_object_get(x->op, "doc"),
			     jx_str(x->op, "etag"));
		return;
	}
	if (is(a, "forget")) {
		finish_write(e, x, NULL, NULL);
		return;
	}
	if (is(a, "update") || is(a, "delete")) {
		int ret = backup(e, x);

		if (ret < 0) {
			set_error(x, "cannot save a backup: %s", err_msg());
			finish(e, x, X_FAILED);
			return;
		}
		free(x->etag);
		x->etag = jx_str(x->op, "if_match")
				  ? xstrdup(jx_str(x->op, "if_match"))
				  : NULL;
	} else if (is(a, "link")) {
		free(x->etag);
		x->etag = jx_str(e->etags, x->key)
				  ? xstrdup(jx_str(e->etags, x->key))
				  : NULL;
	}
	if (mark_running(e, x) < 0)
		return;
	if (e->o->progress)
		progress_start(e->o->progress, a, x->key);
	if (is(a, "create"))
		send(e, i, TARGET_OP_CREATE,
		     json_incref(json_object_get(x->op, "doc")), NULL, 0);
	else if (is(a, "update") || is(a, "link"))
		send(e, i, TARGET_OP_PATCH,
		     json_incref(json_object_get(x->op, "patch")), x->etag,
		     jx_true(x->op, "allow_data_loss") ? TARGET_ALLOW_DATA_LOSS
						       : 0);
	else if (is(a, "delete"))
		send(e, i, TARGET_OP_DELETE, NULL, x->etag, 0);
}

static void dispatch(struct exec *e)
{
	size_t i;

	while (!e->fatal && e->inflight < e->concurrency) {
		if (e->o->stop && *e->o->stop)
			e->stopping = 1;
		if (e->stopping || !ready_pop(e, &i))
			return;
		if (e->x[i].state != X_PENDING)
			continue;
		start(e, i);
	}
}

/* After a crash: decide from the true remote state (apply.h). */
static void reconciled(struct exec *e, struct xop *x, struct target_op *op)
{
	const char *a = x->action;
	const json_t *remote = op->result == 0 ? op->remote : NULL;
	int absent = op->result == ERR_NOTFOUND;

	if (op->result < 0 && !absent) {
		x->reconcile = 0;
		set_error(x, "cannot read its state after the crash: %s",
			  op->error ? op->error : "error");
		finish(e, x, X_FAILED);
		return;
	}
	x->reconcile = 0;
	if (is(a, "create")) {
		json_t *owned = remote ? tform_owned(remote) : NULL;
		int ours = remote &&
			   diff_equal(owned, json_object_get(x->op, "doc"));

		json_decref(owned);
		if (absent) {
			x->state = X_PENDING;
			ready_push(e, x->seq);
		} else if (ours) {
			finish_write(e, x, remote, op->etag_out);
		} else {
			x->conflict = 1;
			set_error(x, "a different type '%s' is in the CMS now",
				  x->key);
			finish(e, x, X_FAILED);
		}
	} else if (is(a, "update") || is(a, "link")) {
		if (absent) {
			x->conflict = 1;
			set_error(x, "deleted in the CMS meanwhile");
			finish(e, x, X_FAILED);
		} else if (patch_satisfied(remote,
					   json_object_get(x->op, "patch"))) {
			finish_write(e, x, remote, op->etag_out);
		} else if (is(a, "link") ||
			   is(op->etag_out, jx_str(x->op, "if_match"))) {
			if (is(a, "link") && op->etag_out)
				json_object_set_new(e->etags, x->key,
						    json_string(op->etag_out));
			x->state = X_PENDING;
			ready_push(e, x->seq);
		} else {
			x->conflict = 1;
			set_error(x, "changed in the CMS since the plan: not "
				     "overwritten");
			finish(e, x, X_FAILED);
		}
	} else if (is(a, "delete")) {
		if (absent) {
			finish_write(e, x, NULL, NULL);
		} else if (is(op->etag_out, jx_str(x->op, "if_match"))) {
			x->state = X_PENDING;
			ready_push(e, x->seq);
		} else {
			x->conflict = 1;
			set_error(x, "changed in the CMS since the plan: not "
				     "deleted");
			finish(e, x, X_FAILED);
		}
	} else {
		x->state = X_PENDING;
		ready_push(e, x->seq);
	}
}

static void on_done(struct target_op *op, void *payload)
{
	struct done_ctx *dc = payload;
	struct exec *e = dc->e;
	struct xop *x = &e->x[dc->i];

	free(dc);
	e->inflight--;
	if (e->fatal)
		return;
	if (x->reconcile) {
		reconciled(e, x, op);
	} else if (op->result == 0) {
		const json_t *remote = op->remote;

		if (is(x->action, "delete")) {
			finish_write(e, x, NULL, NULL);
		} else if (!remote) {
			/* 204 without a body: read what is there now. */
			x->reconcile = 1;
			x->state = X_PENDING;
			ready_push(e, x->seq);
		} else {
			finish_write(e, x, remote, op->etag_out);
		}
	} else {
		x->conflict = op->result == ERR_CONFLICT;
		if (x->conflict && is(x->action, "create"))
			set_error(x,
				  "a different type '%s' was created in the "
				  "CMS meanwhile: not overwritten (%s)",
				  x->key, op->error ? op->error : "409");
		else if (x->conflict)
			set_error(x,
				  "changed in the CMS since the plan: not "
				  "overwritten (%s)",
				  op->error ? op->error : "412");
		else
			set_error(x, "%s", op->error ? op->error : "failed");
		finish(e, x, X_FAILED);
	}
	if (!e->fatal && e->lock.token &&
	    time_now_ms() > e->lock.expires_ms - LOCK_TTL_MS / 2) {
		if (store_lock_renew(e->s, &e->lock, LOCK_TTL_MS) == 0)
			e->lock.expires_ms = time_now_ms() + LOCK_TTL_MS;
		else
			e->fatal = err_set(ERR_CONFLICT,
					   "the target's lock was taken over "
					   "by another process");
	}
	dispatch(e);
}

/* ---- bulk creates ---------------------------------------------------------
 */

static int bulk_candidate(const struct exec *e, const struct xop *x)
{
	const json_t *after = json_object_get(x->op, "after"), *d;
	size_t i;

	if (x->state != X_PENDING || x->reconcile || !is(x->action, "create") ||
	    jx_true(x->op, "phase1"))
		return 0;
	json_array_foreach(
		after, i, d) if (!e->x[json_integer_value(d)].in_bulk) return 0;
	return 1;
}

static void bulk_unmark(struct exec *e, size_t from, size_t to)
{
	size_t i;

	for (i = from; i < to; i++)
		e->x[i].in_bulk = 0;
}

/* One manifest; 0 when it was applied. */
static int bulk_chunk(struct exec *e, size_t *members, size_t nr)
{
	json_t *docs = json_array(), *outcomes = NULL, *o;
	size_t i;
	int ret;

	if ((ret = store_begin(e->s, 1)) < 0)
		return ret;
	for (i = 0; i < nr && ret >= 0; i++) {
		struct xop *x = &e->x[members[i]];

		json_array_append(docs, json_object_get(x->op, "doc"));
		x->state = X_RUNNING;
		x->attempts++;
		x->started_ms = time_now_ms();
		ret = journal(e, x, NULL);
	}
	commit_or_fatal(e, ret);
	if (e->fatal) {
		json_decref(docs);
		return e->fatal;
	}
	fault_point();
	ret = target_import(e->t, docs, 0, &outcomes);
	json_decref(docs);
	if (ret < 0) {
		log_warn("apply",
			 "a manifest of %zu creates failed (%s); creating "
			 "them one by one",
			 nr, err_msg());
		err_clear();
		return 1;
	}
	/* Absent at the last look, yet replaced: say so loudly. */
	json_array_foreach(json_object_get(outcomes, "outcomes"), i,
			   o) if (jx_str(o, "message") &&
				  !strstr(jx_str(o, "message"), "was created"))
		log_warn("apply", "manifest: %s", jx_str(o, "message"));
	json_decref(outcomes);
	return 0;
}

static int bulk(struct exec *e)
{
	size_t *members = xcalloc(e->nr + 1, sizeof(*members));
	size_t i, nr = 0, chunk, done = 0;
	json_t *docs = NULL, *present = json_object(), *doc;
	int ret = 0;

	for (i = 0; i < e->nr; i++)
		if (bulk_candidate(e, &e->x[i])) {
			e->x[i].in_bulk = 1;
			nr++;
		}
	if (nr < (e->o->bulk_min ? e->o->bulk_min : 20)) {
		bulk_unmark(e, 0, e->nr);
		goto out;
	}
	/* The plan saw these keys absent; unless it just did, a fresh list
	 * confirms it (a manifest replaces without a word). */
	if (!e->o->fresh_plan && (ret = target_list(e->t, &docs, NULL)) < 0)
		goto out;
	json_array_foreach(docs, i, doc) if (jx_str(doc, "key"))
		json_object_set_new(present, jx_str(doc, "key"), json_true());
	for (i = 0; i < e->nr; i++)
		if (e->x[i].in_bulk && json_object_get(present, e->x[i].key))
			e->x[i].in_bulk = 0; /* the 409 path decides */
	/* A member whose dependency left the bulk leaves it too. */
	for (i = 0; i < e->nr; i++)
		if (e->x[i].in_bulk && !bulk_candidate(e, &e->x[i]))
			e->x[i].in_bulk = 0;
	chunk = e->o->chunk_size ? e->o->chunk_size : 1000;
	nr = 0;
	for (i = 0; i <= e->nr; i++) {
		if (i < e->nr && e->x[i].in_bulk)
			members[nr++] = i;
		if (nr && (nr == chunk || i == e->nr)) {
			if (e->o->stop && *e->o->stop)
				break;
			if (e->o->progress)
				progress_message(e->o->progress,
						 "importing %zu types in one "
						 "manifest",
						 nr);
			ret = bulk_chunk(e, members, nr);
			if (ret < 0)
				goto out;
			if (ret > 0) {
				size_t j;

				for (j = 0; j < nr; j++) {
					e->x[members[j]].in_bulk = 0;
					e->x[members[j]].state = X_PENDING;
				}
			} else {
				done += nr;
			}
			nr = 0;
		}
	}
	ret = 0;
	/* Members of a chunk never sent (stopped) go back to pending. */
	for (i = 0; i < e->nr; i++)
		if (e->x[i].in_bulk && e->x[i].state == X_PENDING)
			e->x[i].in_bulk = 0;
	if (!done)
		goto out;
	/* One list records every imported type's base. */
	json_decref(docs);
	docs = NULL;
	if ((ret = target_list(e->t, &docs, NULL)) < 0)
		goto out;
	json_object_clear(present);
	json_array_foreach(docs, i, doc) if (jx_str(doc, "key"))
		json_object_set(present, jx_str(doc, "key"), doc);
	if ((ret = store_begin(e->s, 1)) < 0)
		goto out;
	e->batch = 1;
	for (i = 0; i < e->nr; i++) {
		struct xop *x = &e->x[i];
		const json_t *remote;

		if (!x->in_bulk || x->state != X_RUNNING)
			continue;
		remote = json_object_get(present, x->key);
		if (remote) {
			finish_write(e, x, remote, NULL);
		} else {
			/* Not listed yet: read it like a crashed create. */
			x->state = X_PENDING;
			x->reconcile = 1;
			ready_push(e, i);
		}
		if (e->fatal)
			break;
	}
	e->batch = 0;
	if (e->fatal) {
		store_rollback(e->s);
		ret = e->fatal;
		goto out;
	}
	if ((ret = store_commit(e->s)) < 0)
		goto out;
	fault_point();
out:
	free(members);
	json_decref(docs);
	json_decref(present);
	return ret;
}

/* ---- runs -----------------------------------------------------------------
 */

static void exec_release(struct exec *e)
{
	size_t i;

	for (i = 0; i < e->nr; i++) {
		free(e->x[i].dependents);
		free(e->x[i].error);
		free(e->x[i].etag);
		free(e->x[i].new_type_id);
		target_op_release(&e->x[i].top);
	}
	free(e->x);
	free(e->ready);
	json_decref(e->etags);
	store_lock_release(&e->lock);
}

/* Builds the graph of the plan's operations (states from the journal). */
static void exec_graph(struct exec *e, const json_t *ops)
{
	const json_t *op, *d;
	size_t i, j;

	e->nr = json_array_size(ops);
	e->x = xcalloc(e->nr ? e->nr : 1, sizeof(*e->x));
	json_array_foreach(ops, i, op)
	{
		struct xop *x = &e->x[i];

		x->seq = i;
		x->op = op;
		x->action = jx_str(op, "action");
		x->key = jx_str(op, "key");
		x->type_id = jx_str(op, "type_id");
		x->version = jx_str(op, "version");
		target_op_init(&x->top, TARGET_OP_GET);
		json_array_foreach(json_object_get(op, "after"), j, d)
		{
			struct xop *p = &e->x[json_integer_value(d)];

			ALLOC_GROW(p->dependents, p->dependents_nr + 1,
				   p->dependents_alloc);
			p->dependents[p->dependents_nr++] = i;
		}
	}
}

/* Dependencies not yet done; ready operations queued. */
static void exec_ready(struct exec *e)
{
	size_t i, j;
	const json_t *d;

	for (i = 0; i < e->nr; i++) {
		struct xop *x = &e->x[i];

		x->waiting = 0;
		json_array_foreach(json_object_get(x->op, "after"), j,
				   d) if (e->x[json_integer_value(d)].state !=
					  X_DONE) x->waiting++;
	}
	for (i = 0; i < e->nr; i++)
		if (e->x[i].state == X_PENDING && !e->x[i].waiting)
			ready_push(e, i);
}

static const char *run_status(const struct apply_report *r)
{
	if (r->interrupted)
		return "interrupted";
	if (!r->failed && !r->skipped && !r->refused)
		return "done";
	return r->done ? "partial" : "failed";
}

/* Writes the run's state; the plan only when the run starts. */
static int run_put(struct exec *e, const char *status, json_t *summary)
{
	struct store_run run = {0};
	int ret;

	run.id = e->run_id;
	run.target = (char *)e->target_name;
	run.mode = (char *)(jx_str(e->plan, "mode") ? jx_str(e->plan, "mode")
						    : "push");
	run.status = (char *)status;
	run.actor = (char *)e->o->actor;
	run.plan = e->run_new ? (json_t *)e->plan : NULL;
	run.summary = summary;
	run.started_ms = e->started_ms;
	run.finished_ms =
		strcmp(status, "running") && strcmp(status, "interrupted")
			? time_now_ms()
			: 0;
	if ((ret = store_run_put(e->s, &run)) < 0)
		return ret;
	e->run_new = 0;
	return 0;
}

static int lock(struct exec *e)
{
	struct store_lock holder = {0};
	int ret = store_lock_acquire(e->s, e->target_name, LOCK_TTL_MS,
				     &e->lock, &holder);

	store_lock_release(&holder);
	return ret;
}

/* Gives the lock up on an error path, keeping the error's message. */
static void unlock_after_error(struct exec *e, int ret)
{
	char *msg = xstrdup(err_msg());

	if (store_unlock(e->s, &e->lock) < 0)
		err_clear();
	err_set(ret, "%s", msg);
	free(msg);
	store_lock_release(&e->lock);
}

/* Runs the graph to its end; fills out; writes the run's end state. */
static int exec_run(struct exec *e, struct apply_report *out)
{
	json_t *summary;
	size_t i;
	int ret = 0;

	e->concurrency = e->o->concurrency ? e->o->concurrency : 8;
	if (e->o->bulk && e->t->version == API_V1 && (ret = bulk(e)) < 0)
		goto end;
	exec_ready(e);
	for (;;) {
		dispatch(e);
		if (!e->inflight)
			break;
		if (target_run(e->t) < 0) {
			ret = err_set(ERR_REMOTE, "the target's engine failed");
			goto end;
		}
		if (e->fatal)
			break;
	}
	ret = e->fatal;
end:
	memset(out, 0, sizeof(*out));
	memcpy(out->run_id, e->run_id, sizeof(out->run_id));
	out->problems = json_array();
	out->total = e->nr;
	for (i = 0; i < e->nr; i++) {
		const struct xop *x = &e->x[i];

		switch (x->state) {
		case X_DONE:
			out->done++;
			break;
		case X_FAILED:
			out->failed++;
			out->conflicts += x->conflict;
			break;
		case X_SKIPPED:
			if (x->refused)
				out->refused++;
			else
				out->skipped++;
			break;
		default:
			out->pending++;
			break;
		}
		if (x->in_bulk && x->state == X_DONE)
			out->imported++;
		if (x->state != X_DONE)
			json_array_append_new(
				out->problems,
				json_pack("{s:I, s:s, s:s, s:s, s:s?}", "seq",
					  (json_int_t)x->seq, "key", x->key,
					  "action", x->action, "state",
					  xstate_names[x->state], "error",
					  x->error));
	}
	out->interrupted = out->pending > 0;
	if (ret < 0) {
		/* Keep the message of the error across the bookkeeping. */
		char *msg = xstrdup(err_msg());

		out->interrupted = 1;
		if (run_put(e, "interrupted", NULL) < 0)
			err_clear();
		err_set(ret, "%s", msg);
		free(msg);
		unlock_after_error(e, ret);
		return ret;
	}
	summary = json_pack(
		"{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "total",
		(json_int_t)out->total, "refused", (json_int_t)out->refused,
		"done", (json_int_t)out->done, "failed",
		(json_int_t)out->failed, "skipped", (json_int_t)out->skipped,
		"pending", (json_int_t)out->pending, "conflicts",
		(json_int_t)out->conflicts, "imported",
		(json_int_t)out->imported);
	ret = run_put(e, run_status(out), summary);
	json_decref(summary);
	if (store_unlock(e->s, &e->lock) < 0 && ret == 0)
		ret = -1;
	if (e->o->progress)
		progress_finish(e->o->progress);
	return ret < 0 ? ret : 0;
}

static void exec_init(struct exec *e, struct store *s, struct target *t,
		      const json_t *plan, const struct apply_options *o)
{
	memset(e, 0, sizeof(*e));
	e->s = s;
	e->t = t;
	e->o = o;
	e->plan = plan;
	e->target_name = jx_str(json_object_get(plan, "target"), "name");
	e->website_id = jx_str(json_object_get(plan, "website"), "id");
	e->etags = json_object();
}

int apply_start(struct store *s, struct target *t, const json_t *plan,
		const struct apply_options *o, struct apply_report *out)
{
	struct exec e;
	char *id;
	size_t i;
	int ret;

	memset(out, 0, sizeof(*out));
	if ((ret = plan_check(plan)) < 0)
		return ret;
	exec_init(&e, s, t, plan, o);
	id = store_random_id();
	memcpy(e.run_id, id, 12);
	e.run_id[12] = '\0';
	free(id);
	e.started_ms = time_now_ms();
	if ((ret = lock(&e)) < 0)
		goto out;
	exec_graph(&e, json_object_get(plan, "operations"));
	if (o->progress)
		progress_add_total(o->progress, e.nr);
	/* The run and its whole journal, pending, in one transaction. */
	if ((ret = store_begin(s, 1)) < 0)
		goto out;
	e.run_new = 1;
	ret = run_put(&e, "running", NULL);
	for (i = 0; ret >= 0 && i < e.nr; i++)
		ret = journal(&e, &e.x[i], NULL);
	if (ret < 0) {
		store_rollback(s);
		goto out;
	}
	if ((ret = store_commit(s)) < 0)
		goto out;
	fault_point();
	/* Types refused before the run (stale): skipped, with dependents. */
	for (i = 0; o->refuse && i < e.nr; i++) {
		const char *why = jx_str(o->refuse, e.x[i].key);

		if (why && e.x[i].state == X_PENDING) {
			set_error(&e.x[i], "%s", why);
			e.x[i].refused = 1;
			finish(&e, &e.x[i], X_SKIPPED);
		}
	}
	ret = exec_run(&e, out);
out:
	if (ret < 0 && e.lock.token)
		unlock_after_error(&e, ret);
	exec_release(&e);
	return ret;
}

int apply_resume(struct store *s, struct target *t, const char *run_id,
		 const struct apply_options *o, struct apply_report *out)
{
	struct store_run run = {0};
	struct store_op *ops = NULL;
	size_t nr = 0, i;
	struct exec e;
	int ret;

	memset(out, 0, sizeof(*out));
	if ((ret = store_run_get(s, run_id, &run)) < 0)
		return ret;
	if (strcmp(run.status, "running") &&
	    strcmp(run.status, "interrupted")) {
		ret = err_set(ERR_INVALID,
			      "run %s has ended (%s): nothing to "
			      "resume",
			      run.id, run.status);
		store_run_release(&run);
		return ret;
	}
	exec_init(&e, s, t, run.plan, o);
	snprintf(e.run_id, sizeof(e.run_id), "%s", run.id);
	e.started_ms = run.started_ms;
	if ((ret = plan_check(run.plan)) < 0 || (ret = lock(&e)) < 0)
		goto out;
	exec_graph(&e, json_object_get(run.plan, "operations"));
	if ((ret = store_ops(s, run.id, &ops, &nr)) < 0)
		goto out;
	for (i = 0; i < nr; i++) {
		struct xop *x;

		if (ops[i].seq < 0 || (size_t)ops[i].seq >= e.nr)
			continue;
		x = &e.x[ops[i].seq];
		x->attempts = ops[i].attempts;
		x->started_ms = ops[i].started_ms;
		if (ops[i].error)
			x->error = xstrdup(ops[i].error);
		if (is(ops[i].state, "done"))
			x->state = X_DONE;
		else if (is(ops[i].state, "failed"))
			x->state = X_FAILED;
		else if (is(ops[i].state, "skipped"))
			x->state = X_SKIPPED;
		else if (is(ops[i].state, "running"))
			x->reconcile = 1;
	}
	/* The ETags that links need come from the state their creates left. */
	for (i = 0; i < e.nr; i++) {
		struct store_sync_state st = {0};

		if (!is(e.x[i].action, "link") || !e.x[i].type_id)
			continue;
		ret = store_sync_state_get(s, e.target_name, e.x[i].type_id,
					   &st);
		if (ret == ERR_NOTFOUND) {
			err_clear();
			continue;
		}
		if (ret < 0)
			goto out;
		if (st.remote_etag)
			json_object_set_new(e.etags, e.x[i].key,
					    json_string(st.remote_etag));
		store_sync_state_release(&st);
	}
	if (o->progress) {
		size_t left = 0;

		for (i = 0; i < e.nr; i++)
			left += e.x[i].state == X_PENDING;
		progress_add_total(o->progress, left);
	}
	if ((ret = run_put(&e, "running", NULL)) < 0)
		goto out;
	ret = exec_run(&e, out);
out:
	if (ret < 0 && e.lock.token)
		unlock_after_error(&e, ret);
	store_ops_free(ops, nr);
	exec_release(&e);
	store_run_release(&run);
	return ret;
}

void apply_report_release(struct apply_report *r)
{
	json_decref(r->problems);
	r->problems = NULL;
}
