/*
 * t_history: versions from the changelog and from scans, edits, branches,
 * the two-database protocol's recovery, and persisted keys.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "testlib.h"
#include "core/canon.h"
#include "core/catalyst_form.h"
#include "core/history.h"
#include "source/capture.h"
#include "source/catalyst_sqlite.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/jx.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

static const char *const fixture938[] = {"catalyst-938657b-fixture.sql", NULL};

#define BLOG_SEED "cmeg004v8q4me1fftxjyf2buc" /* shape B */
#define ARTICLE "cmeg00bv8q4r2kbsqmyiam2ue"   /* shape A, field ids */
#define TECH "cmeg001v8q48mfvlko9frxe53"      /* a website */

struct env {
	char *cat_path, *store_path;
	struct capture *c;
	struct store *s;
};

static void env_open(struct env *e)
{
	struct store_options opt = {1, 0};

	if (capture_open(&e->c, e->cat_path) < 0 ||
	    store_open(&e->s, e->store_path, &opt) < 0) {
		diag("cannot open: %s", err_msg());
		exit(2);
	}
}

static void env_close(struct env *e)
{
	capture_close(e->c);
	store_close(e->s);
	e->c = NULL;
	e->s = NULL;
}

static void env_init(struct env *e)
{
	e->cat_path = test_build_db(fixture938, NULL);
	e->store_path = test_temp_path();
	unlink(e->store_path);
	env_open(e);
}

static void env_release(struct env *e)
{
	struct buf b = BUF_INIT;

	env_close(e);
	unlink(e->cat_path);
	unlink(e->store_path);
	buf_addf(&b, "%s-wal", e->store_path);
	unlink(b.ptr);
	buf_reset(&b);
	buf_addf(&b, "%s-shm", e->store_path);
	unlink(b.ptr);
	buf_release(&b);
	free(e->cat_path);
	free(e->store_path);
}

/* SQL from another connection: Catalyst's UI, or the sqlite3 CLI. */
static int other_exec(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	char *msg = NULL;
	int rc;

	if (sqlite3_open(path, &db) != SQLITE_OK)
		return -1;
	rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK)
		diag("sql: %s", msg);
	sqlite3_free(msg);
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : -1;
}

struct versions {
	size_t nr;
	struct store_version v[16];
};

static int keep_version(const struct store_version *v, void *payload)
{
	struct versions *vs = payload;
	struct store_version *d;

	if (vs->nr >= 16)
		return 0;
	d = &vs->v[vs->nr++];
	store_version_init(d);
	d->id = xstrdup(v->id);
	d->source = xstrdup(v->source);
	d->author = v->author ? xstrdup(v->author) : NULL;
	d->name = v->name ? xstrdup(v->name) : NULL;
	d->deleted = v->deleted;
	d->mainline = v->mainline;
	d->changelog_id = v->changelog_id;
	d->created_ms = v->created_ms;
	for (size_t i = 0; i < v->parents_nr; i++)
		store_version_add_parent(d, v->parents[i]);
	return 0;
}

/* The versions of a type, newest first. */
static void versions_of(struct store *s, const char *type, struct versions *vs)
{
	struct store_version_query q = {0};

	memset(vs, 0, sizeof(*vs));
	q.type_id = type;
	if (store_version_query(s, &q, keep_version, vs) < 0) {
		diag("query: %s", err_msg());
		err_clear();
	}
}

static void versions_release(struct versions *vs)
{
	for (size_t i = 0; i < vs->nr; i++)
		store_version_release(&vs->v[i]);
	vs->nr = 0;
}

static json_t *form_of(struct capture *c, const char *id)
{
	struct catalyst_row row;
	json_t *form = NULL;

	if (catalyst_db_get_type(capture_db(c), id, &row) < 0 ||
	    catalyst_form_from_row(&form, NULL, &row, NULL) < 0)
		err_clear();
	catalyst_row_release(&row);
	return form;
}

static void test_init_and_changelog(void)
{
	struct env e = {0};
	struct history_sync_report rep;
	struct versions vs;
	char *key = NULL;
	int installed = 0;

	env_init(&e);
	ok(!history_init(e.s, e.c, 1, &installed, &rep) && installed,
	   "init installs the triggers");
	is_int(rep.versions, 10, "and records the ten types");
	ok(rep.scanned, "by a full scan");
	ok(!store_type_key_get(e.s, BLOG_SEED, &key) &&
		   !strcmp(key, "BlogPost"),
	   "keys are persisted at the first version");
	free(key);
	ok(!history_init(e.s, e.c, 1, &installed, &rep) && !installed &&
		   rep.versions == 0,
	   "init again: nothing new");
	env_close(&e);

	/* Four edits while catalyst-sync is not running. */
	ok(!other_exec(e.cat_path,
		       "UPDATE \"ContentType\" SET \"name\" = 'Post' WHERE "
		       "\"id\" = '" BLOG_SEED "';"
		       "UPDATE \"ContentType\" SET \"updatedAt\" = 5 WHERE "
		       "\"id\" = '" BLOG_SEED "';"
		       "UPDATE \"ContentType\" SET \"name\" = 'Post 2' WHERE "
		       "\"id\" = '" BLOG_SEED "';"
		       "INSERT INTO \"ContentType\" (\"id\", \"websiteId\", "
		       "\"name\", \"fields\", \"createdAt\", \"updatedAt\") "
		       "VALUES ('cnew', '" TECH "', 'Fresh', '[]', 1, 2);"
		       "DELETE FROM \"ContentType\" WHERE \"id\" = 'cnew';"),
	   "edits by another process");
	env_open(&e);
	ok(!history_sync(e.s, e.c, 0, &rep), "the next run syncs");
	is_int(rep.changes, 5, "five changelog rows");
	is_int(rep.versions, 4,
	       "four versions (a save equal to the head is "
	       "none)");
	ok(!rep.scanned, "no scan: the triggers are fine");
	versions_of(e.s, BLOG_SEED, &vs);
	is_int(vs.nr, 3, "the type has three versions");
	if (vs.nr == 3) {
		is_str(vs.v[0].name, "Post 2", "newest last edit");
		is_str(vs.v[1].name, "Post", "in order");
		is_str(vs.v[0].source, "UI", "unattributed edits are UI");
		ok(vs.v[0].changelog_id > vs.v[1].changelog_id,
		   "by changelog id");
		is_str(vs.v[0].parents[0], vs.v[1].id, "a chain of parents");
	}
	versions_release(&vs);
	versions_of(e.s, "cnew", &vs);
	ok(vs.nr == 2 && vs.v[0].deleted && !vs.v[1].deleted,
	   "an insert and a delete");
	versions_release(&vs);
	ok(!store_type_key_get(e.s, BLOG_SEED, &key) &&
		   !strcmp(key, "BlogPost"),
	   "a renamed type keeps its key");
	free(key);
	ok(!history_sync(e.s, e.c, 0, &rep) && rep.versions == 0 &&
		   rep.changes == 0,
	   "syncing again is a no-op");
	env_release(&e);
}

static FILE *capture_log(void)
{
	FILE *f = tmpfile();

	log_set_stream(f);
	return f;
}

static int log_has(FILE *f, const char *needle)
{
	struct buf b = BUF_INIT;
	char chunk[4096];
	size_t n;
	int found;

	fflush(f);
	rewind(f);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&b, chunk, n);
	found = strstr(b.ptr, needle) != NULL;
	buf_release(&b);
	return found;
}

static void test_prisma_rebuild(void)
{
	struct env e = {0};
	struct history_sync_report rep;
	struct versions vs;
	FILE *logf;
	int installed;

	env_init(&e);
	ok(!history_init(e.s, e.c, 1, NULL, NULL), "init");
	env_close(&e);
	ok(!other_exec(e.cat_path,
		       "UPDATE \"ContentType\" SET \"name\" = 'Before' WHERE "
		       "\"id\" = '" BLOG_SEED "';"
		       "PRAGMA foreign_keys=OFF;"
		       "CREATE TABLE \"new_ContentType\" ("
		       " \"id\" TEXT NOT NULL PRIMARY KEY,"
		       " \"websiteId\" TEXT NOT NULL, \"name\" TEXT NOT NULL,"
		       " \"fields\" TEXT NOT NULL, \"settings\" TEXT,"
		       " \"createdAt\" DATETIME NOT NULL DEFAULT"
		       " CURRENT_TIMESTAMP, \"updatedAt\" DATETIME NOT NULL);"
		       "INSERT INTO \"new_ContentType\" SELECT \"id\","
		       " \"websiteId\", \"name\", \"fields\", \"settings\","
		       " \"createdAt\", \"updatedAt\" FROM \"ContentType\";"
		       "DROP TABLE \"ContentType\";"
		       "ALTER TABLE \"new_ContentType\" RENAME TO"
		       " \"ContentType\";"
		       "PRAGMA foreign_keys=ON;"
		       "UPDATE \"ContentType\" SET \"name\" = 'After' WHERE "
		       "\"id\" = '" BLOG_SEED "';"),
	   "an edit, Prisma's rebuild, an edit");
	env_open(&e);
	logf = capture_log();
	ok(!history_sync(e.s, e.c, 0, &rep), "sync");
	log_set_stream(stderr);
	ok(log_has(logf, "catalyst-sync init") && log_has(logf, "missing"),
	   "a warning naming init");
	fclose(logf);
	is_int(rep.health, CAPTURE_BROKEN, "the triggers are missing");
	ok(rep.scanned, "a full scan ran");
	is_int(rep.versions, 2, "the edit before (changelog) and after (scan)");
	versions_of(e.s, BLOG_SEED, &vs);
	ok(vs.nr == 3 && !strcmp(vs.v[0].name, "After") &&
		   !strcmp(vs.v[1].name, "Before"),
	   "in order");
	versions_release(&vs);
	ok(!history_init(e.s, e.c, 1, &installed, &rep) && installed,
	   "init reinstalls");
	is_int(rep.health, CAPTURE_OK, "healthy after init");
	env_release(&e);
}

static void test_no_triggers(void)
{
	struct env e = {0};
	struct history_sync_report rep;
	struct capture_status st;
	FILE *logf;

	env_init(&e);
	ok(!history_init(e.s, e.c, 0, NULL, &rep) && rep.versions == 10,
	   "init --no-triggers records by a scan");
	ok(!capture_check(e.c, &st) && st.health == CAPTURE_ABSENT,
	   "nothing installed in Catalyst");
	capture_status_release(&st);
	env_close(&e);
	ok(!other_exec(e.cat_path, "UPDATE \"ContentType\" SET \"name\" = 'X'"
				   " WHERE \"id\" = '" BLOG_SEED "'"),
	   "an edit");
	env_open(&e);
	logf = capture_log();
	ok(!history_sync(e.s, e.c, 0, &rep) && rep.scanned && rep.versions == 1,
	   "found by the scan");
	log_set_stream(stderr);
	ok(!log_has(logf, "init"), "without a warning");
	fclose(logf);
	env_release(&e);
}

/* A form of an old version with one member set (for branch edits). */
static json_t *old_form(struct env *e, const char *version, const char *field,
			const char *member, const char *value)
{
	struct store_version v;
	json_t *form = NULL;

	if (store_version_get(e->s, version, &v))
		return NULL;
	form = json_deep_copy(v.snapshot);
	store_version_release(&v);
	if (field)
		json_object_set_new(
			json_object_get(json_object_get(form, "fields"), field),
			member, json_string(value));
	else
		json_object_set_new(form, member, json_string(value));
	return form;
}

/*
 * Branches of the version history (brief §7, §9): head is the main line
 * (v1 + an AI label edit), branch an edit of v1 kept as a branch.
 */
static void test_merges(struct env *e, const char *v1, const char *head,
			const char *branch)
{
	struct history_merge_result mr = {0};
	struct history_record_result rr;
	struct history_edit ed = {0};
	struct store_conflict_query q = {0};
	struct store_conflict_list cl = {0};
	struct store_version v;
	json_t *form, *branches = NULL;
	char now[CANON_HASH_LEN + 1];

	ok(!history_merge(e->s, e->c, ARTICLE, branch, HISTORY_MERGE_AUTO,
			  "merger", &mr) &&
		   mr.version[0] && !mr.conflicts && !strcmp(mr.ancestor, v1),
	   "the branch merges cleanly, from their common ancestor");
	ok(!store_version_get(e->s, mr.version, &v) && v.parents_nr == 2 &&
		   !strcmp(v.parents[0], head) &&
		   !strcmp(v.parents[1], branch) && !strcmp(v.source, "SYNC") &&
		   v.mainline,
	   "a main-line version with two parents: the head, then the branch");
	store_version_release(&v);
	form = form_of(e->c, ARTICLE);
	is_str(jx_str(form, "description"), "Branch text",
	       "Catalyst holds the branch's edit");
	is_str(jx_str(json_object_get(json_object_get(form, "fields"), "title"),
		      "label"),
	       "Headline", "and the head's");
	json_decref(form);
	ok(!history_heads(e->s, ARTICLE, now, &branches) &&
		   !strcmp(now, mr.version) && json_array_size(branches) == 0,
	   "one head again");
	json_decref(branches);
	history_merge_result_release(&mr);
	ok(history_merge(e->s, e->c, ARTICLE, branch, HISTORY_MERGE_AUTO,
			 "merger", &mr) == ERR_INVALID &&
		   !mr.version[0],
	   "a merged branch is not merged twice");
	err_clear();
	history_merge_result_release(&mr);

	/* An edit of v1 that changes what the head changed: a conflict. */
	form = old_form(e, v1, "title", "label", "Title from the UI");
	ed.type_id = ARTICLE;
	ed.form = form;
	ed.source = "UI";
	ed.author = "ana";
	ed.base = v1;
	ok(form && !history_record(e->s, e->c, &ed, &rr) && rr.branch &&
		   !rr.merged[0] && rr.conflicts == 1,
	   "a conflicting edit on an old base stays a branch");
	q.origin = "branch";
	q.type_id = ARTICLE;
	q.pending_only = 1;
	ok(!store_conflict_query(e->s, &q, &cl) && cl.nr == 1 &&
		   !strcmp(cl.items[0].path, "fields.title.label") &&
		   json_equal(cl.items[0].remote_value,
			      json_object_get(
				      json_object_get(
					      json_object_get(form, "fields"),
					      "title"),
				      "label")),
	   "its conflict is in the log, with the branch's value");
	store_conflict_list_release(&cl);
	json_decref(form);
	ok(!history_merge(e->s, e->c, ARTICLE, rr.version, HISTORY_MERGE_BRANCH,
			  "ana", &mr) &&
		   mr.version[0] && mr.conflicts == 1,
	   "merged with the branch winning the conflict");
	form = form_of(e->c, ARTICLE);
	is_str(jx_str(json_object_get(json_object_get(form, "fields"), "title"),
		      "label"),
	       "Title from the UI", "Catalyst holds the branch's label");
	json_decref(form);
	history_merge_result_release(&mr);
	ok(!store_conflict_query(e->s, &q, &cl) && cl.nr == 0,
	   "the conflict is resolved in the log");
	store_conflict_list_release(&cl);

	/* An edit of v1 elsewhere merges by itself, at record time. */
	form = old_form(e, v1, NULL, "pluralName", "Stories");
	ed.form = form;
	ok(form && !history_record(e->s, e->c, &ed, &rr) && rr.branch &&
		   rr.merged[0] && !rr.conflicts,
	   "an edit on an old base is merged at once");
	json_decref(form);
	form = form_of(e->c, ARTICLE);
	ok(!strcmp(jx_str(form, "pluralName"), "Stories") &&
		   !strcmp(jx_str(form, "description"), "Branch text"),
	   "Catalyst holds both");
	json_decref(form);
}

static void test_record_and_branch(void)
{
	struct env e = {0};
	struct history_record_result res, res2;
	struct history_edit ed = {0};
	struct history_sync_report rep;
	struct store_version v;
	json_t *form, *branches = NULL, *keys = NULL;
	char head[CANON_HASH_LEN + 1], v1[CANON_HASH_LEN + 1];
	char *title_key = NULL;

	env_init(&e);
	ok(!history_init(e.s, e.c, 1, NULL, NULL), "init");
	ok(!history_heads(e.s, ARTICLE, v1, &branches) && v1[0] &&
		   json_array_size(branches) == 0,
	   "one head");
	json_decref(branches);

	form = form_of(e.c, ARTICLE);
	ok(!history_prop_keys(e.s, ARTICLE, form, 0, &keys), "property keys");
	title_key =
		xstrdup(jx_str(keys, "title") ? jx_str(keys, "title") : "?");
	json_decref(keys);
	json_object_set_new(
		json_object_get(json_object_get(form, "fields"), "title"),
		"label", json_string("Headline"));
	ed.type_id = ARTICLE;
	ed.form = form;
	ed.source = "AI";
	ed.author = "claude";
	ed.message = "clearer label";
	ok(!history_record(e.s, e.c, &ed, &res), "record an AI edit");
	ok(res.written && !res.branch && !res.unchanged && res.version[0],
	   "written to Catalyst, a new version");
	ok(!store_version_get(e.s, res.version, &v), "the version");
	is_str(v.source, "AI", "source");
	is_str(v.author, "claude", "author");
	is_str(v.message, "clearer label", "message");
	ok(v.parents_nr == 1 && !strcmp(v.parents[0], v1), "based on the head");
	store_version_release(&v);
	json_decref(form);
	form = form_of(e.c, ARTICLE);
	is_str(jx_str(json_object_get(json_object_get(form, "fields"), "title"),
		      "label"),
	       "Headline", "Catalyst holds the edit");
	json_decref(form);
	ok(!history_sync(e.s, e.c, 0, &rep) && rep.versions == 0 &&
		   rep.changes == 1,
	   "our write comes round through the triggers and is recognised");

	form = form_of(e.c, ARTICLE);
	ed.form = form;
	ok(!history_record(e.s, e.c, &ed, &res2) && res2.unchanged &&
		   !res2.version[0],
	   "recording the head's content again makes no version");

	/* An edit based on v1, now behind the head: a branch. */
	json_object_set_new(form, "description", json_string("Branch text"));
	ed.form = form;
	ed.base = v1;
	ed.source = "UI";
	ed.author = "ana";
	ed.no_merge = 1;
	ok(!history_record(e.s, e.c, &ed, &res2), "record on an old base");
	ok(res2.branch && !res2.written, "a branch, not written to Catalyst");
	ok(!history_heads(e.s, ARTICLE, head, &branches) &&
		   !strcmp(head, res.version) &&
		   json_array_size(branches) == 1 &&
		   !strcmp(json_string_value(json_array_get(branches, 0)),
			   res2.version),
	   "two heads: the main line and the branch");
	json_decref(branches);
	json_decref(form);
	form = form_of(e.c, ARTICLE);
	ok(!jx_str(form, "description") ||
		   strcmp(jx_str(form, "description"), "Branch text"),
	   "Catalyst keeps the head");
	ed.no_merge = 0;
	test_merges(&e, v1, res.version, res2.version);
	json_decref(form);
	form = form_of(e.c, ARTICLE);

	/* A renamed field keeps its property key. */
	{
		json_t *fields = json_object_get(form, "fields");
		json_t *t = json_deep_copy(json_object_get(fields, "title"));

		json_object_del(fields, "title");
		json_object_set_new(fields, "heading", t);
		ed.form = form;
		ed.base = NULL;
		ok(!history_record(e.s, e.c, &ed, &res2) && res2.written,
		   "rename a field (same id)");
		ok(!history_prop_keys(e.s, ARTICLE, form, 0, &keys) &&
			   !strcmp(jx_str(keys, "heading"), title_key),
		   "it keeps its property key '%s'", title_key);
		json_decref(keys);
	}
	json_decref(form);

	ed.base = "000000000000000000000000000000000000000000000000000000000000"
		  "0000";
	form = form_of(e.c, ARTICLE);
	ed.form = form;
	is_int(history_record(e.s, e.c, &ed, &res2), ERR_NOTFOUND,
	       "an unknown base");
	err_clear();
	json_decref(form);
	free(title_key);
	env_release(&e);
}

/* Writes a pending record intent as history_record would, then stops. */
static long long make_intent(struct env *e, const char *name,
			     json_t **stored_out)
{
	json_t *form = form_of(e->c, ARTICLE), *stored = NULL, *p;
	char hash[CANON_HASH_LEN + 1], old[CANON_HASH_LEN + 1];
	char id[CANON_HASH_LEN + 1], head[CANON_HASH_LEN + 1];
	const char *parent = head;
	long long intent = 0;

	json_object_set_new(form, "name", json_string(name));
	if (history_heads(e->s, ARTICLE, head, NULL) < 0 ||
	    capture_prepare(e->c, form, &stored, hash, old) < 0 ||
	    canon_version_id(id, ARTICLE, hash, &parent, 1) < 0)
		abort();
	p = json_pack("{s:s, s:s, s:s, s:s, s:s, s:O, s:s, s:s, s:I, s:I}",
		      "version", id, "parent", head, "website_id",
		      "cmedxk9n20000v8q4website01", "content_hash", hash,
		      "old_hash", old, "form", stored, "source", "AI", "author",
		      "bot", "created_ms", (json_int_t)time_now_ms(), "mark",
		      (json_int_t)0);
	if (store_intent_add(e->s, "record", ARTICLE, p, &intent) < 0)
		abort();
	json_decref(p);
	json_decref(form);
	*stored_out = stored;
	return intent;
}

static int count_pending(const struct store_intent *in, void *payload)
{
	(void)in;
	(*(int *)payload)++;
	return 0;
}

static void test_recovery(void)
{
	struct env e = {0};
	struct history_sync_report rep;
	struct versions vs;
	json_t *stored, *form;
	int pending;

	env_init(&e);
	ok(!history_init(e.s, e.c, 1, NULL, NULL), "init");

	/* Killed after the intent: Catalyst was not written -> redone. */
	make_intent(&e, "Redo me", &stored);
	ok(!history_sync(e.s, e.c, 0, &rep) && rep.intents_redone == 1,
	   "an intent whose write never happened is redone");
	form = form_of(e.c, ARTICLE);
	is_str(jx_str(form, "name"), "Redo me", "Catalyst has the edit");
	json_decref(form);
	json_decref(stored);
	versions_of(e.s, ARTICLE, &vs);
	ok(vs.nr == 2 && !strcmp(vs.v[0].source, "AI") &&
		   !strcmp(vs.v[0].author, "bot"),
	   "recorded with its attribution, not as a UI edit");
	versions_release(&vs);

	/* Killed after Catalyst: the write happened -> finished. */
	make_intent(&e, "Finish me", &stored);
	is_int(capture_write(e.c, stored, NULL), 0, "Catalyst is written");
	ok(!history_sync(e.s, e.c, 0, &rep) && rep.intents_finished == 1 &&
		   rep.versions == 1,
	   "the intent is finished: one version, not two");
	json_decref(stored);
	versions_of(e.s, ARTICLE, &vs);
	ok(vs.nr == 3 && !strcmp(vs.v[0].source, "AI"),
	   "the AI version, and the changelog row was recognised");
	versions_release(&vs);

	/* Killed after the intent, then someone else edited the row. */
	make_intent(&e, "Lost race", &stored);
	json_decref(stored);
	ok(!other_exec(e.cat_path, "UPDATE \"ContentType\" SET \"name\" = "
				   "'Someone' WHERE \"id\" = '" ARTICLE "'"),
	   "someone else edits the row");
	ok(!history_sync(e.s, e.c, 0, &rep) && rep.intents_branched == 1,
	   "the edit is kept as a branch");
	versions_of(e.s, ARTICLE, &vs);
	ok(vs.nr == 5, "the branch and the other edit (%zu)", vs.nr);
	if (vs.nr == 5)
		ok(!strcmp(vs.v[0].name, "Someone") && vs.v[0].mainline &&
			   !vs.v[1].mainline,
		   "the other edit is the main line");
	versions_release(&vs);
	pending = 0;
	ok(!store_intent_pending(e.s, count_pending, &pending) && !pending,
	   "no intent is left pending");
	env_release(&e);
}

int main(void)
{
	plan_lazy();
	test_init_and_changelog();
	test_prisma_rebuild();
	test_no_triggers();
	test_record_and_branch();
	test_recovery();
	return done_testing();
}
