/*
 * store_fill: writes a few runs, their journals, sync history entries and
 * backups into an existing state store through the store API, for the
 * CLI tests of history, runs and gc (tests/cli/t3010-history-runs-gc.sh)
 * until apply writes them itself.
 *
 *	store_fill STORE
 *
 * The runs (times are relative to now; D is a day):
 *
 *	aaaa11112222  partial      started now - 40 D, 2.5 s: update Article
 *	              (done), create Author (failed, 412); backups of both
 *	aaaa99990000  done         started now - 10 D, 65 s: update Article,
 *	              delete LegacyPromo (a type only the CMS has); backups
 *	              of both
 *	bbbb00001111  interrupted  started now - 1 h: link Article (running),
 *	              update Author (pending); one PARTIAL entry
 *
 * Article and Author are the "Catalyst QA Site" types of the Catalyst
 * fixture (tests/fixtures/catalyst). Exits 0, or 1 with a message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "util/err.h"
#include "util/timeutil.h"

#define DAY_MS (86400LL * 1000)
#define ARTICLE "cmeg00bv8q4r2kbsqmyiam2ue"
#define AUTHOR "cmeg00av8q4lbvno60oqlua99"
#define TARGET "optimizely"

struct fill {
	struct store *s;
	long long now;
};

static int run(struct fill *f, const char *id, const char *status,
	       const char *actor, long long started, long long took,
	       json_t *summary)
{
	struct store_run r = {0};
	int ret;

	r.id = (char *)id;
	r.target = (char *)TARGET;
	r.mode = (char *)"push";
	r.status = (char *)status;
	r.actor = (char *)actor;
	r.plan = json_pack("{s:i, s:s, s:[]}", "format_version", 1, "mode",
			   "push", "operations");
	r.summary = summary;
	r.started_ms = started;
	r.finished_ms = took >= 0 ? started + took : 0;
	ret = store_run_put(f->s, &r);
	json_decref(r.plan);
	json_decref(summary);
	return ret;
}

static int op(struct fill *f, const char *run_id, long seq, const char *type_id,
	      const char *key, const char *action, const char *state,
	      const char *error, long long started)
{
	struct store_op o = {0};
	int ret;

	o.run_id = (char *)run_id;
	o.seq = seq;
	o.type_id = (char *)type_id;
	o.type_key = (char *)key;
	o.action = (char *)action;
	o.state = (char *)state;
	o.request = json_pack("{s:s}", "key", key);
	o.error = (char *)error;
	o.attempts = strcmp(state, "pending") ? 1 : 0;
	o.started_ms = strcmp(state, "pending") ? started : 0;
	o.finished_ms = strcmp(state, "pending") && strcmp(state, "running")
				? started + 200
				: 0;
	ret = store_op_put(f->s, &o);
	json_decref(o.request);
	return ret;
}

static int entry(struct fill *f, const char *run_id, const char *type_id,
		 const char *key, const char *action, const char *status,
		 const char *actor, const char *error, long long started)
{
	struct store_history_entry e = {0};
	int ret;

	e.run_id = (char *)run_id;
	e.target = (char *)TARGET;
	e.type_id = (char *)type_id;
	e.type_key = (char *)key;
	e.direction = (char *)"push";
	e.action = (char *)action;
	e.status = (char *)status;
	e.pushed = json_pack("{s:s}", "key", key);
	e.response = !strcmp(status, "SUCCESS") ? json_pack("{s:s}", "key", key)
						: NULL;
	e.error = (char *)error;
	e.actor = (char *)actor;
	e.started_ms = started;
	e.finished_ms = started + 200;
	ret = store_history_add(f->s, &e);
	json_decref(e.pushed);
	json_decref(e.response);
	return ret;
}

static int backup(struct fill *f, const char *run_id, const char *type_id,
		  const char *key, long long created)
{
	struct store_backup b = {0};
	int ret;

	b.run_id = (char *)run_id;
	b.target = (char *)TARGET;
	b.type_id = (char *)type_id;
	b.type_key = (char *)key;
	b.doc = json_pack("{s:s, s:s}", "key", key, "baseType", "_component");
	b.etag = (char *)"\"1\"";
	b.created_ms = created;
	ret = store_backup_add(f->s, &b);
	json_decref(b.doc);
	return ret;
}

static int fill(struct fill *f)
{
	long long t1 = f->now - 40 * DAY_MS, t2 = f->now - 10 * DAY_MS,
		  t3 = f->now - 3600 * 1000;
	const char *r1 = "aaaa11112222", *r2 = "aaaa99990000",
		   *r3 = "bbbb00001111";
	const char *ana = "ana@laptop", *bob = "bob@ci";
	int ret;

	if ((ret = store_begin(f->s, 1)) < 0)
		return ret;
	if ((ret = run(f, r1, "partial", ana, t1, 2500,
		       json_pack("{s:i, s:i, s:i}", "total", 2, "done", 1,
				 "failed", 1))) < 0 ||
	    (ret = op(f, r1, 0, ARTICLE, "Article", "update", "done", NULL,
		      t1 + 1000)) < 0 ||
	    (ret = op(f, r1, 1, AUTHOR, "Author", "create", "failed",
		      "412 Precondition Failed", t1 + 1500)) < 0 ||
	    (ret = backup(f, r1, ARTICLE, "Article", t1 + 900)) < 0 ||
	    (ret = backup(f, r1, AUTHOR, "Author", t1 + 1400)) < 0 ||
	    (ret = entry(f, r1, ARTICLE, "Article", "update", "SUCCESS", ana,
			 NULL, t1 + 1000)) < 0 ||
	    (ret = entry(f, r1, AUTHOR, "Author", "create", "FAILED", ana,
			 "412 Precondition Failed:\nchanged in the CMS",
			 t1 + 1500)) < 0)
		goto out;
	if ((ret = run(f, r2, "done", ana, t2, 65000,
		       json_pack("{s:i, s:i}", "total", 2, "done", 2))) < 0 ||
	    (ret = op(f, r2, 0, ARTICLE, "Article", "update", "done", NULL,
		      t2 + 1000)) < 0 ||
	    (ret = op(f, r2, 1, NULL, "LegacyPromo", "delete", "done", NULL,
		      t2 + 2000)) < 0 ||
	    (ret = backup(f, r2, ARTICLE, "Article", t2 + 900)) < 0 ||
	    (ret = backup(f, r2, NULL, "LegacyPromo", t2 + 1900)) < 0 ||
	    (ret = entry(f, r2, ARTICLE, "Article", "update", "SUCCESS", ana,
			 NULL, t2 + 1000)) < 0 ||
	    (ret = entry(f, r2, NULL, "LegacyPromo", "delete", "SUCCESS", ana,
			 NULL, t2 + 2000)) < 0)
		goto out;
	if ((ret = run(f, r3, "interrupted", bob, t3, -1, NULL)) < 0 ||
	    (ret = op(f, r3, 0, ARTICLE, "Article", "link", "running", NULL,
		      t3 + 1000)) < 0 ||
	    (ret = op(f, r3, 1, AUTHOR, "Author", "update", "pending", NULL,
		      0)) < 0 ||
	    (ret = entry(f, r3, ARTICLE, "Article", "create", "PARTIAL", bob,
			 "the second phase (link) did not finish", t3 + 1000)) <
		    0)
		goto out;
	ret = store_commit(f->s);
out:
	if (ret < 0)
		store_rollback(f->s);
	return ret;
}

int main(int argc, char **argv)
{
	struct store_options opt = {0, 0};
	struct fill f = {0};
	int ret;

	if (argc != 2) {
		fprintf(stderr, "usage: store_fill STORE\n");
		return 64;
	}
	f.now = time_now_ms();
	if ((ret = store_open(&f.s, argv[1], &opt)) < 0 || (ret = fill(&f)) < 0)
		fprintf(stderr, "store_fill: %s\n", err_msg());
	store_close(f.s);
	return ret < 0 ? 1 : 0;
}
