/*
 * t_store: the state store conformance suite, and the SQLite backend's own
 * tests.
 *
 * The conformance part (conformance()) runs against a factory: anything
 * that can make a fresh, empty store and hand out its backend table. Every
 * backend must pass it unchanged. It runs on SQLite always; a PostgreSQL
 * factory will be added beside sqlite_factory and run when
 * CS_TEST_PG_DSN is set (it skips with a reason until then).
 */
#include <spawn.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#include "tap.h"
#include "testlib.h"
#include "core/canon.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

/* A fresh store and its backend table (borrowed from the store). */
struct factory {
	const char *name;
	int (*make)(struct factory *f, struct store **s_out,
		    struct store_backend **be_out);
	void (*destroy)(struct factory *f);
	char *path; /* SQLite: the file */
};

static int sqlite_make(struct factory *f, struct store **s_out,
		       struct store_backend **be_out)
{
	struct store_options opt = {1, 0};
	struct store_backend *be = NULL;
	int created = 0, ret;

	if (f->path) {
		unlink(f->path);
		free(f->path);
	}
	f->path = test_temp_path();
	unlink(f->path);
	ret = store_sqlite_open(&be, f->path, &opt, &created);
	if (ret < 0)
		return ret;
	*be_out = be;
	*s_out = store_new_take(be);
	return 0;
}

static void sqlite_destroy(struct factory *f)
{
	struct buf b = BUF_INIT;

	if (!f->path)
		return;
	unlink(f->path);
	buf_addf(&b, "%s-wal", f->path);
	unlink(b.ptr);
	buf_reset(&b);
	buf_addf(&b, "%s-shm", f->path);
	unlink(b.ptr);
	buf_release(&b);
	FREE_AND_NULL(f->path);
}

static char *hash_of(const char *text)
{
	json_t *v = json_string(text);
	char h[CANON_HASH_LEN + 1];

	if (canon_hash(h, v) < 0)
		abort();
	json_decref(v);
	return xstrdup(h);
}

/* A version of type with content text and parents (NULL-ended). */
static void make_version(struct store_version *v, const char *type,
			 const char *text, const char *const *parents)
{
	const char *ps[4];
	size_t n = 0;
	char id[CANON_HASH_LEN + 1];

	store_version_init(v);
	v->type_id = xstrdup(type);
	v->website_id = xstrdup("w1");
	v->type_key = xstrdup("Key");
	v->name = xstrdup(type);
	v->content_hash = hash_of(text);
	v->snapshot = json_pack("{s:s}", "text", text);
	v->source = xstrdup("UI");
	v->created_ms = 1000;
	for (; parents && parents[n]; n++) {
		ps[n] = parents[n];
		store_version_add_parent(v, parents[n]);
	}
	if (canon_version_id(id, type, v->content_hash, ps, n) < 0)
		abort();
	v->id = xstrdup(id);
}

static void test_meta_and_tx(struct store *s)
{
	struct store_info info;
	char *v = NULL;

	ok(!store_info(s, &info), "info reads");
	is_int(info.schema_version, STORE_SCHEMA_VERSION, "schema version");
	is_int(info.store_id ? (long long)strlen(info.store_id) : 0, 32,
	       "a store id of 32 hex digits");
	ok(info.created_ms > 0, "a creation time");
	store_info_release(&info);

	is_int(store_meta_get(s, "capture.mode", &v), ERR_NOTFOUND,
	       "an unset setting is not found");
	ok(!store_meta_set(s, "capture.mode", "triggers"), "set a setting");
	ok(!store_meta_get(s, "capture.mode", &v) && v &&
		   !strcmp(v, "triggers"),
	   "read it back");
	free(v);
	ok(!store_meta_set(s, "capture.mode", "scan"), "overwrite it");
	ok(!store_meta_get(s, "capture.mode", &v) && !strcmp(v, "scan"),
	   "the new value");
	free(v);
	is_int(store_meta_set(s, "schema_version", "9"), ERR_INVALID,
	       "the store's own settings cannot be set");
	err_clear();

	ok(!store_begin(s, 1), "begin a write transaction");
	ok(store_begin(s, 1) < 0, "transactions do not nest");
	err_clear();
	ok(!store_meta_set(s, "k", "rolled back"), "write inside");
	store_rollback(s);
	is_int(store_meta_get(s, "k", &v), ERR_NOTFOUND, "rollback undoes it");
	err_clear();
	ok(!store_begin(s, 1) && !store_meta_set(s, "k", "kept") &&
		   !store_commit(s),
	   "a committed write");
	ok(!store_meta_get(s, "k", &v) && !strcmp(v, "kept"), "is kept");
	free(v);
	ok(!store_begin(s, 0) && !store_meta_get(s, "k", &v) &&
		   !store_commit(s),
	   "a read transaction");
	free(v);
	ok(!store_target_put(s, "optimizely", "http://x", "w1") &&
		   !store_target_put(s, "optimizely", "http://y", NULL),
	   "targets are added and updated");
}

static void test_keys(struct store *s)
{
	json_t *map = NULL;
	char *v = NULL;
	struct store_field_key fk, *fks = NULL;
	size_t nr = 0;

	is_int(store_type_key_get(s, "t1", &v), ERR_NOTFOUND,
	       "no key before the first put");
	err_clear();
	ok(!store_type_key_put(s, "w1", "t1", "BlogPost", "generated"),
	   "persist a type key");
	ok(!store_type_key_get(s, "t1", &v) && !strcmp(v, "BlogPost"),
	   "read it by type id");
	free(v);
	ok(!store_type_key_find(s, "w1", "BlogPost", &v) && !strcmp(v, "t1"),
	   "find the type by key");
	free(v);
	is_int(store_type_key_find(s, "w2", "BlogPost", &v), ERR_NOTFOUND,
	       "keys are per website");
	err_clear();
	is_int(store_type_key_put(s, "w1", "t2", "BlogPost", "generated"),
	       ERR_CONFLICT, "a key held by another type is refused");
	ok(strstr(err_msg(), "t1") != NULL, "the message names the holder");
	err_clear();
	ok(!store_type_key_put(s, "w2", "t3", "BlogPost", "generated"),
	   "the same key in another website");
	ok(!store_type_key_put(s, "w1", "t1", "BlogPost", "generated"),
	   "putting the same binding again is fine");
	ok(!store_type_key_put(s, "w1", "t2", "Author", "mapped"),
	   "a mapped key");
	ok(!store_type_keys(s, "w1", &map) && json_object_size(map) == 2 &&
		   !strcmp(json_string_value(json_object_get(map, "t2")),
			   "Author"),
	   "the keys of a website");
	json_decref(map);
	ok(!store_type_keys(s, NULL, &map) && json_object_size(map) == 3,
	   "the keys of every website");
	json_decref(map);
	ok(!store_type_key_put(s, "w1", "t2", "Writer", "mapped") &&
		   !store_type_key_get(s, "t2", &v) && !strcmp(v, "Writer"),
	   "rebinding a type replaces its key");
	free(v);
	ok(!store_type_key_put(s, "w1", "t4", "Author", "generated"),
	   "the old key is free again");

	fk.field_ref = (char *)"f-1";
	fk.field_name = (char *)"title";
	fk.key = (char *)"title";
	ok(!store_field_key_put(s, "t1", &fk), "persist a field key");
	fk.field_ref = (char *)"name:body";
	fk.field_name = (char *)"body";
	fk.key = (char *)"body";
	ok(!store_field_key_put(s, "t1", &fk), "one known by name");
	fk.field_ref = (char *)"f-3";
	fk.field_name = (char *)"other";
	fk.key = (char *)"title";
	is_int(store_field_key_put(s, "t1", &fk), ERR_CONFLICT,
	       "a property key held by another field is refused");
	err_clear();
	fk.field_ref = (char *)"f-1";
	fk.field_name = (char *)"headline";
	fk.key = (char *)"title";
	ok(!store_field_key_put(s, "t1", &fk), "a renamed field keeps its key");
	ok(!store_field_keys(s, "t1", &fks, &nr) && nr == 2, "two field keys");
	if (nr == 2) {
		is_str(fks[0].field_ref, "f-1", "ordered by ref");
		is_str(fks[0].field_name, "headline", "the new name");
		is_str(fks[0].key, "title", "the old key");
		is_str(fks[1].field_ref, "name:body", "the other");
	}
	store_field_keys_free(fks, nr);
	ok(!store_field_keys(s, "nope", &fks, &nr) && nr == 0,
	   "an unknown type has none");
	store_field_keys_free(fks, nr);
}

static void test_overlay_sync(struct store *s)
{
	json_t *o = NULL, *doc;
	struct store_sync_state st, got;

	is_int(store_overlay_get(s, "opti", "t1", &o), ERR_NOTFOUND,
	       "no overlay yet");
	err_clear();
	doc = json_pack("{s:{s:{s:s}}}", "properties", "title", "group",
			"Content");
	ok(!store_overlay_put(s, "opti", "t1", doc), "put an overlay");
	ok(!store_overlay_get(s, "opti", "t1", &o) && json_equal(o, doc),
	   "read it back");
	json_decref(o);
	json_object_set_new(doc, "sortOrder", json_integer(3));
	ok(!store_overlay_put(s, "opti", "t1", doc) &&
		   !store_overlay_get(s, "opti", "t1", &o) &&
		   json_equal(o, doc),
	   "refresh it");
	json_decref(o);
	json_decref(doc);

	is_int(store_sync_state_get(s, "opti", "t1", &got), ERR_NOTFOUND,
	       "never synced");
	err_clear();
	memset(&st, 0, sizeof(st));
	st.target = (char *)"opti";
	st.type_id = (char *)"t1";
	st.type_key = (char *)"BlogPost";
	st.base_doc = json_pack("{s:s}", "key", "BlogPost");
	st.base_hash = (char *)"abc";
	st.remote_etag = (char *)"\"1\"";
	st.local_version = (char *)"v1";
	st.status = (char *)"in_sync";
	st.last_sync_ms = 5000;
	ok(!store_sync_state_put(s, &st), "put a sync state");
	ok(!store_sync_state_get(s, "opti", "t1", &got), "read it");
	is_str(got.status, "in_sync", "its status");
	is_str(got.local_version, "v1", "its version");
	is_int(got.last_sync_ms, 5000, "its time");
	ok(json_equal(got.base_doc, st.base_doc), "its base doc");
	store_sync_state_release(&got);
	st.status = (char *)"bogus";
	ok(store_sync_state_put(s, &st) < 0, "an unknown status is refused");
	err_clear();
	st.status = (char *)"modified";
	ok(!store_sync_state_put(s, &st), "update it");
	json_decref(st.base_doc);
	ok(!store_sync_state_list(s, "t1", &o) && json_array_size(o) == 1 &&
		   !strcmp(json_string_value(json_object_get(
				   json_array_get(o, 0), "status")),
			   "modified"),
	   "list a type's states");
	json_decref(o);
}

struct collect {
	size_t nr;
	char ids[16][CANON_HASH_LEN + 1];
	int snapshots;
};

static int collect_version(const struct store_version *v, void *payload)
{
	struct collect *c = payload;

	if (c->nr < 16)
		memcpy(c->ids[c->nr], v->id, CANON_HASH_LEN + 1);
	if (v->snapshot)
		c->snapshots++;
	c->nr++;
	return 0;
}

static int stop_at_two(const struct store_version *v, void *payload)
{
	struct collect *c = payload;

	(void)v;
	return ++c->nr == 2 ? 7 : 0;
}

static void test_versions(struct store *s)
{
	struct store_version a, b, c, d, m, got, del;
	struct store_version_list heads;
	struct store_version_query q;
	struct collect col;
	const char *pa[2], *pm[3];
	char prefix[8], *id = NULL;
	json_t *types = NULL;

	make_version(&a, "t1", "one", NULL);
	ok(!store_version_put(s, &a), "a root version");
	ok(a.seq > 0, "gets a sequence number");
	is_int(store_version_put(s, &a), 1, "putting it again is a no-op (1)");
	pa[0] = a.id;
	pa[1] = NULL;
	make_version(&b, "t1", "two", pa);
	b.source = (free(b.source), xstrdup("AI"));
	b.author = xstrdup("claude");
	b.message = xstrdup("add a field");
	b.created_ms = 2000;
	ok(!store_version_put(s, &b), "a child");
	ok(b.seq > a.seq, "later sequence");

	ok(!store_version_get(s, b.id, &got), "get it");
	is_str(got.source, "AI", "source");
	is_str(got.author, "claude", "author");
	is_str(got.message, "add a field", "message");
	is_int(got.parents_nr, 1, "one parent");
	if (got.parents_nr)
		is_str(got.parents[0], a.id, "the parent");
	ok(json_equal(got.snapshot, b.snapshot), "the snapshot");
	is_int(got.mainline, 1, "main line by default");
	is_int(got.changelog_id, -1, "not from the changelog");
	store_version_release(&got);

	is_int(store_version_get(s, "00", &got), ERR_NOTFOUND,
	       "an unknown version");
	err_clear();

	/* A branch: c is based on a, like b. */
	make_version(&c, "t1", "three", pa);
	c.mainline = 0;
	c.created_ms = 3000;
	ok(!store_version_put(s, &c), "a branch from the same parent");
	ok(!store_version_heads(s, "t1", &heads) && heads.nr == 2, "two heads");
	if (heads.nr == 2) {
		is_str(heads.items[0].id, c.id, "newest head first");
		is_str(heads.items[1].id, b.id, "then the other");
		ok(!heads.items[0].snapshot, "heads come without snapshots");
		is_int(heads.items[0].parents_nr, 1, "but with parents");
	}
	store_version_list_release(&heads);
	ok(!store_version_mainline(s, "t1", &got) && !strcmp(got.id, b.id) &&
		   got.snapshot,
	   "the main line's head skips the branch");
	store_version_release(&got);

	/* A merge of b and c has two parents, in order. */
	pm[0] = b.id;
	pm[1] = c.id;
	pm[2] = NULL;
	make_version(&m, "t1", "merged", pm);
	m.created_ms = 4000;
	ok(!store_version_put(s, &m), "a merge");
	ok(!store_version_heads(s, "t1", &heads) && heads.nr == 1 &&
		   !strcmp(heads.items[0].id, m.id),
	   "one head again");
	store_version_list_release(&heads);
	ok(!store_version_get(s, m.id, &got) && got.parents_nr == 2 &&
		   !strcmp(got.parents[0], b.id) &&
		   !strcmp(got.parents[1], c.id),
	   "parents keep their order");
	store_version_release(&got);

	/* A missing parent is refused. */
	pa[0] = "00000000000000000000000000000000000000000000000000000000000000"
		"00";
	make_version(&d, "t1", "four", pa);
	is_int(store_version_put(s, &d), ERR_NOTFOUND,
	       "a version whose parent is unknown");
	err_clear();
	store_version_release(&d);

	/* Validation of the port. */
	make_version(&d, "t1", "five", NULL);
	free(d.source);
	d.source = xstrdup("ROBOT");
	is_int(store_version_put(s, &d), ERR_INVALID, "an unknown source");
	err_clear();
	free(d.source);
	d.source = xstrdup("UI");
	json_decref(d.snapshot);
	d.snapshot = NULL;
	is_int(store_version_put(s, &d), ERR_INVALID, "no snapshot");
	err_clear();
	store_version_release(&d);

	/* Changelog rows make one version at most. */
	make_version(&d, "t2", "x", NULL);
	d.changelog_install = xstrdup("inst");
	d.changelog_id = 7;
	ok(!store_version_put(s, &d), "a version from changelog row 7");
	store_version_release(&d);
	make_version(&d, "t2", "y", NULL);
	d.changelog_install = xstrdup("inst");
	d.changelog_id = 7;
	is_int(store_version_put(s, &d), ERR_CONFLICT,
	       "changelog row 7 cannot make a second");
	err_clear();
	free(d.changelog_install);
	d.changelog_install = xstrdup("other-install");
	ok(!store_version_put(s, &d), "row 7 of another install can");
	store_version_release(&d);

	/* A deletion has no snapshot. */
	pa[0] = m.id;
	pa[1] = NULL;
	make_version(&del, "t1", "deleted", pa);
	json_decref(del.snapshot);
	del.snapshot = NULL;
	del.deleted = 1;
	del.created_ms = 5000;
	ok(!store_version_put(s, &del), "a deletion");
	ok(!store_version_get(s, del.id, &got) && got.deleted && !got.snapshot,
	   "reads back as deleted");
	store_version_release(&got);

	/* Prefixes. */
	memcpy(prefix, a.id, 7);
	prefix[7] = '\0';
	ok(!store_version_resolve(s, prefix, &id) && !strcmp(id, a.id),
	   "a 7-digit prefix");
	free(id);
	ok(!store_version_resolve(s, a.id, &id) && !strcmp(id, a.id),
	   "a full id");
	free(id);
	is_int(store_version_resolve(s, "abc", &id), ERR_INVALID,
	       "too short a prefix");
	err_clear();
	is_int(store_version_resolve(s, "ABCDEFG", &id), ERR_INVALID,
	       "not lower-case hex");
	err_clear();
	prefix[6] = prefix[6] == 'f' ? '0' : 'f';
	ok(store_version_resolve(s, prefix, &id) < 0,
	   "a prefix that matches nothing");
	err_clear();

	/* Queries: newest first, filters, limits, snapshots. */
	memset(&q, 0, sizeof(q));
	memset(&col, 0, sizeof(col));
	q.type_id = "t1";
	ok(!store_version_query(s, &q, collect_version, &col), "query a type");
	is_int(col.nr, 5, "five versions of t1");
	is_str(col.ids[0], del.id, "newest first");
	is_str(col.ids[4], a.id, "oldest last");
	is_int(col.snapshots, 0, "no snapshots unless asked");
	memset(&col, 0, sizeof(col));
	q.with_snapshot = 1;
	q.limit = 2;
	ok(!store_version_query(s, &q, collect_version, &col) && col.nr == 2 &&
		   col.snapshots == 1,
	   "limit, with snapshots (a deletion has none)");
	memset(&col, 0, sizeof(col));
	memset(&q, 0, sizeof(q));
	q.author = "claude";
	ok(!store_version_query(s, &q, collect_version, &col) && col.nr == 1 &&
		   !strcmp(col.ids[0], b.id),
	   "by author");
	memset(&col, 0, sizeof(col));
	memset(&q, 0, sizeof(q));
	q.source = "AI";
	ok(!store_version_query(s, &q, collect_version, &col) && col.nr == 1,
	   "by source");
	memset(&col, 0, sizeof(col));
	memset(&q, 0, sizeof(q));
	q.type_id = "t1";
	q.since_ms = 2000;
	q.until_ms = 4000;
	ok(!store_version_query(s, &q, collect_version, &col) && col.nr == 2,
	   "by time (since inclusive, until exclusive)");
	memset(&col, 0, sizeof(col));
	memset(&q, 0, sizeof(q));
	ok(!store_version_query(s, &q, collect_version, &col) && col.nr == 7,
	   "every version");
	memset(&col, 0, sizeof(col));
	is_int(store_version_query(s, &q, stop_at_two, &col), 7,
	       "the callback's code stops the query");
	ok(!store_version_types(s, &types) && json_object_size(types) == 2 &&
		   !strcmp(json_string_value(json_object_get(types, "t1")),
			   "w1"),
	   "the types with versions");
	json_decref(types);
	ok(!store_version_heads(s, "nope", &heads) && heads.nr == 0,
	   "an unknown type has no heads");
	store_version_list_release(&heads);
	is_int(store_version_mainline(s, "nope", &got), ERR_NOTFOUND,
	       "nor a main line");
	err_clear();

	store_version_release(&a);
	store_version_release(&b);
	store_version_release(&c);
	store_version_release(&m);
	store_version_release(&del);
}

struct intents_seen {
	size_t nr;
	long long ids[8];
	char kinds[8][16];
};

static int collect_intent(const struct store_intent *in, void *payload)
{
	struct intents_seen *seen = payload;

	if (seen->nr < 8) {
		seen->ids[seen->nr] = in->id;
		snprintf(seen->kinds[seen->nr], sizeof(seen->kinds[0]), "%s",
			 in->kind);
		if (!json_is_object(in->payload))
			seen->kinds[seen->nr][0] = '?';
	}
	seen->nr++;
	return 0;
}

static void test_intents(struct store *s)
{
	struct intents_seen seen = {0};
	json_t *p = json_pack("{s:s, s:i}", "version", "abc", "n", 1);
	long long i1 = 0, i2 = 0;

	ok(!store_intent_add(s, "record", "t1", p, &i1) && i1 > 0,
	   "add an intent");
	ok(!store_intent_add(s, "record", "t2", p, &i2) && i2 > i1,
	   "and another");
	ok(store_intent_add(s, "bogus", "t2", p, &i2) < 0,
	   "an unknown kind is refused");
	err_clear();
	ok(!store_intent_pending(s, collect_intent, &seen) && seen.nr == 2,
	   "two pending");
	ok(seen.ids[0] == i1 && !strcmp(seen.kinds[0], "record"),
	   "oldest first, with kind and payload");
	ok(!store_intent_finish(s, i1, "done", NULL), "finish one");
	is_int(store_intent_finish(s, i1, "done", NULL), ERR_NOTFOUND,
	       "an intent ends once");
	err_clear();
	is_int(store_intent_finish(s, i2, "later", NULL), ERR_INVALID,
	       "an unknown end state");
	err_clear();
	ok(!store_intent_finish(s, i2, "abandoned", "row changed"),
	   "abandon one with a note");
	memset(&seen, 0, sizeof(seen));
	ok(!store_intent_pending(s, collect_intent, &seen) && seen.nr == 0,
	   "none pending");
	json_decref(p);
}

/*
 * The pid of a process that has exited (reaped), so it no longer exists.
 * It runs a program rather than forking, so that no copy of this process
 * exits with our memory (valgrind would report it).
 */
static long dead_pid(void)
{
	char *argv[] = {(char *)"true", NULL};
	pid_t pid;

	if (posix_spawnp(&pid, "true", NULL, NULL, argv, environ) != 0)
		abort();
	waitpid(pid, NULL, 0);
	return (long)pid;
}

static void test_locks(struct store *s, struct store_backend *be)
{
	struct store_lock mine, other, holder, got, fake;
	char host[256];
	long long now = time_now_ms();
	struct timespec ts = {0, 20 * 1000 * 1000};

	ok(!store_lock_acquire(s, "opti", 60000, &mine, NULL), "take a lock");
	ok(mine.token && strlen(mine.token) == 32, "with a token");
	is_int(mine.owner_pid, getpid(), "owned by this process");
	ok(mine.expires_ms >= mine.acquired_ms + 60000, "with an expiry");
	is_int(store_lock_acquire(s, "opti", 60000, &other, &holder),
	       ERR_CONFLICT, "a held lock is refused");
	ok(strstr(err_msg(), "locked by process") != NULL,
	   "the message names the holder");
	err_clear();
	is_str(holder.token, mine.token, "the holder is reported");
	store_lock_release(&holder);
	ok(!store_lock_acquire(s, "other", 60000, &other, NULL),
	   "locks are per target");
	ok(!store_unlock(s, &other), "release it");
	store_lock_release(&other);
	ok(!store_lock_renew(s, &mine, 120000), "renew ours");
	ok(!store_lock_get(s, "opti", &got) && got.expires_ms >= now + 120000,
	   "the expiry moved");
	store_lock_release(&got);
	ok(!store_unlock(s, &mine), "release");
	is_int(store_lock_get(s, "opti", &got), ERR_NOTFOUND, "it is gone");
	err_clear();
	store_lock_release(&mine);

	/* Expired locks are taken over. */
	ok(!store_lock_acquire(s, "opti", 1, &mine, NULL),
	   "a lock that expires at once");
	nanosleep(&ts, NULL);
	ok(!store_lock_acquire(s, "opti", 60000, &other, NULL),
	   "an expired lock is taken over");
	is_int(store_lock_renew(s, &mine, 1000), ERR_CONFLICT,
	       "the old holder cannot renew it");
	err_clear();
	ok(!store_unlock(s, &mine), "nor release it (a no-op)");
	ok(!store_lock_get(s, "opti", &got) && !strcmp(got.token, other.token),
	   "the new holder keeps it");
	store_lock_release(&got);
	ok(!store_unlock(s, &other), "release");
	store_lock_release(&other);
	store_lock_release(&mine);

	/* A live lock of a dead process on this host is taken over. */
	gethostname(host, sizeof(host));
	host[sizeof(host) - 1] = '\0';
	memset(&fake, 0, sizeof(fake));
	fake.target = (char *)"opti";
	fake.owner_pid = dead_pid();
	fake.owner_host = host;
	fake.token = (char *)"deadbeefdeadbeefdeadbeefdeadbeef";
	fake.acquired_ms = fake.renewed_ms = now;
	fake.expires_ms = now + 3600000;
	memset(&holder, 0, sizeof(holder));
	ok(!be->lock_try(be, &fake, now, &holder),
	   "a lock held by a process that has exited");
	store_lock_release(&holder);
	ok(!store_lock_acquire(s, "opti", 60000, &mine, NULL), "is taken over");
	ok(!store_unlock(s, &mine), "release");
	store_lock_release(&mine);

	/* On another host, the pid means nothing here: it waits. */
	fake.owner_host = (char *)"some-other-host.example";
	fake.owner_pid = dead_pid();
	ok(!be->lock_try(be, &fake, now, &holder),
	   "a lock held on another host");
	is_int(store_lock_acquire(s, "opti", 60000, &mine, NULL), ERR_CONFLICT,
	       "is not taken over before it expires");
	err_clear();
}

/* Runs the whole suite on fresh stores from f. */
static void conformance(struct factory *f)
{
	static void (*const plain[])(struct store *) = {
		test_meta_and_tx, test_keys,	test_overlay_sync,
		test_versions,	  test_intents,
	};
	struct store *s = NULL;
	struct store_backend *be = NULL;

	diag("conformance suite on %s", f->name);
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		if (f->make(f, &s, &be) < 0) {
			ok(0, "make a %s store: %s", f->name, err_msg());
			return;
		}
		plain[i](s);
		store_close(s);
	}
	if (f->make(f, &s, &be) < 0) {
		ok(0, "make a %s store: %s", f->name, err_msg());
		return;
	}
	test_locks(s, be);
	store_close(s);
	f->destroy(f);
}

/* --- SQLite only -------------------------------------------------------- */

static char *pragma(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	char *v = NULL;

	if (sqlite3_open(path, &db) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		v = xstrdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static int sql_exec(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	int rc;

	if (sqlite3_open(path, &db) != SQLITE_OK)
		return -1;
	rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : -1;
}

static void test_sqlite(void)
{
	struct store_options create = {1, 0}, open_only = {0, 0},
			     durable = {0, 1};
	struct store *s = NULL;
	char *path = test_temp_path(), *v;
	struct buf b = BUF_INIT;
	const char *tables[] = {
		"schema_migrations",
		"store_info",
		"targets",
		"type_map",
		"field_map",
		"target_overlay",
		"content_type_versions",
		"version_parents",
		"sync_state",
		"sync_runs",
		"sync_ops",
		"sync_history",
		"conflict_log",
		"backups",
		"intents",
		"locks",
	};

	unlink(path);
	is_int(store_open(&s, path, &open_only), ERR_NOTFOUND,
	       "a missing store is not created without create");
	ok(strstr(err_msg(), "catalyst-sync init") != NULL,
	   "the message says to run init");
	err_clear();
	ok(access(path, F_OK) < 0, "and no file was made");
	ok(!store_open(&s, path, &create) && store_created(s),
	   "create a store");
	store_close(s);
	ok(!store_open(&s, path, &open_only) && !store_created(s),
	   "open it again");
	store_close(s);
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		buf_reset(&b);
		buf_addf(&b,
			 "SELECT count(*) FROM sqlite_master WHERE type = "
			 "'table' AND name = '%s'",
			 tables[i]);
		v = pragma(path, b.ptr);
		is_str(v, "1", "table %s exists", tables[i]);
		free(v);
	}
	v = pragma(path, "PRAGMA journal_mode");
	is_str(v, "wal", "WAL mode");
	free(v);
	v = pragma(path, "SELECT group_concat(version) FROM schema_migrations");
	is_str(v, "1", "migration 1 is recorded");
	free(v);
	ok(sql_exec(path,
		    "INSERT INTO content_type_versions (version_id, type_id,"
		    " website_id, content_hash, content_snapshot,"
		    " change_source, created_at) VALUES (printf('%064d', 1),"
		    " 't', 'w', printf('%064d', 2), '{}', 'ROBOT', 1)") < 0,
	   "a CHECK constraint refuses an unknown change source");
	ok(sql_exec(path,
		    "INSERT INTO locks VALUES ('t', 0, 'h', 'x', 1, 1, 2)") < 0,
	   "a CHECK constraint refuses pid 0");

	ok(!store_open(&s, path, &durable), "open with durability full");
	store_close(s);

	/* An older binary refuses a newer store. */
	ok(!sql_exec(path, "UPDATE store_info SET value = '99' WHERE key = "
			   "'schema_version'"),
	   "pretend a newer binary migrated it");
	is_int(store_open(&s, path, &open_only), ERR_INVALID,
	       "a newer store is refused");
	ok(strstr(err_msg(), "schema version 99") &&
		   strstr(err_msg(), "upgrade catalyst-sync"),
	   "with a clear message");
	err_clear();
	unlink(path);

	/* A file that is something else is refused. */
	ok(!sql_exec(path, "CREATE TABLE \"ContentType\" (id TEXT)"),
	   "a database that is not a store");
	is_int(store_open(&s, path, &create), ERR_INVALID,
	       "is refused, not migrated");
	ok(strstr(err_msg(), "not a catalyst-sync state store") != NULL,
	   "with a clear message");
	err_clear();
	v = pragma(path, "SELECT count(*) FROM sqlite_master");
	is_str(v, "1", "and left alone");
	free(v);
	unlink(path);

	is_int(store_open(&s, "postgres://u@h/db", &create), ERR_INVALID,
	       "PostgreSQL is not there yet");
	err_clear();
	buf_release(&b);
	free(path);
}

int main(void)
{
	struct factory sqlite_factory = {"sqlite", sqlite_make, sqlite_destroy,
					 NULL};

	plan_lazy();
	conformance(&sqlite_factory);
	if (getenv("CS_TEST_PG_DSN"))
		skip(1, "the PostgreSQL backend is not written yet");
	else
		skip(1, "PostgreSQL conformance: CS_TEST_PG_DSN is not set");
	test_sqlite();
	return done_testing();
}
