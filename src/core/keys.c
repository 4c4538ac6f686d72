#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/findings.h"
#include "core/keys.h"
#include "util/buf.h"
#include "util/jx.h"
#include "util/xalloc.h"
#include "util/banned.h"

/*
 * Folding of accented Latin letters, U+00C0 to U+017F (Latin-1 Supplement
 * letters and Latin Extended-A), to ASCII. NULL marks a code point that is
 * not a letter (U+00D7 multiplication sign, U+00F7 division sign): it
 * separates words like any other character.
 */
/* clang-format off */
static const char *const fold_table[0x180 - 0xc0] = {
	/* U+00C0 */
	"A", "A", "A", "A", "A", "A", "AE", "C",
	"E", "E", "E", "E", "I", "I", "I", "I",
	/* U+00D0 */
	"D", "N", "O", "O", "O", "O", "O", NULL,
	"O", "U", "U", "U", "U", "Y", "TH", "ss",
	/* U+00E0 */
	"a", "a", "a", "a", "a", "a", "ae", "c",
	"e", "e", "e", "e", "i", "i", "i", "i",
	/* U+00F0 */
	"d", "n", "o", "o", "o", "o", "o", NULL,
	"o", "u", "u", "u", "u", "y", "th", "y",
	/* U+0100 */
	"A", "a", "A", "a", "A", "a", "C", "c",
	"C", "c", "C", "c", "C", "c", "D", "d",
	/* U+0110 */
	"D", "d", "E", "e", "E", "e", "E", "e",
	"E", "e", "E", "e", "G", "g", "G", "g",
	/* U+0120 */
	"G", "g", "G", "g", "H", "h", "H", "h",
	"I", "i", "I", "i", "I", "i", "I", "i",
	/* U+0130 */
	"I", "i", "IJ", "ij", "J", "j", "K", "k",
	"k", "L", "l", "L", "l", "L", "l", "L",
	/* U+0140 */
	"l", "L", "l", "N", "n", "N", "n", "N",
	"n", "n", "N", "n", "O", "o", "O", "o",
	/* U+0150 */
	"O", "o", "OE", "oe", "R", "r", "R", "r",
	"R", "r", "S", "s", "S", "s", "S", "s",
	/* U+0160 */
	"S", "s", "T", "t", "T", "t", "T", "t",
	"U", "u", "U", "u", "U", "u", "U", "u",
	/* U+0170 */
	"U", "u", "U", "u", "W", "w", "Y", "y",
	"Y", "Z", "z", "Z", "z", "Z", "z", "s",
};
/* clang-format on */

static int is_lower(int c)
{
	return c >= 'a' && c <= 'z';
}

static int is_upper(int c)
{
	return c >= 'A' && c <= 'Z';
}

static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int is_alnum(int c)
{
	return is_lower(c) || is_upper(c) || is_digit(c);
}

static char to_lower(int c)
{
	return (char)(is_upper(c) ? c - 'A' + 'a' : c);
}

static char to_upper(int c)
{
	return (char)(is_lower(c) ? c - 'a' + 'A' : c);
}

/*
 * Decodes one code point of a two-byte UTF-8 sequence in the folding range
 * at s. Returns the number of bytes it takes (2), or 0 when s does not start
 * with such a sequence.
 */
static size_t decode_latin(const unsigned char *s, unsigned *cp_out)
{
	unsigned cp;

	if (s[0] < 0xc3 || s[0] > 0xc5 || (s[1] & 0xc0) != 0x80)
		return 0;
	cp = ((unsigned)(s[0] & 0x1f) << 6) | (s[1] & 0x3f);
	if (cp < 0xc0 || cp > 0x17f)
		return 0;
	*cp_out = cp;
	return 2;
}

/* Length of the (possibly invalid) UTF-8 sequence at s, at least 1. */
static size_t utf8_skip(const unsigned char *s)
{
	size_t n, i;

	if (s[0] < 0xc2 || s[0] > 0xf4)
		return 1;
	n = s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
	for (i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return i;
	return n;
}

/*
 * The seed folded to ASCII: letters and digits kept, accented letters
 * folded, every run of other characters turned into one space. tied[i] is
 * set for the second and later letters of a folded ligature ("AE" from Æ):
 * no word starts there. Both are len bytes and a NUL; neither is longer
 * than the seed (a letter folds to at most as many bytes as it takes).
 */
struct folded {
	char *text;
	char *tied;
	size_t len;
};

static void fold_seed(struct folded *f, const char *seed)
{
	const unsigned char *s = (const unsigned char *)seed;
	size_t lig_start = 0, lig_len = 0, len = 0;
	char *t = f->text, *tied = f->tied;

	while (*s) {
		const char *rep = NULL;
		unsigned cp = 0;
		size_t n = decode_latin(s, &cp);

		if (n && fold_table[cp - 0xc0])
			rep = fold_table[cp - 0xc0];
		if (is_alnum(*s)) {
			t[len] = (char)*s;
			tied[len++] = 0;
			s++;
		} else if (rep) {
			t[len] = rep[0];
			tied[len++] = 0;
			for (size_t i = 1; rep[i]; i++) {
				t[len] = rep[i];
				tied[len++] = 1;
			}
			s += n;
		} else {
			if (len && t[len - 1] != ' ') {
				t[len] = ' ';
				tied[len++] = 0;
			}
			s += utf8_skip(s);
		}
		/*
		 * An upper-case ligature followed by a lower-case letter is
		 * capitalized rather than shouted: "Ægir" -> "Aegir".
		 */
		if (lig_len && len > lig_start + lig_len &&
		    is_lower(t[lig_start + lig_len]))
			for (size_t i = 1; i < lig_len; i++)
				t[lig_start + i] = to_lower(t[lig_start + i]);
		lig_len = 0;
		if (rep && rep[1] && is_upper(rep[0])) {
			lig_len = strlen(rep);
			lig_start = len - lig_len;
		}
	}
	t[len] = '\0';
	tied[len] = 0;
	f->len = len;
}

/* Whether a word starts at position i of a run that began at start. */
static int word_starts(const struct folded *f, size_t start, size_t i)
{
	const char *t = f->text;
	int c = t[i], prev;

	if (i == start)
		return 1;
	if (f->tied[i] || !is_upper(c))
		return 0;
	prev = t[i - 1];
	if (is_lower(prev) || is_digit(prev))
		return 1;
	/* "HTMLParser": the last capital of a run starts the next word. */
	return is_upper(prev) && is_lower(t[i + 1]) && !f->tied[i + 1];
}

enum key_kind { KEY_TYPE, KEY_PROPERTY };

static int word_has_lower(const char *w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (is_lower(w[i]))
			return 1;
	return 0;
}

/* Appends word w (n bytes) to key (*len bytes so far), cased for kind. */
static void add_word(char *key, size_t *len, const char *w, size_t n, int first,
		     enum key_kind kind)
{
	char *at = key + *len;

	memcpy(at, w, n);
	*len += n;
	if (kind == KEY_TYPE || !first) {
		at[0] = to_upper(at[0]);
	} else if (!word_has_lower(w, n)) {
		for (size_t i = 0; i < n; i++)
			at[i] = to_lower(at[i]);
	} else {
		at[0] = to_lower(at[0]);
	}
}

/* Seeds this long or shorter are folded in the frame. */
#define KEYS_SMALL_SEED 63

static char *make_key(const char *seed, enum key_kind kind)
{
	char small[3 * (KEYS_SMALL_SEED + 1)];
	size_t cap = strlen(seed ? seed : "") + 1;
	char *area = cap <= KEYS_SMALL_SEED + 1 ? small : xmalloc(3 * cap);
	struct folded f = {area, area + cap, 0};
	char *key = area + 2 * cap, *out;
	const char *prefix = "";
	size_t i = 0, n, len = 0, plen, total;
	int first = 1;

	fold_seed(&f, seed ? seed : "");
	n = f.len;
	while (i < n) {
		size_t run_start, w;

		while (i < n && f.text[i] == ' ')
			i++;
		run_start = w = i;
		while (i < n && f.text[i] != ' ') {
			if (i > w && word_starts(&f, run_start, i)) {
				add_word(key, &len, f.text + w, i - w, first,
					 kind);
				first = 0;
				w = i;
			}
			i++;
		}
		if (i > w) {
			add_word(key, &len, f.text + w, i - w, first, kind);
			first = 0;
		}
	}
	if (len < 2 || is_digit(key[0])) {
		prefix = kind == KEY_TYPE ? "Type" : "field";
		if (len)
			key[0] = to_upper(key[0]);
	}
	plen = strlen(prefix);
	total = plen + len > KEYS_MAX_LEN ? KEYS_MAX_LEN : plen + len;
	out = xmalloc(total + 1);
	memcpy(out, prefix, plen);
	memcpy(out + plen, key, total - plen);
	out[total] = '\0';
	if (area != small)
		free(area);
	return out;
}

char *keys_type_key(const char *seed)
{
	return make_key(seed, KEY_TYPE);
}

char *keys_property_key(const char *seed)
{
	return make_key(seed, KEY_PROPERTY);
}

static const char *const reserved_types[] = {
	"BlankExperience",
	"BlankSection",
	"SysContentFolder",
};

#define GLOBALCONTRACT_PREFIX "globalcontract:"

int keys_is_reserved_type(const char *key)
{
	size_t plen = strlen(GLOBALCONTRACT_PREFIX);

	if (!key)
		return 0;
	for (size_t i = 0; i < sizeof(reserved_types) / sizeof(*reserved_types);
	     i++)
		if (!strcasecmp(key, reserved_types[i]))
			return 1;
	return !strncasecmp(key, GLOBALCONTRACT_PREFIX, plen);
}

int keys_is_reserved_property(const char *key, const char *base_type)
{
	return key && base_type && !strcmp(base_type, "_experience") &&
	       !strcasecmp(key, "composition");
}

/*
 * A set of keys in use, compared without regard to ASCII case (the service
 * may treat "BlogPost" and "blogpost" as one key, so we never hand out
 * both). Each member maps the lower-cased key to a description of its holder
 * for messages.
 */
static char *lower_dup(const char *s)
{
	char *p = xstrdup(s);

	for (char *q = p; *q; q++)
		*q = to_lower((unsigned char)*q);
	return p;
}

static const json_t *used_get(const json_t *used, const char *key)
{
	char *low = lower_dup(key);
	const json_t *v = json_object_get(used, low);

	free(low);
	return v;
}

static void used_add(json_t *used, const char *key, const char *holder)
{
	char *low = lower_dup(key);

	if (!json_object_get(used, low))
		json_object_set_new(used, low, json_string(holder));
	free(low);
}

/* base with the suffix n, the whole no longer than KEYS_MAX_LEN. */
static char *suffixed(const char *base, unsigned n)
{
	struct buf b = BUF_INIT;
	char num[16];
	size_t nlen, blen = strlen(base);

	nlen = (size_t)snprintf(num, sizeof(num), "%u", n);
	if (blen + nlen > KEYS_MAX_LEN)
		blen = KEYS_MAX_LEN - nlen;
	buf_add(&b, base, blen);
	buf_add(&b, num, nlen);
	return buf_detach(&b, NULL);
}

typedef int (*reserved_fn)(const char *key, const void *payload);

/*
 * The first of key, key2, key3... that is neither reserved nor used; sets
 * *clash_out to the holder of key (NULL when key was merely reserved).
 */
static char *unique_key(char *key, const json_t *used, reserved_fn reserved,
			const void *payload, const char **clash_out)
{
	const json_t *holder = used_get(used, key);
	char *cand;
	unsigned n = 2;

	*clash_out = holder ? json_string_value(holder) : NULL;
	if (!holder && !reserved(key, payload))
		return key;
	for (;;) {
		cand = suffixed(key, n++);
		if (!used_get(used, cand) && !reserved(cand, payload))
			break;
		free(cand);
	}
	free(key);
	return cand;
}

static int type_reserved(const char *key, const void *payload)
{
	(void)payload;
	return keys_is_reserved_type(key);
}

static const char *type_name_of(const struct keys_type *t)
{
	if (t->name && *t->name)
		return t->name;
	return t->id ? t->id : "";
}

static int cmp_types(const void *a, const void *b)
{
	const struct keys_type *x = *(const struct keys_type *const *)a;
	const struct keys_type *y = *(const struct keys_type *const *)b;
	int c;

	if (x->created_ms != y->created_ms)
		return x->created_ms < y->created_ms ? -1 : 1;
	c = strcmp(x->id ? x->id : "", y->id ? y->id : "");
	if (c)
		return c;
	return x < y ? -1 : x > y;
}

static void describe_type(struct buf *b, const struct keys_type *t)
{
	buf_addf(b, "'%s'", type_name_of(t));
	if (t->id && t->name && *t->name)
		buf_addf(b, " (id %s)", t->id);
}

/* The "key-collision" warning of a type that got key instead of gen. */
static void report_type(struct findings *findings, const struct keys_type *t,
			const char *gen, const char *key, const char *clash)
{
	struct buf path = BUF_INIT;
	struct buf who = BUF_INIT;

	describe_type(&who, t);
	buf_addf(&path, "%s:key", type_name_of(t));
	if (clash)
		findings_add(findings, FINDING_WARNING, "key-collision",
			     path.ptr,
			     "type %s gets key '%s' because '%s' is taken by "
			     "%s",
			     who.ptr, key, gen, clash);
	else
		findings_add(findings, FINDING_WARNING, "key-collision",
			     path.ptr,
			     "type %s gets key '%s' because '%s' is reserved "
			     "by the service",
			     who.ptr, key, gen);
	buf_release(&path);
	buf_release(&who);
}

void keys_assign_types(struct keys_type *types, size_t nr, const json_t *taken,
		       struct findings *findings)
{
	json_t *used = json_object();
	struct keys_type **order = xcalloc(nr ? nr : 1, sizeof(*order));
	struct buf who = BUF_INIT;
	const char *k;
	json_t *v;
	size_t i;

	/* json_object_foreach skips anything but an object */
	json_object_foreach((json_t *)taken, k, v) {
		buf_reset(&who);
		buf_addf(&who, "the target's type '%s'", k);
		used_add(used, k, who.ptr);
	}
	for (i = 0; i < nr; i++) {
		order[i] = &types[i];
		if (!types[i].key)
			continue;
		buf_reset(&who);
		buf_adds(&who, "type ");
		describe_type(&who, &types[i]);
		buf_addf(&who, " with key '%s'", types[i].key);
		used_add(used, types[i].key, who.ptr);
	}
	qsort(order, nr, sizeof(*order), cmp_types);
	for (i = 0; i < nr; i++) {
		struct keys_type *t = order[i];
		const char *clash;
		char *gen, *key;

		if (t->key)
			continue;
		/* an empty key column counts as none */
		gen = keys_type_key(t->seed && *t->seed ? t->seed : t->name);
		key = unique_key(xstrdup(gen), used, type_reserved, NULL,
				 &clash);
		if (strcmp(key, gen) && findings)
			report_type(findings, t, gen, key, clash);
		buf_reset(&who);
		buf_adds(&who, "type ");
		describe_type(&who, t);
		buf_addf(&who, " with key '%s'", key);
		used_add(used, key, who.ptr);
		t->key = key;
		free(gen);
	}
	buf_release(&who);
	free(order);
	json_decref(used);
}

struct field_ent {
	const char *name;
	double order;
	int has_order;
};

static int cmp_fields(const void *a, const void *b)
{
	const struct field_ent *x = a, *y = b;

	if (x->has_order != y->has_order)
		return x->has_order ? -1 : 1;
	if (x->has_order && x->order != y->order)
		return x->order < y->order ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* The "key-collision" warning of a field that got key instead of gen. */
static void report_property(struct findings *findings, const char *label,
			    const char *field, const char *gen,
			    const char *key, const char *clash,
			    const char *base_type)
{
	struct buf path = BUF_INIT;

	buf_addf(&path, "%s:fields.%s", label, field);
	if (clash)
		findings_add(findings, FINDING_WARNING, "key-collision",
			     path.ptr,
			     "field '%s' gets property key '%s' because '%s' "
			     "is taken by %s",
			     field, key, gen, clash);
	else
		findings_add(findings, FINDING_WARNING, "key-collision",
			     path.ptr,
			     "field '%s' gets property key '%s' because '%s' "
			     "is reserved on %s types",
			     field, key, gen, base_type ? base_type : "these");
	buf_release(&path);
}

/*
 * The property keys in use within one type, compared without regard to
 * ASCII case as used_get does: an open-addressing table of keys, each
 * remembering its first holder (a field name and its key) so that a clash
 * can be described. Keys and holders are borrowed: they live as long as
 * the call of keys_assign_properties.
 */
struct prop_used {
	const char *key; /* NULL: a free slot */
	const char *field;
};

/* Slots of a table kept in the frame (most types have few fields). */
#define PROP_TABLE_SMALL 64

struct prop_table {
	struct prop_used *slots;
	size_t mask;
	struct prop_used small[PROP_TABLE_SMALL];
};

static void prop_table_init(struct prop_table *t, size_t nr)
{
	size_t size = 16;

	while (size < 2 * nr + 16)
		size *= 2;
	if (size <= PROP_TABLE_SMALL) {
		memset(t->small, 0, size * sizeof(*t->small));
		t->slots = t->small;
	} else {
		t->slots = xcalloc(size, sizeof(*t->slots));
	}
	t->mask = size - 1;
}

static void prop_table_release(struct prop_table *t)
{
	if (t->slots != t->small)
		free(t->slots);
}

/* Whether a and b are equal once lower-cased (ASCII only, as lower_dup). */
static int same_lower(const char *a, const char *b)
{
	for (; *a && to_lower((unsigned char)*a) == to_lower((unsigned char)*b);
	     a++, b++)
		;
	return !*a && !*b;
}

/* The slot of key: its holder, or the free slot where it would go. */
static struct prop_used *prop_slot(struct prop_table *t, const char *key)
{
	uint32_t h = 2166136261u; /* FNV-1a over the lower-cased key */
	size_t i;

	for (const char *p = key; *p; p++)
		h = (h ^ (unsigned char)to_lower((unsigned char)*p)) *
		    16777619u;
	for (i = h & t->mask;; i = (i + 1) & t->mask) {
		struct prop_used *u = &t->slots[i];

		if (!u->key || same_lower(u->key, key))
			return u;
	}
}

/* Marks key as used by field (unless it already is); like used_add. */
static void prop_add(struct prop_table *t, const char *key, const char *field)
{
	struct prop_used *u = prop_slot(t, key);

	if (u->key)
		return;
	u->key = key;
	u->field = field;
}

/*
 * The first of gen, gen2, gen3... that is neither reserved on base_type nor
 * used, as unique_key gives it: gen itself, or a new string. *clash_out is
 * the holder of gen (NULL when gen was merely reserved).
 */
static char *unique_property(struct prop_table *t, char *gen,
			     const char *base_type,
			     const struct prop_used **clash_out)
{
	struct prop_used *holder = prop_slot(t, gen);
	char *cand;
	unsigned n = 2;

	*clash_out = holder->key ? holder : NULL;
	if (!holder->key && !keys_is_reserved_property(gen, base_type))
		return gen;
	for (;;) {
		cand = suffixed(gen, n++);
		if (!prop_slot(t, cand)->key &&
		    !keys_is_reserved_property(cand, base_type))
			return cand;
		free(cand);
	}
}

json_t *keys_assign_properties(const json_t *form, const json_t *existing,
			       const char *type_label, const char *base_type,
			       struct findings *findings)
{
	const json_t *fields = json_object_get(form, "fields");
	json_t *result = json_object();
	struct prop_table used;
	struct field_ent *ents;
	char **made;
	struct buf who = BUF_INIT;
	size_t nr = 0, i;
	const char *k;
	json_t *v;

	if (!type_label)
		type_label = "";
	ents = xcalloc(json_object_size(fields) + 1, sizeof(*ents));
	made = xcalloc(json_object_size(fields) + 1, sizeof(*made));
	prop_table_init(&used,
			json_object_size(existing) + json_object_size(fields));
	/* json_object_foreach skips anything but an object */
	json_object_foreach((json_t *)existing, k, v) {
		if (!json_is_string(v))
			continue;
		prop_add(&used, json_string_value(v), k);
	}
	json_object_foreach((json_t *)fields, k, v) {
		const json_t *o = json_object_get(v, "order");
		const char *persisted = jx_str(existing, k);

		if (persisted) {
			json_object_set_new(result, k, json_string(persisted));
			continue;
		}
		ents[nr].name = k;
		ents[nr].has_order = json_is_number(o);
		ents[nr].order = json_is_number(o) ? json_number_value(o) : 0;
		nr++;
	}
	qsort(ents, nr, sizeof(*ents), cmp_fields);
	for (i = 0; i < nr; i++) {
		const struct prop_used *clash;
		char *gen = keys_property_key(ents[i].name);
		char *key = unique_property(&used, gen, base_type, &clash);

		if (strcmp(key, gen) && findings) {
			buf_reset(&who);
			if (clash)
				buf_addf(&who, "field '%s' with key '%s'",
					 clash->field, clash->key);
			report_property(findings, type_label, ents[i].name, gen,
					key, clash ? who.ptr : NULL, base_type);
		}
		prop_add(&used, key, ents[i].name);
		json_object_set_new(result, ents[i].name, json_string(key));
		made[i] = key;
		if (key != gen)
			free(gen);
	}
	for (i = 0; i < nr; i++)
		free(made[i]);
	free(made);
	buf_release(&who);
	free(ents);
	prop_table_release(&used);
	return result;
}
