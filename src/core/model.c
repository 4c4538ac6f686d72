#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/history.h"
#include "core/keys.h"
#include "core/lens.h"
#include "core/model.h"
#include "core/validate.h"
#include "source/catalyst_sqlite.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/thread.h"
#include "util/xalloc.h"

struct key_pass {
	struct keys_type *types;
	size_t nr, alloc;
};

static int collect_seed(const struct catalyst_row *row, void *payload)
{
	struct key_pass *p = payload;
	struct keys_type *t;

	ALLOC_GROW(p->types, p->nr + 1, p->alloc);
	t = &p->types[p->nr++];
	t->id = xstrdup(row->id ? row->id : "");
	t->name = xstrdup(row->name ? row->name : "");
	t->seed = xstrdup(row->key && *row->key ? row->key
						: row->name ? row->name : "");
	t->created_ms = row->created_ms;
	t->key = NULL;
	return 0;
}

int model_open(struct model *m, struct catalyst_db *db, const char *website_id,
	       const json_t *persisted, const json_t *taken)
{
	struct key_pass pass = { 0 };
	int ret;

	memset(m, 0, sizeof(*m));
	m->db = db;
	m->website_id = website_id ? xstrdup(website_id) : NULL;
	m->type_keys = json_object();
	m->known_keys = json_object();
	m->names = json_object();
	ret = catalyst_db_each_header(db, website_id, collect_seed, &pass);
	if (ret < 0)
		goto out;
	for (size_t i = 0; persisted && i < pass.nr; i++) {
		const char *k = json_string_value(
			json_object_get(persisted, pass.types[i].id));
		if (k)
			pass.types[i].key = xstrdup(k);
	}
	keys_assign_types(pass.types, pass.nr, taken, &m->key_findings);
	for (size_t i = 0; i < pass.nr; i++) {
		json_object_set_new(m->type_keys, pass.types[i].id,
				    json_string(pass.types[i].key));
		json_t *ids = json_object_get(m->names, pass.types[i].name);

		json_object_set_new(m->known_keys, pass.types[i].key,
				    json_string(pass.types[i].id));
		if (!ids) {
			ids = json_array();
			json_object_set_new(m->names, pass.types[i].name, ids);
		}
		json_array_append_new(ids, json_string(pass.types[i].id));
	}
	m->types_nr = pass.nr;
	ret = 0;
out:
	for (size_t i = 0; i < pass.nr; i++) {
		free((char *)pass.types[i].id);
		free((char *)pass.types[i].name);
		free((char *)pass.types[i].seed);
		free(pass.types[i].key);
	}
	free(pass.types);
	return ret;
}

/* Files the first pass's findings about this type (by its name in paths). */
static void add_key_findings(struct model *m, struct model_type *t)
{
	size_t n = t->row->name ? strlen(t->row->name) : 0;

	for (size_t i = 0; i < m->key_findings.nr; i++) {
		const struct finding *f = &m->key_findings.items[i];

		if (n && !strncmp(f->path, t->row->name, n) && f->path[n] == ':')
			findings_add(&t->findings, f->severity, f->code,
				     f->path, "%s", f->message);
	}
}

/*
 * model_each is a pipeline. The calling thread reads the rows (SQLite stays
 * on it) into a ring of slots, a window of types in flight; worker threads
 * and the calling thread itself take the slots in row order and process
 * them; the calling thread hands each slot over to fn in row order and
 * refills it. Memory is bounded by the window whatever the number of types.
 *
 * What runs on a worker touches nothing shared but the model's key maps and
 * key findings, which nobody changes during model_each, and the pattern
 * cache (core/pattern.c, under its lock). Each type's JSON is made by one
 * thread and handed over under the pipeline's lock; after fn it goes back
 * to the thread that made it to be freed there (freeing from another
 * thread costs malloc more than making it did). With a store, property
 * keys, the lens and stage 2 (which read the store) run on the calling
 * thread at hand-over instead.
 */

/* Types in flight when the model does not say (model.window). */
#define MODEL_WINDOW 16
/* Worker threads at most, whatever the number of cores. */
#define MODEL_WORKERS_MAX 3

/* The string members of a row, copied into a slot's own buffers. */
#define ROW_STRINGS 9

/* What processing a type made, to be freed by the thread that made it. */
struct spent {
	json_t *form, *target, *prop_keys;
	struct findings findings;
};

struct slot {
	struct catalyst_row row; /* strings point into text[] */
	struct buf text[ROW_STRINGS];
	struct model_type t;
	int failed;   /* t.error is to be set at hand-over */
	int finished; /* every stage has run (else the last ones wait) */
	size_t maker; /* who processed it: 0 the caller, else a worker's id */
	/* The thread's error state after processing, for the hand-over. */
	int err_code;
	char *err_msg; /* NULL when there was none */
	int done;      /* processed; guarded by the pipeline's lock */
};

struct pipeline;

struct worker {
	struct pipeline *p;
	size_t id; /* 1, 2... */
	pthread_t thread;
	/* Types handed back to be freed here; guarded by the lock. */
	struct spent *spent;
	size_t spent_nr, spent_alloc;
};

struct pipeline {
	struct model *m;
	model_type_fn fn;
	void *payload;
	struct slot *slots;
	size_t window;
	/* Sequence numbers of rows: the next to hand over, to read, to
	 * claim for processing. head <= claim <= tail <= head + window. */
	size_t head, tail, claim;
	int stop;   /* the workers are to leave */
	int fn_ret; /* what fn returned when it stopped the run */
	pthread_mutex_t lock;
	pthread_cond_t work; /* a row was read, something to free, or stop */
	pthread_cond_t done; /* a slot was processed */
	struct worker *workers;
	size_t nr_workers;
};

static char **row_string(struct catalyst_row *row, size_t i)
{
	char **members[ROW_STRINGS] = {
		&row->id,	   &row->website_id,	&row->name,
		&row->fields_json, &row->settings_json, &row->key,
		&row->plural_name, &row->display_field, &row->category,
	};

	return members[i];
}

/* Copies row into s, reusing the memory of the slot's earlier rows. */
static void slot_fill(struct slot *s, const struct catalyst_row *row)
{
	for (size_t i = 0; i < ROW_STRINGS; i++) {
		const char *src = *row_string((struct catalyst_row *)row, i);
		char **dst = row_string(&s->row, i);

		*dst = NULL;
		if (!src)
			continue;
		buf_reset(&s->text[i]);
		buf_adds(&s->text[i], src);
		*dst = s->text[i].ptr;
	}
	s->row.created_ms = row->created_ms;
	s->row.updated_ms = row->updated_ms;
	s->row.time_format = row->time_format;
}

static void spent_free(struct spent *x)
{
	json_decref(x->form);
	json_decref(x->target);
	json_decref(x->prop_keys);
	findings_release(&x->findings);
}

/*
 * Empties s for its next row, keeping the row buffers. What processing
 * made is moved to *out (which the caller frees) rather than freed.
 */
static void slot_clear(struct slot *s, struct spent *out)
{
	out->form = s->t.form;
	out->target = s->t.target;
	out->prop_keys = s->t.prop_keys;
	out->findings = s->t.findings;
	FREE_AND_NULL(s->err_msg);
	memset(&s->t, 0, sizeof(s->t));
	s->failed = s->finished = s->done = 0;
	s->maker = 0;
}

static void slot_release(struct slot *s)
{
	struct spent x;

	slot_clear(s, &x);
	spent_free(&x);
	for (size_t i = 0; i < ROW_STRINGS; i++)
		buf_release(&s->text[i]);
}

/*
 * The first stages: the form, its content hash, stage-1 validation. On
 * failure the message is the thread's error and s->failed is set.
 */
static void process_form(struct model *m, struct slot *s)
{
	struct model_type *t = &s->t;
	const struct catalyst_row *row = &s->row;
	const char *label = row->name ? row->name : row->id;

	t->row = row;
	t->key = json_string_value(json_object_get(m->type_keys, row->id));
	add_key_findings(m, t);
	err_clear();
	if (catalyst_form_from_row(&t->form, &t->shape, row, &t->findings) <
	    0) {
		s->failed = 1;
		return;
	}
	if (canon_content_hash(t->content_hash, t->form) < 0) {
		s->failed = 1;
		json_decref(t->form);
		t->form = NULL;
		return;
	}
	validate_catalyst(t->form, label, &t->findings);
}

/* The last stages: property keys, the lens, the target hash, stage 2. */
static void process_target(struct model *m, struct slot *s)
{
	struct model_type *t = &s->t;
	const struct catalyst_row *row = &s->row;
	const char *label = row->name ? row->name : row->id;
	struct lens_ctx lc;

	s->finished = 1;
	if (s->failed)
		return;
	if (m->store) {
		/* Persisted keys first, so a renamed field keeps its key. */
		if (history_prop_keys(m->store, row->id, t->form, 0,
				      &t->prop_keys) < 0) {
			s->failed = 1;
			return;
		}
	} else {
		t->prop_keys = keys_assign_properties(
			t->form, NULL, label,
			lens_base_type(json_string_value(
				json_object_get(t->form, "category"))),
			&t->findings);
	}
	lc.type_key = t->key;
	lc.type_keys = m->type_keys;
	lc.prop_keys = t->prop_keys;
	lc.overlay = NULL;
	lc.findings = &t->findings;
	if (lens_forward(&t->target, t->form, &lc) < 0 ||
	    canon_hash(t->target_hash, t->target) < 0) {
		s->failed = 1;
		json_decref(t->target);
		t->target = NULL;
		return;
	}
	validate_target(t->target, m->known_keys, &t->findings);
}

/*
 * Processes a slot on any thread: every stage that does not need the store,
 * then keeps the thread's error state for the hand-over.
 */
static void process(struct model *m, struct slot *s)
{
	const char *msg;

	process_form(m, s);
	if (!m->store)
		process_target(m, s);
	s->err_code = err_code();
	msg = err_msg();
	if (s->err_code != ERR_OK || *msg)
		s->err_msg = xstrdup(msg);
}

/*
 * Takes the next row that nobody processes yet and processes it as maker
 * (the lock is released meanwhile). Returns 0 when there was none. Called
 * with p->lock held.
 */
static int process_next(struct pipeline *p, size_t maker)
{
	struct slot *s;

	if (p->claim == p->tail)
		return 0;
	s = &p->slots[p->claim++ % p->window];
	s->maker = maker;
	pthread_mutex_unlock(&p->lock);
	process(p->m, s);
	pthread_mutex_lock(&p->lock);
	s->done = 1;
	pthread_cond_signal(&p->done);
	return 1;
}

/*
 * Frees what was handed back to w (the lock is released meanwhile; into
 * is the worker's own array). Returns 0 when there was nothing. Called
 * with p->lock held.
 */
static int free_spent(struct worker *w, struct spent **into, size_t *alloc)
{
	size_t nr = w->spent_nr;

	if (!nr)
		return 0;
	ALLOC_GROW(*into, nr, *alloc);
	memcpy(*into, w->spent, nr * sizeof(**into));
	w->spent_nr = 0;
	pthread_mutex_unlock(&w->p->lock);
	for (size_t i = 0; i < nr; i++)
		spent_free(&(*into)[i]);
	pthread_mutex_lock(&w->p->lock);
	return 1;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct pipeline *p = w->p;
	struct spent *mine = NULL;
	size_t alloc = 0;

	pthread_mutex_lock(&p->lock);
	while (!p->stop)
		if (!free_spent(w, &mine, &alloc) && !process_next(p, w->id))
			pthread_cond_wait(&p->work, &p->lock);
	pthread_mutex_unlock(&p->lock);
	free(mine);
	return NULL;
}

/*
 * Waits for the oldest slot (processing others meanwhile), then hands it
 * to fn on this thread with the error state its processing left, as if it
 * had been processed here. Returns what fn returns.
 */
static int hand_over(struct pipeline *p)
{
	struct slot *s = &p->slots[p->head % p->window];
	struct spent x;
	struct worker *w;
	int ret;

	pthread_mutex_lock(&p->lock);
	while (!s->done)
		if (!process_next(p, 0))
			pthread_cond_wait(&p->done, &p->lock);
	pthread_mutex_unlock(&p->lock);

	if (s->err_msg)
		err_set(s->err_code, "%s", s->err_msg);
	else
		err_clear();
	if (!s->finished) {
		/* The last stages were left for this thread. */
		process_target(p->m, s);
	}
	if (s->failed)
		s->t.error = err_msg();
	ret = p->fn(&s->t, p->payload);

	w = s->maker ? &p->workers[s->maker - 1] : NULL;
	slot_clear(s, &x);
	p->head++;
	if (w && p->m->store) {
		/* Only the form was made there: the rest goes here. */
		json_t *form = x.form;

		x.form = NULL;
		spent_free(&x);
		memset(&x, 0, sizeof(x));
		x.form = form;
	}
	if (!w) {
		spent_free(&x);
	} else {
		pthread_mutex_lock(&p->lock);
		ALLOC_GROW(w->spent, w->spent_nr + 1, w->spent_alloc);
		w->spent[w->spent_nr++] = x;
		pthread_cond_broadcast(&p->work);
		pthread_mutex_unlock(&p->lock);
	}
	if (ret)
		p->fn_ret = ret;
	return ret;
}

/* catalyst_db_each_type's callback: a row into the window. */
static int take_row(const struct catalyst_row *row, void *payload)
{
	struct pipeline *p = payload;
	struct slot *s;
	int ret;

	if (p->tail - p->head == p->window && (ret = hand_over(p)))
		return ret;
	s = &p->slots[p->tail % p->window];
	slot_fill(s, row);
	pthread_mutex_lock(&p->lock);
	p->tail++;
	pthread_cond_signal(&p->work);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

/* How many worker threads: one per other core, within bounds. */
static size_t default_workers(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n <= 1)
		return 0;
	return n - 1 > MODEL_WORKERS_MAX ? MODEL_WORKERS_MAX : (size_t)(n - 1);
}

/*
 * Starts the workers (util/thread: they take no asynchronous signal). A
 * worker that cannot be started is done without: the calling thread
 * processes what nobody else does.
 */
static void start_workers(struct pipeline *p, size_t nr)
{
	p->workers = xcalloc(nr ? nr : 1, sizeof(*p->workers));
	for (size_t i = 0; i < nr; i++) {
		struct worker *w = &p->workers[p->nr_workers];

		w->p = p;
		w->id = p->nr_workers + 1;
		if (thread_start(&w->thread, worker_main, w) < 0) {
			err_clear();
			break;
		}
		p->nr_workers++;
	}
}

/* Stops the workers and frees what they did not get to free. */
static void stop_workers(struct pipeline *p)
{
	pthread_mutex_lock(&p->lock);
	p->stop = 1;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->lock);
	for (size_t i = 0; i < p->nr_workers; i++) {
		struct worker *w = &p->workers[i];

		pthread_join(w->thread, NULL);
		for (size_t k = 0; k < w->spent_nr; k++)
			spent_free(&w->spent[k]);
		free(w->spent);
	}
	free(p->workers);
}

int model_each(struct model *m, model_type_fn fn, void *payload)
{
	struct pipeline p;
	int ret;

	memset(&p, 0, sizeof(p));
	p.m = m;
	p.fn = fn;
	p.payload = payload;
	p.window = m->window ? m->window : MODEL_WINDOW;
	p.slots = xcalloc(p.window, sizeof(*p.slots));
	for (size_t i = 0; i < p.window; i++)
		for (size_t k = 0; k < ROW_STRINGS; k++)
			p.slots[i].text[k] = (struct buf)BUF_INIT;
	pthread_mutex_init(&p.lock, NULL);
	pthread_cond_init(&p.work, NULL);
	pthread_cond_init(&p.done, NULL);
	start_workers(&p, m->serial ? 0 : default_workers());

	ret = catalyst_db_each_type(m->db, m->website_id, take_row, &p);
	if (ret && !p.fn_ret) {
		/*
		 * Reading failed: the rows read before the failure are handed
		 * over first, as they would have been one at a time, and the
		 * read error is returned (unless fn stops the run first).
		 */
		int code = err_code();
		char *msg = xstrdup(err_msg());

		while (p.head < p.tail && !p.fn_ret)
			hand_over(&p);
		if (!p.fn_ret)
			ret = err_set(code, "%s", msg);
		else
			ret = p.fn_ret;
		free(msg);
	}
	while (!ret && p.head < p.tail)
		ret = hand_over(&p);

	stop_workers(&p);
	for (size_t i = 0; i < p.window; i++)
		slot_release(&p.slots[i]);
	free(p.slots);
	pthread_cond_destroy(&p.done);
	pthread_cond_destroy(&p.work);
	pthread_mutex_destroy(&p.lock);
	return ret;
}

void model_release(struct model *m)
{
	free(m->website_id);
	json_decref(m->type_keys);
	json_decref(m->known_keys);
	json_decref(m->names);
	findings_release(&m->key_findings);
	memset(m, 0, sizeof(*m));
}

size_t model_type_failures(const struct model_type *t, int strict)
{
	return (t->error ? 1 : 0) + validate_failures(&t->findings, strict);
}

int model_find_type(const struct model *m, const char *spec,
		    const char **id_out)
{
	json_t *v, *ids;
	struct buf list = BUF_INIT;
	size_t i;
	int ret;

	if ((v = json_object_get(m->known_keys, spec)) ||
	    (json_object_get(m->type_keys, spec) &&
	     (v = json_object_get(m->type_keys, spec)) &&
	     (v = json_object_get(m->known_keys, json_string_value(v))))) {
		*id_out = json_string_value(v);
		return 0;
	}
	ids = json_object_get(m->names, spec);
	if (json_array_size(ids) == 1) {
		*id_out = json_string_value(json_array_get(ids, 0));
		return 0;
	}
	if (!ids)
		return err_set(ERR_NOTFOUND,
			       "no content type '%s' (give a key, an id or a "
			       "name)",
			       spec);
	json_array_foreach(ids, i, v)
		buf_addf(&list, "%s%s", i ? ", " : "", json_string_value(v));
	ret = err_set(ERR_INVALID,
		      "%zu content types are named '%s' (%s); give an id or a "
		      "key",
		      json_array_size(ids), spec, list.ptr);
	buf_release(&list);
	return ret;
}
