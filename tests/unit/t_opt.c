#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "util/err.h"
#include "util/opt.h"

static int json;
static const char *form;
static long conc;
static struct opt_list types;

static const struct opt_spec opts[] = {
	OPT_FLAG_("json", 'j', &json, "print JSON"),
	OPT_STRING_("form", 0, &form, "FORM", "the form"),
	OPT_INT_("concurrency", 'c', &conc, "N", "requests at once"),
	OPT_LIST_("type", 0, &types, "KEY", "only these types"),
	OPT_END_()
};

/* Command lines are arrays of literals; opt_parse wants char **. */
static char *args[16];
static int argn;

static char **argv_of(const char *const *in, int n)
{
	for (int i = 0; i < argn; i++)
		free(args[i]);
	for (int i = 0; i < n; i++)
		args[i] = strdup(in[i]);
	argn = n;
	return args;
}

static int parse(int argc, const char *const *in, char **pos, int *nr,
		 int *help)
{
	const struct opt_spec *tables[] = { opts, NULL };
	char **argv = argv_of(in, argc);

	json = 0;
	form = NULL;
	conc = 0;
	opt_list_release(&types);
	err_clear();
	return opt_parse(tables, argc, argv, pos, nr, help);
}

int main(void)
{
	char *pos[8];
	int nr, help;
	const char *const a1[] = { "x", "--json", "--form=catalyst", "-c", "4", "y",
		       "--type", "A,B", "--type=C", "--", "--z" };
	const char *const a2[] = { "--form" };
	const char *const a3[] = { "--nope" };
	const char *const a4[] = { "-c", "four" };
	const char *const a5[] = { "--json=1" };
	const char *const a6[] = { "-h" };
	const char *const a7[] = { "-jc" };
	char *out = NULL;
	size_t len = 0;
	FILE *f;
	const struct opt_spec *tables[] = { opts, NULL };

	plan_lazy();
	is_int(parse(11, a1, pos, &nr, &help), 0, "a full command line parses");
	ok(json == 1, "flags");
	is_str(form, "catalyst", "--name=value");
	is_int(conc, 4, "-c N");
	is_int(types.nr, 3, "lists repeat and split on commas");
	ok(types.nr == 3 && !strcmp(types.items[2], "C"), "in order");
	is_int(nr, 3, "positionals are kept, -- ends options");
	ok(nr == 3 && !strcmp(pos[0], "x") && !strcmp(pos[1], "y") &&
		   !strcmp(pos[2], "--z"),
	   "in order");
	is_int(parse(1, a2, pos, &nr, &help), ERR_USAGE, "a missing value");
	ok(strstr(err_msg(), "'--form' needs a value (FORM)") != NULL,
	   "says which option and what it wants");
	is_int(parse(1, a3, pos, &nr, &help), ERR_USAGE, "an unknown option");
	ok(strstr(err_msg(), "unknown option '--nope'") != NULL, "is named");
	is_int(parse(2, a4, pos, &nr, &help), ERR_USAGE, "a bad number");
	ok(strstr(err_msg(), "expects a number, not 'four'") != NULL,
	   "says what it got");
	is_int(parse(1, a5, pos, &nr, &help), ERR_USAGE,
	       "a value for a flag is refused");
	is_int(parse(1, a6, pos, &nr, &help), 0, "-h parses");
	ok(help == 1, "and asks for help");
	is_int(parse(1, a7, pos, &nr, &help), ERR_USAGE,
	       "short options do not combine");
	opt_list_release(&types);

	f = open_memstream(&out, &len);
	opt_usage(f, "tool x [--json]", "Does x.", tables);
	fclose(f);
	ok(strstr(out, "usage: tool x [--json]\n\nDoes x.\n\nOptions:\n") != NULL,
	   "usage starts with the synopsis and description");
	ok(strstr(out, "    -j, --json                print JSON\n") != NULL,
	   "and lists each option with its help");
	ok(strstr(out, "    -c, --concurrency N") != NULL, "with its value name");
	free(out);
	argv_of(NULL, 0);
	return done_testing();
}
