/*
 * catalyst-sync history: the sync history (sync_history), newest first:
 * every push and pull of every type, with what came of it and who asked
 * (brief §11, §16).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmd/cmd.h"
#include "cmd/output.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/jx.h"
#include "util/xalloc.h"

static const char history_synopsis[] =
	"catalyst-sync history [--type TYPE] [--run ID] [--status S]\n"
	"                           [--limit N] [--json]";
static const char history_description[] =
	"Lists the sync history, newest first: one line per operation of a\n"
	"run with its time (UTC), the run id, the action, the type's key, the\n"
	"status (SUCCESS, FAILED, PARTIAL or SKIPPED), who asked, and the\n"
	"error when there was one. TYPE is a key, a Catalyst id or a name, or\n"
	"the key of a type that is no longer in Catalyst; ID is a run id or a\n"
	"unique prefix of at least 4 digits; S is success, failed, partial or\n"
	"skipped.";

static const char *opt_type, *opt_run, *opt_status;
static long opt_limit;
static int opt_json;

static const struct opt_spec history_opts[] = {
	OPT_STRING_("type", 0, &opt_type, "TYPE",
		    "only the entries of content type TYPE"),
	OPT_STRING_("run", 0, &opt_run, "ID", "only the entries of run ID"),
	OPT_STRING_("status", 0, &opt_status, "S",
		    "only the entries with status S"),
	OPT_INT_("limit", 'n', &opt_limit, "N", "at most N entries"),
	OPT_FLAG_("json", 0, &opt_json, "print the entries as JSON"),
	OPT_END_()};

/* --status: one of the four, in any case, as the store spells it. */
static int parse_status(const char *text, const char **out)
{
	static const char *const statuses[] = {"SUCCESS", "FAILED", "PARTIAL",
					       "SKIPPED"};

	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
		if (!strcasecmp(text, statuses[i])) {
			*out = statuses[i];
			return 0;
		}
	return err_set(ERR_USAGE,
		       "--status must be success, failed, partial or "
		       "skipped, not '%s'",
		       text);
}

/*
 * --type: a type Catalyst (or the version history) knows selects its
 * entries by type id; anything else is taken as the Optimizely key of a
 * type that is only in the sync history (removed from Catalyst, or known
 * only remotely). Without a Catalyst database every TYPE is a key.
 */
static int select_type(struct ctx *ctx, struct store *store, const char *spec,
		       struct store_history_query *q, struct ctx_type *t)
{
	const char *path;
	int ret;

	if (ctx_database(ctx, &path) < 0) {
		err_clear();
		q->type_key = spec;
		return 0;
	}
	ret = ctx_find_type(ctx, store, spec, t);
	if (ret == ERR_NOTFOUND) {
		err_clear();
		q->type_key = spec;
		return 0;
	}
	if (ret < 0)
		return ret;
	q->type_id = t->id;
	return 0;
}

/* "2025-08-15T10:12:03.160Z" as "2025-08-15T10:12:03Z". */
static void add_when(struct buf *b, const char *iso)
{
	if (!iso)
		buf_adds(b, "-");
	else if (strlen(iso) >= 19)
		buf_addf(b, "%.19sZ", iso);
	else
		buf_adds(b, iso);
}

/* Appends text on one line: line breaks and tabs become spaces. */
static void add_one_line(struct buf *b, const char *text)
{
	for (; *text; text++)
		buf_addch(b, (*text == '\n' || *text == '\r' || *text == '\t')
				     ? ' '
				     : *text);
}

static void print_entry(const json_t *e)
{
	struct buf line = BUF_INIT;
	const char *run = jx_str(e, "run_id"), *actor = jx_str(e, "actor");
	const char *error = jx_str(e, "error");

	add_when(&line, jx_str(e, "started"));
	buf_addf(&line, "  %-12s  %-11s %-24s %-8s %s", run ? run : "-",
		 jx_str(e, "action"), jx_str(e, "type_key"),
		 jx_str(e, "status"), actor ? actor : "-");
	if (error) {
		buf_adds(&line, "  ");
		add_one_line(&line, error);
	}
	printf("%s\n", line.ptr);
	buf_release(&line);
}

int cmd_history(int argc, char **argv, struct ctx *ctx)
{
	struct store_history_query q = {0};
	struct ctx_type t = {0};
	struct store *store = NULL;
	json_t *entries = NULL, *e;
	char *run_id = NULL, *pos[1];
	size_t i;
	int nr, ret;

	opt_type = opt_run = opt_status = NULL;
	opt_limit = 0;
	opt_json = 0;
	ret = cmd_parse(ctx, argc, argv, history_opts, history_synopsis,
			history_description, pos, &nr, 0);
	if (ret)
		return ret > 0 ? EXIT_OK : ret;
	if (opt_limit < 0)
		return err_set(ERR_USAGE, "--limit must be 0 or more");
	if (opt_status && (ret = parse_status(opt_status, &q.status)) < 0)
		return ret;
	q.limit = (size_t)opt_limit;
	if ((ret = ctx_open_store(ctx, 0, &store)) < 0)
		goto out;
	if (opt_run) {
		if ((ret = store_run_resolve(store, opt_run, &run_id)) < 0)
			goto out;
		q.run_id = run_id;
	}
	if (opt_type && (ret = select_type(ctx, store, opt_type, &q, &t)) < 0)
		goto out;
	if ((ret = store_history_query(store, &q, &entries)) < 0)
		goto out;
	if (opt_json) {
		json_t *o =
			json_pack("{s:i, s:O}", "format_version",
				  OUTPUT_FORMAT_VERSION, "entries", entries);

		output_json(stdout, o);
		json_decref(o);
	} else if (!json_array_size(entries)) {
		printf("%s\n", opt_type || opt_run || opt_status
				       ? "no sync history matches"
				       : "no sync history yet");
	} else {
		json_array_foreach(entries, i, e) print_entry(e);
	}
	ret = 0;
out:
	json_decref(entries);
	ctx_type_release(&t);
	free(run_id);
	store_close(store);
	return ret;
}
