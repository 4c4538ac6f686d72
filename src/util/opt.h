/*
 * opt: one option table per command drives parsing, usage and --help.
 *
 *	static const char *format;
 *	static int json;
 *	static const struct opt_spec export_opts[] = {
 *		OPT_STRING_("form", 0, &format, "FORM", "optimizely or
 *catalyst"), OPT_FLAG_("json", 0, &json, "print one JSON array"), OPT_END_()
 *	};
 *
 * Long options take their value as "--form=x" or "--form x". Short options
 * are single letters. "--" ends the options. Arguments that are not options
 * are collected in order as positionals.
 */
#ifndef UTIL_OPT_H
#define UTIL_OPT_H

#include <stdio.h>

enum opt_kind {
	OPT_KIND_END = 0,
	OPT_KIND_FLAG,	 /* int *: set to 1 */
	OPT_KIND_STRING, /* const char **: points into argv */
	OPT_KIND_INT,	 /* long *: a checked decimal number */
	OPT_KIND_LIST,	 /* struct opt_list *: repeatable, comma-separated */
	OPT_KIND_GROUP	 /* a heading in --help, no option */
};

struct opt_list {
	char **items;
	size_t nr, alloc;
};

struct opt_spec {
	enum opt_kind kind;
	const char *long_name;
	char short_name;
	void *dest;
	const char *arg_name;
	const char *help;
};

#define OPT_FLAG_(l, s, d, h)                                                  \
	{                                                                      \
		OPT_KIND_FLAG, (l), (s), (d), NULL, (h)                        \
	}
#define OPT_STRING_(l, s, d, a, h)                                             \
	{                                                                      \
		OPT_KIND_STRING, (l), (s), (d), (a), (h)                       \
	}
#define OPT_INT_(l, s, d, a, h)                                                \
	{                                                                      \
		OPT_KIND_INT, (l), (s), (d), (a), (h)                          \
	}
#define OPT_LIST_(l, s, d, a, h)                                               \
	{                                                                      \
		OPT_KIND_LIST, (l), (s), (d), (a), (h)                         \
	}
#define OPT_GROUP_(h)                                                          \
	{                                                                      \
		OPT_KIND_GROUP, NULL, 0, NULL, NULL, (h)                       \
	}
#define OPT_END_()                                                             \
	{                                                                      \
		OPT_KIND_END, NULL, 0, NULL, NULL, NULL                        \
	}

/*
 * Parses argv[0..argc) against one or more tables (tables is NULL-ended, so
 * a command's own table and the global one are parsed together). Writes
 * non-option arguments to positionals (caller-sized argc entries) and their
 * count to nr_out. "-h"/"--help" sets *help_out. Returns 0, or ERR_USAGE
 * with a message naming the option.
 */
int opt_parse(const struct opt_spec *const *tables, int argc, char **argv,
	      char **positionals, int *nr_out, int *help_out);

/* Writes "usage: SYNOPSIS", the description and each table's options. */
void opt_usage(FILE *out, const char *synopsis, const char *description,
	       const struct opt_spec *const *tables);

/* Appends a copy of item, as a repeated option would. */
void opt_list_add(struct opt_list *l, const char *item);
void opt_list_release(struct opt_list *l);

#endif
