/*
 * testlib: helpers shared by the unit tests.
 */
#ifndef TESTS_TESTLIB_H
#define TESTS_TESTLIB_H

struct buf;

/* The sample Catalyst rows under fixtures/catalyst/, 01 to 10. */
extern const char *const test_samples[];
#define TEST_NR_SAMPLES 10

/* $CS_FIXTURES/catalyst/NAME into b (reset first). */
void test_fixture_path(struct buf *b, const char *name);
/* Appends the whole file to out; -1 when it cannot be read. */
int test_read_file(struct buf *out, const char *path);
/* A new empty temporary file; the caller unlinks and frees the path. */
char *test_temp_path(void);
/*
 * Runs SQL (fixture files under catalyst/, NULL-terminated, then extra if
 * not NULL) into a new temporary database; returns its path (caller unlinks
 * and frees). Exits 2 when the fixtures are broken.
 */
char *test_build_db(const char *const *files, const char *extra);

#endif
