/*
 * target: the port to a CMS that holds content types (brief §3, §11, §14).
 *
 * A backend (today only Optimizely, in optimizely.c) fills a table of
 * functions; the core talks to the table only. Documents cross the port in
 * the canonical target form (core/tform.h); the backend turns them into its
 * wire form and back.
 *
 * Work is a set of operations (struct target_op) run concurrently:
 *
 *	struct target_op *op = target_op_new(TARGET_OP_GET);
 *	op->key = xstrdup("Article");
 *	target_submit(t, op, on_done, payload);  (as many as needed)
 *	target_run(t);                           (returns when all are done)
 *
 * on_done(op, payload) runs once per operation, from inside target_run,
 * and may submit more operations (the executor's dependency graph does
 * just that). The blocking helpers at the end are built on the same two
 * calls; never call them, or target_run, from a done callback.
 *
 * What each operation does on Optimizely:
 *  - LIST: GET /contenttypes page by page until an empty page (totalCount
 *    is only an estimate; a key seen twice keeps its later copy). A list is
 *    not a snapshot: confirm absence with a GET before acting on it.
 *  - GET: with If-None-Match when op->etag is set (304: op->not_modified).
 *    A 404 for a type written earlier in this run is retried for a bounded
 *    time (stale reads), and so is an answer that still shows the version
 *    before our write.
 *  - CREATE: POST with "Prefer: return=representation" (v1); the answer is
 *    trusted. A 409 ("already there") is checked, not trusted: a GET
 *    follows, and when the type there equals op->doc on owned paths (our
 *    own create, whose answer was lost, say) the create succeeded
 *    (op->verified); otherwise ERR_CONFLICT.
 *  - PATCH: op->doc is a canonical merge patch (core/patch.h), sent as
 *    application/merge-patch+json with If-Match when op->etag is set and
 *    "cms-ignore-data-loss-warnings: true" only with TARGET_ALLOW_DATA_LOSS.
 *    A 412 after an attempt whose answer was lost is checked the same way
 *    (does the type already hold the patch?). Writes never go over a
 *    reused connection, so that libcurl cannot hide a lost answer.
 *  - DELETE: with If-Match when op->etag is set; a 404 after a lost answer
 *    means it is gone, as asked.
 *  - IMPORT: v1 only; op->doc is an array of canonical documents, sent as
 *    one POST /manifest (atomic on the server). Errors in the answer fail
 *    the operation; op->outcomes holds the answer. No ETags come back.
 *
 * Errors (op->result, with op->error in plain words): ERR_NOTFOUND (404),
 * ERR_CONFLICT (409, 412), ERR_AUTH (401, 403, refused credentials),
 * ERR_RATELIMIT (429 after the retries), ERR_REMOTE (5xx after the retries,
 * network failures, answers that make no sense), ERR_TIMEOUT, ERR_INVALID
 * (400 and other 4xx: the server's own words, field by field).
 */
#ifndef TARGET_TARGET_H
#define TARGET_TARGET_H

#include <jansson.h>

#include "core/tform.h"

struct config_target;
struct target;

enum target_op_kind {
	TARGET_OP_LIST,
	TARGET_OP_GET,
	TARGET_OP_CREATE,
	TARGET_OP_PATCH,
	TARGET_OP_DELETE,
	TARGET_OP_IMPORT
};

enum target_op_flags {
	TARGET_ALLOW_DATA_LOSS = 1 << 0 /* PATCH, IMPORT */
};

struct target_op {
	/* What to do; set before target_submit, freed by the op. */
	enum target_op_kind kind;
	char *key;   /* GET, PATCH, DELETE */
	char *etag;  /* GET: If-None-Match; PATCH, DELETE: If-Match */
	json_t *doc; /* CREATE: document; PATCH: patch; IMPORT: array */
	unsigned flags;

	/* What happened; set when the done callback runs. */
	int result;	   /* 0, or an error code */
	char *error;	   /* the message, when result < 0 */
	long status;	   /* the last HTTP status (0: none) */
	json_t *remote;	   /* canonical document (LIST: array); may be NULL */
	json_t *raw;	   /* the same as the server sent it (wire names);
			    * LIST: each item's "key" and "source" */
	char *etag_out;	   /* the ETag of remote, when known */
	int not_modified;  /* GET: the server answered 304 */
	int verified;	   /* a lost answer was confirmed by a read */
	json_t *outcomes;  /* IMPORT: {"outcomes": [...], "errors": [...]} */
	unsigned requests; /* HTTP requests this operation made */

	void *state; /* the backend's, while the operation runs */
};

typedef void (*target_done_fn)(struct target_op *op, void *payload);

/* Prepares caller-owned storage; target_op_release frees the members. */
void target_op_init(struct target_op *op, enum target_op_kind kind);
void target_op_release(struct target_op *op);
/* The same on the heap; target_op_free accepts NULL. */
struct target_op *target_op_new(enum target_op_kind kind);
void target_op_free(struct target_op *op);
/* A name for the kind ("create"), for messages. */
const char *target_op_kind_name(enum target_op_kind kind);

/*
 * The backend's table (libgit2-style versioned). submit queues op and never
 * calls done itself; run drives every queued operation to its end;
 * cancel_pending finishes operations not yet started with "cancelled";
 * free releases the backend (after run has returned).
 */
#define TARGET_OPS_VERSION 1
struct target_ops {
	unsigned version;
	const char *name;
	void (*submit)(struct target *t, struct target_op *op,
		       target_done_fn done, void *payload);
	int (*run)(struct target *t);
	void (*cancel_pending)(struct target *t);
	void (*free)(struct target *t);
};

struct target {
	const struct target_ops *ops;
	void *impl;	/* the backend's state */
	char *name;	/* the configured name ("optimizely") */
	char *identity; /* name, base URL and API version, for the store */
	enum api_version version;
};

/* Tuning that the configuration does not carry (tests shorten waits). */
struct target_options {
	long long stale_wait_ms;      /* how long a just-written type may read
					 stale (15000) */
	long long backoff_base_ms;    /* the engine's first backoff (250) */
	long long backoff_max_ms;     /* and longest (15000) */
	long long retry_after_max_ms; /* longest Retry-After honoured */
	unsigned page_size;	      /* LIST page size (1000) */
	unsigned long seed;	      /* jitter; 0: from the clock */
};

void target_options_init(struct target_options *o);

/*
 * Opens the target described by cfg (a sync.platforms entry): today always
 * Optimizely. opts may be NULL for the defaults. A client secret read from
 * client_secret_file is used when client_secret is not set. Returns 0,
 * ERR_USAGE for a bad API version, ERR_INVALID for missing credentials or
 * an unreadable secret file.
 */
int target_open(struct target **out, const struct config_target *cfg,
		const struct target_options *opts)
	__attribute__((warn_unused_result));
/* Frees the target; accepts NULL. */
void target_free(struct target *t);

/* Queues op (borrowed until done has run); see the top of this file. */
void target_submit(struct target *t, struct target_op *op, target_done_fn done,
		   void *payload);
/* Runs every queued operation to its end. 0, or -1 when the engine fails. */
int target_run(struct target *t) __attribute__((warn_unused_result));
/* Finishes the operations not yet started (SIGINT: let the rest finish). */
void target_cancel_pending(struct target *t);

/*
 * Blocking helpers: each submits one operation and runs the target until
 * everything queued is done. They return op->result with the message in
 * err_msg(); results are new references / malloc'd strings the caller
 * owns; any out pointer may be NULL.
 */
/* Every content type: *docs_out an array of canonical documents,
 * *raw_out for each its "key" and, when it has one, its "source" as sent
 * (which tells built-ins; canonical documents drop it). */
int target_list(struct target *t, json_t **docs_out, json_t **raw_out)
	__attribute__((warn_unused_result));
/* One type. With etag and a 304, *doc_out is NULL (nothing changed). */
int target_get(struct target *t, const char *key, const char *etag,
	       json_t **doc_out, char **etag_out)
	__attribute__((warn_unused_result));
int target_create(struct target *t, const json_t *doc, json_t **remote_out,
		  char **etag_out) __attribute__((warn_unused_result));
int target_patch(struct target *t, const char *key, const json_t *patch,
		 const char *etag, unsigned flags, json_t **remote_out,
		 char **etag_out) __attribute__((warn_unused_result));
int target_delete(struct target *t, const char *key, const char *etag)
	__attribute__((warn_unused_result));
int target_import(struct target *t, const json_t *docs, unsigned flags,
		  json_t **outcomes_out) __attribute__((warn_unused_result));

/* ---- the Optimizely backend (optimizely.c) ------------------------------ */

/*
 * The API base and token URL for a configured URL, as the official CLI
 * decides: a SaaS gateway host (^https://api(-[^.]+)?\.cms[^.]*
 * \.optimizely\.com$, after one trailing '/' is dropped) has the API at
 * URL/v1 or URL/preview3 and the token at URL/oauth/token; any other URL
 * has both under URL/_cms/VERSION. Both strings are new.
 */
void target_optimizely_urls(const char *url, enum api_version v, char **api_out,
			    char **token_out);

/* Opens an Optimizely target; target_open calls it. */
int target_optimizely_open(struct target **out, const struct config_target *cfg,
			   const struct target_options *opts)
	__attribute__((warn_unused_result));

#endif
