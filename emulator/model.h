/*
 * model: what the emulated CMS stores, and the rules for content types and
 * property groups.
 *
 * A resource (struct res) holds one document in the stored form: the v1
 * member names (isRequired, isLocalized), the read-only members the server
 * fills in (created, lastModified, ...), and the server's defaults, in a
 * fixed member order. Requests in either API version are converted into
 * that form on the way in (ctype_from_wire) and rendered per version on the
 * way out (ctype_render). Nothing here locks: the caller holds the
 * emulator's lock around every use of a struct model.
 */
#ifndef EMU_MODEL_H
#define EMU_MODEL_H

#include <jansson.h>
#include <stddef.h>

#include "util/buf.h"

enum emu_version { EMU_V1 = 0, EMU_P3 = 1 };

enum res_kind { RES_TYPE = 0, RES_GROUP, RES_TEMPLATE };

#define ETAG_MAX 24

/* Rendered forms of a resource, cached until its document changes. */
enum res_form { FORM_V1 = 0, FORM_P3, FORM_STORED, FORM_NR };

struct res {
	char *key;
	enum res_kind kind;
	json_t *doc;
	char etag[ETAG_MAX];
	long long modified_ms;
	long instances;
	int system;    /* a built-in (source "system") */
	int read_only; /* exported by the manifest only with includeReadOnly */
	struct buf form[FORM_NR];
	/* The version before the last write, for stale reads. */
	json_t *prev_doc;
	char prev_etag[ETAG_MAX];
	long long prev_modified_ms;
	int prev_absent;
	long long stale_until; /* monotonic ms; 0 when no window is open */
	/* rmap bookkeeping */
	struct res *hnext;
	size_t index;
};

/* Resources by key, in insertion order. */
struct rmap {
	struct res **items;
	size_t nr, alloc;
	struct res **buckets;
	size_t nbuckets;
};

struct model {
	struct rmap types, groups, templates;
	/* Deleted types that stale reads still show. */
	struct res **ghosts;
	size_t ghosts_nr, ghosts_alloc;
	unsigned long long etag_counter;
};

struct res *res_new(const char *key, enum res_kind kind);
void res_free(struct res *r);
/*
 * The resource rendered for form f, cached. Borrowed: valid until the
 * document changes.
 */
const struct buf *res_form(struct res *r, enum res_form f);
/*
 * Replaces r's document with doc (taking the reference), gives it a new
 * ETag and modification time, and drops the cached renderings. With
 * stale_ms > 0 the old version stays visible to stale reads for that long.
 */
void res_set_doc(struct model *m, struct res *r, json_t *doc,
		 long long modified_ms, long long stale_ms);

void rmap_init(struct rmap *m);
void rmap_release(struct rmap *m);
struct res *rmap_get(const struct rmap *m, const char *key);
/* Appends r; the map owns it. The key must not be present. */
void rmap_add(struct rmap *m, struct res *r);
/* Removes and returns the resource (the caller owns it), or NULL. */
struct res *rmap_take(struct rmap *m, const char *key);

void model_init(struct model *m);
void model_release(struct model *m);
/* Empties m and fills it with the built-in types and property groups. */
void model_seed(struct model *m);
/* Writes a new quoted ETag for key into out. */
void model_new_etag(struct model *m, const char *key, char out[ETAG_MAX]);
/* Keeps a deleted type for stale reads (takes r). */
void model_add_ghost(struct model *m, struct res *r);
/* The ghost of a deleted type still in its stale window, or NULL. */
struct res *model_ghost(struct model *m, const char *key, long long now_mono);
/* Frees ghosts whose window has passed. */
void model_prune_ghosts(struct model *m, long long now_mono);

/* Appends the state document (see docs/emulator.md) to out. */
void model_dump(struct model *m, struct buf *out);
/*
 * Replaces m with the state document doc. Returns 0, or ERR_INVALID with a
 * message (m is then unchanged).
 */
int model_load(struct model *m, const json_t *doc)
	__attribute__((warn_unused_result));

/* Where validation looks up the types a document refers to. */
struct vctx {
	enum emu_version version;
	struct model *m;
	/* Types being imported with this one (key to stored form), or NULL. */
	const json_t *extra;
	/* The type being validated, which may refer to itself. */
	const char *self_key;
	const json_t *self;
};

/* The stored form of the type named key, as the context sees it, or NULL. */
const json_t *vctx_type(const struct vctx *c, const char *key);

/* True for _page, _component, ... (the base types types may use). */
int is_base_type(const char *s);

/*
 * Converts a content type (or, with patch set, a merge patch) from the wire
 * form of version v into the stored member names. Read-only members are
 * dropped; unknown members are reported in errs (each {field, detail},
 * fields prefixed with prefix) or, for the type itself under v1, dropped.
 * Returns a new object (null members of a patch kept).
 */
json_t *ctype_from_wire(const json_t *in, enum emu_version v, int patch,
			const char *prefix, json_t *errs);
/* Checks every rule of docs/emulator.md "Validation"; appends to errs. */
void ctype_validate(const json_t *doc, const struct vctx *c, const char *prefix,
		    json_t *errs);
/*
 * The stored form of a validated type without its read-only members: fixed
 * member order and the server's defaults. Returns a new object.
 */
json_t *ctype_normalize(const json_t *doc);
/*
 * Adds the read-only members to a normalized type. Any string may be NULL
 * (left out). Returns a new object.
 */
json_t *ctype_finish(const json_t *norm, const char *source,
		     const char *created, const char *created_by,
		     const char *modified, const char *modified_by);
/* A copy of a stored type without its read-only members. */
json_t *ctype_strip(const json_t *doc);
/*
 * Appends one {field, detail} to errs per breaking change from old to new
 * (both normalized); returns how many.
 */
int ctype_breaking(const json_t *old, const json_t *new_, json_t *errs);
/* The type as version v shows it. Returns a new object. */
json_t *ctype_render(const json_t *doc, enum emu_version v);

/* Property groups: the same steps, simpler rules. */
json_t *group_from_wire(const json_t *in, enum emu_version v, int patch,
			const char *prefix, json_t *errs);
void group_validate(const json_t *doc, enum emu_version v, int patch,
		    const char *prefix, json_t *errs);
json_t *group_normalize(const json_t *doc);
json_t *group_finish(const json_t *norm, const char *source,
		     const char *created, const char *created_by,
		     const char *modified, const char *modified_by);
json_t *group_strip(const json_t *doc);
json_t *group_render(const json_t *doc, enum emu_version v);
/* True when key names a built-in group, ignoring case. */
int group_is_reserved(const char *key);

/* Display templates (manifest only). */
void template_validate(const json_t *doc, const struct vctx *c,
		       const char *prefix, json_t *errs);
json_t *template_finish(const json_t *in, const char *created,
			const char *created_by, const char *modified,
			const char *modified_by);
json_t *template_strip(const json_t *doc);

/* Checks the content-type key rule; returns a detail message or NULL. */
const char *key_problem(const char *key);

#endif
