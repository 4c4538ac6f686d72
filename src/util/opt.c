#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/opt.h"
#include "util/xalloc.h"

static const struct opt_spec *find_long(const struct opt_spec *const *tables,
					const char *name, size_t n)
{
	for (; *tables; tables++)
		for (const struct opt_spec *o = *tables; o->kind; o++)
			if (o->long_name && strlen(o->long_name) == n &&
			    !strncmp(o->long_name, name, n))
				return o;
	return NULL;
}

static const struct opt_spec *find_short(const struct opt_spec *const *tables,
					 char c)
{
	for (; *tables; tables++)
		for (const struct opt_spec *o = *tables; o->kind; o++)
			if (o->short_name && o->short_name == c)
				return o;
	return NULL;
}

static int takes_value(const struct opt_spec *o)
{
	return o->kind == OPT_KIND_STRING || o->kind == OPT_KIND_INT ||
	       o->kind == OPT_KIND_LIST;
}

static void list_add(struct opt_list *l, const char *value)
{
	const char *p = value;

	while (1) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);

		if (n) {
			ALLOC_GROW(l->items, l->nr + 1, l->alloc);
			l->items[l->nr++] = xstrndup(p, n);
		}
		if (!end)
			break;
		p = end + 1;
	}
}

static int set_value(const struct opt_spec *o, const char *value)
{
	switch (o->kind) {
	case OPT_KIND_FLAG:
		*(int *)o->dest = 1;
		return 0;
	case OPT_KIND_STRING:
		*(const char **)o->dest = value;
		return 0;
	case OPT_KIND_INT: {
		char *end;
		long v;

		errno = 0;
		v = strtol(value, &end, 10);
		if (errno || end == value || *end)
			return err_set(
				ERR_USAGE,
				"option '--%s' expects a number, not '%s'",
				o->long_name, value);
		*(long *)o->dest = v;
		return 0;
	}
	case OPT_KIND_LIST:
		list_add(o->dest, value);
		return 0;
	default:
		return err_set(ERR_USAGE, "bad option table");
	}
}

int opt_parse(const struct opt_spec *const *tables, int argc, char **argv,
	      char **positionals, int *nr_out, int *help_out)
{
	int nr = 0;
	int only_positionals = 0;

	*help_out = 0;
	for (int i = 0; i < argc; i++) {
		char *arg = argv[i];
		const struct opt_spec *o;
		const char *value = NULL;

		if (only_positionals || arg[0] != '-' || !arg[1]) {
			positionals[nr++] = arg;
			continue;
		}
		if (!strcmp(arg, "--")) {
			only_positionals = 1;
			continue;
		}
		if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
			*help_out = 1;
			continue;
		}
		if (arg[1] == '-') {
			const char *name = arg + 2;
			const char *eq = strchr(name, '=');
			size_t n = eq ? (size_t)(eq - name) : strlen(name);

			o = find_long(tables, name, n);
			if (!o)
				return err_set(ERR_USAGE,
					       "unknown option '--%.*s'",
					       (int)n, name);
			if (eq) {
				if (!takes_value(o))
					return err_set(
						ERR_USAGE,
						"option '--%s' takes no value",
						o->long_name);
				value = eq + 1;
			}
		} else {
			if (arg[2])
				return err_set(
					ERR_USAGE,
					"unknown option '%s' (short options "
					"cannot be combined)",
					arg);
			o = find_short(tables, arg[1]);
			if (!o)
				return err_set(ERR_USAGE, "unknown option '%s'",
					       arg);
		}
		if (takes_value(o) && !value) {
			if (i + 1 >= argc)
				return err_set(
					ERR_USAGE,
					"option '--%s' needs a value (%s)",
					o->long_name, o->arg_name);
			value = argv[++i];
		}
		if (set_value(o, value) < 0)
			return ERR_USAGE;
	}
	*nr_out = nr;
	return 0;
}

void opt_usage(FILE *out, const char *synopsis, const char *description,
	       const struct opt_spec *const *tables)
{
	fprintf(out, "usage: %s\n", synopsis);
	if (description && *description)
		fprintf(out, "\n%s\n", description);
	for (int t = 0; tables[t]; t++) {
		if (!t && tables[t]->kind && tables[t]->kind != OPT_KIND_GROUP)
			fprintf(out, "\nOptions:\n");
		for (const struct opt_spec *o = tables[t]; o->kind; o++) {
			struct buf left = BUF_INIT;

			if (o->kind == OPT_KIND_GROUP) {
				fprintf(out, "\n%s\n", o->help);
				continue;
			}
			if (o->short_name)
				buf_addf(&left, "-%c, ", o->short_name);
			buf_addf(&left, "--%s", o->long_name);
			if (takes_value(o))
				buf_addf(&left, " %s", o->arg_name);
			if (left.len < 26)
				fprintf(out, "    %-26s%s\n", left.ptr,
					o->help);
			else
				fprintf(out, "    %s\n    %-26s%s\n", left.ptr,
					"", o->help);
			buf_release(&left);
		}
	}
}

void opt_list_add(struct opt_list *l, const char *item)
{
	ALLOC_GROW(l->items, l->nr + 1, l->alloc);
	l->items[l->nr++] = xstrdup(item);
}

void opt_list_release(struct opt_list *l)
{
	for (size_t i = 0; i < l->nr; i++)
		free(l->items[i]);
	free(l->items);
	l->items = NULL;
	l->nr = l->alloc = 0;
}
