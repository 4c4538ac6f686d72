/*
 * history: the version history of Catalyst content types (brief §7), over
 * the state store port and the change capture in Catalyst's database.
 *
 * Every change of a content type becomes a version: its Catalyst form, the
 * content hash, parents (the version it was based on; two for a merge), the
 * change source (UI, AI or SYNC), author, message and time. A version id is
 * a content address (core/canon.h), so recording the same thing twice is
 * harmless.
 *
 * Where versions come from:
 * - the changelog the triggers fill (source/capture.h): each row in order,
 *   idempotently by its id; a row whose content equals the head's makes no
 *   version (that is also how our own write-backs are recognised when they
 *   come round through the triggers); unattributed edits are source UI;
 * - a full scan of the ContentType rows, when the triggers are missing (a
 *   warning names 'catalyst-sync init'), when the store was set up without
 *   triggers, and at init;
 * - history_record: an edit made through catalyst-sync, with its source,
 *   author, message and the version it was based on. When the head has
 *   moved past that base, the edit becomes a branch (a second head) and is
 *   kept in the store only; Catalyst keeps the head until a merge.
 *
 * Two databases, no shared transaction: history_record writes an intent to
 * the store first, then Catalyst (one transaction, busy timeout), then the
 * version and the intent's completion together. history_sync finds an
 * unfinished intent first thing and compares Catalyst with it: written ->
 * finished; not written -> redone; Catalyst changed by someone else
 * meanwhile -> kept as a branch. CS_FAULT_AT=record:after-intent or
 * record:after-catalyst (debug builds) kills the process (exit 9) at that
 * point, for the tests.
 */
#ifndef CORE_HISTORY_H
#define CORE_HISTORY_H

#include <jansson.h>
#include <stddef.h>

#include "core/canon.h"
#include "source/capture.h"

struct store;
struct store_version;

/* The store settings history keeps (store_meta_*). */
/* "triggers" or "scan" */
#define HISTORY_MODE_KEY "capture.mode"
/* + the install id: the last changelog id turned into versions */
#define HISTORY_CURSOR_PREFIX "capture.cursor."

enum history_sync_flags {
	/* Scan even when the triggers are fine. */
	HISTORY_FORCE_SCAN = 1 << 0,
	/* No warning about missing triggers. */
	HISTORY_QUIET = 1 << 1
};

/* What a history_sync did. */
struct history_sync_report {
	/* The triggers as found. */
	enum capture_health health;
	/* The store was set up with triggers. */
	int expects_triggers;
	int scanned;		 /* a full scan ran */
	size_t changes;		 /* changelog rows read */
	size_t versions;	 /* versions made */
	size_t unreadable;	 /* rows skipped (cannot be normalized) */
	size_t intents_finished; /* unfinished intents completed */
	size_t intents_redone;	 /* ... written to Catalyst again */
	size_t intents_branched; /* ... kept as branches */
};

/*
 * Brings the history up to date with Catalyst: finishes or redoes
 * unfinished intents, turns new changelog rows into versions (in order),
 * and runs a full scan when the triggers are missing or out of date (with
 * a warning naming 'catalyst-sync init'), when the store relies on scans,
 * or when flags say so. Versions made by a scan are dated now. Persists
 * the keys of every type that gets a version (type_map, field_map).
 * report may be NULL.
 */
int history_sync(struct store *s, struct capture *c, unsigned flags,
		 struct history_sync_report *report)
	__attribute__((warn_unused_result));

/*
 * Sets up change capture (brief §7, `init`): with triggers, installs them
 * (idempotent) and records the mode "triggers"; without, removes any of
 * ours and records "scan". Then a history_sync with a full scan records
 * the current state of every type. *installed_out (may be NULL) says
 * whether the triggers had to be installed or repaired.
 */
int history_init(struct store *s, struct capture *c, int triggers,
		 int *installed_out, struct history_sync_report *report)
	__attribute__((warn_unused_result));

/*
 * Removes change capture from Catalyst (`init --uninstall`) and records the
 * mode "scan" in the store when there is one (s may be NULL).
 */
int history_uninstall(struct store *s, struct capture *c, int *removed_out)
	__attribute__((warn_unused_result));

/* An edit made through catalyst-sync. */
struct history_edit {
	const char *type_id;
	const json_t *form;  /* the new Catalyst form (borrowed) */
	const char *source;  /* "UI" or "AI" ("SYNC" for sync itself) */
	const char *author;  /* may be NULL */
	const char *message; /* may be NULL */
	const char *base;    /* the full version id it was based on; NULL:
				the head */
	/* A merge: the branch head this edit merges into the head (the
	 * version's second parent); NULL for a plain edit. */
	const char *merge_parent;
	/* Keep an edit that lands behind the head as a branch, without
	 * trying to merge it (record --no-merge). */
	int no_merge;
};

/* What history_record did. */
struct history_record_result {
	char version[CANON_HASH_LEN + 1]; /* the new version, "" when none */
	char head[CANON_HASH_LEN + 1];	  /* the head it found */
	char base[CANON_HASH_LEN + 1];	  /* the base used */
	int unchanged; /* the content equals the head's (or base's): no
			  version */
	int branch;    /* the head had moved past the base: a branch */
	int written;   /* Catalyst's row was written */
	/* A branch that merged cleanly into the head: the merge version
	 * (two parents), written to Catalyst. "" when none. */
	char merged[CANON_HASH_LEN + 1];
	/* A branch whose merge met conflicts: how many paths (each in
	 * conflict_log, origin "branch"); the branch stays a head. */
	size_t conflicts;
};

/*
 * Records an edit (after history_sync): the form is first put into the
 * row's own shape (capture_prepare), so the version holds exactly what
 * Catalyst will hold. Base = head: intent, write-back, version. Base behind
 * the head: a branch version in the store only. The content of the head
 * (or of the base): no version. ERR_NOTFOUND for an unknown type or base,
 * ERR_INVALID for a base of another type or a form that cannot be
 * written.
 */
int history_record(struct store *s, struct capture *c,
		   const struct history_edit *edit,
		   struct history_record_result *out)
	__attribute__((warn_unused_result));

/* What history_merge did. */
struct history_merge_result {
	char version[CANON_HASH_LEN + 1];  /* the merge version; "" when none */
	char ancestor[CANON_HASH_LEN + 1]; /* the common ancestor used */
	size_t conflicts;		   /* paths left in conflict (logged) */
	json_t *conflict_list; /* merge_conflicts_to_json; NULL when none */
};
void history_merge_result_release(struct history_merge_result *r);

/* How conflicting paths are settled when merging a branch. */
enum history_merge_strategy {
	HISTORY_MERGE_AUTO =
		0,	     /* stop at conflicts: log them, keep the branch */
	HISTORY_MERGE_HEAD,  /* the head (main line) wins them */
	HISTORY_MERGE_BRANCH /* the branch wins them */
};

/*
 * Merges the branch head branch_id of type_id into the main line (brief
 * §7, §9): a three-way merge of the Catalyst forms of their common
 * ancestor, the head and the branch. A clean merge (or one the strategy
 * settles) becomes a version with two parents (head, branch), source
 * SYNC, written to Catalyst by the intent protocol; the conflicts it
 * settled are logged as resolved. Otherwise every conflicting path is
 * logged in conflict_log (origin "branch", local = head, remote = branch)
 * and nothing else changes. author may be NULL. ERR_NOTFOUND for an
 * unknown branch, ERR_INVALID when branch_id is not a branch of type_id.
 */
int history_merge(struct store *s, struct capture *c, const char *type_id,
		  const char *branch_id, enum history_merge_strategy strategy,
		  const char *author, struct history_merge_result *out)
	__attribute__((warn_unused_result));

/*
 * The property keys of a form: {field name: key}, persisted ones kept
 * (field_map, by field id else name), new ones generated. With persist,
 * the new ones are stored. label names the type in messages. *out is a
 * new reference.
 */
int history_prop_keys(struct store *s, const char *type_id, const json_t *form,
		      int persist, json_t **out)
	__attribute__((warn_unused_result));

/*
 * The heads of a type, main line first: *main_out (may be NULL) is the
 * newest main-line version id ("" when none); branches_out (may be NULL) a
 * new array of the other heads' ids, newest first.
 */
int history_heads(struct store *s, const char *type_id,
		  char main_out[CANON_HASH_LEN + 1], json_t **branches_out)
	__attribute__((warn_unused_result));

/*
 * Records Catalyst's row of type_id as it is now (a deleted version when
 * the row is gone) on the main line, made by source (SYNC for pull's
 * imports and removals), unless it equals the head. version_out gets the
 * head afterwards. The changelog row the write left is then recognised
 * as the head's content and makes no second version.
 */
int history_note(struct store *s, struct capture *c, const char *type_id,
		 const char *source, const char *author, const char *message,
		 char version_out[CANON_HASH_LEN + 1])
	__attribute__((warn_unused_result));

/* The content hash of a deleted type's version (the hash of null). */
const char *history_deleted_hash(void);

#endif
