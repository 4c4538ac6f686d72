/*
 * bench_extract: extract + normalize + hash + transform + validate N
 * generated content types of 20 fields from a SQLite Catalyst database,
 * one type at a time (brief §19: 10,000 types in at most 0.5 s and 100 MB).
 *
 *	bench_extract [--serial] [--window W] [N...]  (default: 100 1000 10000)
 *	bench_extract --write-db PATH N
 *
 * --write-db only writes the generated database to PATH and exits (for
 * bench/bench_sync.sh).
 *
 * Prints one line per N: the time of the whole pipeline, types per second,
 * the CPU time of the process over the same span (all its threads) and its
 * peak resident memory. Generating the database is not timed. --serial
 * processes every type on the calling thread (model.serial); --window sets
 * how many types may be in flight (model.window).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <sqlite3.h>

#include "core/model.h"
#include "source/catalyst_sqlite.h"
#include "util/buf.h"
#include "util/timeutil.h"

static const char schema[] =
	"CREATE TABLE \"Website\" (\"id\" TEXT NOT NULL PRIMARY KEY, \"name\" "
	"TEXT NOT NULL, \"description\" TEXT, \"category\" TEXT NOT NULL, "
	"\"metadata\" TEXT, \"icon\" TEXT, \"settings\" TEXT, \"isActive\" "
	"BOOLEAN NOT NULL DEFAULT true, \"createdAt\" DATETIME NOT NULL DEFAULT "
	"CURRENT_TIMESTAMP, \"updatedAt\" DATETIME NOT NULL);"
	"CREATE TABLE \"ContentType\" (\"id\" TEXT NOT NULL PRIMARY KEY, "
	"\"websiteId\" TEXT NOT NULL, \"name\" TEXT NOT NULL, \"fields\" TEXT "
	"NOT NULL, \"settings\" TEXT, \"createdAt\" DATETIME NOT NULL DEFAULT "
	"CURRENT_TIMESTAMP, \"updatedAt\" DATETIME NOT NULL);"
	"INSERT INTO \"Website\" VALUES ('w1','Bench','','Testing',NULL,NULL,"
	"NULL,1,0,0);";

/* The 20 fields of a generated type: every kind of the lens table. */
static void add_fields(struct buf *b, int i)
{
	static const char *kinds[] = {
		"\"type\":\"text\",\"validation\":{\"minLength\":2,\"maxLength\":120}",
		"\"type\":\"textarea\",\"validation\":{\"maxLength\":500}",
		"\"type\":\"richText\",\"helpText\":\"the body\"",
		"\"type\":\"number\",\"validation\":{\"min\":0,\"max\":100,\"precision\":0}",
		"\"type\":\"number\",\"validation\":{\"min\":0.5}",
		"\"type\":\"boolean\",\"defaultValue\":false",
		"\"type\":\"date\",\"validation\":{\"minDate\":\"2024-01-01\"}",
		"\"type\":\"image\"",
		"\"type\":\"select\",\"options\":[{\"label\":\"A\",\"value\":\"a\"},{\"label\":\"B\",\"value\":\"b\"}]",
		"\"type\":\"tags\"",
		"\"type\":\"url\"",
		"\"type\":\"json\"",
		"\"type\":\"gallery\"",
		"\"type\":\"multiselect\",\"options\":[{\"label\":\"X\",\"value\":\"x\"}]",
		"\"type\":\"email\"",
		"\"type\":\"markdown\"",
		"\"type\":\"text\",\"validation\":{\"pattern\":\"^[a-z0-9-]+$\"}",
		"\"type\":\"datetime\"",
		"\"type\":\"media\",\"accept\":\"video/*\"",
		"\"type\":\"reference\"",
	};

	buf_addf(b, "{\"name\":\"Type %d\",\"pluralName\":\"Types %d\","
		    "\"fields\":[", i, i);
	for (int f = 0; f < 20; f++)
		buf_addf(b, "%s{\"id\":\"%d_%d\",\"name\":\"field%02d\","
			    "\"label\":\"Field %d\",%s,\"required\":%s,"
			    "\"order\":%d}",
			 f ? "," : "", i, f, f, f, kinds[f],
			 f % 3 ? "false" : "true", f);
	buf_adds(b, "],\"relationships\":[");
	if (i > 0)
		buf_addf(b, "{\"id\":\"r%d\",\"name\":\"field19\",\"type\":"
			    "\"manyToOne\",\"sourceContentTypeId\":\"t%d\","
			    "\"targetContentTypeId\":\"t%d\",\"fieldName\":"
			    "\"field19\",\"isRequired\":false}",
			 i, i, i - 1);
	buf_adds(b, "]}");
}

static int generate(const char *path, int n)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	struct buf fields = BUF_INIT, name = BUF_INIT, id = BUF_INIT;

	unlink(path);
	if (sqlite3_open(path, &db) != SQLITE_OK ||
	    sqlite3_exec(db, schema, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
			       "INSERT INTO \"ContentType\" VALUES "
			       "(?1,'w1',?2,?3,NULL,?4,?4)",
			       -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "bench: %s\n", sqlite3_errmsg(db));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		buf_reset(&fields);
		buf_reset(&name);
		buf_reset(&id);
		add_fields(&fields, i);
		buf_addf(&name, "Type %d", i);
		buf_addf(&id, "t%d", i);
		sqlite3_bind_text(st, 1, id.ptr, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, name.ptr, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, fields.ptr, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, 1755000000000LL + i);
		if (sqlite3_step(st) != SQLITE_DONE) {
			fprintf(stderr, "bench: %s\n", sqlite3_errmsg(db));
			return -1;
		}
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(db);
	buf_release(&fields);
	buf_release(&name);
	buf_release(&id);
	return 0;
}

struct tally {
	long types, errors, properties;
};

static int count_type(struct model_type *t, void *payload)
{
	struct tally *c = payload;

	c->types++;
	if (t->error || findings_count(&t->findings, FINDING_ERROR))
		c->errors++;
	if (t->target)
		c->properties += (long)json_object_size(
			json_object_get(t->target, "properties"));
	return 0;
}

/* The model's knobs, from the command line. */
static int opt_serial;
static size_t opt_window;

static int run(int n)
{
	char path[] = "/tmp/cs-bench-extract-XXXXXX.db";
	struct catalyst_db *db = NULL;
	struct model m;
	struct tally c = { 0 };
	struct rusage ru, ru0;
	long long t0, t1;
	double cpu;
	int fd = mkstemps(path, 3);

	if (fd < 0)
		return -1;
	close(fd);
	if (generate(path, n) < 0)
		return -1;
	getrusage(RUSAGE_SELF, &ru0);
	t0 = time_mono_ms();
	if (catalyst_db_open(&db, path) < 0 ||
	    model_open(&m, db, "w1", NULL, NULL) < 0) {
		fprintf(stderr, "bench: pipeline failed\n");
		return -1;
	}
	m.serial = opt_serial;
	m.window = opt_window;
	if (model_each(&m, count_type, &c) < 0) {
		fprintf(stderr, "bench: pipeline failed\n");
		return -1;
	}
	t1 = time_mono_ms();
	getrusage(RUSAGE_SELF, &ru);
	cpu = (double)(ru.ru_utime.tv_sec - ru0.ru_utime.tv_sec) +
	      (double)(ru.ru_stime.tv_sec - ru0.ru_stime.tv_sec) +
	      (double)(ru.ru_utime.tv_usec - ru0.ru_utime.tv_usec) / 1e6 +
	      (double)(ru.ru_stime.tv_usec - ru0.ru_stime.tv_usec) / 1e6;
	model_release(&m);
	catalyst_db_close(db);
	unlink(path);
	getrusage(RUSAGE_SELF, &ru);
	printf("%6d types x 20 fields: %7.3f s  %8.0f types/s  cpu %6.3f s"
	       "  peak RSS %5.1f MB  (%ld properties, %ld types with errors)\n",
	       n, (t1 - t0) / 1000.0,
	       t1 > t0 ? n * 1000.0 / (double)(t1 - t0) : 0.0, cpu,
	       ru.ru_maxrss / 1024.0, c.properties, c.errors);
	return c.types == n ? 0 : -1;
}

int main(int argc, char **argv)
{
	int sizes[] = { 100, 1000, 10000 };
	int ret = 0, i = 1;

	if (argc == 4 && strcmp(argv[1], "--write-db") == 0)
		return generate(argv[2], (int)strtol(argv[3], NULL, 10)) < 0;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--serial")) {
			opt_serial = 1;
		} else if (!strcmp(argv[i], "--window") && i + 1 < argc) {
			opt_window = (size_t)strtoul(argv[++i], NULL, 10);
		} else {
			fprintf(stderr, "usage: bench_extract [--serial] "
					"[--window W] [N...]\n");
			return 2;
		}
	}
	if (i < argc) {
		for (; i < argc; i++)
			ret |= run((int)strtol(argv[i], NULL, 10));
	} else {
		for (size_t k = 0; k < sizeof(sizes) / sizeof(*sizes); k++)
			ret |= run(sizes[k]);
	}
	return ret ? 1 : 0;
}
