/*
 * emu: the emulator's server state and the pieces of request handling.
 *
 * One struct emu lives for the whole run. Its lock guards everything in it
 * that changes after start: the model, the journal, faults, the PRNG, the
 * rate-limit window and the token generation. Handlers of the API
 * (api_*.c), the token endpoint (oauth.c) and the control API (control.c)
 * are called with the lock held; latency is slept without it.
 */
#ifndef EMU_EMU_H
#define EMU_EMU_H

#include <jansson.h>
#include <pthread.h>
#include <stdint.h>

#include "model.h"
#include "support.h"
#include "util/buf.h"
#include "util/httpd.h"

#define EMU_VERSION_TEXT "0.1.0"
#define EMU_JOURNAL_MAX 10000
#define EMU_JOURNAL_BODY_MAX (1u << 20)
#define EMU_JOURNAL_BYTES_MAX (64u << 20)
#define EMU_PAGE_SIZE_DEFAULT 100
#define EMU_PAGE_MAX 10000

struct emu_faults {
	long latency_ms;
	long jitter_ms;
	double error_rate;
	long rate_limit;
	long token_ttl;
	double drop_rate;
	double truncate_rate;
	long stale_read_ms;
};

enum rule_action { RULE_STATUS, RULE_DROP, RULE_TRUNCATE, RULE_DELAY };

struct fault_rule {
	long id;
	char *method;
	char *path;
	long after;
	long count; /* left to fire; 0 = for ever */
	enum rule_action action;
	int status;
	long retry_after; /* -1: none */
	long delay_ms;
	int phase_after;
};

struct journal_entry {
	long long seq;
	long long time_ms;
	long long duration_ms;
	char *method;
	char *path;
	char *query;
	json_t *headers;
	char *body;
	size_t body_len;
	int body_cut;
	int status;
	const char *fault;
};

struct journal {
	struct journal_entry *ring;
	size_t start, nr;
	size_t body_bytes;
};

struct emu {
	pthread_mutex_t lock;
	char *client_id;
	char *client_secret;
	uint64_t seed;
	char *state_path;
	struct emu_faults faults, faults_initial;
	struct emu_rng rng;
	unsigned char token_key[32];
	long token_gen;
	struct model model;
	struct journal journal;
	struct fault_rule *rules;
	size_t rules_nr, rules_alloc;
	long next_rule_id;
	long long *window; /* rate limit: times of recent requests */
	size_t window_cap, window_start, window_nr;
	long long next_seq;
};

/* One request being handled. */
struct call {
	struct emu *emu;
	const struct httpd_request *req;
	struct httpd_response *res;
	long long seq;
	long long now_ms;
	enum emu_version version;
	const char *prefix; /* "/_cms/v1", "/preview3", ... */
	char *client;	    /* the token's subject, for createdBy */
	const char *fault;  /* for the journal */
	/* decoded query parameters, in order */
	struct qparam *q;
	size_t q_nr, q_alloc;
};

struct qparam {
	char *name;
	char *value;
};

/* emu.c */
void emu_init(struct emu *e);
void emu_release(struct emu *e);
/* Back to the seed state (see POST /_emulator/reset); lock held. */
void emu_reset(struct emu *e);
/* Writes the state file, if any; lock held. Logs failures. */
void emu_persist(struct emu *e);
/* Loads the state file at start, or creates it. */
int emu_load_state_file(struct emu *e) __attribute__((warn_unused_result));
/* The httpd handler: everything starts here. */
void emu_handle(const struct httpd_request *req, struct httpd_response *res,
		void *payload);

/* Replies (call.c). Each sets status, headers and body of c->res. */
void reply_json(struct call *c, int status, json_t *body);
void reply_raw(struct call *c, int status, const char *ctype, const char *p,
	       size_t n);
void reply_empty(struct call *c, int status);
/*
 * Turns a 200 reply into a 304: no body is sent, but Content-Length is
 * the 200's.
 */
void reply_not_modified(struct call *c);
/* A problem+json reply; errs (taken, may be NULL) becomes "errors". */
void reply_problem(struct call *c, int status, const char *code, json_t *errs,
		   const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void reply_header(struct call *c, const char *name, const char *value);
/* The first query parameter called name, decoded, or NULL. */
const char *call_query(const struct call *c, const char *name);
/* Parses the query string; 400 reply and -1 on a bad escape. */
int call_parse_query(struct call *c);
void call_release(struct call *c);
/* Parses the body as a JSON object; on failure replies 400, returns NULL. */
json_t *call_body_object(struct call *c);
/* True when the header's media type (before ';') equals type. */
int media_type_is(const char *header, const char *type);
/* True when Prefer asks for return=representation. */
int call_wants_representation(const struct call *c);
/* True when cms-ignore-data-loss-warnings is "true" (any case). */
int call_ignores_data_loss(const struct call *c);
/*
 * Evaluates If-Match / If-Unmodified-Since against a resource; returns 0,
 * or replies 412 and returns -1.
 */
int call_check_preconditions(struct call *c, const struct res *r);
/*
 * For GET: 1 when If-None-Match (or, without it, If-Modified-Since) says
 * the client's copy is current, so the answer is 304.
 */
int call_not_modified(const struct call *c, const char *etag, long long ms);
/*
 * Whether value (case-insensitive) is among the values of the query
 * parameter name, given repeated or comma-separated; -1 when the
 * parameter is absent.
 */
int call_query_has(const struct call *c, const char *name, const char *value);
/* Sets ETag and Last-Modified. */
void reply_validators(struct call *c, const char *etag, long long ms);
/* The media type of every JSON body the emulator sends. */
#define JSON_CTYPE "application/json; charset=utf-8"

/* Answers with r in the form of the call's API version. */
void reply_res(struct call *c, int status, struct res *r);
/*
 * Answers a successful write of r: 200 with r when with_body (adding
 * Preference-Applied when the client asked for the representation with
 * prefer), else 204 with no body.
 */
void reply_written(struct call *c, struct res *r, int with_body, int prefer);
/* "2025-..." for now, into a buffer. */
void call_now_iso(const struct call *c, struct buf *out);
/* The user that writes appear from (the client id). */
const char *call_user(const struct call *c);

/* oauth.c */
/* Derives the token signing key from e->seed. */
void oauth_setup(struct emu *e);
void oauth_token(struct call *c);
/*
 * Checks "Authorization: Bearer ..."; returns 0 and sets c->client, or
 * replies 401 and returns -1.
 */
int oauth_check(struct call *c);

/* api_types.c, api_groups.c, api_manifest.c: rest is after the prefix. */
void api_types(struct call *c, const char *key);
void api_groups(struct call *c, const char *key);
void api_manifest(struct call *c);
/* Shared by the editor routes of the control API. */
void types_editor_create(struct call *c, const char *user);
void types_editor_patch(struct call *c, const char *key, const char *user);
void types_editor_delete(struct call *c, const char *key);

/* control.c */
void control_handle(struct call *c, const char *rest);

/* faults.c */
/* The fault settings as GET /_emulator/faults shows them (a new object). */
json_t *faults_to_json(const struct emu_faults *f);
/*
 * Applies the members of j to f, all or nothing. Returns 0, or -1 with one
 * {field, detail} per bad member appended to errs (f is then unchanged).
 */
int faults_from_json(struct emu_faults *f, const json_t *j, json_t *errs);
/*
 * Fills r from a scripted rule (defaults for absent members). Returns 0,
 * or -1 with errs filled. On success r owns copies of its strings.
 */
int rule_from_json(struct fault_rule *r, const json_t *j, json_t *errs);
/* A rule as GET /_emulator/faults/script shows it (a new object). */
json_t *rule_to_json(const struct fault_rule *r);
void rule_release(struct fault_rule *r);
/* Releases and forgets every scripted rule. */
void rules_clear(struct emu *e);

/* journal.c */
/*
 * Appends e (taking what it owns; e is zeroed), evicting the oldest entries
 * beyond EMU_JOURNAL_MAX entries or EMU_JOURNAL_BYTES_MAX of bodies.
 */
void journal_add(struct journal *j, struct journal_entry *e);
void journal_clear(struct journal *j);
/*
 * {"entries": [...], "lastSeq": N}: the entries with seq > since, in seq
 * order, at most limit of them (all when limit <= 0). A new object.
 */
json_t *journal_to_json(const struct journal *j, long long since,
			long long limit);
void journal_entry_release(struct journal_entry *e);

#endif
