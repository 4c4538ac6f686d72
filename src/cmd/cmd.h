/*
 * cmd: the subcommands of catalyst-sync and what they share.
 *
 * Each command lives in cmd_<verb>.c with one static option table that
 * drives its parsing, usage and --help. Only this layer writes user-facing
 * output, and only main.c exits.
 */
#ifndef CMD_CMD_H
#define CMD_CMD_H

#include "util/opt.h"

struct config;

/* Exit codes of brief §16 (docs/exit-codes.md). */
enum exit_code {
	EXIT_OK = 0,
	EXIT_ERROR = 1,
	EXIT_CHANGES = 2,
	EXIT_ATTENTION = 3,
	EXIT_PARTIAL = 4,
	EXIT_USAGE = 64,
	EXIT_INTERRUPTED = 130
};

/* What every command may use: global options and the loaded config. */
struct ctx {
	/* Global options, as given on the command line (NULL when not). */
	const char *config_path;
	const char *database;
	const char *website;
	const char *trace;
	int verbose;
	int quiet;
	/* Loaded on demand by ctx_config(). */
	struct config *config;
};

/* The global options, accepted before or after the command name. */
extern const struct opt_spec global_opts[];

/*
 * Loads the configuration once (file, environment, flags; brief §16) and
 * returns it in *out (borrowed from ctx). Errors cite file:line:column.
 */
int ctx_config(struct ctx *ctx, struct config **out)
	__attribute__((warn_unused_result));
void ctx_release(struct ctx *ctx);

/*
 * Opens the configured Catalyst database and lists the websites to work on
 * as a new JSON array of {id, name}: the one --website or source.website
 * names, else every website. Errors say how to name the database.
 */
struct catalyst_db;
#include <jansson.h>
int ctx_open_catalyst(struct ctx *ctx, struct catalyst_db **db_out,
		      json_t **websites_out) __attribute__((warn_unused_result));

/*
 * Parses a command's arguments against its table and the global table.
 * Returns 0 and fills positionals; 1 when --help was printed (the command
 * returns EXIT_OK); or ERR_USAGE. max_positionals bounds what is accepted.
 */
int cmd_parse(struct ctx *ctx, int argc, char **argv,
	      const struct opt_spec *opts, const char *synopsis,
	      const char *description, char **positionals, int *nr_out,
	      int max_positionals) __attribute__((warn_unused_result));

/*
 * Runs fn on every type of the websites to work on (ctx_open_catalyst), or
 * on the one type_spec names (a key, an id, or a name unique in its
 * website; NULL: all). fn gets the website ({id, name}) too.
 */
struct model_type;
typedef int (*ctx_type_fn)(struct model_type *t, const json_t *website,
			   void *payload);
int ctx_each_type(struct ctx *ctx, const char *type_spec, ctx_type_fn fn,
		  void *payload) __attribute__((warn_unused_result));

/*
 * Opens the configured state store (sync.state.storage, with its
 * durability). Without create, a missing store is ERR_NOTFOUND with a
 * message that says to run 'catalyst-sync init'.
 */
struct store;
int ctx_open_store(struct ctx *ctx, int create, struct store **out)
	__attribute__((warn_unused_result));

/* The configured Catalyst database's path (borrowed), or ERR_USAGE saying
 * how to give one. */
int ctx_database(struct ctx *ctx, const char **path_out)
	__attribute__((warn_unused_result));

/*
 * Opens the state store (which must exist) and the Catalyst database
 * read-write, and brings the version history up to date (history_sync:
 * unfinished intents, the changelog, a scan when the triggers are
 * missing). The caller closes both.
 */
struct capture;
int ctx_open_history(struct ctx *ctx, struct store **s_out,
		     struct capture **c_out) __attribute__((warn_unused_result));

/*
 * Opens the configured target (the only sync.platforms entry, or the one
 * named "optimizely"); *cfg_out (may be NULL) is its configuration,
 * borrowed from ctx. Errors say what is missing and where to set it.
 */
struct target;
struct config_target;
int ctx_open_target(struct ctx *ctx, struct target **out,
		    const struct config_target **cfg_out)
	__attribute__((warn_unused_result));

/* A content type named on the command line, resolved. */
struct ctx_type {
	char *id;         /* the Catalyst id */
	char *website_id;
	char *name;       /* may be NULL for a type known only by history */
	char *key;        /* its Optimizely key (persisted, else generated) */
	int in_catalyst;  /* 0: deleted in Catalyst, known from the history */
};
void ctx_type_release(struct ctx_type *t);

/*
 * Resolves spec (a key, an id, or a name unique in its website) among the
 * websites to work on, using the persisted keys of store (may be NULL).
 * A type deleted in Catalyst is still found by its id or persisted key
 * when store has its history. ERR_NOTFOUND, or ERR_INVALID when spec is
 * ambiguous. out is released with ctx_type_release.
 */
int ctx_find_type(struct ctx *ctx, struct store *store, const char *spec,
		  struct ctx_type *out) __attribute__((warn_unused_result));

int cmd_help(int argc, char **argv, struct ctx *ctx);
int cmd_validate(int argc, char **argv, struct ctx *ctx);
int cmd_export(int argc, char **argv, struct ctx *ctx);
int cmd_init(int argc, char **argv, struct ctx *ctx);
int cmd_record(int argc, char **argv, struct ctx *ctx);
int cmd_log(int argc, char **argv, struct ctx *ctx);
int cmd_show(int argc, char **argv, struct ctx *ctx);
int cmd_diff(int argc, char **argv, struct ctx *ctx);
int cmd_status(int argc, char **argv, struct ctx *ctx);
int cmd_map(int argc, char **argv, struct ctx *ctx);
int cmd_plan(int argc, char **argv, struct ctx *ctx);
int cmd_apply(int argc, char **argv, struct ctx *ctx);
int cmd_resume(int argc, char **argv, struct ctx *ctx);
int cmd_pull(int argc, char **argv, struct ctx *ctx);
int cmd_conflicts(int argc, char **argv, struct ctx *ctx);
int cmd_resolve(int argc, char **argv, struct ctx *ctx);
int cmd_rollback(int argc, char **argv, struct ctx *ctx);
int cmd_history(int argc, char **argv, struct ctx *ctx);
int cmd_runs(int argc, char **argv, struct ctx *ctx);
int cmd_gc(int argc, char **argv, struct ctx *ctx);
int cmd_demo(int argc, char **argv, struct ctx *ctx);

struct command {
	const char *name;
	int (*fn)(int argc, char **argv, struct ctx *ctx);
	const char *summary;
};

/* The command table (main.c), NULL-terminated. */
extern const struct command commands[];

#endif
