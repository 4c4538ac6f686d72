/*
 * store: the port's front. Checks arguments, injects faults in debug
 * builds, and calls through the backend table. The lock's takeover rule
 * (a dead owner on this host) lives here, so every backend shares it.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/xalloc.h"
#include "util/banned.h"

struct store {
	struct store_backend *be;
	int created;
	int in_tx;
};

/*
 * CS_FAULT_AT=store:N makes the N-th store call (counted from when the
 * variable took its value) fail (debug builds), so that tests can walk
 * every failure path of a command (style guide, "torture, adapted"). A
 * process that sets it at start counts from its first call; a unit test
 * can set it between calls.
 */
static int fault_check(const char *what)
{
#ifndef NDEBUG
	static char seen[32];
	static long calls, fail_at;
	const char *env = getenv("CS_FAULT_AT");

	if (!env)
		env = "";
	if (strncmp(env, seen, sizeof(seen) - 1)) {
		size_t n = strlen(env);

		if (n >= sizeof(seen))
			n = sizeof(seen) - 1;
		memcpy(seen, env, n);
		seen[n] = '\0';
		calls = 0;
		fail_at = 0;
		if (!strncmp(env, "store:", 6)) {
			char *end;
			long v = strtol(env + 6, &end, 10);

			if (*end == '\0' && v > 0)
				fail_at = v;
		}
	}
	if (fail_at && ++calls == fail_at)
		return err_set(ERR_GENERIC,
			       "injected fault in store call %ld (%s)", calls,
			       what);
#else
	(void)what;
#endif
	return 0;
}

#define CALL(s, fn, ...)                                                       \
	do {                                                                   \
		int fault_ = fault_check(#fn);                                 \
		if (fault_ < 0)                                                \
			return fault_;                                         \
		return (s)->be->fn((s)->be, __VA_ARGS__);                      \
	} while (0)

/* A required argument missing is a programmer error: abort with it. */
#define need(what, value)                                                      \
	do {                                                                   \
		if (!(value) || !*(value)) {                                   \
			fprintf(stderr, "BUG: %s:%d: no %s\n", __FILE__,       \
				__LINE__, (what));                             \
			abort();                                               \
		}                                                              \
	} while (0)

struct store *store_new_take(struct store_backend *be)
{
	struct store *s = xcalloc(1, sizeof(*s));

	if (be->version != STORE_BACKEND_VERSION) {
		fprintf(stderr,
			"BUG: store backend '%s' has version %u, not %u\n",
			be->name, be->version, STORE_BACKEND_VERSION);
		abort();
	}
	s->be = be;
	return s;
}

int store_open(struct store **out, const char *location,
	       const struct store_options *opt)
{
	struct store_options none = {0};
	struct store_backend *be = NULL;
	int created = 0, ret;

	*out = NULL;
	if (!opt)
		opt = &none;
	if (!location || !*location)
		return err_set(ERR_USAGE, "no state store configured "
					  "(sync.state.storage)");
	if (!strncmp(location, "postgres://", 11) ||
	    !strncmp(location, "postgresql://", 13))
		return err_set(ERR_INVALID,
			       "PostgreSQL state stores are not supported yet; "
			       "use a file for sync.state.storage");
	if ((ret = fault_check("open")) < 0)
		return ret;
	ret = store_sqlite_open(&be, location, opt, &created);
	if (ret < 0)
		return ret;
	*out = store_new_take(be);
	(*out)->created = created;
	return 0;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	if (s->in_tx)
		s->be->rollback(s->be);
	s->be->free(s->be);
	free(s);
}

int store_created(const struct store *s)
{
	return s->created;
}

void store_info_release(struct store_info *info)
{
	FREE_AND_NULL(info->store_id);
	FREE_AND_NULL(info->backend);
	FREE_AND_NULL(info->location);
	info->schema_version = 0;
	info->created_ms = 0;
}

int store_info(struct store *s, struct store_info *out)
{
	memset(out, 0, sizeof(*out));
	CALL(s, info, out);
}

int store_begin(struct store *s, int write)
{
	int ret;

	if (s->in_tx)
		return err_set(ERR_GENERIC, "BUG: store transactions do not "
					    "nest");
	if ((ret = fault_check("begin")) < 0)
		return ret;
	if ((ret = s->be->begin(s->be, write)) < 0)
		return ret;
	s->in_tx = 1;
	return 0;
}

int store_commit(struct store *s)
{
	int ret;

	if ((ret = fault_check("commit")) < 0) {
		store_rollback(s);
		return ret;
	}
	ret = s->be->commit(s->be);
	if (ret < 0) {
		store_rollback(s);
		return ret;
	}
	s->in_tx = 0;
	return 0;
}

void store_rollback(struct store *s)
{
	if (!s || !s->in_tx)
		return;
	s->be->rollback(s->be);
	s->in_tx = 0;
}

static int reserved_meta(const char *key)
{
	return !strcmp(key, "store_id") || !strcmp(key, "schema_version") ||
	       !strcmp(key, "created_at");
}

int store_meta_get(struct store *s, const char *key, char **out)
{
	*out = NULL;
	CALL(s, meta_get, key, out);
}

int store_meta_set(struct store *s, const char *key, const char *value)
{
	if (reserved_meta(key))
		return err_set(ERR_INVALID, "'%s' is the store's own setting",
			       key);
	CALL(s, meta_set, key, value);
}

int store_target_put(struct store *s, const char *name, const char *url,
		     const char *website_id)
{
	need("target name", name);
	CALL(s, target_put, name, url, website_id);
}

int store_type_key_get(struct store *s, const char *type_id, char **key_out)
{
	*key_out = NULL;
	CALL(s, type_key_get, type_id, key_out);
}

int store_type_key_find(struct store *s, const char *website_id,
			const char *key, char **type_id_out)
{
	*type_id_out = NULL;
	CALL(s, type_key_find, website_id, key, type_id_out);
}

int store_type_key_put(struct store *s, const char *website_id,
		       const char *type_id, const char *key, const char *origin)
{
	need("website id", website_id);
	need("type id", type_id);
	need("key", key);
	if (strcmp(origin, "generated") && strcmp(origin, "mapped"))
		return err_set(ERR_INVALID, "BUG: type key origin '%s'",
			       origin);
	CALL(s, type_key_put, website_id, type_id, key, origin);
}

int store_type_keys(struct store *s, const char *website_id, json_t **out)
{
	*out = NULL;
	CALL(s, type_keys, website_id, out);
}

int store_field_keys(struct store *s, const char *type_id,
		     struct store_field_key **out, size_t *nr_out)
{
	*out = NULL;
	*nr_out = 0;
	CALL(s, field_keys, type_id, out, nr_out);
}

void store_field_keys_free(struct store_field_key *fks, size_t nr)
{
	for (size_t i = 0; fks && i < nr; i++) {
		free(fks[i].field_ref);
		free(fks[i].field_name);
		free(fks[i].key);
	}
	free(fks);
}

int store_field_key_put(struct store *s, const char *type_id,
			const struct store_field_key *fk)
{
	need("type id", type_id);
	need("field ref", fk->field_ref);
	need("field name", fk->field_name);
	need("key", fk->key);
	CALL(s, field_key_put, type_id, fk);
}

int store_overlay_get(struct store *s, const char *target, const char *type_id,
		      json_t **out)
{
	*out = NULL;
	CALL(s, overlay_get, target, type_id, out);
}

int store_overlay_put(struct store *s, const char *target, const char *type_id,
		      const json_t *overlay)
{
	need("target", target);
	need("type id", type_id);
	if (!json_is_object(overlay))
		return err_set(ERR_INVALID, "an overlay is an object");
	CALL(s, overlay_put, target, type_id, overlay);
}

void store_version_init(struct store_version *v)
{
	memset(v, 0, sizeof(*v));
	v->changelog_id = -1;
	v->mainline = 1;
}

void store_version_release(struct store_version *v)
{
	if (!v)
		return;
	free(v->id);
	free(v->type_id);
	free(v->website_id);
	free(v->type_key);
	free(v->name);
	free(v->content_hash);
	json_decref(v->snapshot);
	free(v->source);
	free(v->author);
	free(v->message);
	free(v->changelog_install);
	for (size_t i = 0; i < v->parents_nr; i++)
		free(v->parents[i]);
	free(v->parents);
	store_version_init(v);
}

void store_version_add_parent(struct store_version *v, const char *parent)
{
	v->parents = xrealloc(v->parents,
			      st_mult(sizeof(*v->parents), v->parents_nr + 1));
	v->parents[v->parents_nr++] = xstrdup(parent);
}

void store_version_list_release(struct store_version_list *l)
{
	for (size_t i = 0; i < l->nr; i++)
		store_version_release(&l->items[i]);
	free(l->items);
	memset(l, 0, sizeof(*l));
}

static int valid_source(const char *s)
{
	return s &&
	       (!strcmp(s, STORE_SOURCE_UI) || !strcmp(s, STORE_SOURCE_AI) ||
		!strcmp(s, STORE_SOURCE_SYNC));
}

int store_version_put(struct store *s, struct store_version *v)
{
	need("version id", v->id);
	need("type id", v->type_id);
	need("website id", v->website_id);
	need("content hash", v->content_hash);
	if (!valid_source(v->source))
		return err_set(ERR_INVALID,
			       "a change source is UI, AI or SYNC, not '%s'",
			       v->source ? v->source : "");
	if (!v->deleted && !v->snapshot)
		return err_set(ERR_INVALID, "version '%s' has no snapshot",
			       v->id);
	if ((v->changelog_install == NULL) != (v->changelog_id < 0))
		return err_set(ERR_INVALID,
			       "BUG: a changelog reference needs both the "
			       "install id and the row id");
	CALL(s, version_put, v);
}

int store_version_get(struct store *s, const char *id,
		      struct store_version *out)
{
	store_version_init(out);
	CALL(s, version_get, id, out);
}

int store_version_resolve(struct store *s, const char *prefix, char **id_out)
{
	size_t n = strlen(prefix);

	*id_out = NULL;
	if (n < 7 || n > CANON_HASH_LEN ||
	    strspn(prefix, "0123456789abcdef") != n)
		return err_set(ERR_INVALID,
			       "'%s' is not a version: give a full id or at "
			       "least 7 of its leading hex digits",
			       prefix);
	CALL(s, version_resolve, prefix, id_out);
}

int store_version_query(struct store *s, const struct store_version_query *q,
			store_version_fn fn, void *payload)
{
	CALL(s, version_query, q, fn, payload);
}

int store_version_heads(struct store *s, const char *type_id,
			struct store_version_list *out)
{
	memset(out, 0, sizeof(*out));
	CALL(s, version_heads, type_id, out);
}

int store_version_mainline(struct store *s, const char *type_id,
			   struct store_version *out)
{
	store_version_init(out);
	CALL(s, version_mainline, type_id, out);
}

int store_version_types(struct store *s, json_t **out)
{
	*out = NULL;
	CALL(s, version_types, out);
}

void store_intent_release(struct store_intent *in)
{
	if (!in)
		return;
	free(in->kind);
	free(in->type_id);
	free(in->state);
	json_decref(in->payload);
	free(in->note);
	memset(in, 0, sizeof(*in));
}

int store_intent_add(struct store *s, const char *kind, const char *type_id,
		     const json_t *payload, long long *id_out)
{
	need("intent kind", kind);
	need("type id", type_id);
	if (!json_is_object(payload))
		return err_set(ERR_INVALID, "an intent's payload is an object");
	CALL(s, intent_add, kind, type_id, payload, id_out);
}

int store_intent_finish(struct store *s, long long id, const char *state,
			const char *note)
{
	if (strcmp(state, "done") && strcmp(state, "abandoned"))
		return err_set(ERR_INVALID,
			       "an intent ends done or abandoned, not '%s'",
			       state);
	CALL(s, intent_finish, id, state, note);
}

int store_intent_pending(struct store *s, store_intent_fn fn, void *payload)
{
	CALL(s, intent_pending, fn, payload);
}

void store_lock_release(struct store_lock *l)
{
	if (!l)
		return;
	free(l->target);
	free(l->owner_host);
	free(l->token);
	memset(l, 0, sizeof(*l));
}

/* 32 hex digits from /dev/urandom (else from the clock and pid). */
static char *random_token(void)
{
	unsigned char raw[16];
	struct buf b = BUF_INIT;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	ssize_t got = fd >= 0 ? read(fd, raw, sizeof(raw)) : -1;

	if (fd >= 0)
		close(fd);
	if (got != (ssize_t)sizeof(raw)) {
		unsigned long long x = (unsigned long long)time_mono_ms() ^
				       ((unsigned long long)getpid() << 32) ^
				       (unsigned long long)time_now_ms();

		for (size_t i = 0; i < sizeof(raw); i++) {
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
			raw[i] = (unsigned char)(x >> 56);
		}
	}
	for (size_t i = 0; i < sizeof(raw); i++)
		buf_addf(&b, "%02x", raw[i]);
	return buf_detach(&b, NULL);
}

char *store_random_id(void)
{
	return random_token();
}

static char *host_name(void)
{
	char name[256];

	if (gethostname(name, sizeof(name)) < 0)
		return xstrdup("unknown");
	name[sizeof(name) - 1] = '\0';
	return xstrdup(name);
}

/* True when pid names no process of this host (kill says ESRCH). */
static int process_is_dead(long pid)
{
	if (pid <= 0)
		return 0;
	return kill((pid_t)pid, 0) < 0 && errno == ESRCH;
}

int store_lock_acquire(struct store *s, const char *target, long long ttl_ms,
		       struct store_lock *out, struct store_lock *holder_out)
{
	struct store_lock me = {0}, holder = {0};
	long long now = time_now_ms();
	int ret, fault;

	need("target", target);
	if (holder_out)
		memset(holder_out, 0, sizeof(*holder_out));
	memset(out, 0, sizeof(*out));
	if ((fault = fault_check("lock_try")) < 0)
		return fault;
	me.target = xstrdup(target);
	me.owner_pid = (long)getpid();
	me.owner_host = host_name();
	me.token = random_token();
	me.acquired_ms = me.renewed_ms = now;
	me.expires_ms = now + ttl_ms;
	ret = s->be->lock_try(s->be, &me, now, &holder);
	if (ret == ERR_CONFLICT && !strcmp(holder.owner_host, me.owner_host) &&
	    holder.owner_pid != me.owner_pid &&
	    process_is_dead(holder.owner_pid)) {
		err_clear();
		ret = s->be->lock_steal(s->be, &me, holder.token, now);
		if (!ret)
			log_warn("store",
				 "took over the lock of target '%s' from "
				 "process %ld on %s, which no longer exists",
				 target, holder.owner_pid, holder.owner_host);
	}
	if (ret < 0)
		goto out;
	*out = me;
	memset(&me, 0, sizeof(me));
	ret = 0;
out:
	if (ret < 0 && holder_out) {
		*holder_out = holder;
		memset(&holder, 0, sizeof(holder));
	}
	store_lock_release(&holder);
	store_lock_release(&me);
	return ret;
}

int store_lock_renew(struct store *s, const struct store_lock *lock,
		     long long ttl_ms)
{
	long long now = time_now_ms();

	CALL(s, lock_renew, lock->target, lock->token, now + ttl_ms, now);
}

int store_unlock(struct store *s, const struct store_lock *lock)
{
	CALL(s, lock_release, lock->target, lock->token);
}

int store_lock_get(struct store *s, const char *target, struct store_lock *out)
{
	memset(out, 0, sizeof(*out));
	CALL(s, lock_get, target, out);
}

void store_sync_state_release(struct store_sync_state *st)
{
	if (!st)
		return;
	free(st->target);
	free(st->type_id);
	free(st->type_key);
	json_decref(st->base_doc);
	free(st->base_hash);
	free(st->remote_etag);
	free(st->local_version);
	free(st->status);
	free(st->conflict_status);
	memset(st, 0, sizeof(*st));
}

int store_sync_state_get(struct store *s, const char *target,
			 const char *type_id, struct store_sync_state *out)
{
	memset(out, 0, sizeof(*out));
	CALL(s, sync_state_get, target, type_id, out);
}

int store_sync_state_put(struct store *s, const struct store_sync_state *st)
{
	need("target", st->target);
	need("type id", st->type_id);
	need("status", st->status);
	CALL(s, sync_state_put, st);
}

int store_sync_state_list(struct store *s, const char *type_id, json_t **out)
{
	*out = NULL;
	CALL(s, sync_state_list, type_id, out);
}

/* --- runs, the journal, the history, backups ---------------------------- */

/* True when s is one of the NULL-ended list. */
static int one_of(const char *s, const char *const *list)
{
	for (; s && *list; list++)
		if (!strcmp(s, *list))
			return 1;
	return 0;
}

static const char *const run_modes[] = {"push", "pull", "bidirectional", NULL};
static const char *const run_statuses[] = {"running", "done",	     "partial",
					   "failed",  "interrupted", NULL};
static const char *const op_actions[] = {"create",	"update", "delete",
					 "link",	"import", "record_base",
					 "forget",	"pull",	  "pull_create",
					 "pull_delete", NULL};
static const char *const op_states[] = {"pending", "running", "done",
					"failed",  "skipped", NULL};
static const char *const history_statuses[] = {"SUCCESS", "FAILED", "PARTIAL",
					       "SKIPPED", NULL};

/* True when id is min..max lower-case hex digits. */
static int is_hex_id(const char *id, size_t min, size_t max)
{
	size_t n = strlen(id);

	return n >= min && n <= max && strspn(id, "0123456789abcdef") == n;
}

void store_run_release(struct store_run *r)
{
	if (!r)
		return;
	free(r->id);
	free(r->target);
	free(r->mode);
	free(r->status);
	free(r->actor);
	json_decref(r->plan);
	json_decref(r->summary);
	memset(r, 0, sizeof(*r));
}

int store_run_put(struct store *s, const struct store_run *r)
{
	need("run id", r->id);
	need("target", r->target);
	if (!is_hex_id(r->id, 4, 64))
		return err_set(ERR_INVALID,
			       "a run id is 4 to 64 lower-case hex digits, "
			       "not '%s'",
			       r->id);
	if (!one_of(r->mode, run_modes))
		return err_set(ERR_INVALID,
			       "a run's mode is push, pull or bidirectional, "
			       "not '%s'",
			       r->mode ? r->mode : "");
	if (!one_of(r->status, run_statuses))
		return err_set(ERR_INVALID,
			       "a run's status is running, done, partial, "
			       "failed or interrupted, not '%s'",
			       r->status ? r->status : "");
	if (r->started_ms <= 0)
		return err_set(ERR_INVALID, "run '%s' has no start time",
			       r->id);
	CALL(s, run_put, r);
}

int store_run_get(struct store *s, const char *id, struct store_run *out)
{
	memset(out, 0, sizeof(*out));
	need("run id", id);
	CALL(s, run_get, id, out);
}

int store_run_resolve(struct store *s, const char *prefix, char **id_out)
{
	*id_out = NULL;
	if (!is_hex_id(prefix, 4, 64))
		return err_set(ERR_INVALID,
			       "'%s' is not a run: give a run id or at least "
			       "4 of its leading hex digits",
			       prefix);
	CALL(s, run_resolve, prefix, id_out);
}

int store_run_list(struct store *s, const char *target, size_t limit,
		   json_t **out)
{
	*out = NULL;
	CALL(s, run_list, target, limit, out);
}

int store_run_unfinished(struct store *s, const char *target, char **id_out)
{
	*id_out = NULL;
	CALL(s, run_unfinished, target, id_out);
}

void store_op_release(struct store_op *op)
{
	if (!op)
		return;
	free(op->run_id);
	free(op->type_id);
	free(op->type_key);
	free(op->action);
	free(op->state);
	json_decref(op->request);
	json_decref(op->response);
	free(op->etag);
	free(op->error);
	memset(op, 0, sizeof(*op));
}

void store_ops_free(struct store_op *ops, size_t nr)
{
	for (size_t i = 0; ops && i < nr; i++)
		store_op_release(&ops[i]);
	free(ops);
}

int store_op_put(struct store *s, const struct store_op *op)
{
	need("run id", op->run_id);
	if (!one_of(op->action, op_actions))
		return err_set(ERR_INVALID,
			       "an operation's action is create, update, "
			       "delete, link, import, record_base or forget, "
			       "not '%s'",
			       op->action ? op->action : "");
	if (!one_of(op->state, op_states))
		return err_set(ERR_INVALID,
			       "an operation's state is pending, running, "
			       "done, failed or skipped, not '%s'",
			       op->state ? op->state : "");
	if (op->seq < 0 || op->attempts < 0)
		return err_set(ERR_INVALID,
			       "BUG: operation %ld of run '%s' has a negative "
			       "number or attempt count",
			       op->seq, op->run_id);
	CALL(s, op_put, op);
}

int store_ops(struct store *s, const char *run_id, struct store_op **out,
	      size_t *nr_out)
{
	*out = NULL;
	*nr_out = 0;
	need("run id", run_id);
	CALL(s, ops, run_id, out, nr_out);
}

int store_history_add(struct store *s, struct store_history_entry *e)
{
	need("target", e->target);
	need("type key", e->type_key);
	if (!e->direction ||
	    (strcmp(e->direction, "push") && strcmp(e->direction, "pull")))
		return err_set(ERR_INVALID,
			       "a sync's direction is push or pull, not '%s'",
			       e->direction ? e->direction : "");
	if (!one_of(e->action, op_actions))
		return err_set(ERR_INVALID,
			       "a history entry's action is create, update, "
			       "delete, link, import, record_base or forget, "
			       "not '%s'",
			       e->action ? e->action : "");
	if (!one_of(e->status, history_statuses))
		return err_set(ERR_INVALID,
			       "a history entry's status is SUCCESS, FAILED, "
			       "PARTIAL or SKIPPED, not '%s'",
			       e->status ? e->status : "");
	if (e->started_ms <= 0)
		return err_set(ERR_INVALID,
			       "the history entry of '%s' has no start time",
			       e->type_key);
	CALL(s, history_add, e);
}

int store_history_query(struct store *s, const struct store_history_query *q,
			json_t **out)
{
	static const struct store_history_query all = {0};

	*out = NULL;
	if (!q)
		q = &all;
	if (q->status && !one_of(q->status, history_statuses))
		return err_set(ERR_INVALID,
			       "a history status is SUCCESS, FAILED, PARTIAL "
			       "or SKIPPED, not '%s'",
			       q->status);
	CALL(s, history_query, q, out);
}

void store_backup_release(struct store_backup *b)
{
	if (!b)
		return;
	free(b->run_id);
	free(b->target);
	free(b->type_id);
	free(b->type_key);
	json_decref(b->doc);
	free(b->etag);
	memset(b, 0, sizeof(*b));
}

int store_backup_add(struct store *s, struct store_backup *b)
{
	need("target", b->target);
	need("type key", b->type_key);
	if (!b->doc)
		return err_set(ERR_INVALID,
			       "the backup of '%s' has no document",
			       b->type_key);
	if (b->created_ms <= 0)
		return err_set(ERR_INVALID, "the backup of '%s' has no time",
			       b->type_key);
	CALL(s, backup_add, b);
}

int store_backup_get(struct store *s, long long id, struct store_backup *out)
{
	memset(out, 0, sizeof(*out));
	CALL(s, backup_get, id, out);
}

int store_backups_of_run(struct store *s, const char *run_id, json_t **out)
{
	*out = NULL;
	need("run id", run_id);
	CALL(s, backups_of_run, run_id, out);
}

int store_backup_latest(struct store *s, const char *target,
			const char *type_key, struct store_backup *out)
{
	memset(out, 0, sizeof(*out));
	need("target", target);
	need("type key", type_key);
	CALL(s, backup_latest, target, type_key, out);
}

int store_gc(struct store *s, long long before_ms, int dry_run,
	     struct store_gc_report *out)
{
	memset(out, 0, sizeof(*out));
	CALL(s, gc, before_ms, dry_run, out);
}

/* --- the conflict log ---------------------------------------------------- */

static const char *const conflict_origins[] = {STORE_CONFLICT_SYNC,
					       STORE_CONFLICT_BRANCH, NULL};
static const char *const conflict_kinds[] = {"field", "structural", "delete",
					     NULL};
/* The resolutions of a conflict that is no longer pending. */
static const char *const conflict_ends[] = {
	"local_wins", "remote_wins", "merged", "manual", "superseded", NULL};

void store_conflict_release(struct store_conflict *c)
{
	if (!c)
		return;
	free(c->origin);
	free(c->target);
	free(c->type_id);
	free(c->type_key);
	free(c->path);
	json_decref(c->segments);
	free(c->kind);
	json_decref(c->base_value);
	json_decref(c->local_value);
	json_decref(c->remote_value);
	free(c->base_hash);
	free(c->local_hash);
	free(c->remote_hash);
	free(c->run_id);
	free(c->resolution);
	json_decref(c->resolved_value);
	free(c->resolved_by);
	memset(c, 0, sizeof(*c));
}

void store_conflict_list_release(struct store_conflict_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->nr; i++)
		store_conflict_release(&l->items[i]);
	free(l->items);
	memset(l, 0, sizeof(*l));
}

/* The rules of origin and target that add and resolve share. */
static int check_conflict_owner(const char *origin, const char *target,
				const char *type_id)
{
	if (!one_of(origin, conflict_origins))
		return err_set(ERR_INVALID,
			       "a conflict's origin is sync or branch, "
			       "not '%s'",
			       origin ? origin : "");
	/* Not need(): a plan file read from disk may lack it. */
	if (!type_id || !*type_id)
		return err_set(ERR_INVALID, "a %s conflict needs its type id",
			       origin);
	if (!strcmp(origin, STORE_CONFLICT_SYNC) && (!target || !*target))
		return err_set(ERR_INVALID,
			       "a sync conflict of type '%s' needs its target",
			       type_id);
	if (!strcmp(origin, STORE_CONFLICT_BRANCH) && target)
		return err_set(ERR_INVALID,
			       "a branch conflict of type '%s' has no target, "
			       "not '%s'",
			       type_id, target);
	return 0;
}

int store_conflict_add(struct store *s, struct store_conflict *c)
{
	int ret;

	if ((ret = check_conflict_owner(c->origin, c->target, c->type_id)) < 0)
		return ret;
	if (!strcmp(c->origin, STORE_CONFLICT_SYNC) &&
	    (!c->type_key || !*c->type_key))
		return err_set(ERR_INVALID,
			       "a sync conflict of type '%s' needs its key",
			       c->type_id);
	if (!c->path)
		return err_set(ERR_INVALID,
			       "BUG: a conflict of type '%s' has no path",
			       c->type_id);
	if (!one_of(c->kind, conflict_kinds))
		return err_set(ERR_INVALID,
			       "a conflict is a field, structural or delete "
			       "conflict, not '%s'",
			       c->kind ? c->kind : "");
	if (c->segments && !json_is_array(c->segments))
		return err_set(ERR_INVALID,
			       "the segments of conflict '%s' are not an array",
			       c->path);
	if (c->resolution && strcmp(c->resolution, "pending") &&
	    !one_of(c->resolution, conflict_ends))
		return err_set(ERR_INVALID,
			       "a conflict's resolution is pending, "
			       "local_wins, remote_wins, merged, manual or "
			       "superseded, not '%s'",
			       c->resolution);
	if (c->created_ms < 0 || c->resolved_ms < 0)
		return err_set(ERR_INVALID,
			       "BUG: conflict '%s' has a negative time",
			       c->path);
	if (!c->created_ms)
		c->created_ms = time_now_ms();
	if (one_of(c->resolution, conflict_ends) && !c->resolved_ms)
		c->resolved_ms = time_now_ms();
	CALL(s, conflict_add, c);
}

int store_conflict_query(struct store *s, const struct store_conflict_query *q,
			 struct store_conflict_list *out)
{
	static const struct store_conflict_query all = {0};

	memset(out, 0, sizeof(*out));
	if (!q)
		q = &all;
	if (q->origin && !one_of(q->origin, conflict_origins))
		return err_set(ERR_INVALID,
			       "a conflict's origin is sync or branch, "
			       "not '%s'",
			       q->origin);
	CALL(s, conflict_query, q, out);
}

int store_conflict_resolve(struct store *s, const char *origin,
			   const char *target, const char *type_id,
			   const char *path, const char *resolution,
			   const json_t *value, const char *by, long long at_ms,
			   size_t *count_out)
{
	size_t count = 0;
	int ret;

	if (count_out)
		*count_out = 0;
	if ((ret = check_conflict_owner(origin, target, type_id)) < 0)
		return ret;
	if (!one_of(resolution, conflict_ends))
		return err_set(ERR_INVALID,
			       "a conflict is resolved as local_wins, "
			       "remote_wins, merged, manual or superseded, "
			       "not '%s'",
			       resolution ? resolution : "");
	if (at_ms < 0)
		return err_set(ERR_INVALID,
			       "BUG: a conflict resolved at a negative time");
	if (!at_ms)
		at_ms = time_now_ms();
	if ((ret = fault_check("conflict_resolve")) < 0)
		return ret;
	ret = s->be->conflict_resolve(s->be, origin, target, type_id, path,
				      resolution, value, by, at_ms, &count);
	if (!ret && count_out)
		*count_out = count;
	return ret;
}
