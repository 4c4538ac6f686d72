/*
 * catalyst-sync: keeps Catalyst Studio content types in sync with
 * Optimizely CMS. This file holds the command table, turns errors into exit
 * codes, and is the only place that exits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "target/http.h"
#include "util/err.h"
#include "util/log.h"

const struct command commands[] = {
	{ "init", cmd_init,
	  "set up the state store and change capture in Catalyst" },
	{ "status", cmd_status,
	  "show each type's key, head, branches and sync state" },
	{ "validate", cmd_validate,
	  "check the Catalyst model against Catalyst's and Optimizely's rules" },
	{ "export", cmd_export,
	  "print the content types as Optimizely (or Catalyst) documents" },
	{ "diff", cmd_diff, "show what changed between two versions" },
	{ "log", cmd_log, "list the versions of a content type" },
	{ "show", cmd_show, "show one version of a content type" },
	{ "record", cmd_record,
	  "record an edit (AI or UI) and write it to Catalyst" },
	{ "map", cmd_map, "bind a content type to an existing remote key" },
	{ "plan", cmd_plan, "show what a sync would do, type by type" },
	{ "apply", cmd_apply, "apply a plan to the CMS (journaled, resumable)" },
	{ "resume", cmd_resume, "finish an interrupted run" },
	{ "pull", cmd_pull, "bring changes made in the CMS into Catalyst" },
	{ "conflicts", cmd_conflicts, "list conflicts with a three-way view" },
	{ "resolve", cmd_resolve,
	  "settle a conflict with a strategy or a merge file" },
	{ "rollback", cmd_rollback,
	  "take a type back to a version, or undo a run" },
	{ "history", cmd_history, "list the sync history, newest first" },
	{ "runs", cmd_runs, "list the runs of apply and how they ended" },
	{ "gc", cmd_gc, "remove runs, history and backups past the retention" },
	{ "demo", cmd_demo,
	  "run a whole sync against a local emulator, nothing to set up" },
	{ "help", cmd_help, "show help for catalyst-sync or a command" },
	{ NULL, NULL, NULL }
};

static const struct command *find_command(const char *name)
{
	for (const struct command *c = commands; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

static int exit_code_for(int ret)
{
	if (ret >= 0)
		return ret;
	switch (ret) {
	case ERR_USAGE:
		return EXIT_USAGE;
	case ERR_ATTENTION:
		return EXIT_ATTENTION;
	default:
		return EXIT_ERROR;
	}
}

int main(int argc, char **argv)
{
	struct ctx ctx = { 0 };
	const struct command *cmd;
	int i, ret;

	/* Global options may come before the command name. */
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--version")) {
			printf("catalyst-sync %s\n", CS_VERSION);
			return EXIT_OK;
		}
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return exit_code_for(cmd_help(0, NULL, &ctx));
		if (argv[i][1] == '-' && strchr(argv[i], '='))
			continue;
		/* An option with a separate value: skip the value. */
		if (!strcmp(argv[i], "--config") ||
		    !strcmp(argv[i], "--database") ||
		    !strcmp(argv[i], "--website") ||
		    !strcmp(argv[i], "--trace"))
			i++;
	}
	/* libcurl's global state, before any thread can start. */
	if (http_global_init() < 0) {
		fprintf(stderr, "catalyst-sync: %s\n", err_msg());
		return EXIT_ERROR;
	}
	if (i >= argc) {
		cmd_help(0, NULL, &ctx);
		return EXIT_USAGE;
	}
	cmd = find_command(argv[i]);
	if (!cmd) {
		fprintf(stderr,
			"catalyst-sync: '%s' is not a command; see "
			"'catalyst-sync --help'\n",
			argv[i]);
		return EXIT_USAGE;
	}
	/* The command parses the global options wherever they stand. */
	{
		int n = argc - 2;
		char **args = calloc((size_t)n + 1, sizeof(*args));
		int k = 0;

		if (!args)
			abort();
		for (int j = 1; j < argc; j++)
			if (j != i)
				args[k++] = argv[j];
		err_clear();
		ret = cmd->fn(k, args, &ctx);
		free(args);
	}
	if (ret < 0 && err_msg()[0])
		fprintf(stderr, "catalyst-sync: %s\n", err_msg());
	if (ret == ERR_USAGE)
		fprintf(stderr, "see 'catalyst-sync %s --help'\n", cmd->name);
	ctx_release(&ctx);
	log_clear_secrets();
	http_global_cleanup();
	return exit_code_for(ret);
}
