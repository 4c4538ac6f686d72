/*
 * catalyst-sync runs: the runs of the executor (sync_runs), newest first,
 * with their outcome (brief §11, §16).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/output.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/jx.h"

static const char runs_synopsis[] = "catalyst-sync runs [--limit N] [--json]";
static const char runs_description[] =
	"Lists the runs of 'catalyst-sync apply', newest first: the run id,\n"
	"its status (running, done, partial, failed or interrupted), who\n"
	"started it, when (UTC), how long it took, and what it did. A run\n"
	"that is running or was interrupted can be finished with\n"
	"'catalyst-sync resume'. Use a run id (or a prefix of at least 4\n"
	"digits) with 'catalyst-sync history --run ID'.";

static long opt_limit;
static int opt_json;

static const struct opt_spec runs_opts[] = {
	OPT_INT_("limit", 'n', &opt_limit, "N", "at most N runs"),
	OPT_FLAG_("json", 0, &opt_json, "print the runs as JSON"), OPT_END_()};

static int resumable(const json_t *run)
{
	const char *status = jx_str(run, "status");

	return status &&
	       (!strcmp(status, "running") || !strcmp(status, "interrupted"));
}

/* A duration for people: 850ms, 12.3s, 4m05s, 2h07m. */
static void add_duration(struct buf *b, const json_t *ms_json)
{
	long long ms;

	if (!json_is_integer(ms_json)) {
		buf_adds(b, "-");
		return;
	}
	ms = json_integer_value(ms_json);
	if (ms < 0)
		ms = 0;
	if (ms < 1000)
		buf_addf(b, "%lldms", ms);
	else if (ms < 60 * 1000)
		buf_addf(b, "%lld.%llds", ms / 1000, ms % 1000 / 100);
	else if (ms < 3600 * 1000)
		buf_addf(b, "%lldm%02llds", ms / 60000, ms % 60000 / 1000);
	else
		buf_addf(b, "%lldh%02lldm", ms / 3600000, ms % 3600000 / 60000);
}

/* The summary's counts as "created 2, failed 1" (its integer members). */
static void add_summary(struct buf *b, const json_t *summary)
{
	const char *key;
	json_t *v;
	int first = 1;

	json_object_foreach((json_t *)summary, key, v)
	{
		if (!json_is_integer(v))
			continue;
		buf_addf(b, "%s%s %" JSON_INTEGER_FORMAT, first ? "" : ", ",
			 key, json_integer_value(v));
		first = 0;
	}
}

static void print_run(const json_t *run)
{
	struct buf line = BUF_INIT, when = BUF_INIT, took = BUF_INIT;
	const char *started = jx_str(run, "started");
	const char *actor = jx_str(run, "actor");
	const json_t *summary = json_object_get(run, "summary");

	if (started && strlen(started) >= 19)
		buf_addf(&when, "%.19sZ", started);
	else
		buf_adds(&when, started ? started : "-");
	add_duration(&took, json_object_get(run, "duration_ms"));
	buf_addf(&line, "%-12s  %-11s  %-16s  %s  %-6s", jx_str(run, "id"),
		 jx_str(run, "status"), actor ? actor : "-", when.ptr,
		 took.ptr);
	if (json_is_object(summary) && json_object_size(summary)) {
		buf_adds(&line, "  ");
		add_summary(&line, summary);
	}
	if (resumable(run))
		buf_adds(&line, "  (resume with 'catalyst-sync resume')");
	buf_rtrim(&line);
	printf("%s\n", line.ptr);
	buf_release(&line);
	buf_release(&when);
	buf_release(&took);
}

int cmd_runs(int argc, char **argv, struct ctx *ctx)
{
	struct store *store = NULL;
	json_t *runs = NULL, *run;
	char *pos[1];
	size_t i;
	int nr, ret;

	opt_limit = 0;
	opt_json = 0;
	ret = cmd_parse(ctx, argc, argv, runs_opts, runs_synopsis,
			runs_description, pos, &nr, 0);
	if (ret)
		return ret > 0 ? EXIT_OK : ret;
	if (opt_limit < 0)
		return err_set(ERR_USAGE, "--limit must be 0 or more");
	if ((ret = ctx_open_store(ctx, 0, &store)) < 0)
		goto out;
	if ((ret = store_run_list(store, NULL, (size_t)opt_limit, &runs)) < 0)
		goto out;
	if (opt_json) {
		json_t *o;

		json_array_foreach(runs, i, run) json_object_set_new(
			run, "resumable", json_boolean(resumable(run)));
		o = json_pack("{s:i, s:O}", "format_version",
			      OUTPUT_FORMAT_VERSION, "runs", runs);
		output_json(stdout, o);
		json_decref(o);
	} else if (!json_array_size(runs)) {
		printf("no runs yet\n");
	} else {
		json_array_foreach(runs, i, run) print_run(run);
	}
	ret = 0;
out:
	json_decref(runs);
	store_close(store);
	return ret;
}
