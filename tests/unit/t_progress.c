/*
 * t_progress: the progress stream: plain lines, the bar, listeners.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"
#include "testlib.h"
#include "util/buf.h"
#include "util/progress.h"

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* Runs the same operations on any stream. */
static void script(struct progress *p)
{
	progress_start(p, "create", "Article");
	progress_done(p, "create", "Article", PROGRESS_OK, NULL);
	progress_start(p, "update", "Hero");
	progress_done(p, "update", "Hero", PROGRESS_FAILED,
		      "412 precondition failed");
	progress_message(p, "resuming run %d", 7);
	progress_done(p, "delete", "Old", PROGRESS_SKIPPED,
		      "depends on 'Hero', which failed");
	progress_finish(p);
}

static void test_lines(void)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct progress *p = progress_new(f, PROGRESS_AUTO, 3);

	script(p);
	progress_free(p);
	fclose(f);
	is_str(text,
	       "ok      create  Article\n"
	       "FAILED  update  Hero: 412 precondition failed\n"
	       "resuming run 7\n"
	       "skipped delete  Old: depends on 'Hero', which failed\n"
	       "1 done, 1 failed, 1 skipped of 3\n",
	       "lines: one line per finished operation, messages, counts "
	       "(auto on a non-terminal)");
	free(text);

	text = NULL;
	f = open_memstream(&text, &len);
	p = progress_new(f, PROGRESS_LINES, 1);
	progress_start(p, "recreate", "LongerThanSeven");
	progress_done(p, "recreate", "LongerThanSeven", PROGRESS_OK, "");
	progress_free(p);
	fclose(f);
	is_str(text, "ok      recreate LongerThanSeven\n",
	       "lines: a long action keeps a space, an empty detail no colon");
	free(text);

	text = NULL;
	f = open_memstream(&text, &len);
	p = progress_new(f, PROGRESS_QUIET, 3);
	script(p);
	progress_free(p);
	fclose(f);
	is_int(len, 0, "quiet: nothing printed");
	free(text);
}

static size_t count(const char *s, const char *what)
{
	size_t n = 0;

	while ((s = strstr(s, what))) {
		n++;
		s += strlen(what);
	}
	return n;
}

/* The longest stretch between '\r' and the next '\r' or '\n'. */
static size_t widest_draw(const char *s)
{
	size_t widest = 0;

	while ((s = strchr(s, '\r'))) {
		size_t n = strcspn(s + 1, "\r\n");

		/* "\033[K" clears; it takes no column. */
		if (n >= 3 && !strncmp(s + 1 + n - 3, "\033[K", 3))
			n -= 3;
		if (n > widest)
			widest = n;
		s++;
	}
	return widest;
}

static void test_bar(void)
{
	char *path = test_temp_path();
	struct buf text = BUF_INIT;
	FILE *f = fopen(path, "w");
	struct progress *p = progress_new(f, PROGRESS_BAR, 5);
	size_t draws, tail_len;
	const char *tail = "4 done, 1 failed, 0 skipped of 5\n";
	int i;

	progress_start(p, "create", "A");
	progress_start(p, "create", "B");
	progress_done(p, "create", "A", PROGRESS_OK, NULL);
	progress_done(p, "create", "B", PROGRESS_FAILED, "boom");
	for (i = 0; i < 3; i++) {
		progress_start(p, "update", "C");
		progress_done(p, "update", "C", PROGRESS_OK, NULL);
	}
	progress_finish(p);
	progress_free(p);
	fclose(f);
	if (test_read_file(&text, path) < 0)
		diag("cannot read %s", path);

	ok(strstr(text.ptr, "\r[") != NULL, "bar: drawn after a '\\r'");
	ok(strstr(text.ptr, "] 0/5  1 running  create A") != NULL,
	   "bar: counts, running and the last operation started");
	ok(strstr(text.ptr, "\r\033[KFAILED  create  B: boom\n") != NULL,
	   "bar: a failure clears the bar and prints a line above it");
	ok(strstr(text.ptr, "] 5/5  1 failed\033[K") != NULL,
	   "bar: the final draw shows the final counts");
	ok(strstr(text.ptr, "[========================================] 5/5") !=
		   NULL,
	   "bar: full at the end");
	tail_len = strlen(tail);
	ok(text.len >= tail_len + 4 &&
		   !strcmp(text.ptr + text.len - tail_len - 4,
			   "\r\033[K4 done, 1 failed, 0 skipped of 5\n"),
	   "bar: finish clears the bar and prints the counts");
	draws = count(text.ptr, "\r[");
	ok(draws >= 2 && draws <= 4,
	   "bar: at most every 100 ms (%zu draws for 10 events)", draws);
	ok(widest_draw(text.ptr) <= 79, "bar: fits in 80 columns");
	ok(!count(text.ptr, "ok      "), "bar: no line for an operation that "
					 "succeeded");

	/* Throttling and width with a long key. */
	f = fopen(path, "w");
	p = progress_new(f, PROGRESS_BAR, 2);
	progress_start(p, "create", "A");
	progress_start(p, "create",
		       "AVeryLongKeyThatWillNotFitInTheTerminalAtAllBecause"
		       "ItJustGoesOnAndOnAndOnAndOn");
	sleep_ms(120);
	progress_add_total(p, 1);
	progress_done(p, "create", "A", PROGRESS_OK, NULL);
	progress_free(p);
	fclose(f);
	buf_reset(&text);
	if (test_read_file(&text, path) < 0)
		diag("cannot read %s", path);
	is_int(count(text.ptr, "\r["), 2,
	       "bar: throttled, drawn again once the interval passed");
	ok(strstr(text.ptr, "] 0/3  2 running  create AVeryLong") != NULL,
	   "bar: add_total shows in the bar");
	is_int(widest_draw(text.ptr), 79, "bar: a long line is cut to fit");
	unlink(path);
	free(path);
	buf_release(&text);
}

struct log {
	struct buf b;
	int id;
};

static void listener(const struct progress_event *ev, void *payload)
{
	struct log *l = payload;

	buf_addf(&l->b, "%d:%s %s %s", l->id, ev->kind,
		 ev->action ? ev->action : "-", ev->key ? ev->key : "-");
	if (!strcmp(ev->kind, "done"))
		buf_addf(&l->b, " %s",
			 ev->outcome == PROGRESS_OK	  ? "ok"
			 : ev->outcome == PROGRESS_FAILED ? "failed"
							  : "skipped");
	if (ev->detail)
		buf_addf(&l->b, " (%s)", ev->detail);
	buf_addf(&l->b, " t=%zu d=%zu f=%zu s=%zu r=%zu\n", ev->total, ev->done,
		 ev->failed, ev->skipped, ev->running);
}

static void test_listeners(void)
{
	struct log a = {BUF_INIT, 1};
	struct progress *p = progress_new(NULL, PROGRESS_BAR, 2);

	progress_listen(p, listener, &a);
	progress_listen(p, listener, &a);
	a.id = 1;
	script(p);
	progress_free(p);
	/* Both listeners write to the same log, in order. */
	is_str(a.b.ptr,
	       "1:start create Article t=2 d=0 f=0 s=0 r=1\n"
	       "1:start create Article t=2 d=0 f=0 s=0 r=1\n"
	       "1:done create Article ok t=2 d=1 f=0 s=0 r=0\n"
	       "1:done create Article ok t=2 d=1 f=0 s=0 r=0\n"
	       "1:start update Hero t=2 d=1 f=0 s=0 r=1\n"
	       "1:start update Hero t=2 d=1 f=0 s=0 r=1\n"
	       "1:done update Hero failed (412 precondition failed) "
	       "t=2 d=1 f=1 s=0 r=0\n"
	       "1:done update Hero failed (412 precondition failed) "
	       "t=2 d=1 f=1 s=0 r=0\n"
	       "1:message - - (resuming run 7) t=2 d=1 f=1 s=0 r=0\n"
	       "1:message - - (resuming run 7) t=2 d=1 f=1 s=0 r=0\n"
	       "1:done delete Old skipped (depends on 'Hero', which failed) "
	       "t=2 d=1 f=1 s=1 r=0\n"
	       "1:done delete Old skipped (depends on 'Hero', which failed) "
	       "t=2 d=1 f=1 s=1 r=0\n"
	       "1:finish - - t=2 d=1 f=1 s=1 r=0\n"
	       "1:finish - - t=2 d=1 f=1 s=1 r=0\n",
	       "listeners: every event, in order, with the counts (NULL out "
	       "is quiet)");
	buf_release(&a.b);
}

struct order_log {
	char seq[16];
	size_t nr;
};

static void first(const struct progress_event *ev, void *payload)
{
	struct order_log *l = payload;

	(void)ev;
	if (l->nr < sizeof(l->seq) - 1)
		l->seq[l->nr++] = '1';
}

static void second(const struct progress_event *ev, void *payload)
{
	struct order_log *l = payload;

	(void)ev;
	if (l->nr < sizeof(l->seq) - 1)
		l->seq[l->nr++] = '2';
}

static void test_add_total(void)
{
	struct order_log ol = {{0}, 0};
	struct log a = {BUF_INIT, 9};
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct progress *p = progress_new(f, PROGRESS_LINES, 1);

	progress_listen(p, first, &ol);
	progress_listen(p, second, &ol);
	progress_listen(p, listener, &a);
	progress_add_total(p, 2);
	progress_start(p, "create", "X");
	progress_done(p, "create", "X", PROGRESS_OK, NULL);
	progress_finish(p);
	progress_free(p);
	progress_free(NULL);
	fclose(f);
	is_str(ol.seq, "121212", "listeners are called in the order added");
	is_str(text, "ok      create  X\n1 done, 0 failed, 0 skipped of 3\n",
	       "add_total: the final line counts the new total");
	ok(strstr(a.b.ptr, "9:finish - - t=3 d=1") != NULL,
	   "add_total: listeners see the new total");
	free(text);
	buf_release(&a.b);
}

int main(void)
{
	plan_lazy();
	test_lines();
	test_bar();
	test_listeners();
	test_add_total();
	return done_testing();
}
