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
 * no word starts there.
 */
struct folded {
	struct buf text;
	struct buf tied;
};

static int ends_in_space(const struct buf *b)
{
	return b->len && b->ptr[b->len - 1] == ' ';
}

static void fold_seed(struct folded *f, const char *seed)
{
	const unsigned char *s = (const unsigned char *)seed;
	size_t lig_start = 0, lig_len = 0;

	while (*s) {
		const char *rep = NULL;
		unsigned cp = 0;
		size_t n = decode_latin(s, &cp);

		if (n && fold_table[cp - 0xc0])
			rep = fold_table[cp - 0xc0];
		if (is_alnum(*s)) {
			buf_addch(&f->text, *s);
			buf_addch(&f->tied, 0);
			s++;
		} else if (rep) {
			buf_adds(&f->text, rep);
			buf_addch(&f->tied, 0);
			for (size_t i = 1; rep[i]; i++)
				buf_addch(&f->tied, 1);
			s += n;
		} else {
			if (f->text.len && !ends_in_space(&f->text)) {
				buf_addch(&f->text, ' ');
				buf_addch(&f->tied, 0);
			}
			s += utf8_skip(s);
		}
		/*
		 * An upper-case ligature followed by a lower-case letter is
		 * capitalized rather than shouted: "Ægir" -> "Aegir".
		 */
		if (lig_len && f->text.len > lig_start + lig_len &&
		    is_lower(f->text.ptr[lig_start + lig_len]))
			for (size_t i = 1; i < lig_len; i++)
				f->text.ptr[lig_start + i] =
					to_lower(f->text.ptr[lig_start + i]);
		lig_len = 0;
		if (rep && rep[1] && is_upper(rep[0])) {
			lig_start = f->text.len - strlen(rep);
			lig_len = strlen(rep);
		}
	}
}

/* Whether a word starts at position i of a run that began at start. */
static int word_starts(const struct folded *f, size_t start, size_t i)
{
	const char *t = f->text.ptr;
	int c = t[i], prev;

	if (i == start)
		return 1;
	if (f->tied.ptr[i] || !is_upper(c))
		return 0;
	prev = t[i - 1];
	if (is_lower(prev) || is_digit(prev))
		return 1;
	/* "HTMLParser": the last capital of a run starts the next word. */
	return is_upper(prev) && is_lower(t[i + 1]) && !f->tied.ptr[i + 1];
}

enum key_kind { KEY_TYPE, KEY_PROPERTY };

static int word_has_lower(const char *w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (is_lower(w[i]))
			return 1;
	return 0;
}

static void add_word(struct buf *out, const char *w, size_t n, int first,
		     enum key_kind kind)
{
	size_t at = out->len;

	buf_add(out, w, n);
	if (kind == KEY_TYPE || !first) {
		out->ptr[at] = to_upper(out->ptr[at]);
	} else if (!word_has_lower(w, n)) {
		for (size_t i = at; i < out->len; i++)
			out->ptr[i] = to_lower(out->ptr[i]);
	} else {
		out->ptr[at] = to_lower(out->ptr[at]);
	}
}

static char *make_key(const char *seed, enum key_kind kind)
{
	struct folded f = { BUF_INIT, BUF_INIT };
	struct buf key = BUF_INIT;
	struct buf out = BUF_INIT;
	size_t i = 0, n;
	int first = 1;

	fold_seed(&f, seed ? seed : "");
	n = f.text.len;
	while (i < n) {
		size_t run_start, w;

		while (i < n && f.text.ptr[i] == ' ')
			i++;
		run_start = w = i;
		while (i < n && f.text.ptr[i] != ' ') {
			if (i > w && word_starts(&f, run_start, i)) {
				add_word(&key, f.text.ptr + w, i - w, first,
					 kind);
				first = 0;
				w = i;
			}
			i++;
		}
		if (i > w) {
			add_word(&key, f.text.ptr + w, i - w, first, kind);
			first = 0;
		}
	}
	if (key.len < 2 || is_digit(key.ptr[0])) {
		buf_adds(&out, kind == KEY_TYPE ? "Type" : "field");
		if (key.len)
			key.ptr[0] = to_upper(key.ptr[0]);
	}
	buf_add(&out, key.ptr, key.len);
	if (out.len > KEYS_MAX_LEN)
		buf_setlen(&out, KEYS_MAX_LEN);
	buf_release(&key);
	buf_release(&f.text);
	buf_release(&f.tied);
	return buf_detach(&out, NULL);
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

static int property_reserved(const char *key, const void *payload)
{
	return keys_is_reserved_property(key, payload);
}

json_t *keys_assign_properties(const json_t *form, const json_t *existing,
			       const char *type_label, const char *base_type,
			       struct findings *findings)
{
	const json_t *fields = json_object_get(form, "fields");
	json_t *result = json_object();
	json_t *used = json_object();
	struct field_ent *ents;
	struct buf who = BUF_INIT;
	size_t nr = 0, i;
	const char *k;
	json_t *v;

	if (!type_label)
		type_label = "";
	ents = xcalloc(json_object_size(fields) + 1, sizeof(*ents));
	/* json_object_foreach skips anything but an object */
	json_object_foreach((json_t *)existing, k, v) {
		if (!json_is_string(v))
			continue;
		buf_reset(&who);
		buf_addf(&who, "field '%s' with key '%s'", k,
			 json_string_value(v));
		used_add(used, json_string_value(v), who.ptr);
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
		const char *clash;
		char *gen = keys_property_key(ents[i].name);
		char *key = unique_key(xstrdup(gen), used, property_reserved,
				       base_type, &clash);

		if (strcmp(key, gen) && findings)
			report_property(findings, type_label, ents[i].name, gen,
					key, clash, base_type);
		buf_reset(&who);
		buf_addf(&who, "field '%s' with key '%s'", ents[i].name, key);
		used_add(used, key, who.ptr);
		json_object_set_new(result, ents[i].name, json_string(key));
		free(key);
		free(gen);
	}
	buf_release(&who);
	free(ents);
	json_decref(used);
	return result;
}
