/*
 * plan: what a sync would do to one target, decided per type (brief §8,
 * §10), as a JSON document that can be shown, saved, reviewed and applied
 * exactly (docs/json-formats.md, "Plan").
 *
 * For every managed type (the types of the website in Catalyst, plus those
 * with a base in the store) the planner compares three hashes over owned
 * paths: L of the desired document (the lens output of the Catalyst head),
 * B of the base (what both sides last agreed on) and R of the remote
 * document, and decides with plan_decide. Remote documents come from one
 * LIST; every type that is to be written is read again with a GET, so
 * that the decision rests on a fresh read and the plan carries the ETag it
 * will send as If-Match. Then validation stage 3 (data loss), the order of
 * the writes (core/order.h) and the operations.
 *
 * The planner never writes: not to the target, not to the store.
 */
#ifndef CORE_PLAN_H
#define CORE_PLAN_H

#include <jansson.h>

#include "core/canon.h"
#include "core/tform.h"

struct model;
struct store;
struct target;

#define PLAN_FORMAT_VERSION 1

/* What the plan does with one type. */
enum plan_action {
	PLAN_NONE = 0,	     /* in sync */
	PLAN_CREATE,	     /* push: not in the target yet */
	PLAN_UPDATE,	     /* push: patch the target */
	PLAN_DELETE,	     /* deleted in Catalyst: delete in the target */
	PLAN_RECREATE,	     /* baseType change allowed: delete, create */
	PLAN_ADOPT,	     /* no base, both sides equal: record the base */
	PLAN_CONVERGED,	     /* both changed the same way: record the base */
	PLAN_FORGET,	     /* deleted on both sides: forget the state */
	PLAN_DRIFT,	     /* changed in the CMS only (attention) */
	PLAN_CONFLICT,	     /* changed on both sides (attention) */
	PLAN_REMOTE_DELETED, /* deleted in the CMS only (attention) */
	PLAN_BLOCKED,	     /* invalid, data loss, unsafe, or dependent */
	/* The actions that write Catalyst (pull and bidirectional modes,
	 * strategies; brief §8, §12). */
	PLAN_PULL,	  /* changed in the CMS only: Catalyst takes it */
	PLAN_MERGE,	  /* changed on both sides, merged: Catalyst takes
			     the merge, and (bidirectional) the CMS too */
	PLAN_UNPUSHED,	  /* changed in Catalyst; pull mode leaves it */
	PLAN_IMPORT,	  /* in the CMS only: becomes a Catalyst type */
	PLAN_REMOVE_LOCAL /* deleted in the CMS: removed from Catalyst */
};

/* "create", "update", ... as in plan files. */
const char *plan_action_name(enum plan_action a);
/* The reverse; -1 for an unknown name. */
int plan_action_parse(const char *name);
/* True for the actions that need the user's attention (exit code 3). */
int plan_action_attention(enum plan_action a);

/* One type's three sides, as plan_decide sees them. */
struct plan_sides {
	/* Catalyst: the type's row exists and can be used; or it was
	 * deleted (its history says so, or only the store knows it). */
	int local_present;
	const char *local_hash; /* L, when present */
	const char *local_base_type;
	/* The store: a base exists for this target. */
	const char *base_hash; /* B; NULL: no base */
	/* The target. */
	const char *remote_hash; /* R; NULL: not in the target */
	const char *remote_base_type;
	/* The user's permissions. */
	int recreate;	     /* --recreate */
	int allow_data_loss; /* --allow-data-loss */
};

/*
 * The decision table of brief §8. *reason (may be NULL) gets a short
 * sentence saying why, for the plan's text and JSON. Validation errors,
 * data loss of an update and unsafe deletes are decided later (they need
 * the documents); this decides the rows of the table, including a
 * baseType change (blocked unless both --allow-data-loss and --recreate,
 * then PLAN_RECREATE).
 */
enum plan_action plan_decide(const struct plan_sides *s, const char **reason);

struct plan_options {
	const char *target_name; /* the sync.platforms entry */
	const char *target_url;	 /* for the plan's identity */
	const char *website_id;
	const char *website_name; /* may be NULL */
	const char *mode;	  /* push | pull | bidirectional */
	int allow_data_loss;
	int recreate;
	int strict; /* validation: strict (warnings fail) */
	/* --type and --exclude: arrays of keys, Catalyst ids or names; NULL
	 * for no filter. */
	const json_t *only;
	const json_t *exclude;
	/*
	 * How conflicts (and, with "local", drift) are settled (brief §9):
	 * NULL or "merge" (a clean merge goes through where Catalyst may be
	 * written; real conflicts wait), "local" (Catalyst wins the
	 * conflicting paths; in push mode the CMS is overwritten), "remote"
	 * (the CMS wins them; needs a mode that writes Catalyst).
	 */
	const char *strategy;
	/* pull --allow-delete: types deleted in the CMS are removed from
	 * Catalyst. */
	int allow_delete;
	/* pull --adopt: remote keys that become Catalyst types (array). */
	const json_t *adopt;
	/* resolve --file: {type key: [{"segments": [...], "value"?: V}]},
	 * the value each conflicting path takes (no value: removed), on top
	 * of the automatic merge. */
	const json_t *choices;
	/* rollback: {type key: canonical target doc, or null}, what the
	 * type's Catalyst side is taken to be instead of its head (null: as
	 * if deleted). The keys must be managed types. */
	const json_t *desired;
	/* rollback without --catalyst: the writes leave the base as it was,
	 * so that the CMS shows as drift until Catalyst follows (pull) or
	 * is pushed again (--strategy local). */
	int keep_base;
};

/* True when a mode writes Catalyst (pull, bidirectional) or the CMS
 * (push, bidirectional). */
int plan_mode_pulls(const char *mode);
int plan_mode_pushes(const char *mode);

/*
 * Builds the plan for the types of m (opened on one website, m->store set)
 * against target t, with the sync state of store s. *out is the plan
 * document (new). Errors reading Catalyst, the store or the target are
 * returned; a type that cannot be planned is in the plan as blocked, with
 * the reason.
 */
int plan_build(struct store *s, struct target *t, struct model *m,
	       const struct plan_options *o, json_t **out)
	__attribute__((warn_unused_result));

/*
 * Checks a plan document read from a file: its format_version, that every
 * member apply needs is there with the right type, and that every
 * operation's dependencies name earlier operations. Errors are
 * ERR_INVALID and cite the member ("operations[3].after").
 */
int plan_check(const json_t *plan) __attribute__((warn_unused_result));

/* Counts of a plan's "summary" member: the types per action. */
size_t plan_count(const json_t *plan, enum plan_action a);
/* True when the plan writes to the target or the store. */
int plan_has_changes(const json_t *plan);
/* True when a type needs attention (drift, conflicts, data loss...). */
int plan_needs_attention(const json_t *plan);
/* True when a type was left out for validation errors. */
int plan_has_invalid(const json_t *plan);

#endif
