/*
 * bench_history: history queries on a state store of N versions (brief
 * §19: a history query on 100,000 versions in at most 5 ms).
 *
 *	bench_history [N [TYPES]]    (default: 100000 versions, 1000 types)
 *
 * Builds a SQLite state store with N versions spread over TYPES content
 * types (each a chain, with a branch every 25 versions; sources UI, AI and
 * SYNC in turn; ten authors; one version a minute), then times the queries
 * the commands make: the newest 50 versions of one type, `log TYPE`
 * (every version of one type, with parents),
 * the same with snapshots, the newest 50 versions of one author across the
 * store, the newest 50 of the last day, the heads of a type, its main-line
 * head, a 7-digit prefix, and one version with its snapshot. Each query
 * runs 200 times on a warm store; the median and the worst are printed.
 * Building the store is not timed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/canon.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/xalloc.h"

#define RUNS 200

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_history: %s: %s\n", what, err_msg());
	exit(1);
}

/* A snapshot of a few fields, about 1 KB, different for every version. */
static json_t *snapshot(int n)
{
	json_t *fields = json_object();

	for (int f = 0; f < 6; f++) {
		char name[16];

		snprintf(name, sizeof(name), "field%d", f);
		json_object_set_new(fields, name,
				    json_pack("{s:s, s:s, s:b, s:i, s:{s:i}}",
					      "type", f % 2 ? "text" : "number",
					      "label", name, "required", f == 0,
					      "order", f, "validation",
					      "maxLength", 100 + n));
	}
	return json_pack("{s:s, s:s, s:s, s:s, s:o, s:{}}", "id", "t",
			 "websiteId", "w1", "name", "Type", "category", "page",
			 "fields", fields, "relationships");
}

static const char *const sources[] = {"UI", "AI", "SYNC"};

/* type i's id. */
static void type_id(char *out, size_t n, int i)
{
	snprintf(out, n, "ctype%06d", i);
}

struct chain {
	char head[CANON_HASH_LEN + 1];
	char fork[CANON_HASH_LEN + 1];
};

static void build(struct store *s, long nr, int types, long long t0)
{
	struct chain *c = xcalloc((size_t)types, sizeof(*c));
	char tid[32], hash[CANON_HASH_LEN + 1], id[CANON_HASH_LEN + 1];
	char author[16];

	for (long i = 0; i < nr; i++) {
		int t = (int)(i % types), n = (int)(i / types);
		struct store_version v;
		json_t *snap = snapshot(n);
		const char *parent;
		int branch = n && n % 25 == 0 && c[t].fork[0];

		if (i % 2000 == 0 && (i ? store_commit(s) : 0) < 0)
			die("commit");
		if (i % 2000 == 0 && store_begin(s, 1) < 0)
			die("begin");
		type_id(tid, sizeof(tid), t);
		if (canon_content_hash(hash, snap) < 0)
			die("hash");
		parent = branch ? c[t].fork : c[t].head;
		if (canon_version_id(id, tid, hash, &parent, n ? 1 : 0) < 0)
			die("id");
		store_version_init(&v);
		v.id = xstrdup(id);
		v.type_id = xstrdup(tid);
		v.website_id = xstrdup("w1");
		v.type_key = xstrdup("Type");
		v.name = xstrdup("Type");
		v.content_hash = xstrdup(hash);
		v.snapshot = snap;
		v.source = xstrdup(sources[i % 3]);
		snprintf(author, sizeof(author), "author%ld", i % 10);
		v.author = xstrdup(author);
		v.created_ms = t0 + i * 60000LL;
		v.mainline = !branch;
		if (n)
			store_version_add_parent(&v, parent);
		if (store_version_put(s, &v) < 0)
			die("put");
		if (!branch)
			memcpy(c[t].head, id, sizeof(id));
		if (n % 10 == 0)
			memcpy(c[t].fork, id, sizeof(id));
		store_version_release(&v);
	}
	if (store_commit(s) < 0)
		die("commit");
	free(c);
}

static int count(const struct store_version *v, void *payload)
{
	(void)v;
	(*(size_t *)payload)++;
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

enum query {
	Q_LOG50,
	Q_LOG,
	Q_LOG_SNAP,
	Q_AUTHOR,
	Q_SINCE,
	Q_HEADS,
	Q_MAINLINE,
	Q_PREFIX,
	Q_GET,
	Q_NR
};

static const char *const names[Q_NR] = {
	"log TYPE -n 50 (newest 50 of a type)",
	"log TYPE (every version of a type, with parents)",
	"log TYPE, with snapshots",
	"newest 50 of one author (whole store)",
	"newest 50 of the last day (whole store)",
	"heads of a type",
	"main-line head, with snapshot",
	"resolve a 7-digit prefix",
	"one version, with snapshot",
};

static size_t run(struct store *s, enum query q, int t, long long t_end,
		  const char *some_id)
{
	struct store_version_query sq = {0};
	struct store_version_list heads;
	struct store_version v;
	char tid[32], prefix[8], *id = NULL;
	size_t n = 0;

	type_id(tid, sizeof(tid), t);
	switch (q) {
	case Q_LOG50:
		sq.type_id = tid;
		sq.limit = 50;
		if (store_version_query(s, &sq, count, &n) < 0)
			die("query");
		break;
	case Q_LOG:
	case Q_LOG_SNAP:
		sq.type_id = tid;
		sq.with_snapshot = q == Q_LOG_SNAP;
		if (store_version_query(s, &sq, count, &n) < 0)
			die("query");
		break;
	case Q_AUTHOR:
		sq.author = "author3";
		sq.limit = 50;
		if (store_version_query(s, &sq, count, &n) < 0)
			die("query");
		break;
	case Q_SINCE:
		sq.since_ms = t_end - 86400000LL;
		sq.limit = 50;
		if (store_version_query(s, &sq, count, &n) < 0)
			die("query");
		break;
	case Q_HEADS:
		if (store_version_heads(s, tid, &heads) < 0)
			die("heads");
		n = heads.nr;
		store_version_list_release(&heads);
		break;
	case Q_MAINLINE:
		if (store_version_mainline(s, tid, &v) < 0)
			die("mainline");
		n = 1;
		store_version_release(&v);
		break;
	case Q_PREFIX:
		memcpy(prefix, some_id, 7);
		prefix[7] = '\0';
		if (store_version_resolve(s, prefix, &id) < 0)
			die("resolve");
		free(id);
		n = 1;
		break;
	case Q_GET:
		if (store_version_get(s, some_id, &v) < 0)
			die("get");
		n = 1;
		store_version_release(&v);
		break;
	case Q_NR:
		break;
	}
	return n;
}

int main(int argc, char **argv)
{
	long nr = argc > 1 ? strtol(argv[1], NULL, 10) : 100000;
	int types = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 1000;
	struct store_options opt = {1, 0};
	struct store *s = NULL;
	char *path, *some_id;
	struct buf b = BUF_INIT;
	double t_build, times[RUNS];
	long long t0 = 1700000000000LL;
	const char *dir = getenv("TMPDIR");

	if (nr < 1 || types < 1 || types > nr) {
		fprintf(stderr, "usage: bench_history [N [TYPES]]\n");
		return 64;
	}
	buf_addf(&b, "%s/bench-history-%ld.db", dir && *dir ? dir : "/tmp",
		 (long)getpid());
	path = buf_detach(&b, NULL);
	unlink(path);
	if (store_open(&s, path, &opt) < 0)
		die("open");
	t_build = now_us();
	build(s, nr, types, t0);
	t_build = now_us() - t_build;
	printf("%ld versions of %d types built in %.1f s\n", nr, types,
	       t_build / 1e6);
	/* Any version's id, for the lookups. */
	{
		struct store_version v;

		if (store_version_mainline(s, "ctype000007", &v) < 0)
			die("mainline");
		some_id = xstrdup(v.id);
		store_version_release(&v);
	}
	printf("%-52s %8s %10s %10s\n", "query", "rows", "median", "worst");
	for (int q = 0; q < Q_NR; q++) {
		size_t rows = 0;

		for (int r = 0; r < RUNS; r++) {
			double t = now_us();

			rows = run(s, (enum query)q, (r * 37) % types,
				   t0 + nr * 60000LL, some_id);
			times[r] = now_us() - t;
		}
		qsort(times, RUNS, sizeof(times[0]), cmp_double);
		printf("%-52s %8zu %8.3f ms %8.3f ms\n", names[q], rows,
		       times[RUNS / 2] / 1e3, times[RUNS - 1] / 1e3);
	}
	store_close(s);
	unlink(path);
	buf_addf(&b, "%s-wal", path);
	unlink(b.ptr);
	buf_reset(&b);
	buf_addf(&b, "%s-shm", path);
	unlink(b.ptr);
	buf_release(&b);
	free(path);
	free(some_id);
	return 0;
}
