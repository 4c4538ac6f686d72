#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"
#include "util/config.h"
#include "util/err.h"

static char dir[] = "/tmp/cs-t-config.XXXXXX";
static const char *fake_env[16][2];

static const char *env_of(const char *name)
{
	for (int i = 0; i < 16 && fake_env[i][0]; i++)
		if (!strcmp(fake_env[i][0], name))
			return fake_env[i][1];
	return NULL;
}

static void set_env(int i, const char *name, const char *value)
{
	fake_env[i][0] = name;
	fake_env[i][1] = value;
	if (i + 1 < 16)
		fake_env[i + 1][0] = NULL;
}

static char *write_file(const char *name, const char *text, int mode)
{
	static char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	chmod(path, (mode_t)mode);
	return path;
}

static int load(struct config **c, const char *path, const char *db)
{
	struct config_flags flags = { path, db, NULL };

	err_clear();
	return config_load(c, &flags, env_of);
}

static void test_defaults(void)
{
	struct config *c;

	set_env(0, NULL, NULL);
	is_int(load(&c, NULL, NULL), 0, "no file and no environment is fine");
	is_str(c->mode, "push", "mode defaults to push");
	is_str(c->strategy, "merge", "strategy defaults to merge");
	is_int(c->retention_ms, 30LL * 86400 * 1000, "retention 30d");
	is_str(c->validation, "strict", "validation defaults to strict");
	ok(!c->database, "no database unless told");
	is_int(c->targets_nr, 0, "no target unless told");
	config_free(c);
}

static void test_file_env_flags(void)
{
	struct config *c;
	const struct config_target *t;
	char *path = write_file("a.yaml",
				"source:\n"
				"  database: ./catalyst.db\n"
				"  website: TechVerse Blog\n"
				"sync:\n"
				"  mode: bidirectional\n"
				"  platforms:\n"
				"    staging:\n"
				"      url: http://127.0.0.1:9\n"
				"      api_version: preview3\n"
				"      auth: { client_id: abc }\n"
				"      options: { concurrency: 4, timeout: 500ms }\n"
				"  state:\n"
				"    retention: 12h\n",
				0600);
	char want[4200];

	set_env(0, NULL, NULL);
	is_int(load(&c, path, NULL), 0, "a full file loads");
	snprintf(want, sizeof(want), "%s/./catalyst.db", dir);
	is_str(c->database, want, "relative paths are relative to the file");
	is_str(c->website, "TechVerse Blog", "website from the file");
	is_str(c->mode, "bidirectional", "mode from the file");
	is_int(c->retention_ms, 12LL * 3600 * 1000, "durations parse");
	t = config_target(c, NULL);
	ok(t && !strcmp(t->name, "staging"), "the target is named");
	is_str(t->api_version, "preview3", "target api_version");
	is_int(t->concurrency, 4, "flow mappings work");
	is_int(t->timeout_ms, 500, "500ms");
	is_int(t->retries, 6, "unset target keys keep defaults");
	is_str(t->client_id, "abc", "client id from the file");
	config_free(c);

	set_env(0, "DATABASE_PATH", "/env/db");
	set_env(1, "OPTIMIZELY_CMS_CLIENT_ID", "from-env");
	is_int(load(&c, path, NULL), 0, "file plus environment");
	is_str(c->database, "/env/db", "environment beats the file");
	is_str(config_target(c, NULL)->client_id, "from-env",
	       "target environment goes to the only target");
	config_free(c);

	is_int(load(&c, path, "/flag/db"), 0, "file, environment and flag");
	is_str(c->database, "/flag/db", "the flag beats the environment");
	config_free(c);
}

static void test_env_only_target(void)
{
	struct config *c;
	const struct config_target *t;

	set_env(0, "OPTIMIZELY_API_URL", "http://legacy:1");
	set_env(1, "OPTIMIZELY_CMS_CLIENT_SECRET", "s3cret");
	is_int(load(&c, NULL, NULL), 0, "environment alone makes a target");
	t = config_target(c, "optimizely");
	ok(t != NULL, "named optimizely");
	is_str(t ? t->url : NULL, "http://legacy:1", "legacy URL variable read");
	ok(c->notices_nr == 1 && strstr(c->notices[0], "OPTIMIZELY_API_URL"),
	   "with a notice");
	config_free(c);
}

static void test_legacy_block(void)
{
	struct config *c;
	char *path = write_file("legacy.yaml",
				"optimizely:\n"
				"  clientId: id1\n"
				"  clientSecret: sec1\n",
				0644);

	set_env(0, NULL, NULL);
	is_int(load(&c, path, NULL), 0, "the PoC's legacy form loads");
	is_str(config_target(c, "optimizely")->client_id, "id1", "clientId");
	is_str(config_target(c, "optimizely")->client_secret, "sec1",
	       "clientSecret");
	is_int(c->notices_nr, 2, "a legacy notice and a readable-secret one");
	ok(c->notices_nr == 2 && strstr(c->notices[0], "legacy.yaml:1:1") &&
		   strstr(c->notices[1], "chmod 600"),
	   "the notices say where and what to do");
	config_free(c);
}

static void test_errors(void)
{
	struct config *c = NULL;
	char *path;

	set_env(0, NULL, NULL);
	path = write_file("u.yaml", "sync:\n  mode: push\n  stat:\n    x: 1\n",
			  0600);
	is_int(load(&c, path, NULL), ERR_INVALID, "an unknown key is an error");
	ok(strstr(err_msg(), "u.yaml:4:8: unknown setting 'sync.stat.x'") != NULL,
	   "citing file:line:column and the key (%s)", err_msg());
	ok(c == NULL, "and gives no config");

	path = write_file("e.yaml", "sync:\n  mode: sideways\n", 0600);
	is_int(load(&c, path, NULL), ERR_INVALID, "a bad choice is an error");
	ok(strstr(err_msg(), "e.yaml:2:9: sync.mode must be one of "
			     "push|pull|bidirectional, not 'sideways'") != NULL,
	   "that lists the choices (%s)", err_msg());

	path = write_file("d.yaml", "sync:\n  state:\n    retention: 3 weeks\n",
			  0600);
	is_int(load(&c, path, NULL), ERR_INVALID, "a bad duration is an error");
	ok(strstr(err_msg(), "d.yaml:3:16") != NULL, "at its place (%s)",
	   err_msg());

	path = write_file("s.yaml", "sync:\n  mode: [push\n", 0600);
	is_int(load(&c, path, NULL), ERR_INVALID, "broken YAML is an error");
	ok(strstr(err_msg(), "s.yaml:3:1") != NULL, "with its place (%s)",
	   err_msg());

	path = write_file("n.yaml",
			  "sync:\n  platforms:\n    x:\n      options:\n"
			  "        concurrency: 500\n",
			  0600);
	is_int(load(&c, path, NULL), ERR_INVALID, "out of bounds is an error");
	ok(strstr(err_msg(), "between 1 and 64") != NULL, "naming the bounds");

	is_int(load(&c, "/nonexistent/cs.yaml", NULL), ERR_NOTFOUND,
	       "a named file that is missing is an error");
	ok(strstr(err_msg(), "/nonexistent/cs.yaml") != NULL, "naming it");

	set_env(0, "CATALYST_SYNC_CONFIG", "/nonexistent/env.yaml");
	is_int(load(&c, NULL, NULL), ERR_NOTFOUND,
	       "CATALYST_SYNC_CONFIG names the file too");
	set_env(0, NULL, NULL);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	plan_lazy();
	test_defaults();
	test_file_env_flags();
	test_env_only_target();
	test_legacy_block();
	test_errors();
	{
		char cmd[4200];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd))
			diag("could not remove %s", dir);
	}
	return done_testing();
}
