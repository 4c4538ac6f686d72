/*
 * journal: the ring of recent API requests (see docs/emulator.md).
 */
#include <stdlib.h>
#include <string.h>

#include "emu.h"
#include "util/timeutil.h"
#include "util/xalloc.h"
#include "util/banned.h"

void journal_entry_release(struct journal_entry *e)
{
	free(e->method);
	free(e->path);
	free(e->query);
	free(e->body);
	json_decref(e->headers);
	memset(e, 0, sizeof(*e));
}

static void evict(struct journal *j)
{
	struct journal_entry *e = &j->ring[j->start];

	j->body_bytes -= e->body_len;
	journal_entry_release(e);
	j->start = (j->start + 1) % EMU_JOURNAL_MAX;
	j->nr--;
}

void journal_add(struct journal *j, struct journal_entry *e)
{
	if (!j->ring)
		j->ring = xcalloc(EMU_JOURNAL_MAX, sizeof(*j->ring));
	while (j->nr && (j->nr == EMU_JOURNAL_MAX ||
			 j->body_bytes + e->body_len > EMU_JOURNAL_BYTES_MAX))
		evict(j);
	j->ring[(j->start + j->nr) % EMU_JOURNAL_MAX] = *e;
	j->body_bytes += e->body_len;
	j->nr++;
	memset(e, 0, sizeof(*e));
}

void journal_clear(struct journal *j)
{
	while (j->nr)
		evict(j);
	j->start = 0;
	j->body_bytes = 0;
}

static int by_seq(const void *a, const void *b)
{
	const struct journal_entry *x = *(const struct journal_entry *const *)a;
	const struct journal_entry *y = *(const struct journal_entry *const *)b;

	return (x->seq > y->seq) - (x->seq < y->seq);
}

static json_t *entry_json(const struct journal_entry *e)
{
	struct buf t = BUF_INIT;
	json_t *j = json_object(), *body, *q;

	time_format_iso(&t, e->time_ms);
	json_object_set_new(j, "seq", json_integer(e->seq));
	json_object_set_new(j, "time", json_string(t.ptr));
	json_object_set_new(j, "method", json_string(e->method));
	json_object_set_new(j, "path", json_string(e->path));
	q = json_string(e->query);
	json_object_set_new(j, "query", q ? q : json_string(""));
	json_object_set(j, "headers", e->headers);
	body = json_stringn(e->body, e->body_len);
	if (body) {
		json_object_set_new(j, "body", body);
	} else {
		buf_reset(&t);
		b64_encode(&t, e->body, e->body_len, 0);
		json_object_set_new(j, "bodyBase64", json_string(t.ptr));
	}
	if (e->body_cut)
		json_object_set_new(j, "bodyTruncated", json_true());
	json_object_set_new(j, "status", json_integer(e->status));
	json_object_set_new(j, "durationMs", json_integer(e->duration_ms));
	json_object_set_new(j, "fault",
			    e->fault ? json_string(e->fault) : json_null());
	buf_release(&t);
	return j;
}

json_t *journal_to_json(const struct journal *j, long long since,
			long long limit)
{
	const struct journal_entry **list =
		xcalloc(j->nr ? j->nr : 1, sizeof(*list));
	json_t *entries = json_array();
	size_t n = 0;
	long long last = since;

	for (size_t i = 0; i < j->nr; i++) {
		const struct journal_entry *e =
			&j->ring[(j->start + i) % EMU_JOURNAL_MAX];

		if (e->seq > last)
			last = e->seq;
		if (e->seq > since)
			list[n++] = e;
	}
	qsort(list, n, sizeof(*list), by_seq);
	for (size_t i = 0; i < n && (limit <= 0 || (long long)i < limit); i++)
		json_array_append_new(entries, entry_json(list[i]));
	free(list);
	return json_pack("{s:o, s:I}", "entries", entries, "lastSeq",
			 (json_int_t)last);
}
