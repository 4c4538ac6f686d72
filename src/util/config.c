#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include "util/buf.h"
#include "util/config.h"
#include "util/err.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#define CONFIG_DEFAULT_FILE "catalyst-sync.yaml"
#define CONFIG_DEFAULT_TARGET "optimizely"

enum cfg_type {
	CFG_STRING,   /* free text */
	CFG_PATH,     /* relative to the config file's folder */
	CFG_SECRET,   /* free text that must not be readable by others */
	CFG_INT,      /* long within [min, max] */
	CFG_DURATION, /* "30s" -> long long ms */
	CFG_ENUM      /* one of enums ("a|b|c") */
};

struct cfg_key {
	const char *name; /* dotted path below its table's root */
	enum cfg_type type;
	size_t offset;
	const char *def;
	const char *env;
	const char *enums;
	long min, max;
	const char *help;
};

#define C_(f) offsetof(struct config, f)
#define T_(f) offsetof(struct config_target, f)

static const struct cfg_key config_keys[] = {
	{ "source.database", CFG_PATH, C_(database), NULL, "DATABASE_PATH",
	  NULL, 0, 0, "the Catalyst database (SQLite file)" },
	{ "source.website", CFG_STRING, C_(website), NULL, NULL, NULL, 0, 0,
	  "the website to sync, by id or name (optional with one website)" },
	{ "sync.mode", CFG_ENUM, C_(mode), "push", NULL,
	  "push|pull|bidirectional", 0, 0, "which way changes flow" },
	{ "sync.state.storage", CFG_PATH, C_(state_storage),
	  "./catalyst-sync.db", NULL, NULL, 0, 0, "the state store" },
	{ "sync.state.retention", CFG_DURATION, C_(retention_ms), "30d", NULL,
	  NULL, 0, 0, "how long history, journal and backups are kept" },
	{ "sync.state.durability", CFG_ENUM, C_(durability), "normal", NULL,
	  "normal|full", 0, 0, "full makes every commit survive power loss" },
	{ "sync.conflict.strategy", CFG_ENUM, C_(strategy), "merge", NULL,
	  "merge|local|remote|manual", 0, 0, "how conflicts are resolved" },
	{ "sync.protection.backup", CFG_ENUM, C_(backup), "enabled", NULL,
	  "enabled|disabled", 0, 0, "back up remote types before changing them" },
	{ "sync.protection.validation", CFG_ENUM, C_(validation), "strict",
	  NULL, "strict|lenient", 0, 0, "strict makes warnings errors" },
};

/* Keys of one target, below sync.platforms.<name>. */
static const struct cfg_key target_keys[] = {
	{ "url", CFG_STRING, T_(url), "https://api.cms.optimizely.com",
	  "OPTIMIZELY_CMS_API_URL", NULL, 0, 0, "the CMS API's base URL" },
	{ "api_version", CFG_ENUM, T_(api_version), "v1", NULL, "v1|preview3",
	  0, 0, "the API version spoken" },
	{ "auth.client_id", CFG_STRING, T_(client_id), NULL,
	  "OPTIMIZELY_CMS_CLIENT_ID", NULL, 0, 0, "OAuth client id" },
	{ "auth.client_secret", CFG_SECRET, T_(client_secret), NULL,
	  "OPTIMIZELY_CMS_CLIENT_SECRET", NULL, 0, 0, "OAuth client secret" },
	{ "auth.client_secret_file", CFG_PATH, T_(client_secret_file), NULL,
	  NULL, NULL, 0, 0, "a file holding the client secret" },
	{ "options.concurrency", CFG_INT, T_(concurrency), "8", NULL, NULL, 1,
	  64, "requests in flight at once" },
	{ "options.timeout", CFG_DURATION, T_(timeout_ms), "30s", NULL, NULL, 0,
	  0, "per-request timeout" },
	{ "options.retries", CFG_INT, T_(retries), "6", NULL, NULL, 0, 20,
	  "retries of a failed request" },
	{ "options.rate_limit", CFG_INT, T_(rate_limit), "0", NULL, NULL, 0,
	  100000, "requests per minute at most (0: no limit)" },
	{ "options.ca_file", CFG_PATH, T_(ca_file), NULL, NULL, NULL, 0, 0,
	  "a CA bundle for a private certificate authority" },
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

struct loader {
	struct config *c;
	const char *file;   /* for messages */
	char *dir;          /* folder of the file, for relative paths */
	yaml_document_t doc;
	int secret_in_file;
};

static void add_notice(struct config *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void add_notice(struct config *c, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	c->notices = xrealloc(c->notices,
			      st_mult(sizeof(*c->notices), c->notices_nr + 1));
	c->notices[c->notices_nr++] = buf_detach(&b, NULL);
}

static char *resolve_path(const char *dir, const char *value)
{
	struct buf b = BUF_INIT;

	if (!dir || value[0] == '/' || !value[0])
		return xstrdup(value);
	buf_addf(&b, "%s/%s", dir, value);
	return buf_detach(&b, NULL);
}

/*
 * Stores text into the field described by k, checking it. where names the
 * origin for messages ("FILE:3:5", "environment DATABASE_PATH", "--database").
 */
static int set_key(void *base, const struct cfg_key *k, const char *text,
		   const char *where, const char *dir)
{
	char *field = (char *)base + k->offset;

	switch (k->type) {
	case CFG_STRING:
	case CFG_SECRET:
		free(*(char **)field);
		*(char **)field = xstrdup(text);
		return 0;
	case CFG_PATH:
		free(*(char **)field);
		*(char **)field = resolve_path(dir, text);
		return 0;
	case CFG_ENUM: {
		size_t n = strlen(text);
		const char *p = k->enums;

		while (p) {
			const char *bar = strchr(p, '|');
			size_t len = bar ? (size_t)(bar - p) : strlen(p);

			if (len == n && !strncmp(p, text, n)) {
				free(*(char **)field);
				*(char **)field = xstrdup(text);
				return 0;
			}
			p = bar ? bar + 1 : NULL;
		}
		return err_set(ERR_INVALID, "%s: %s must be one of %s, not '%s'",
			       where, k->name, k->enums, text);
	}
	case CFG_INT: {
		char *end;
		long v;

		errno = 0;
		v = strtol(text, &end, 10);
		if (errno || end == text || *end)
			return err_set(ERR_INVALID,
				       "%s: %s must be a whole number, not '%s'",
				       where, k->name, text);
		if (v < k->min || v > k->max)
			return err_set(ERR_INVALID,
				       "%s: %s must be between %ld and %ld, not %ld",
				       where, k->name, k->min, k->max, v);
		*(long *)field = v;
		return 0;
	}
	case CFG_DURATION: {
		long long ms;

		if (time_parse_duration(&ms, text) < 0)
			return err_prefix("%s: %s", where, k->name);
		*(long long *)field = ms;
		return 0;
	}
	}
	return err_set(ERR_GENERIC, "bad configuration table");
}

static int apply_defaults(void *base, const struct cfg_key *keys, size_t nr)
{
	for (size_t i = 0; i < nr; i++)
		if (keys[i].def &&
		    set_key(base, &keys[i], keys[i].def, "default", NULL) < 0)
			return -1;
	return 0;
}

static struct config_target *find_target(struct config *c, const char *name)
{
	for (size_t i = 0; i < c->targets_nr; i++)
		if (!strcmp(c->targets[i].name, name))
			return &c->targets[i];
	return NULL;
}

static int add_target(struct config_target **out, struct config *c,
		      const char *name)
{
	struct config_target *t;

	c->targets = xrealloc(c->targets,
			      st_mult(sizeof(*c->targets), c->targets_nr + 1));
	t = &c->targets[c->targets_nr++];
	memset(t, 0, sizeof(*t));
	t->name = xstrdup(name);
	*out = t;
	return apply_defaults(t, target_keys, ARRAY_SIZE(target_keys));
}

static int get_target(struct config_target **out, struct config *c,
		      const char *name)
{
	*out = find_target(c, name);
	return *out ? 0 : add_target(out, c, name);
}

static const struct cfg_key *find_key(const struct cfg_key *keys, size_t nr,
				      const char *name)
{
	for (size_t i = 0; i < nr; i++)
		if (!strcmp(keys[i].name, name))
			return &keys[i];
	return NULL;
}

static void where_at(struct buf *b, struct loader *l, yaml_node_t *n)
{
	buf_reset(b);
	buf_addf(b, "%s:%zu:%zu", l->file, n->start_mark.line + 1,
		 n->start_mark.column + 1);
}

static int is_null_scalar(yaml_node_t *n)
{
	const char *v = (const char *)n->data.scalar.value;

	return n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	       (!*v || !strcmp(v, "~") || !strcmp(v, "null"));
}

/* Legacy names of the PoC's "optimizely:" block, mapped to target keys. */
static const char *legacy_key(const char *name)
{
	if (!strcmp(name, "clientId"))
		return "auth.client_id";
	if (!strcmp(name, "clientSecret"))
		return "auth.client_secret";
	if (!strcmp(name, "apiUrl") || !strcmp(name, "url"))
		return "url";
	if (!strcmp(name, "apiVersion"))
		return "api_version";
	return NULL;
}

static int walk(struct loader *l, yaml_node_t *n, const char *path,
		struct config_target *t);

static int walk_mapping(struct loader *l, yaml_node_t *n, const char *path,
			struct config_target *t)
{
	struct buf where = BUF_INIT, sub = BUF_INIT;
	int ret = 0;

	for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
	     p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(&l->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(&l->doc, p->value);
		const char *name;

		if (!k || k->type != YAML_SCALAR_NODE) {
			where_at(&where, l, k ? k : n);
			ret = err_set(ERR_INVALID, "%s: keys must be plain names",
				      where.ptr);
			goto out;
		}
		name = (const char *)k->data.scalar.value;
		buf_reset(&sub);
		if (*path)
			buf_addf(&sub, "%s.%s", path, name);
		else
			buf_adds(&sub, name);
		if (!t && !strcmp(path, "sync.platforms")) {
			struct config_target *nt;

			if (v->type != YAML_MAPPING_NODE) {
				where_at(&where, l, v);
				ret = err_set(ERR_INVALID,
					      "%s: sync.platforms.%s must be a "
					      "mapping of settings",
					      where.ptr, name);
				goto out;
			}
			if ((ret = get_target(&nt, l->c, name)) < 0)
				goto out;
			if ((ret = walk(l, v, "", nt)) < 0)
				goto out;
			continue;
		}
		if (!t && !*path && !strcmp(name, "optimizely")) {
			struct config_target *nt;

			if (v->type != YAML_MAPPING_NODE) {
				where_at(&where, l, v);
				ret = err_set(ERR_INVALID,
					      "%s: optimizely must be a mapping",
					      where.ptr);
				goto out;
			}
			where_at(&where, l, k);
			add_notice(l->c,
				   "%s: the legacy 'optimizely:' block is read "
				   "as sync.platforms.optimizely; see "
				   "docs/configuration.md",
				   where.ptr);
			if ((ret = get_target(&nt, l->c,
					      CONFIG_DEFAULT_TARGET)) < 0)
				goto out;
			if ((ret = walk(l, v, "legacy", nt)) < 0)
				goto out;
			continue;
		}
		if ((ret = walk(l, v, sub.ptr, t)) < 0)
			goto out;
	}
out:
	buf_release(&where);
	buf_release(&sub);
	return ret;
}

static int walk(struct loader *l, yaml_node_t *n, const char *path,
		struct config_target *t)
{
	struct buf where = BUF_INIT;
	const struct cfg_key *k;
	const char *name = path;
	int ret = 0;

	if (n->type == YAML_MAPPING_NODE)
		return walk_mapping(l, n, path, t);
	where_at(&where, l, n);
	if (t && !strncmp(path, "legacy.", 7))
		name = legacy_key(path + 7);
	k = !name ? NULL
	    : t   ? find_key(target_keys, ARRAY_SIZE(target_keys), name)
		  : find_key(config_keys, ARRAY_SIZE(config_keys), name);
	if (!k) {
		ret = err_set(ERR_INVALID, "%s: unknown setting '%s%s%s%s'",
			      where.ptr, t ? "sync.platforms." : "",
			      t ? t->name : "", t ? "." : "",
			      strncmp(path, "legacy.", 7) ? path : path + 7);
		goto out;
	}
	if (n->type != YAML_SCALAR_NODE) {
		ret = err_set(ERR_INVALID, "%s: %s must be a single value",
			      where.ptr, k->name);
		goto out;
	}
	if (is_null_scalar(n))
		goto out;
	if (k->type == CFG_SECRET)
		l->secret_in_file = 1;
	ret = set_key(t ? (void *)t : (void *)l->c, k,
		      (const char *)n->data.scalar.value, where.ptr, l->dir);
out:
	buf_release(&where);
	return ret < 0 ? ret : 0;
}

static int read_file(struct loader *l, const char *path)
{
	yaml_parser_t parser;
	yaml_node_t *root;
	FILE *f;
	struct stat st;
	const char *slash;
	int ret = 0;

	f = fopen(path, "rb");
	if (!f)
		return err_set(ERR_NOTFOUND, "cannot open config '%s': %s", path,
			       strerror(errno));
	slash = strrchr(path, '/');
	l->dir = slash ? xstrndup(path, (size_t)(slash - path)) : NULL;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &l->doc)) {
		ret = err_set(ERR_INVALID, "%s:%zu:%zu: %s%s%s", path,
			      parser.problem_mark.line + 1,
			      parser.problem_mark.column + 1,
			      parser.problem ? parser.problem : "bad YAML",
			      parser.context ? " " : "",
			      parser.context ? parser.context : "");
		yaml_parser_delete(&parser);
		fclose(f);
		return ret;
	}
	yaml_parser_delete(&parser);
	root = yaml_document_get_root_node(&l->doc);
	if (root && root->type == YAML_MAPPING_NODE)
		ret = walk(l, root, "", NULL);
	else if (root && !(root->type == YAML_SCALAR_NODE &&
			   is_null_scalar(root)))
		ret = err_set(ERR_INVALID, "%s:1:1: the configuration must be a "
					   "mapping of settings",
			      path);
	yaml_document_delete(&l->doc);
	if (!ret && l->secret_in_file && !fstat(fileno(f), &st) &&
	    (st.st_mode & 044))
		add_notice(l->c,
			   "'%s' holds a client secret and is readable by "
			   "others; run 'chmod 600 %s'",
			   path, path);
	fclose(f);
	return ret;
}

static const char *plain_getenv(const char *name)
{
	return getenv(name);
}

static int apply_env(struct config *c, const char *(*env)(const char *))
{
	struct config_target *t = NULL;
	struct buf where = BUF_INIT;
	int ret = 0;

	for (size_t i = 0; i < ARRAY_SIZE(config_keys); i++) {
		const char *v = config_keys[i].env ? env(config_keys[i].env)
						   : NULL;
		if (!v || !*v)
			continue;
		buf_reset(&where);
		buf_addf(&where, "environment %s", config_keys[i].env);
		if ((ret = set_key(c, &config_keys[i], v, where.ptr, NULL)) < 0)
			goto out;
	}
	for (size_t i = 0; i < ARRAY_SIZE(target_keys); i++) {
		const char *name = target_keys[i].env;
		const char *v = name ? env(name) : NULL;

		if ((!v || !*v) && name &&
		    !strcmp(name, "OPTIMIZELY_CMS_API_URL")) {
			v = env("OPTIMIZELY_API_URL");
			name = "OPTIMIZELY_API_URL";
			if (v && *v)
				add_notice(c, "OPTIMIZELY_API_URL is read as "
					      "OPTIMIZELY_CMS_API_URL; please "
					      "rename it");
		}
		if (!v || !*v)
			continue;
		/* The environment describes the default target. */
		if (!t) {
			if (c->targets_nr == 1)
				t = &c->targets[0];
			else if ((ret = get_target(&t, c,
						   CONFIG_DEFAULT_TARGET)) < 0)
				goto out;
		}
		buf_reset(&where);
		buf_addf(&where, "environment %s", name);
		if ((ret = set_key(t, &target_keys[i], v, where.ptr, NULL)) < 0)
			goto out;
	}
out:
	buf_release(&where);
	return ret;
}

int config_load(struct config **out, const struct config_flags *flags,
		const char *(*env)(const char *name))
{
	struct loader l = { 0 };
	struct config *c = xcalloc(1, sizeof(*c));
	const char *path = flags ? flags->config_path : NULL;
	struct stat st;
	int ret;

	*out = NULL;
	if (!env)
		env = plain_getenv;
	l.c = c;
	if ((ret = apply_defaults(c, config_keys, ARRAY_SIZE(config_keys))) < 0)
		goto out;
	if (!path && env("CATALYST_SYNC_CONFIG") && *env("CATALYST_SYNC_CONFIG"))
		path = env("CATALYST_SYNC_CONFIG");
	if (!path && !stat(CONFIG_DEFAULT_FILE, &st))
		path = CONFIG_DEFAULT_FILE;
	if (path) {
		c->path = xstrdup(path);
		l.file = c->path;
		if ((ret = read_file(&l, c->path)) < 0)
			goto out;
	}
	if ((ret = apply_env(c, env)) < 0)
		goto out;
	if (flags && flags->database) {
		free(c->database);
		c->database = xstrdup(flags->database);
	}
	if (flags && flags->website) {
		free(c->website);
		c->website = xstrdup(flags->website);
	}
	ret = 0;
out:
	free(l.dir);
	if (ret < 0)
		config_free(c);
	else
		*out = c;
	return ret;
}

static void free_fields(void *base, const struct cfg_key *keys, size_t nr)
{
	for (size_t i = 0; i < nr; i++) {
		char **field = (char **)((char *)base + keys[i].offset);

		if (keys[i].type != CFG_INT && keys[i].type != CFG_DURATION)
			FREE_AND_NULL(*field);
	}
}

void config_free(struct config *c)
{
	if (!c)
		return;
	free_fields(c, config_keys, ARRAY_SIZE(config_keys));
	for (size_t i = 0; i < c->targets_nr; i++) {
		free_fields(&c->targets[i], target_keys,
			    ARRAY_SIZE(target_keys));
		free(c->targets[i].name);
	}
	free(c->targets);
	for (size_t i = 0; i < c->notices_nr; i++)
		free(c->notices[i]);
	free(c->notices);
	free(c->path);
	free(c);
}

const struct config_target *config_target(const struct config *c,
					  const char *name)
{
	if (!c->targets_nr)
		return NULL;
	if (!name)
		return &c->targets[0];
	for (size_t i = 0; i < c->targets_nr; i++)
		if (!strcmp(c->targets[i].name, name))
			return &c->targets[i];
	return NULL;
}

static void describe(struct buf *out, const char *prefix,
		     const struct cfg_key *keys, size_t nr)
{
	static const char *type_names[] = { "text", "path", "secret",
					    "number", "duration", "choice" };

	for (size_t i = 0; i < nr; i++) {
		const struct cfg_key *k = &keys[i];

		buf_addf(out, "| `%s%s` | %s | %s%s%s | %s | %s |\n", prefix,
			 k->name,
			 k->type == CFG_ENUM ? k->enums : type_names[k->type],
			 k->def ? "`" : "", k->def ? k->def : "",
			 k->def ? "`" : "", k->env ? k->env : "", k->help);
	}
}

void config_describe(struct buf *out)
{
	buf_adds(out, "| key | type | default | environment | meaning |\n");
	buf_adds(out, "|---|---|---|---|---|\n");
	describe(out, "", config_keys, ARRAY_SIZE(config_keys));
	describe(out, "sync.platforms.NAME.", target_keys,
		 ARRAY_SIZE(target_keys));
}
