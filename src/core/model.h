/*
 * model: the Catalyst model of one website, read, normalized, keyed,
 * transformed and validated, one type at a time.
 *
 * Two passes over the rows: the first gives every type its Optimizely key
 * (a reference needs its target's key before the target itself is reached),
 * the second hands each type to the caller fully processed and frees it
 * again, so memory stays flat whatever the number of types.
 */
#ifndef CORE_MODEL_H
#define CORE_MODEL_H

#include <jansson.h>

#include "core/canon.h"
#include "core/catalyst_form.h"
#include "core/findings.h"

struct catalyst_db;
struct store;

/* One type as handed to the caller; everything is borrowed for the call. */
struct model_type {
	const struct catalyst_row *row;
	const char *key;  /* its Optimizely key */
	json_t *form;     /* the Catalyst form; NULL when the row is unusable */
	enum catalyst_fields_shape shape;
	json_t *target;   /* the canonical target form; NULL without a form */
	json_t *prop_keys; /* {field name: property key} */
	char content_hash[CANON_HASH_LEN + 1]; /* of form; "" without one */
	char target_hash[CANON_HASH_LEN + 1];  /* of target; "" without */
	/* Why the row could not be used (NULL when it could). */
	const char *error;
	/* This type's findings: key collisions, stages 1 and 2. */
	struct findings findings;
};

struct model {
	struct catalyst_db *db;
	char *website_id;
	json_t *type_keys;  /* {Catalyst id: key} */
	json_t *known_keys; /* {key: Catalyst id} */
	json_t *names;      /* {Catalyst name: [ids]} */
	size_t types_nr;
	/* With a store, property keys come from its field_map (set by the
	 * caller after model_open; borrowed). */
	struct store *store;
	/* Findings of the first pass, filed per type id: {id: [finding]}. */
	struct findings key_findings;
	/*
	 * How model_each spreads the work, set by the caller after model_open
	 * (zero: the defaults). serial processes every type on the calling
	 * thread; window is how many types may be read ahead and in flight.
	 * The results and their order are the same either way.
	 */
	int serial;
	size_t window;
};

/*
 * Reads the keys of every type of website_id and assigns the Optimizely
 * keys (one website is one key space: a target syncs one website). persisted (may be NULL) maps Catalyst ids to keys that
 * were given before and are kept; taken (may be NULL) holds remote keys in
 * use by types that are not ours.
 */
int model_open(struct model *m, struct catalyst_db *db, const char *website_id,
	       const json_t *persisted, const json_t *taken)
	__attribute__((warn_unused_result));

typedef int (*model_type_fn)(struct model_type *t, void *payload);

/*
 * Calls fn for every type, in createdAt order, fully processed. fn returns
 * 0 to go on or an error code to stop (which is returned). A row that cannot
 * be used is handed over with t->error set and t->form NULL.
 *
 * fn runs on the calling thread, one type at a time; the types after the
 * current one may meanwhile be processed on worker threads (at most
 * m->window of them in flight), so memory stays flat in the number of types.
 * When fn is called, the thread's error state (util/err.h) is the one
 * processing its type left, as if the type had been processed right there.
 */
int model_each(struct model *m, model_type_fn fn, void *payload)
	__attribute__((warn_unused_result));

void model_release(struct model *m);

/*
 * Finds a type given as an Optimizely key, a Catalyst id, or a Catalyst
 * name unique in the website; *id_out is borrowed from m. ERR_NOTFOUND or,
 * for a name used by several types, ERR_INVALID listing their ids.
 */
int model_find_type(const struct model *m, const char *spec,
		    const char **id_out) __attribute__((warn_unused_result));

/* Counts the findings of t that fail it (errors, and warnings if strict). */
size_t model_type_failures(const struct model_type *t, int strict);

#endif
