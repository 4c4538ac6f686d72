/*
 * catalyst-sync help [COMMAND]
 */
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "util/err.h"

static void print_overview(void)
{
	printf("usage: catalyst-sync [--config FILE] [--database PATH] "
	       "[--website ID|NAME] COMMAND [ARGS]\n\n"
	       "Keeps Catalyst Studio content types in sync with Optimizely "
	       "CMS.\n\nCommands:\n");
	for (const struct command *c = commands; c->name; c++)
		printf("    %-12s%s\n", c->name, c->summary);
	printf("\nRun 'catalyst-sync COMMAND --help' for a command's options, "
	       "and see docs/ for\nthe configuration, exit codes and JSON "
	       "formats.\n");
}

int cmd_help(int argc, char **argv, struct ctx *ctx)
{
	char *help_argv[] = { (char *)"--help", NULL };

	if (argc < 1) {
		print_overview();
		return EXIT_OK;
	}
	for (const struct command *c = commands; c->name; c++)
		if (!strcmp(c->name, argv[0]) && c->fn != cmd_help)
			return c->fn(1, help_argv, ctx);
	if (!strcmp(argv[0], "help")) {
		print_overview();
		return EXIT_OK;
	}
	return err_set(ERR_USAGE, "'%s' is not a command", argv[0]);
}
