/*
 * Helpers shared by the unit tests: fixture paths and temporary Catalyst
 * databases built from the SQL fixtures.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "testlib.h"
#include "util/buf.h"

const char *const test_samples[TEST_NR_SAMPLES] = {
	"01-seed938-blog-post.json",
	"02-seed938-author.json",
	"03-seed938-product.json",
	"04-seed938-project.json",
	"05-seedtestdata938-seeded-blog-post.json",
	"06-ui938-newcontenttype.json",
	"07-ui938-author.json",
	"08-ui938-article.json",
	"09-ai938-blogpost.json",
	"10-ai938-product.json",
};

void test_fixture_path(struct buf *b, const char *name)
{
	const char *dir = getenv("CS_FIXTURES");

	buf_reset(b);
	buf_addf(b, "%s/catalyst/%s", dir ? dir : "fixtures", name);
}

int test_read_file(struct buf *out, const char *path)
{
	char chunk[8192];
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f)
		return -1;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(out, chunk, n);
	fclose(f);
	return 0;
}

/* A new temporary file name (the file exists, empty); caller unlinks. */
char *test_temp_path(void)
{
	const char *dir = getenv("TMPDIR");
	struct buf b = BUF_INIT;
	int fd;

	buf_addf(&b, "%s/cs-unit-XXXXXX", dir && *dir ? dir : "/tmp");
	fd = mkstemp(b.ptr);
	if (fd < 0) {
		perror("mkstemp");
		exit(2);
	}
	close(fd);
	return buf_detach(&b, NULL);
}

/*
 * Runs SQL (fixture files, NULL-terminated, then extra if not NULL) into a
 * new temporary database; returns its path.
 */
char *test_build_db(const char *const *files, const char *extra)
{
	char *path = test_temp_path();
	struct buf sql = BUF_INIT, fp = BUF_INIT;
	char *msg = NULL;
	sqlite3 *db = NULL;

	if (sqlite3_open(path, &db) != SQLITE_OK) {
		fprintf(stderr, "cannot create %s\n", path);
		exit(2);
	}
	for (; files && *files; files++) {
		test_fixture_path(&fp, *files);
		buf_reset(&sql);
		if (test_read_file(&sql, fp.ptr) < 0) {
			fprintf(stderr, "cannot read %s\n", fp.ptr);
			exit(2);
		}
		if (sqlite3_exec(db, sql.ptr, NULL, NULL, &msg) != SQLITE_OK) {
			fprintf(stderr, "%s: %s\n", fp.ptr, msg);
			exit(2);
		}
	}
	if (extra && sqlite3_exec(db, extra, NULL, NULL, &msg) != SQLITE_OK) {
		fprintf(stderr, "extra SQL: %s\n", msg);
		exit(2);
	}
	sqlite3_close(db);
	buf_release(&sql);
	buf_release(&fp);
	return path;
}

