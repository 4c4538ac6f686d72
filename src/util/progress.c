/*
 * progress: the one progress stream of a run (brief §11).
 *
 * Bar mode keeps one line at the bottom and redraws it in place ('\r'),
 * at most every PROGRESS_INTERVAL_MS except for the final draw; anything
 * printed while the bar is shown clears it first ("\r\033[K"), prints a
 * whole line and draws the bar again below it. Lines mode prints one line
 * per finished operation. Listeners get every event, whatever the style.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "util/progress.h"
#include "util/buf.h"
#include "util/timeutil.h"
#include "util/xalloc.h"
#include "util/banned.h"

#define PROGRESS_LISTENERS_MAX 4
#define PROGRESS_INTERVAL_MS 100
#define PROGRESS_DEFAULT_WIDTH 80
#define PROGRESS_BAR_MIN 10
#define PROGRESS_BAR_MAX 40

struct progress_listener {
	progress_listener_fn fn;
	void *payload;
};

struct progress {
	FILE *out;
	enum progress_style style; /* resolved: BAR, LINES or QUIET */
	size_t total, done, failed, skipped, running;
	struct progress_listener listeners[PROGRESS_LISTENERS_MAX];
	size_t listeners_nr;
	struct buf current;  /* "create Article": the last one started */
	long long last_draw; /* time_mono_ms of the last draw; -1: none */
	int bar_shown;	     /* the bar is on the current line */
};

static enum progress_style resolve_style(FILE *out, enum progress_style s)
{
	const char *term;
	int fd;

	if (!out)
		return PROGRESS_QUIET;
	if (s != PROGRESS_AUTO)
		return s;
	fd = fileno(out);
	if (fd < 0 || !isatty(fd))
		return PROGRESS_LINES;
	term = getenv("TERM");
	if (term && !strcmp(term, "dumb"))
		return PROGRESS_LINES;
	return PROGRESS_BAR;
}

struct progress *progress_new(FILE *out, enum progress_style style,
			      size_t total)
{
	struct progress *p = xcalloc(1, sizeof(*p));

	p->out = out;
	p->style = resolve_style(out, style);
	p->total = total;
	p->last_draw = -1;
	buf_init(&p->current, 0);
	return p;
}

void progress_free(struct progress *p)
{
	if (!p)
		return;
	buf_release(&p->current);
	free(p);
}

void progress_listen(struct progress *p, progress_listener_fn fn, void *payload)
{
	if (!p || !fn)
		return;
	if (p->listeners_nr == PROGRESS_LISTENERS_MAX) {
		fputs("BUG: progress_listen: too many listeners\n", stderr);
		abort();
	}
	p->listeners[p->listeners_nr].fn = fn;
	p->listeners[p->listeners_nr].payload = payload;
	p->listeners_nr++;
}

static void emit(const struct progress *p, const char *kind, const char *action,
		 const char *key, enum progress_outcome outcome,
		 const char *detail)
{
	struct progress_event ev;
	size_t i;

	ev.kind = kind;
	ev.action = action;
	ev.key = key;
	ev.outcome = outcome;
	ev.detail = detail;
	ev.total = p->total;
	ev.done = p->done;
	ev.failed = p->failed;
	ev.skipped = p->skipped;
	ev.running = p->running;
	for (i = 0; i < p->listeners_nr; i++)
		p->listeners[i].fn(&ev, p->listeners[i].payload);
}

/* ------------------------------------------------------------------ */
/* Rendering */

static size_t term_width(FILE *out)
{
	struct winsize ws;
	int fd = fileno(out);

	if (fd >= 0 && isatty(fd) && !ioctl(fd, TIOCGWINSZ, &ws) &&
	    ws.ws_col > 0)
		return ws.ws_col;
	return PROGRESS_DEFAULT_WIDTH;
}

/* Cuts b to at most n bytes, not inside a UTF-8 sequence. */
static void cut(struct buf *b, size_t n)
{
	if (b->len <= n)
		return;
	while (n && ((unsigned char)b->ptr[n] & 0xc0) == 0x80)
		n--;
	buf_setlen(b, n);
}

/* The bar as it reads now: "[=====>    ] 412/1000  3 failed ...". */
static void bar_line(const struct progress *p, struct buf *line, size_t width)
{
	struct buf tail = BUF_INIT;
	size_t finished = p->done + p->failed + p->skipped;
	size_t bar, fill, i;

	buf_addf(&tail, " %zu/%zu", finished, p->total);
	if (p->failed)
		buf_addf(&tail, "  %zu failed", p->failed);
	if (p->skipped)
		buf_addf(&tail, "  %zu skipped", p->skipped);
	if (p->running)
		buf_addf(&tail, "  %zu running", p->running);
	if (p->running && p->current.len)
		buf_addf(&tail, "  %s", p->current.ptr);

	/* The last column stays free: writing there wraps some terms. */
	if (width > 1)
		width--;
	bar = width > tail.len + 2 ? width - tail.len - 2 : 0;
	if (bar > PROGRESS_BAR_MAX)
		bar = PROGRESS_BAR_MAX;
	if (bar < PROGRESS_BAR_MIN)
		bar = PROGRESS_BAR_MIN;
	if (!p->total)
		fill = finished ? bar : 0;
	else if (finished >= p->total)
		fill = bar;
	else
		fill = finished * bar / p->total;

	buf_addch(line, '[');
	for (i = 0; i < bar; i++) {
		if (i < fill)
			buf_addch(line, '=');
		else if (i == fill && fill)
			buf_addch(line, '>');
		else
			buf_addch(line, ' ');
	}
	buf_addch(line, ']');
	buf_add(line, tail.ptr, tail.len);
	cut(line, width);
	buf_release(&tail);
}

/* Draws the bar unless it was drawn less than the interval ago. */
static void draw(struct progress *p, int force)
{
	struct buf line = BUF_INIT, bar = BUF_INIT;
	long long now = time_mono_ms();

	if (p->style != PROGRESS_BAR)
		return;
	if (!force && p->last_draw >= 0 &&
	    now - p->last_draw < PROGRESS_INTERVAL_MS)
		return;
	p->last_draw = now;
	bar_line(p, &bar, term_width(p->out));
	buf_addf(&line, "\r%s\033[K", bar.ptr);
	fwrite(line.ptr, 1, line.len, p->out);
	fflush(p->out);
	p->bar_shown = 1;
	buf_release(&bar);
	buf_release(&line);
}

static void clear_bar(struct progress *p)
{
	if (!p->bar_shown)
		return;
	fputs("\r\033[K", p->out);
	p->bar_shown = 0;
}

/* Prints a whole line (above the bar in bar mode). */
static void print_line(struct progress *p, const struct buf *line)
{
	if (p->style == PROGRESS_QUIET)
		return;
	if (p->style == PROGRESS_BAR)
		clear_bar(p);
	fwrite(line->ptr, 1, line->len, p->out);
	fputc('\n', p->out);
	if (p->style == PROGRESS_BAR)
		draw(p, 1);
	else
		fflush(p->out);
}

/* ------------------------------------------------------------------ */
/* Events */

void progress_add_total(struct progress *p, size_t more)
{
	if (!p)
		return;
	p->total += more;
	draw(p, 0);
}

void progress_start(struct progress *p, const char *action, const char *key)
{
	if (!p)
		return;
	p->running++;
	buf_reset(&p->current);
	buf_addf(&p->current, "%s %s", action ? action : "", key ? key : "");
	draw(p, 0);
	emit(p, "start", action, key, PROGRESS_OK, NULL);
}

static const char *outcome_label(enum progress_outcome o)
{
	switch (o) {
	case PROGRESS_FAILED:
		return "FAILED";
	case PROGRESS_SKIPPED:
		return "skipped";
	default:
		return "ok";
	}
}

void progress_done(struct progress *p, const char *action, const char *key,
		   enum progress_outcome outcome, const char *detail)
{
	struct buf line = BUF_INIT;

	if (!p)
		return;
	if (p->running)
		p->running--;
	if (outcome == PROGRESS_FAILED)
		p->failed++;
	else if (outcome == PROGRESS_SKIPPED)
		p->skipped++;
	else
		p->done++;

	buf_addf(&line, "%-7s %-7s %s", outcome_label(outcome),
		 action ? action : "", key ? key : "");
	if (detail && *detail)
		buf_addf(&line, ": %s", detail);
	if (p->style == PROGRESS_LINES ||
	    (p->style == PROGRESS_BAR && outcome == PROGRESS_FAILED))
		print_line(p, &line);
	else
		draw(p, p->done + p->failed + p->skipped >= p->total);
	buf_release(&line);
	emit(p, "done", action, key, outcome, detail);
}

void progress_message(struct progress *p, const char *fmt, ...)
{
	struct buf line = BUF_INIT;
	va_list ap;

	if (!p)
		return;
	va_start(ap, fmt);
	buf_vaddf(&line, fmt, ap);
	va_end(ap);
	print_line(p, &line);
	emit(p, "message", NULL, NULL, PROGRESS_OK, line.ptr);
	buf_release(&line);
}

void progress_finish(struct progress *p)
{
	struct buf line = BUF_INIT;

	if (!p)
		return;
	if (p->style == PROGRESS_BAR) {
		draw(p, 1);
		clear_bar(p);
	}
	buf_addf(&line, "%zu done, %zu failed, %zu skipped of %zu", p->done,
		 p->failed, p->skipped, p->total);
	if (p->style != PROGRESS_QUIET) {
		fwrite(line.ptr, 1, line.len, p->out);
		fputc('\n', p->out);
		fflush(p->out);
	}
	buf_release(&line);
	emit(p, "finish", NULL, NULL, PROGRESS_OK, NULL);
}
