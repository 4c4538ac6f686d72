/*
 * catalyst-sync map TYPE KEY: binds a Catalyst content type to an existing
 * remote key (brief §5), persisted in type_map.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "store/store.h"
#include "util/err.h"
#include "util/jx.h"
#include "util/xalloc.h"

static const char map_synopsis[] = "catalyst-sync map TYPE KEY";
static const char map_description[] =
	"Binds the Catalyst content type TYPE to the Optimizely key KEY, for\n"
	"a type that already exists in the CMS under a key catalyst-sync\n"
	"would not have generated. The binding is kept in the state store\n"
	"and used from then on by every command; the type's displayName\n"
	"still follows its Catalyst name. A type that was already synced\n"
	"keeps its key: keys never change once the type exists remotely.";

/* Optimizely's rule for keys: ^[A-Za-z][_0-9A-Za-z]+$, at most 255. */
static int valid_key(const char *key)
{
	size_t n = strlen(key);

	if (n < 2 || n > 255)
		return 0;
	if (!((key[0] >= 'A' && key[0] <= 'Z') ||
	      (key[0] >= 'a' && key[0] <= 'z')))
		return 0;
	return strspn(key, "abcdefghijklmnopqrstuvwxyz"
			   "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == n;
}

/* Refuses to move a type that a target already knows by another key. */
static int check_not_synced(struct store *store, const struct ctx_type *t,
			    const char *key)
{
	json_t *states = NULL, *st;
	size_t i;
	int ret;

	if ((ret = store_sync_state_list(store, t->id, &states)) < 0)
		return ret;
	json_array_foreach(states, i, st)
	{
		const char *synced = jx_str(st, "type_key");

		if (synced && strcmp(synced, key)) {
			ret = err_set(ERR_CONFLICT,
				      "'%s' was synced to target '%s' as '%s'; "
				      "a key cannot change once the type "
				      "exists remotely",
				      t->name ? t->name : t->id,
				      jx_str(st, "target"), synced);
			break;
		}
	}
	json_decref(states);
	return ret;
}

int cmd_map(int argc, char **argv, struct ctx *ctx)
{
	const struct opt_spec opts[] = {OPT_END_()};
	struct ctx_type t = {0};
	struct store *store = NULL;
	char *pos[2], *old = NULL;
	int nr, ret;

	ret = cmd_parse(ctx, argc, argv, opts, map_synopsis, map_description,
			pos, &nr, 2);
	if (ret)
		return ret > 0 ? EXIT_OK : ret;
	if (nr != 2)
		return err_set(ERR_USAGE, "map needs a TYPE and a KEY");
	if (!valid_key(pos[1]))
		return err_set(ERR_USAGE,
			       "'%s' is not an Optimizely key (a letter, then "
			       "letters, digits or '_'; 2 to 255 characters)",
			       pos[1]);
	if ((ret = ctx_open_store(ctx, 0, &store)) < 0)
		goto out;
	if ((ret = ctx_find_type(ctx, store, pos[0], &t)) < 0)
		goto out;
	if ((ret = check_not_synced(store, &t, pos[1])) < 0)
		goto out;
	ret = store_type_key_get(store, t.id, &old);
	if (ret == ERR_NOTFOUND)
		err_clear();
	else if (ret < 0)
		goto out;
	if ((ret = store_type_key_put(store, t.website_id, t.id, pos[1],
				      "mapped")) < 0) {
		if (ret == ERR_CONFLICT)
			err_prefix("cannot map '%s' to '%s'",
				   t.name ? t.name : t.id, pos[1]);
		goto out;
	}
	printf("mapped %s (%s) to the key '%s'", t.name ? t.name : t.id, t.id,
	       pos[1]);
	if (old && strcmp(old, pos[1]))
		printf(" (was '%s')", old);
	else if (!old && t.key && strcmp(t.key, pos[1]))
		printf(" (instead of the generated '%s')", t.key);
	printf("\n");
	ret = 0;
out:
	free(old);
	ctx_type_release(&t);
	store_close(store);
	return ret;
}
