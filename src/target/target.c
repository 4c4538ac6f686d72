#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "target/target.h"
#include "util/buf.h"
#include "util/config.h"
#include "util/err.h"
#include "util/xalloc.h"
#include "util/banned.h"

#define SECRET_FILE_MAX 4096

void target_op_init(struct target_op *op, enum target_op_kind kind)
{
	memset(op, 0, sizeof(*op));
	op->kind = kind;
}

/* Clears what an earlier run of op left behind. */
static void clear_results(struct target_op *op)
{
	op->result = 0;
	FREE_AND_NULL(op->error);
	op->status = 0;
	json_decref(op->remote);
	op->remote = NULL;
	json_decref(op->raw);
	op->raw = NULL;
	FREE_AND_NULL(op->etag_out);
	op->not_modified = 0;
	op->verified = 0;
	json_decref(op->outcomes);
	op->outcomes = NULL;
	op->requests = 0;
}

void target_op_release(struct target_op *op)
{
	assert(!op->state);
	clear_results(op);
	FREE_AND_NULL(op->key);
	FREE_AND_NULL(op->etag);
	json_decref(op->doc);
	op->doc = NULL;
}

struct target_op *target_op_new(enum target_op_kind kind)
{
	struct target_op *op = xmalloc(sizeof(*op));

	target_op_init(op, kind);
	return op;
}

void target_op_free(struct target_op *op)
{
	if (!op)
		return;
	target_op_release(op);
	free(op);
}

const char *target_op_kind_name(enum target_op_kind kind)
{
	switch (kind) {
	case TARGET_OP_LIST:
		return "list";
	case TARGET_OP_GET:
		return "get";
	case TARGET_OP_CREATE:
		return "create";
	case TARGET_OP_PATCH:
		return "patch";
	case TARGET_OP_DELETE:
		return "delete";
	case TARGET_OP_IMPORT:
		return "import";
	}
	return "?";
}

void target_options_init(struct target_options *o)
{
	memset(o, 0, sizeof(*o));
	o->stale_wait_ms = 15000;
	o->backoff_base_ms = 250;
	o->backoff_max_ms = 15000;
	o->retry_after_max_ms = 120000;
	o->page_size = 1000;
}

/* The first line of a secret file, at most SECRET_FILE_MAX bytes. */
static int read_secret_file(char **out, const char *path)
{
	FILE *f = fopen(path, "r");
	struct buf b = BUF_INIT;
	char chunk[512];
	size_t n;
	int ret = -1;

	*out = NULL;
	if (!f)
		return err_set(ERR_INVALID,
			       "cannot read the client secret "
			       "file '%s'",
			       path);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (buf_add_capped(&b, chunk, n, SECRET_FILE_MAX) < 0) {
			ret = err_set(ERR_INVALID,
				      "the client secret file '%s' is too "
				      "large",
				      path);
			goto out;
		}
	}
	if (b.cap)
		buf_setlen(&b, strcspn(b.ptr, "\r\n"));
	buf_rtrim(&b);
	if (!b.len) {
		ret = err_set(ERR_INVALID,
			      "the client secret file '%s' is "
			      "empty",
			      path);
		goto out;
	}
	*out = buf_detach(&b, NULL);
	ret = 0;
out:
	fclose(f);
	buf_release(&b);
	return ret;
}

int target_open(struct target **out, const struct config_target *cfg,
		const struct target_options *opts)
{
	struct config_target c = *cfg;
	struct target_options dflt;
	char *secret = NULL;
	int ret;

	*out = NULL;
	if (!opts) {
		target_options_init(&dflt);
		opts = &dflt;
	}
	if ((!c.client_secret || !*c.client_secret) && c.client_secret_file &&
	    *c.client_secret_file) {
		if ((ret = read_secret_file(&secret, c.client_secret_file)) < 0)
			return ret;
		c.client_secret = secret;
	}
	ret = target_optimizely_open(out, &c, opts);
	free(secret);
	return ret;
}

void target_free(struct target *t)
{
	if (!t)
		return;
	if (t->ops && t->ops->free)
		t->ops->free(t);
	free(t->name);
	free(t->identity);
	free(t);
}

void target_submit(struct target *t, struct target_op *op, target_done_fn done,
		   void *payload)
{
	clear_results(op);
	t->ops->submit(t, op, done, payload);
}

int target_run(struct target *t)
{
	return t->ops->run(t);
}

void target_cancel_pending(struct target *t)
{
	t->ops->cancel_pending(t);
}

/* Submits op, runs the target, and reports op's result through err. */
static int run_one(struct target *t, struct target_op *op)
{
	int ret;

	target_submit(t, op, NULL, NULL);
	if ((ret = target_run(t)) < 0)
		return ret;
	if (op->result < 0)
		return err_set(op->result, "%s", op->error);
	return 0;
}

static json_t *take_json(json_t **slot)
{
	json_t *v = *slot;

	*slot = NULL;
	return v;
}

static char *take_str(char **slot)
{
	char *s = *slot;

	*slot = NULL;
	return s;
}

int target_list(struct target *t, json_t **docs_out, json_t **raw_out)
{
	struct target_op op;
	int ret;

	target_op_init(&op, TARGET_OP_LIST);
	ret = run_one(t, &op);
	if (docs_out)
		*docs_out = ret < 0 ? NULL : take_json(&op.remote);
	if (raw_out)
		*raw_out = ret < 0 ? NULL : take_json(&op.raw);
	target_op_release(&op);
	return ret;
}

int target_get(struct target *t, const char *key, const char *etag,
	       json_t **doc_out, char **etag_out)
{
	struct target_op op;
	int ret;

	target_op_init(&op, TARGET_OP_GET);
	op.key = xstrdup(key);
	op.etag = etag ? xstrdup(etag) : NULL;
	ret = run_one(t, &op);
	if (doc_out)
		*doc_out = ret < 0 ? NULL : take_json(&op.remote);
	if (etag_out)
		*etag_out = ret < 0 ? NULL : take_str(&op.etag_out);
	target_op_release(&op);
	return ret;
}

int target_create(struct target *t, const json_t *doc, json_t **remote_out,
		  char **etag_out)
{
	struct target_op op;
	int ret;

	target_op_init(&op, TARGET_OP_CREATE);
	op.doc = json_deep_copy(doc);
	ret = run_one(t, &op);
	if (remote_out)
		*remote_out = ret < 0 ? NULL : take_json(&op.remote);
	if (etag_out)
		*etag_out = ret < 0 ? NULL : take_str(&op.etag_out);
	target_op_release(&op);
	return ret;
}

int target_patch(struct target *t, const char *key, const json_t *patch,
		 const char *etag, unsigned flags, json_t **remote_out,
		 char **etag_out)
{
	struct target_op op;
	int ret;

	target_op_init(&op, TARGET_OP_PATCH);
	op.key = xstrdup(key);
	op.etag = etag ? xstrdup(etag) : NULL;
	op.doc = json_deep_copy(patch);
	op.flags = flags;
	ret = run_one(t, &op);
	if (remote_out)
		*remote_out = ret < 0 ? NULL : take_json(&op.remote);
	if (etag_out)
		*etag_out = ret < 0 ? NULL : take_str(&op.etag_out);
	target_op_release(&op);
	return ret;
}

int target_delete(struct target *t, const char *key, const char *etag)
{
	struct target_op op;
	int ret;

	target_op_init(&op, TARGET_OP_DELETE);
	op.key = xstrdup(key);
	op.etag = etag ? xstrdup(etag) : NULL;
	ret = run_one(t, &op);
	target_op_release(&op);
	return ret;
}

int target_import(struct target *t, const json_t *docs, unsigned flags,
		  json_t **outcomes_out)
{
	struct target_op op;
	int ret;

	target_op_init(&op, TARGET_OP_IMPORT);
	op.doc = json_incref((json_t *)docs); /* only read */
	op.flags = flags;
	ret = run_one(t, &op);
	if (outcomes_out)
		*outcomes_out = take_json(&op.outcomes);
	target_op_release(&op);
	return ret;
}
