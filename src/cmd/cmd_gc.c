/*
 * catalyst-sync gc: retention of the state store (sync.state.retention,
 * brief §13): removes finished runs, their journal, history and backups,
 * and ended intents, older than the retention.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cmd/cmd.h"
#include "cmd/output.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/config.h"
#include "util/err.h"
#include "util/timeutil.h"

static const char gc_synopsis[] =
	"catalyst-sync gc [--dry-run] [--older-than DURATION] [--json]";
static const char gc_description[] =
	"Removes from the state store what ended longer ago than the\n"
	"retention (sync.state.retention, default 30d, or --older-than):\n"
	"finished runs (done, partial, failed) with their journal, history\n"
	"entries and backups, and intents that ended. Running and interrupted\n"
	"runs stay (they can be resumed), versions always stay, and so does\n"
	"the newest backup of each type in each target. DURATION is a number\n"
	"and a unit: 500ms, 30s, 5m, 12h, 30d.";

static const char *opt_older_than;
static int opt_dry_run, opt_json;

static const struct opt_spec gc_opts[] = {
	OPT_FLAG_("dry-run", 0, &opt_dry_run,
		  "say what would be removed, remove nothing"),
	OPT_STRING_("older-than", 0, &opt_older_than, "DURATION",
		    "remove what ended longer ago (default: the retention)"),
	OPT_FLAG_("json", 0, &opt_json, "print what was removed as JSON"),
	OPT_END_()};

/* "N thing" or "N things". */
static void add_count(struct buf *b, size_t n, const char *one,
		      const char *many, const char *sep)
{
	buf_addf(b, "%zu %s%s", n, n == 1 ? one : many, sep);
}

int cmd_gc(int argc, char **argv, struct ctx *ctx)
{
	struct store_gc_report rep = {0};
	struct store *store = NULL;
	struct config *c;
	struct buf before = BUF_INIT, line = BUF_INIT;
	long long older_ms, before_ms;
	char *pos[1];
	int nr, ret;

	opt_older_than = NULL;
	opt_dry_run = opt_json = 0;
	ret = cmd_parse(ctx, argc, argv, gc_opts, gc_synopsis, gc_description,
			pos, &nr, 0);
	if (ret)
		return ret > 0 ? EXIT_OK : ret;
	if (opt_older_than) {
		if (time_parse_duration(&older_ms, opt_older_than) < 0) {
			err_clear();
			return err_set(ERR_USAGE,
				       "--older-than takes a duration (500ms, "
				       "30s, 5m, 12h, 30d), not '%s'",
				       opt_older_than);
		}
	} else {
		if ((ret = ctx_config(ctx, &c)) < 0)
			goto out;
		older_ms = c->retention_ms;
	}
	before_ms = time_now_ms() - older_ms;
	if (before_ms < 0)
		before_ms = 0;
	if ((ret = ctx_open_store(ctx, 0, &store)) < 0)
		goto out;
	if ((ret = store_gc(store, before_ms, opt_dry_run, &rep)) < 0)
		goto out;
	time_format_iso(&before, before_ms);
	if (opt_json) {
		json_t *o = json_pack(
			"{s:i, s:b, s:s, s:I, s:{s:I, s:I, s:I, s:I, s:I}}",
			"format_version", OUTPUT_FORMAT_VERSION, "dry_run",
			opt_dry_run, "before", before.ptr, "older_than_ms",
			(json_int_t)older_ms, "removed", "runs",
			(json_int_t)rep.runs, "ops", (json_int_t)rep.ops,
			"history", (json_int_t)rep.history, "backups",
			(json_int_t)rep.backups, "intents",
			(json_int_t)rep.intents);

		output_json(stdout, o);
		json_decref(o);
	} else {
		buf_adds(&line, opt_dry_run ? "would remove " : "removed ");
		add_count(&line, rep.runs, "run", "runs", " (");
		add_count(&line, rep.ops, "operation", "operations", "), ");
		add_count(&line, rep.history, "history entry",
			  "history entries", ", ");
		add_count(&line, rep.backups, "backup", "backups", " and ");
		add_count(&line, rep.intents, "intent", "intents", "");
		printf("%s that ended before %.19sZ\n", line.ptr, before.ptr);
	}
	ret = 0;
out:
	buf_release(&before);
	buf_release(&line);
	store_close(store);
	return ret;
}
