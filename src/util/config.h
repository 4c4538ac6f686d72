/*
 * config: catalyst-sync's configuration (brief §16).
 *
 * Every key is declared once, in the table in config.c, with its type,
 * default, bounds, environment variable and help; the YAML file, the
 * environment and the command-line flags all go through that table.
 * Precedence: defaults < file < environment < flags. Errors cite
 * file:line:column from the YAML marks.
 *
 * The file is --config FILE, else $CATALYST_SYNC_CONFIG, else
 * ./catalyst-sync.yaml when it exists; no file at all is fine.
 */
#ifndef UTIL_CONFIG_H
#define UTIL_CONFIG_H

#include <stddef.h>

struct config_target {
	char *name; /* the key under sync.platforms ("optimizely") */
	char *url;
	char *api_version; /* "v1" or "preview3" */
	char *client_id;
	char *client_secret;
	char *client_secret_file;
	long concurrency;
	long long timeout_ms;
	long retries;
	long rate_limit; /* requests per minute; 0 = none */
	char *ca_file;
};

struct config {
	char *path; /* the file read, or NULL */
	char *database;
	char *website;
	char *mode;     /* push | pull | bidirectional */
	char *state_storage;
	long long retention_ms;
	char *durability; /* normal | full */
	char *strategy;   /* merge | local | remote | manual */
	char *backup;     /* enabled | disabled */
	char *validation; /* strict | lenient */
	struct config_target *targets;
	size_t targets_nr;
	/* Notices for the user (legacy form, readable secrets); the caller
	 * prints them. */
	char **notices;
	size_t notices_nr;
};

/* Command-line values that override everything else (NULL: not given). */
struct config_flags {
	const char *config_path;
	const char *database;
	const char *website;
};

/*
 * Loads the configuration into *out (free with config_free). env is a
 * getenv-like function (NULL: getenv), so tests can pass their own.
 * Returns 0, ERR_NOTFOUND when a named file is missing, or ERR_INVALID
 * with "FILE:LINE:COLUMN: ..." for a bad file or value.
 */
int config_load(struct config **out, const struct config_flags *flags,
		const char *(*env)(const char *name))
	__attribute__((warn_unused_result));
void config_free(struct config *c);

/* The target named name, or the only/first one when name is NULL; NULL
 * when there is none. */
const struct config_target *config_target(const struct config *c,
					  const char *name);

/* Appends a description of every key (name, type, default, env) to out,
 * for docs and --help. */
struct buf;
void config_describe(struct buf *out);

#endif
