/*
 * catalyst-sync log TYPE: the versions of a content type, newest first,
 * with --graph drawing the DAG (brief §7).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/output.h"
#include "core/catalyst_form.h"
#include "core/history.h"
#include "source/capture.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

static const char log_synopsis[] =
	"catalyst-sync log TYPE [--graph] [--since DATE] [--author NAME]\n"
	"                       [--source UI|AI|SYNC] [--limit N] [--json]";
static const char log_description[] =
	"Lists the versions of the content type TYPE, newest first: the\n"
	"version id (its first 12 digits), the time, the change source and\n"
	"author, and the message. The head is marked (head), other heads\n"
	"(branches not merged yet) (branch). --graph draws the parent links.\n"
	"DATE is YYYY-MM-DD, an ISO 8601 time, or a duration back from now\n"
	"(7d, 12h).";

/* A version's time as "YYYY-MM-DDTHH:MM:SSZ". */
static void when(struct buf *b, long long ms)
{
	struct buf iso = BUF_INIT;

	time_format_iso(&iso, ms);
	if (iso.len >= 19)
		buf_addf(b, "%.19sZ", iso.ptr);
	else
		buf_adds(b, iso.ptr);
	buf_release(&iso);
}

/* --since: a date, a time, or a duration back from now. */
static int parse_since(const char *text, long long *out)
{
	struct buf b = BUF_INIT;
	long long ms;

	if (time_parse_duration(&ms, text) == 0) {
		*out = time_now_ms() - ms;
		return 0;
	}
	err_clear();
	buf_adds(&b, text);
	if (b.len == 10)
		buf_adds(&b, " 00:00:00");
	ms = catalyst_parse_time(b.ptr, NULL);
	buf_release(&b);
	if (ms < 0 || !strchr(text, '-'))
		return err_set(ERR_USAGE,
			       "--since takes a date (2025-08-15), a time "
			       "(2025-08-15T10:00:00Z) or a duration (7d), "
			       "not '%s'",
			       text);
	*out = ms;
	return 0;
}

/* --- the graph ---------------------------------------------------------- */

struct graph {
	char **cols; /* the version each column waits for */
	size_t nr, alloc;
};

static void graph_release(struct graph *g)
{
	for (size_t i = 0; i < g->nr; i++)
		free(g->cols[i]);
	free(g->cols);
	memset(g, 0, sizeof(*g));
}

static void col_remove(struct graph *g, size_t j)
{
	free(g->cols[j]);
	memmove(&g->cols[j], &g->cols[j + 1],
		(g->nr - j - 1) * sizeof(*g->cols));
	g->nr--;
}

static void col_insert(struct graph *g, size_t j, const char *id)
{
	ALLOC_GROW(g->cols, g->nr + 1, g->alloc);
	memmove(&g->cols[j + 1], &g->cols[j], (g->nr - j) * sizeof(*g->cols));
	g->cols[j] = xstrdup(id);
	g->nr++;
}

/*
 * A transition line over nr columns: columns left of from go straight
 * down ('|' under themselves), the others lean one place: '/' (moving
 * left, when a column joins or ends) or a backslash (moving right, when a
 * column opens). With skip_from, column from draws nothing (it ended).
 */
static void line_lean(struct buf *out, size_t nr, size_t from, char lean,
		      int skip_from)
{
	struct buf l = BUF_INIT;

	for (size_t k = 0; k < nr; k++) {
		if (k < from) {
			buf_adds(&l, k ? " |" : "|");
			continue;
		}
		if (k == from && skip_from)
			continue;
		while (l.len + 1 < 2 * k)
			buf_addch(&l, ' ');
		buf_addch(&l, lean);
	}
	buf_rtrim(&l);
	buf_addf(out, "%s\n", l.ptr);
	buf_release(&l);
}

/* Draws v into out: joins, its own line prefix (in prefix), forks. */
static void graph_next(struct graph *g, const struct store_version *v,
		       struct buf *before, struct buf *prefix,
		       struct buf *after)
{
	size_t idx = g->nr, j;

	for (j = 0; j < g->nr; j++)
		if (!strcmp(g->cols[j], v->id)) {
			idx = j;
			break;
		}
	if (idx == g->nr) {
		ALLOC_GROW(g->cols, g->nr + 1, g->alloc);
		g->cols[g->nr++] = xstrdup(v->id);
	}
	/* Columns that waited for v too join it (a branch point). */
	for (j = g->nr; j-- > idx + 1;) {
		if (strcmp(g->cols[j], v->id))
			continue;
		line_lean(before, g->nr, j, '/', 0);
		col_remove(g, j);
	}
	for (j = 0; j < g->nr; j++)
		buf_adds(prefix,
			 j == idx ? (j ? " *" : "*") : (j ? " |" : "|"));
	if (!v->parents_nr) {
		col_remove(g, idx);
		if (idx < g->nr)
			line_lean(after, g->nr + 1, idx, '/', 1);
		return;
	}
	free(g->cols[idx]);
	g->cols[idx] = xstrdup(v->parents[0]);
	for (size_t p = 1; p < v->parents_nr; p++) {
		int there = 0;

		for (j = 0; j < g->nr; j++)
			there |= !strcmp(g->cols[j], v->parents[p]);
		if (there)
			continue;
		col_insert(g, idx + p, v->parents[p]);
		line_lean(after, g->nr, idx + p, '\\', 0);
	}
}

/* --- output ------------------------------------------------------------- */

struct log_state {
	int json, graph;
	struct graph g;
	char head[CANON_HASH_LEN + 1];
	json_t *branches;
	json_t *versions; /* --json */
};

static int is_branch_head(const struct log_state *s, const char *id)
{
	json_t *b;
	size_t i;

	json_array_foreach(s->branches, i, b)
	{
		if (!strcmp(json_string_value(b), id))
			return 1;
	}
	return 0;
}

static void describe(struct buf *b, const struct store_version *v)
{
	if (v->message)
		buf_adds(b, v->message);
	else if (v->deleted)
		buf_adds(b, "(deleted in Catalyst)");
	else if (v->changelog_id >= 0)
		buf_addf(b, "(edited in Catalyst; changelog #%lld)",
			 v->changelog_id);
	else if (!v->parents_nr)
		buf_adds(b, "(first recorded)");
	else if (v->author || !v->mainline)
		buf_adds(b, "(no message)");
	else
		buf_adds(b, "(found by a scan)");
}

static int log_one(const struct store_version *v, void *payload)
{
	struct log_state *s = payload;
	struct buf line = BUF_INIT, before = BUF_INIT, prefix = BUF_INIT,
		   after = BUF_INIT;
	int head = !strcmp(v->id, s->head), branch = is_branch_head(s, v->id);

	if (s->json) {
		json_t *o = json_object(), *parents = json_array();
		struct buf t = BUF_INIT;

		time_format_iso(&t, v->created_ms);
		for (size_t i = 0; i < v->parents_nr; i++)
			json_array_append_new(parents,
					      json_string(v->parents[i]));
		json_object_set_new(o, "id", json_string(v->id));
		json_object_set_new(o, "parents", parents);
		json_object_set_new(o, "source", json_string(v->source));
		json_object_set_new(o, "author",
				    v->author ? json_string(v->author)
					      : json_null());
		json_object_set_new(o, "message",
				    v->message ? json_string(v->message)
					       : json_null());
		json_object_set_new(o, "created", json_string(t.ptr));
		json_object_set_new(o, "content_hash",
				    json_string(v->content_hash));
		json_object_set_new(o, "name",
				    v->name ? json_string(v->name)
					    : json_null());
		json_object_set_new(o, "deleted", json_boolean(v->deleted));
		json_object_set_new(o, "mainline", json_boolean(v->mainline));
		json_object_set_new(o, "head", json_boolean(head));
		json_object_set_new(o, "branch_head", json_boolean(branch));
		if (v->changelog_id >= 0)
			json_object_set_new(o, "changelog_id",
					    json_integer(v->changelog_id));
		json_array_append_new(s->versions, o);
		buf_release(&t);
		return 0;
	}
	if (s->graph) {
		graph_next(&s->g, v, &before, &prefix, &after);
		buf_addch(&prefix, ' ');
	}
	buf_addf(&line, "%s%s%.12s  ", before.ptr, prefix.ptr, v->id);
	when(&line, v->created_ms);
	buf_addf(&line, "  %-4s %-12s ", v->source,
		 v->author ? v->author : "-");
	describe(&line, v);
	if (head)
		buf_adds(&line, "  (head)");
	else if (branch)
		buf_adds(&line, "  (branch)");
	printf("%s\n%s", line.ptr, after.ptr);
	buf_release(&line);
	buf_release(&before);
	buf_release(&prefix);
	buf_release(&after);
	return 0;
}

int cmd_log(int argc, char **argv, struct ctx *ctx)
{
	struct log_state s = {0};
	const char *since = NULL, *author = NULL, *source = NULL;
	long limit = 0;
	const struct opt_spec opts[] = {
		OPT_FLAG_("graph", 0, &s.graph, "draw the parent links"),
		OPT_STRING_("since", 0, &since, "DATE",
			    "only versions made at or after DATE"),
		OPT_STRING_("author", 0, &author, "NAME",
			    "only versions by NAME"),
		OPT_STRING_("source", 0, &source, "UI|AI|SYNC",
			    "only versions from UI, AI or SYNC"),
		OPT_INT_("limit", 'n', &limit, "N", "at most N versions"),
		OPT_FLAG_("json", 0, &s.json, "print the versions as JSON"),
		OPT_END_()};
	struct store_version_query q = {0};
	struct ctx_type t = {0};
	struct store *store = NULL;
	struct capture *cap = NULL;
	char *pos[1], src[8];
	int nr, ret;

	ret = cmd_parse(ctx, argc, argv, opts, log_synopsis, log_description,
			pos, &nr, 1);
	if (ret)
		return ret > 0 ? EXIT_OK : ret;
	if (nr != 1)
		return err_set(ERR_USAGE, "log needs a TYPE");
	if (limit < 0)
		return err_set(ERR_USAGE, "--limit must be 0 or more");
	if (since && (ret = parse_since(since, &q.since_ms)) < 0)
		return ret;
	if (source) {
		size_t n = strlen(source);

		if (n >= sizeof(src))
			n = sizeof(src) - 1;
		for (size_t i = 0; i < n; i++)
			src[i] = (char)(source[i] >= 'a' && source[i] <= 'z'
						? source[i] - 32
						: source[i]);
		src[n] = '\0';
		if (strcmp(src, "UI") && strcmp(src, "AI") &&
		    strcmp(src, "SYNC"))
			return err_set(ERR_USAGE,
				       "--source must be UI, AI or SYNC, not "
				       "'%s'",
				       source);
		q.source = src;
	}
	q.author = author;
	q.limit = (size_t)limit;
	if ((ret = ctx_open_history(ctx, &store, &cap)) < 0)
		goto out;
	if ((ret = ctx_find_type(ctx, store, pos[0], &t)) < 0)
		goto out;
	if ((ret = history_heads(store, t.id, s.head, &s.branches)) < 0)
		goto out;
	q.type_id = t.id;
	s.versions = json_array();
	if ((ret = store_version_query(store, &q, log_one, &s)) < 0)
		goto out;
	if (s.json) {
		json_t *o = json_pack("{s:i, s:{s:s, s:s?, s:s?, s:s, s:b}, "
				      "s:s?, s:O, s:O}",
				      "format_version", OUTPUT_FORMAT_VERSION,
				      "type", "id", t.id, "name", t.name, "key",
				      t.key, "website", t.website_id,
				      "in_catalyst", t.in_catalyst, "head",
				      s.head[0] ? s.head : NULL, "branches",
				      s.branches, "versions", s.versions);

		output_json(stdout, o);
		json_decref(o);
	}
	ret = 0;
out:
	graph_release(&s.g);
	json_decref(s.branches);
	json_decref(s.versions);
	ctx_type_release(&t);
	capture_close(cap);
	store_close(store);
	return ret;
}
