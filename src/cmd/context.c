/*
 * The context every command shares: global options and the configuration.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/model.h"
#include "source/catalyst_sqlite.h"
#include "util/xalloc.h"
#include "util/config.h"
#include "util/err.h"
#include "util/log.h"

static int opt_verbose, opt_quiet;

const struct opt_spec global_opts[] = {
	OPT_GROUP_("Global options:"),
	OPT_STRING_("config", 0, NULL, "FILE",
		    "read settings from FILE (default ./catalyst-sync.yaml)"),
	OPT_STRING_("database", 0, NULL, "PATH",
		    "the Catalyst database (env DATABASE_PATH)"),
	OPT_STRING_("website", 0, NULL, "ID|NAME",
		    "the website whose types to use"),
	OPT_STRING_("trace", 0, NULL, "LIST",
		    "debug output for components (http,store,-sse)"),
	OPT_FLAG_("verbose", 'v', &opt_verbose, "say more"),
	OPT_FLAG_("quiet", 'q', &opt_quiet, "only errors"),
	OPT_END_()
};

/*
 * The table above is static data, so the string options are bound to the
 * current ctx by copying the table with destinations filled in.
 */
static void bind_globals(struct opt_spec *out, struct ctx *ctx)
{
	size_t i;

	for (i = 0; global_opts[i].kind; i++) {
		out[i] = global_opts[i];
		if (!global_opts[i].long_name)
			continue;
		if (!strcmp(global_opts[i].long_name, "config"))
			out[i].dest = &ctx->config_path;
		else if (!strcmp(global_opts[i].long_name, "database"))
			out[i].dest = &ctx->database;
		else if (!strcmp(global_opts[i].long_name, "website"))
			out[i].dest = &ctx->website;
		else if (!strcmp(global_opts[i].long_name, "trace"))
			out[i].dest = &ctx->trace;
	}
	out[i] = global_opts[i];
}

int cmd_parse(struct ctx *ctx, int argc, char **argv,
	      const struct opt_spec *opts, const char *synopsis,
	      const char *description, char **positionals, int *nr_out,
	      int max_positionals)
{
	struct opt_spec globals[16];
	const struct opt_spec *tables[3];
	char **all = calloc((size_t)argc + 1, sizeof(*all));
	int help = 0, nr = 0, ret;

	if (!all)
		abort();
	bind_globals(globals, ctx);
	tables[0] = opts;
	tables[1] = globals;
	tables[2] = NULL;
	opt_verbose = opt_quiet = 0;
	ret = opt_parse(tables, argc, argv, all, &nr, &help);
	if (ret < 0)
		goto out;
	if (help) {
		opt_usage(stdout, synopsis, description, tables);
		ret = 1;
		goto out;
	}
	ctx->verbose = opt_verbose;
	ctx->quiet = opt_quiet;
	log_set_level(ctx->quiet ? LOG_ERROR
				 : ctx->verbose ? LOG_INFO : LOG_WARN);
	if (ctx->trace && (ret = log_set_trace(ctx->trace)) < 0)
		goto out;
	if (nr > max_positionals) {
		ret = err_set(ERR_USAGE, "too many arguments ('%s')",
			      all[max_positionals]);
		goto out;
	}
	for (int i = 0; i < nr; i++)
		positionals[i] = all[i];
	*nr_out = nr;
	ret = 0;
out:
	free(all);
	return ret;
}

int ctx_config(struct ctx *ctx, struct config **out)
{
	struct config_flags flags = { ctx->config_path, ctx->database,
				      ctx->website };
	int ret;

	if (!ctx->config) {
		if ((ret = config_load(&ctx->config, &flags, NULL)) < 0)
			return ret;
		for (size_t i = 0; i < ctx->config->notices_nr; i++)
			log_warn("config", "%s", ctx->config->notices[i]);
		for (size_t i = 0; i < ctx->config->targets_nr; i++)
			log_add_secret(ctx->config->targets[i].client_secret);
	}
	*out = ctx->config;
	return 0;
}

void ctx_release(struct ctx *ctx)
{
	config_free(ctx->config);
	ctx->config = NULL;
}

int ctx_open_catalyst(struct ctx *ctx, struct catalyst_db **db_out,
		      json_t **websites_out)
{
	struct config *c;
	struct catalyst_db *db = NULL;
	json_t *all = NULL, *picked = NULL, *w;
	char *id = NULL;
	size_t i;
	int ret;

	*db_out = NULL;
	*websites_out = NULL;
	if ((ret = ctx_config(ctx, &c)) < 0)
		return ret;
	if (!c->database)
		return err_set(ERR_USAGE,
			       "no Catalyst database given; use --database PATH, "
			       "DATABASE_PATH or source.database in the "
			       "configuration");
	if ((ret = catalyst_db_open(&db, c->database)) < 0)
		return ret;
	if ((ret = catalyst_db_websites(db, &all)) < 0)
		goto out;
	picked = json_array();
	if (c->website) {
		if ((ret = catalyst_db_resolve_website(db, c->website, &id)) < 0)
			goto out;
		json_array_foreach(all, i, w)
			if (!strcmp(json_string_value(json_object_get(w, "id")),
				    id))
				json_array_append(picked, w);
	} else {
		json_array_extend(picked, all);
	}
	*db_out = db;
	db = NULL;
	*websites_out = picked;
	picked = NULL;
	ret = 0;
out:
	free(id);
	json_decref(all);
	json_decref(picked);
	catalyst_db_close(db);
	return ret;
}

struct visit {
	ctx_type_fn fn;
	void *payload;
	const json_t *website;
	const char *only_id; /* NULL: every type */
};

static int visit_type(struct model_type *t, void *payload)
{
	struct visit *v = payload;

	if (v->only_id && strcmp(t->row->id, v->only_id))
		return 0;
	return v->fn(t, v->website, v->payload);
}

int ctx_each_type(struct ctx *ctx, const char *type_spec, ctx_type_fn fn,
		  void *payload)
{
	struct catalyst_db *db = NULL;
	json_t *websites = NULL, *w;
	struct model *models = NULL;
	const char **only = NULL;
	size_t i, nr = 0, found = 0;
	int ret;

	if ((ret = ctx_open_catalyst(ctx, &db, &websites)) < 0)
		return ret;
	nr = json_array_size(websites);
	models = xcalloc(nr ? nr : 1, sizeof(*models));
	only = xcalloc(nr ? nr : 1, sizeof(*only));
	json_array_foreach(websites, i, w) {
		const char *wid = json_string_value(json_object_get(w, "id"));

		if ((ret = model_open(&models[i], db, wid, NULL, NULL)) < 0)
			goto out;
		if (!type_spec)
			continue;
		ret = model_find_type(&models[i], type_spec, &only[i]);
		if (ret == ERR_NOTFOUND) {
			err_clear();
			continue;
		}
		if (ret < 0)
			goto out;
		found++;
	}
	if (type_spec && !found) {
		ret = err_set(ERR_NOTFOUND,
			      "no content type '%s' (give a key, an id or a "
			      "name)",
			      type_spec);
		goto out;
	}
	if (found > 1) {
		ret = err_set(ERR_INVALID,
			      "'%s' names content types in %zu websites; pick "
			      "one with --website",
			      type_spec, found);
		goto out;
	}
	json_array_foreach(websites, i, w) {
		struct visit v = { fn, payload, w, only[i] };

		if (type_spec && !only[i])
			continue;
		if ((ret = model_each(&models[i], visit_type, &v)) < 0)
			goto out;
	}
	ret = 0;
out:
	for (i = 0; models && i < nr; i++)
		model_release(&models[i]);
	free(models);
	free(only);
	json_decref(websites);
	catalyst_db_close(db);
	return ret;
}
