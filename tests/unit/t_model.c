/*
 * The per-website pipeline: keys for every type before any type is
 * transformed, references resolved through them, persisted and taken keys,
 * TYPE lookup, per-type errors, determinism.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "testlib.h"
#include "core/model.h"
#include "source/catalyst_sqlite.h"
#include "util/err.h"
#include "util/jx.h"

#define QA "cmedxk9n20000v8q4website01"

static const char *const fixture[] = { "catalyst-938657b-fixture.sql", NULL };

/* What a run saw, by Catalyst id. */
struct seen {
	json_t *keys;    /* {id: key} */
	json_t *hashes;  /* {id: content hash + target hash} */
	json_t *targets; /* {id: target doc} */
	json_t *errors;  /* {id: error} */
	json_t *codes;   /* {id: [finding codes]} */
	int stop_after;  /* > 0: return an error after that many */
	int calls;
};

static void seen_init(struct seen *s)
{
	memset(s, 0, sizeof(*s));
	s->keys = json_object();
	s->hashes = json_object();
	s->targets = json_object();
	s->errors = json_object();
	s->codes = json_object();
}

static void seen_release(struct seen *s)
{
	json_decref(s->keys);
	json_decref(s->hashes);
	json_decref(s->targets);
	json_decref(s->errors);
	json_decref(s->codes);
}

static int collect(struct model_type *t, void *payload)
{
	struct seen *s = payload;
	json_t *codes;
	char both[2 * CANON_HASH_LEN + 2];

	s->calls++;
	if (s->stop_after && s->calls > s->stop_after)
		return err_set(ERR_CONFLICT, "stop");
	codes = json_array();
	json_object_set_new(s->keys, t->row->id, json_string(t->key));
	snprintf(both, sizeof(both), "%s/%s", t->content_hash, t->target_hash);
	json_object_set_new(s->hashes, t->row->id, json_string(both));
	if (t->target)
		json_object_set(s->targets, t->row->id, t->target);
	if (t->error)
		json_object_set_new(s->errors, t->row->id, json_string(t->error));
	for (size_t i = 0; i < t->findings.nr; i++)
		json_array_append_new(codes,
				      json_string(t->findings.items[i].code));
	json_object_set_new(s->codes, t->row->id, codes);
	return 0;
}

static int run(struct seen *s, const char *path, const char *website,
	       const json_t *persisted, const json_t *taken)
{
	struct catalyst_db *db = NULL;
	struct model m;
	int ret;

	if ((ret = catalyst_db_open(&db, path)) < 0)
		return ret;
	ret = model_open(&m, db, website, persisted, taken);
	if (!ret)
		ret = model_each(&m, collect, s);
	model_release(&m);
	catalyst_db_close(db);
	return ret;
}

static const char *target_str(struct seen *s, const char *id,
			      const char *prop, const char *member)
{
	json_t *t = json_object_get(s->targets, id);
	json_t *p = json_object_get(json_object_get(t, "properties"), prop);
	json_t *v = json_object_get(p, member);

	if (json_is_array(v))
		v = json_array_get(v, 0);
	return json_string_value(v);
}

static void test_pipeline(const char *path)
{
	struct seen a, b;

	seen_init(&a);
	seen_init(&b);
	is_int(run(&a, path, QA, NULL, NULL), 0, "the QA website runs");
	is_int(a.calls, 5, "five types, each handed over once");
	is_str(json_string_value(json_object_get(a.keys,
						 "cmeg00bv8q4r2kbsqmyiam2ue")),
	       "Article", "keys are generated from names");
	is_str(target_str(&a, "cmeg00bv8q4r2kbsqmyiam2ue", "author",
			  "allowedTypes"),
	       "Author", "a reference names its target's key");
	is_int(json_object_size(a.errors), 0, "no row errors");
	ok(json_array_size(json_object_get(a.codes,
					   "cmeg00bv8q4r2kbsqmyiam2ue")) == 0,
	   "and no findings on the real Article");
	is_int(run(&b, path, QA, NULL, NULL), 0, "a second run");
	ok(json_equal(a.hashes, b.hashes), "gives the same hashes");
	ok(strlen(json_string_value(json_object_get(
		       a.hashes, "cmeg00bv8q4r2kbsqmyiam2ue"))) ==
		   2 * CANON_HASH_LEN + 1,
	   "both hashes are there");
	seen_release(&a);
	seen_release(&b);
}

static void test_persisted_and_taken(const char *path)
{
	struct seen s;
	json_t *persisted = json_pack("{s:s}", "cmeg00av8q4lbvno60oqlua99",
				      "WriterProfile");
	json_t *taken = json_pack("{s:b}", "Product", 1);
	json_t *codes;

	seen_init(&s);
	is_int(run(&s, path, QA, persisted, taken), 0,
	       "a run with persisted and taken keys");
	is_str(json_string_value(json_object_get(s.keys,
						 "cmeg00av8q4lbvno60oqlua99")),
	       "WriterProfile", "a persisted key is kept");
	is_str(target_str(&s, "cmeg00bv8q4r2kbsqmyiam2ue", "author",
			  "allowedTypes"),
	       "WriterProfile", "and references follow it");
	is_str(json_string_value(json_object_get(s.keys,
						 "cmeg00dv8q4p2q8pvopdmtbh3")),
	       "Product2", "a key taken remotely is suffixed");
	codes = json_object_get(s.codes, "cmeg00dv8q4p2q8pvopdmtbh3");
	is_str(json_string_value(json_array_get(codes, 0)), "key-collision",
	       "with a key-collision finding on that type");
	seen_release(&s);
	json_decref(persisted);
	json_decref(taken);
}

static void test_find_and_errors(void)
{
	static const char extra[] =
		"INSERT INTO \"ContentType\" VALUES ('cbad1','" QA "','Broken',"
		"'{\"fields\":[', NULL, 1755226900000, 1755226900000);"
		"INSERT INTO \"ContentType\" VALUES ('ctwin','" QA "','Author',"
		"'[{\"name\":\"x\",\"type\":\"text\"}]', NULL, 1755226901000,"
		" 1755226901000);";
	char *path = test_build_db(fixture, extra);
	struct catalyst_db *db = NULL;
	struct model m;
	struct seen s;
	const char *id;

	is_int(catalyst_db_open(&db, path), 0, "a database with a bad row");
	is_int(model_open(&m, db, QA, NULL, NULL), 0, "opens");
	is_int(model_find_type(&m, "Article", &id), 0, "find by key");
	is_str(id, "cmeg00bv8q4r2kbsqmyiam2ue", "gives the id");
	is_int(model_find_type(&m, "cmeg00cv8q4tfjgrx9y01obw8", &id), 0,
	       "find by id");
	is_int(model_find_type(&m, "Author", &id), 0,
	       "a key wins over a name used twice");
	is_int(model_find_type(&m, "Author2", &id), 0,
	       "the second Author got a suffixed key");
	is_str(id, "ctwin", "which finds it");
	is_int(model_find_type(&m, "NoSuch", &id), ERR_NOTFOUND,
	       "an unknown type");
	seen_init(&s);
	is_int(model_each(&m, collect, &s), 0, "a bad row does not stop a run");
	is_int(s.calls, 7, "every row is handed over");
	ok(strstr(json_string_value(json_object_get(s.errors, "cbad1")),
		  "content type 'cbad1' (Broken)") != NULL,
	   "the bad row carries its error, naming it");
	ok(json_object_get(s.targets, "cbad1") == NULL,
	   "and has no target document");
	seen_release(&s);

	seen_init(&s);
	s.stop_after = 2;
	is_int(model_each(&m, collect, &s), ERR_CONFLICT,
	       "the callback's error stops the run and is returned");
	is_int(s.calls, 3, "right away");
	seen_release(&s);
	model_release(&m);
	catalyst_db_close(db);
	unlink(path);
	free(path);
}

int main(void)
{
	char *path = test_build_db(fixture, NULL);

	plan_lazy();
	test_pipeline(path);
	test_persisted_and_taken(path);
	test_find_and_errors();
	unlink(path);
	free(path);
	return done_testing();
}
