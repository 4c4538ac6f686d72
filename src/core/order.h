/*
 * order: the order in which a plan's writes may run (brief §10). Pure
 * functions over canonical target forms (core/tform.h).
 *
 * A type referenced by another (a property's contentType, allowedTypes,
 * restrictedTypes, the same inside items, the type's mayContainTypes) must
 * exist before the type that references it is created or updated to
 * reference it. So:
 *
 *  - a create or update that references a type being created runs after
 *    that create;
 *  - creates that reference each other in a cycle cannot all go first: the
 *    cycle is broken by creating its members without the references that
 *    close it (phase 1: the properties whose contentType is in the cycle
 *    are left out, cyclic keys are taken out of allowedTypes,
 *    restrictedTypes and mayContainTypes, and a list that would become
 *    empty is left out with its property, since an empty list means "any")
 *    and patching them in afterwards (phase 2, a "link" step that runs
 *    after every create of the cycle);
 *  - deletes go last, in reverse: a deleted type waits for the deletes of
 *    the deleted types that reference it, and for the updates that take
 *    away references to it;
 *  - safe deletion: a type still referenced by a surviving type (one that
 *    is not deleted, in its document after the plan: the desired document
 *    for creates and updates, the remote one for everything else, managed
 *    or not) is not deleted; the step is blocked with the reason;
 *  - a create or update that references a key that neither exists
 *    remotely (and survives) nor is being created is blocked, and so is
 *    everything that depends on a blocked step, each with its reason.
 *
 * Members of every object in the result are in a stable order (by key) so
 * that plans are reproducible.
 */
#ifndef CORE_ORDER_H
#define CORE_ORDER_H

#include <jansson.h>
#include <stddef.h>

enum order_kind {
	ORDER_NONE = 0, /* no write: the type survives as doc says */
	ORDER_CREATE,
	ORDER_UPDATE,
	ORDER_DELETE
};

/* One type of the plan, as the planner decided it. */
struct order_node {
	const char *key;
	enum order_kind kind;
	/*
	 * The type's document after the plan (CREATE, UPDATE, NONE: the
	 * desired or remote canonical document) or before it (DELETE: the
	 * remote document, whose references no longer hold once it is
	 * gone). NULL for a NONE type that does not exist remotely (it
	 * neither references nor can be referenced).
	 */
	const json_t *doc;
	/*
	 * UPDATE: the remote document before the plan (canonical), so that
	 * a delete can wait for the updates that take away references to
	 * it; may be NULL (then no delete waits for this update). Ignored
	 * for the other kinds.
	 */
	const json_t *remote;
};

enum order_phase {
	ORDER_MAIN = 0, /* the node's own create, update or delete */
	ORDER_LINK = 1  /* phase 2 of a cycle: patch the references in */
};

/* One write, in a valid order: steps[i] may depend on steps before i only. */
struct order_step {
	size_t node;		/* index into the nodes given */
	enum order_phase phase;
	/*
	 * CREATE in a cycle: the document to create in phase 1 (a new
	 * reference), without the cyclic references; NULL otherwise (create
	 * the node's doc as it is).
	 */
	json_t *phase1_doc;
	size_t *deps; /* indices of earlier steps this one waits for */
	size_t deps_nr;
	/* Why this step must not run (NULL: it may); the planner shows it
	 * and leaves the type alone. Steps depending on a blocked step are
	 * blocked too, naming it. */
	char *blocked;
};

struct order_result {
	struct order_step *steps;
	size_t nr;
};

/*
 * Orders the writes of nodes[0..nr). Every node of kind CREATE, UPDATE or
 * DELETE gets one ORDER_MAIN step; a CREATE in a cycle gets an ORDER_LINK
 * step as well. NONE nodes get no step but count as survivors (and as
 * existing remotely when their doc is not NULL). Steps are in a
 * deterministic order: creates and updates in dependency order (ties by
 * key), then link steps, then deletes (dependents first). Returns 0, or
 * ERR_INVALID for a key given twice. out is released with
 * order_result_release.
 */
int order_plan(const struct order_node *nodes, size_t nr,
	       struct order_result *out) __attribute__((warn_unused_result));

void order_result_release(struct order_result *r);

/*
 * The keys of the types doc (canonical) references: a new array of
 * strings, sorted and without duplicates. Base types ("_component"),
 * "*" and other names starting with '_' are not type keys and are left
 * out.
 */
json_t *order_refs(const json_t *doc);

#endif
