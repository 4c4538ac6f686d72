/*
 * progress: the one progress stream of a run (brief §11).
 *
 * The executor reports each operation as it starts and ends; the stream
 * renders it for whoever watches: on a terminal a live bar on one line
 * (redrawn at most every 100 ms, finished lines printed above it), on a
 * pipe or file one plain line per finished operation, and to listeners
 * (the dashboard's server-sent events, later; tests now) as events.
 *
 *	struct progress *p = progress_new(stderr, PROGRESS_AUTO, 12);
 *	progress_start(p, "create", "Article");
 *	progress_done(p, "create", "Article", PROGRESS_OK, NULL);
 *	progress_finish(p);
 *	progress_free(p);
 */
#ifndef UTIL_PROGRESS_H
#define UTIL_PROGRESS_H

#include <stdio.h>

enum progress_style {
	PROGRESS_AUTO = 0, /* a bar when out is a terminal, else lines */
	PROGRESS_BAR,
	PROGRESS_LINES,
	PROGRESS_QUIET /* events to listeners only */
};

enum progress_outcome {
	PROGRESS_OK = 0,
	PROGRESS_FAILED,
	PROGRESS_SKIPPED
};

/* An event as listeners get it (strings borrowed for the call). */
struct progress_event {
	const char *kind;   /* "start", "done", "message", "finish" */
	const char *action; /* "create"...; NULL for message and finish */
	const char *key;    /* NULL for message and finish */
	enum progress_outcome outcome; /* done */
	const char *detail; /* done: why it failed; message: the text */
	/* done counts the operations that succeeded; done + failed +
	 * skipped have finished; running have started, not finished. */
	size_t total, done, failed, skipped, running;
};

typedef void (*progress_listener_fn)(const struct progress_event *ev,
				     void *payload);

struct progress;

/* A stream of total operations rendered on out (may be NULL: quiet). */
struct progress *progress_new(FILE *out, enum progress_style style,
			      size_t total);
void progress_free(struct progress *p);

/* Adds a listener (at most 4); called in order for every event. */
void progress_listen(struct progress *p, progress_listener_fn fn,
		     void *payload);

/* More operations than first announced (a phase split, a fallback). */
void progress_add_total(struct progress *p, size_t more);

void progress_start(struct progress *p, const char *action, const char *key);
void progress_done(struct progress *p, const char *action, const char *key,
		   enum progress_outcome outcome, const char *detail);
/* A line of its own (a notice), printed above the bar. */
void progress_message(struct progress *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Clears the bar and prints the final counts line,
 * "N done, F failed, S skipped of T". */
void progress_finish(struct progress *p);

#endif
