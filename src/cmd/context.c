/*
 * The context every command shares: global options and the configuration.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/model.h"
#include "source/catalyst_sqlite.h"
#include "core/history.h"
#include "source/capture.h"
#include "store/store.h"
#include "util/jx.h"
#include "util/xalloc.h"
#include "target/target.h"
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

int ctx_open_store(struct ctx *ctx, int create, struct store **out)
{
	struct config *c;
	struct store_options opt = { 0 };
	int ret;

	*out = NULL;
	if ((ret = ctx_config(ctx, &c)) < 0)
		return ret;
	opt.create = create;
	opt.durable = c->durability && !strcmp(c->durability, "full");
	return store_open(out, c->state_storage, &opt);
}

int ctx_database(struct ctx *ctx, const char **path_out)
{
	struct config *c;
	int ret;

	*path_out = NULL;
	if ((ret = ctx_config(ctx, &c)) < 0)
		return ret;
	if (!c->database)
		return err_set(ERR_USAGE,
			       "no Catalyst database given; use --database "
			       "PATH, DATABASE_PATH or source.database in the "
			       "configuration");
	*path_out = c->database;
	return 0;
}

int ctx_open_history(struct ctx *ctx, struct store **s_out,
		     struct capture **c_out)
{
	const char *path;
	int ret;

	*s_out = NULL;
	*c_out = NULL;
	if ((ret = ctx_database(ctx, &path)) < 0)
		return ret;
	if ((ret = ctx_open_store(ctx, 0, s_out)) < 0)
		return ret;
	if ((ret = capture_open(c_out, path)) < 0 ||
	    (ret = history_sync(*s_out, *c_out, 0, NULL)) < 0) {
		capture_close(*c_out);
		store_close(*s_out);
		*c_out = NULL;
		*s_out = NULL;
	}
	return ret;
}

/*
 * The persisted keys of a website when a state store exists (NULL when it
 * does not: the keys are generated as on a first run).
 */
static int persisted_keys(struct store *store, const char *website_id,
			  json_t **out)
{
	*out = NULL;
	if (!store)
		return 0;
	return store_type_keys(store, website_id, out);
}

/* Opens the state store when there is one; *out stays NULL otherwise. */
static int open_store_if_any(struct ctx *ctx, struct store **out)
{
	int ret = ctx_open_store(ctx, 0, out);

	if (ret == ERR_NOTFOUND) {
		err_clear();
		return 0;
	}
	return ret;
}

void ctx_type_release(struct ctx_type *t)
{
	FREE_AND_NULL(t->id);
	FREE_AND_NULL(t->website_id);
	FREE_AND_NULL(t->name);
	FREE_AND_NULL(t->key);
	t->in_catalyst = 0;
}

/* True when website_id is one of websites ([{id, name}]). */
static int website_listed(const json_t *websites, const char *website_id)
{
	json_t *w;
	size_t i;

	json_array_foreach(websites, i, w)
		if (website_id && !strcmp(jx_str(w, "id"), website_id))
			return 1;
	return 0;
}

/*
 * Fills t from a type of one of websites that is only in the history
 * (deleted in Catalyst), named by its id or persisted key.
 */
static int find_in_history(struct store *store, const json_t *websites,
			   const char *spec, struct ctx_type *t)
{
	struct store_version v;
	json_t *types = NULL, *w;
	const char *id = NULL, *tid;
	int ret;

	if ((ret = store_version_types(store, &types)) < 0)
		return ret;
	w = json_object_get(types, spec);
	if (w && website_listed(websites, json_string_value(w))) {
		id = spec;
	} else {
		json_object_foreach(types, tid, w) {
			char *holder = NULL;

			if (!website_listed(websites, json_string_value(w)))
				continue;
			if (!store_type_key_find(store, json_string_value(w),
						 spec, &holder) &&
			    !strcmp(holder, tid))
				id = tid;
			err_clear();
			free(holder);
			if (id)
				break;
		}
	}
	if (!id) {
		ret = ERR_NOTFOUND;
		goto out;
	}
	if ((ret = store_version_mainline(store, id, &v)) < 0)
		goto out;
	t->id = xstrdup(id);
	t->website_id = xstrdup(v.website_id);
	t->name = v.name ? xstrdup(v.name) : NULL;
	t->key = v.type_key ? xstrdup(v.type_key) : NULL;
	t->in_catalyst = 0;
	store_version_release(&v);
out:
	json_decref(types);
	return ret;
}

int ctx_find_type(struct ctx *ctx, struct store *store, const char *spec,
		  struct ctx_type *out)
{
	struct catalyst_db *db = NULL;
	json_t *websites = NULL, *w, *persisted = NULL;
	struct model m = { 0 };
	size_t i, found = 0;
	int ret;

	memset(out, 0, sizeof(*out));
	if ((ret = ctx_open_catalyst(ctx, &db, &websites)) < 0)
		return ret;
	json_array_foreach(websites, i, w) {
		const char *wid = json_string_value(json_object_get(w, "id"));
		const char *id = NULL, *name;
		json_t *ids;

		if ((ret = persisted_keys(store, wid, &persisted)) < 0 ||
		    (ret = model_open(&m, db, wid, persisted, NULL)) < 0)
			goto out;
		json_decref(persisted);
		persisted = NULL;
		ret = model_find_type(&m, spec, &id);
		if (ret == ERR_NOTFOUND) {
			err_clear();
			model_release(&m);
			continue;
		}
		if (ret < 0)
			goto out;
		if (found++) {
			ret = err_set(ERR_INVALID,
				      "'%s' names content types in several "
				      "websites; pick one with --website",
				      spec);
			goto out;
		}
		out->id = xstrdup(id);
		out->website_id = xstrdup(wid);
		out->key = xstrdup(json_string_value(
			json_object_get(m.type_keys, id)));
		json_object_foreach(m.names, name, ids) {
			size_t k;
			json_t *x;

			json_array_foreach(ids, k, x)
				if (!strcmp(json_string_value(x), id) &&
				    !out->name)
					out->name = xstrdup(name);
		}
		out->in_catalyst = 1;
		model_release(&m);
	}
	if (!found && store) {
		ret = find_in_history(store, websites, spec, out);
		if (ret == ERR_NOTFOUND)
			err_clear();
		else if (ret < 0)
			goto out;
		else
			found = 1;
	}
	if (!found) {
		ret = err_set(ERR_NOTFOUND,
			      "no content type '%s' (give a key, an id or a "
			      "name)",
			      spec);
		goto out;
	}
	ret = 0;
out:
	if (ret < 0)
		ctx_type_release(out);
	model_release(&m);
	json_decref(persisted);
	json_decref(websites);
	catalyst_db_close(db);
	return ret;
}

int ctx_each_type(struct ctx *ctx, const char *type_spec, ctx_type_fn fn,
		  void *payload)
{
	struct catalyst_db *db = NULL;
	struct store *store = NULL;
	json_t *websites = NULL, *w, *persisted = NULL;
	struct model *models = NULL;
	const char **only = NULL;
	size_t i, nr = 0, found = 0;
	int ret;

	if ((ret = ctx_open_catalyst(ctx, &db, &websites)) < 0)
		return ret;
	/* Keys persisted by an earlier record or sync win (brief §5). */
	if ((ret = open_store_if_any(ctx, &store)) < 0)
		goto out;
	nr = json_array_size(websites);
	models = xcalloc(nr ? nr : 1, sizeof(*models));
	only = xcalloc(nr ? nr : 1, sizeof(*only));
	json_array_foreach(websites, i, w) {
		const char *wid = json_string_value(json_object_get(w, "id"));

		if ((ret = persisted_keys(store, wid, &persisted)) < 0)
			goto out;
		ret = model_open(&models[i], db, wid, persisted, NULL);
		json_decref(persisted);
		persisted = NULL;
		if (ret < 0)
			goto out;
		models[i].store = store;
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
	store_close(store);
	catalyst_db_close(db);
	return ret;
}

int ctx_open_target(struct ctx *ctx, struct target **out,
		    const struct config_target **cfg_out)
{
	const struct config_target *t;
	struct config *c;
	int ret;

	*out = NULL;
	if ((ret = ctx_config(ctx, &c)) < 0)
		return ret;
	t = config_target(c, c->targets_nr > 1 ? "optimizely" : NULL);
	if (!t)
		return err_set(ERR_USAGE,
			       c->targets_nr > 1
				       ? "several targets are configured and none "
					 "is named 'optimizely'"
				       : "no target is configured; set "
					 "sync.platforms.optimizely in the "
					 "configuration, or OPTIMIZELY_CMS_API_URL, "
					 "OPTIMIZELY_CMS_CLIENT_ID and "
					 "OPTIMIZELY_CMS_CLIENT_SECRET");
	if (cfg_out)
		*cfg_out = t;
	return target_open(out, t, NULL);
}
