/*
 * bench_merge3: the three-way merge of one content type (brief §19: a
 * 50-property type merges in at most 1 ms).
 *
 *	bench_merge3 [N]    (default: 10000 merges)
 *
 * Builds a 50-property canonical target form with the attributes real
 * properties carry, then a local and a remote variant: five disjoint
 * attribute edits each, one attribute both change differently (a
 * conflict), and both sides changing the same allowedTypes set (merged as
 * a set). Runs merge3 N times in ten batches and prints the median and
 * best time per merge, and what the merge found. Building is not timed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/merge3.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/jx.h"
#include "util/banned.h"

#define PROPS 50
#define BATCHES 10

static double now_s(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static json_t *property(int i)
{
	static const char *const types[] = {
		"string",      "string",  "integer", "contentReference",
		"contentArea", "boolean", "dateTime"};
	static const char *const groups[] = {"Content", "SEO", "Settings"};
	const char *type = types[i % 7];
	char name[32], desc[64];
	json_t *p;

	snprintf(name, sizeof(name), "Property %d", i);
	snprintf(desc, sizeof(desc), "What property %d holds, for editors", i);
	p = json_pack("{s:s, s:s, s:s, s:b, s:b, s:s, s:i, s:s}", "type", type,
		      "displayName", name, "description", desc, "isRequired",
		      i % 5 == 0, "isLocalized", i % 2, "group", groups[i % 3],
		      "sortOrder", i * 10, "indexingType", "searchable");
	if (!strcmp(type, "string")) {
		json_object_set_new(p, "maxLength", json_integer(100 + i));
		json_object_set_new(p, "minLength", json_integer(i % 3));
		if (i % 4 == 0)
			json_object_set_new(
				p, "enum",
				json_pack("[sss]", "small", "medium", "large"));
		json_object_set_new(p, "editorSettings",
				    json_pack("{s:i, s:s}", "rows", 1 + i % 5,
					      "toolbar", "basic"));
	} else if (!strcmp(type, "integer")) {
		json_object_set_new(p, "minimum", json_integer(0));
		json_object_set_new(p, "maximum", json_integer(1000 * i));
	} else if (!strcmp(type, "contentArea") ||
		   !strcmp(type, "contentReference")) {
		json_object_set_new(p, "allowedTypes",
				    json_pack("[sss]", "ArticlePage",
					      "NewsPage", "TeaserBlock"));
		json_object_set_new(p, "restrictedTypes",
				    json_pack("[s]", "SettingsPage"));
	}
	return p;
}

static json_t *content_type(void)
{
	json_t *props = json_object();
	char key[16];

	for (int i = 0; i < PROPS; i++) {
		snprintf(key, sizeof(key), "p%02d", i);
		json_object_set_new(props, key, property(i));
	}
	return json_pack(
		"{s:s, s:s, s:s, s:s, s:i, s:[sss], s:[s], s:o}", "key",
		"ArticlePage", "displayName", "Article page", "description",
		"A news or blog article", "baseType", "_page", "sortOrder", 100,
		"mayContainTypes", "ArticlePage", "NewsPage", "FolderPage",
		"compositionBehaviors", "SectionEnabled", "properties", props);
}

static json_t *prop(json_t *doc, const char *key)
{
	return json_object_get(json_object_get(doc, "properties"), key);
}

static void set_str(json_t *doc, const char *key, const char *attr,
		    const char *v)
{
	json_object_set_new(prop(doc, key), attr, json_string(v));
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	struct merge_result res = MERGE_RESULT_INIT;
	double per[BATCHES], total = 0, t, cpu;
	json_t *base, *local, *remote;
	struct buf out = BUF_INIT;
	long n = 10000, per_batch;
	char *end;
	int b;

	if (argc > 1) {
		n = strtol(argv[1], &end, 10);
		if (*end || n < BATCHES) {
			fprintf(stderr, "usage: bench_merge3 [N >= %d]\n",
				BATCHES);
			return 2;
		}
	}
	per_batch = n / BATCHES;
	base = content_type();
	local = json_deep_copy(base);
	remote = json_deep_copy(base);

	/* Five disjoint edits on each side. */
	set_str(local, "p01", "displayName", "Headline");
	set_str(local, "p02", "description", "The lead paragraph");
	json_object_set_new(prop(local, "p03"), "isRequired", json_true());
	json_object_set_new(prop(local, "p07"), "maxLength", json_integer(400));
	set_str(local, "p08", "group", "SEO");
	set_str(remote, "p30", "displayName", "Byline");
	json_object_set_new(prop(remote, "p31"), "sortOrder", json_integer(5));
	json_object_del(prop(remote, "p32"), "description");
	set_str(remote, "p33", "indexingType", "disabled");
	json_object_set_new(prop(remote, "p35"), "minLength", json_integer(5));
	/* The same attribute changed differently: one conflict. */
	json_object_set_new(prop(local, "p14"), "maxLength", json_integer(200));
	json_object_set_new(prop(remote, "p14"), "maxLength",
			    json_integer(300));
	/* The same set changed on both sides: merged as a set. */
	json_array_append_new(
		json_object_get(prop(local, "p04"), "allowedTypes"),
		json_string("VideoBlock"));
	json_array_remove(json_object_get(prop(remote, "p04"), "allowedTypes"),
			  1);
	json_array_append_new(
		json_object_get(prop(remote, "p04"), "allowedTypes"),
		json_string("ImageFile"));

	/* Processor time too: on a shared machine the wall clock also
	 * counts the other processes' turns. */
	cpu = now_s(CLOCK_PROCESS_CPUTIME_ID);
	for (b = 0; b < BATCHES; b++) {
		t = now_s(CLOCK_MONOTONIC);
		for (long i = 0; i < per_batch; i++) {
			merge_result_release(&res);
			if (merge3(base, local, remote, NULL, &res) < 0) {
				fprintf(stderr, "bench_merge3: %s\n",
					err_msg());
				return 1;
			}
		}
		t = now_s(CLOCK_MONOTONIC) - t;
		total += t;
		per[b] = t / (double)per_batch * 1e6;
	}
	cpu = now_s(CLOCK_PROCESS_CPUTIME_ID) - cpu;
	qsort(per, BATCHES, sizeof(per[0]), cmp_double);

	printf("properties: %d\n", PROPS);
	printf("merges: %ld in %.3f s (%.3f s of processor time)\n",
	       per_batch * BATCHES, total, cpu);
	printf("per merge: median %.1f us, best %.1f us (%d batches of %ld)\n",
	       (per[BATCHES / 2 - 1] + per[BATCHES / 2]) / 2, per[0], BATCHES,
	       per_batch);
	printf("changes taken: local %zu, remote %zu\n", res.local_changes,
	       res.remote_changes);
	printf("conflicts: %zu\n", res.nr);
	merge_format_conflicts(&out, &res);
	fputs(out.ptr, stdout);
	buf_reset(&out);
	jx_dump_compact(
		&out, json_object_get(prop(res.merged, "p04"), "allowedTypes"));
	printf("merged p04.allowedTypes: %s\n", out.ptr);
	buf_release(&out);
	merge_result_release(&res);
	json_decref(base);
	json_decref(local);
	json_decref(remote);
	return 0;
}
