/*
 * catalyst-sync init [--no-triggers] [--uninstall]: sets up the state store
 * and change capture in the Catalyst database (brief §7, §13).
 */
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/history.h"
#include "source/capture.h"
#include "store/store.h"
#include "util/err.h"

static const char init_synopsis[] =
	"catalyst-sync init [--no-triggers] [--uninstall]";
static const char init_description[] =
	"Sets catalyst-sync up for a Catalyst database: creates the state\n"
	"store (sync.state.storage) when there is none, installs change\n"
	"capture in the Catalyst database (a changelog table and triggers on\n"
	"ContentType, all named _catalyst_sync_*; Catalyst's own tables and\n"
	"rows are not touched) and records the current state of every content\n"
	"type as a version. Running it again is safe: it repairs triggers\n"
	"that are missing (a Prisma migration that rebuilt ContentType drops\n"
	"them) and records what changed.";

static int uninstall(struct ctx *ctx, const char *path)
{
	struct store *store = NULL;
	struct capture *cap = NULL;
	int removed = 0, ret;

	ret = ctx_open_store(ctx, 0, &store);
	if (ret == ERR_NOTFOUND)
		err_clear();
	else if (ret < 0)
		return ret;
	if ((ret = capture_open(&cap, path)) < 0)
		goto out;
	if ((ret = history_uninstall(store, cap, &removed)) < 0)
		goto out;
	if (removed)
		printf("removed catalyst-sync's triggers, changelog and meta "
		       "table from '%s'\n",
		       path);
	else
		printf("nothing of catalyst-sync's is installed in '%s'\n",
		       path);
	ret = 0;
out:
	capture_close(cap);
	store_close(store);
	return ret;
}

int cmd_init(int argc, char **argv, struct ctx *ctx)
{
	int no_triggers = 0, do_uninstall = 0;
	const struct opt_spec opts[] = {
		OPT_FLAG_("no-triggers", 0, &no_triggers,
			  "record changes by scanning, without triggers "
			  "(removes ours)"),
		OPT_FLAG_("uninstall", 0, &do_uninstall,
			  "remove what catalyst-sync added to the Catalyst "
			  "database"),
		OPT_END_()};
	struct history_sync_report rep;
	struct capture_status before = {0};
	struct store_info info = {0};
	struct store *store = NULL;
	struct capture *cap = NULL;
	const char *path;
	char *pos[1];
	int nr, ret, installed = 0;

	ret = cmd_parse(ctx, argc, argv, opts, init_synopsis, init_description,
			pos, &nr, 0);
	if (ret)
		return ret > 0 ? EXIT_OK : ret;
	if (no_triggers && do_uninstall)
		return err_set(ERR_USAGE, "--no-triggers and --uninstall do "
					  "not go together");
	if ((ret = ctx_database(ctx, &path)) < 0)
		return ret;
	if (do_uninstall)
		return uninstall(ctx, path);
	if ((ret = capture_open(&cap, path)) < 0)
		goto out;
	if ((ret = capture_check(cap, &before)) < 0)
		goto out;
	if ((ret = ctx_open_store(ctx, 1, &store)) < 0)
		goto out;
	if ((ret = store_info(store, &info)) < 0)
		goto out;
	printf("state store '%s'%s (schema %d)\n", info.location,
	       store_created(store) ? " created" : "", info.schema_version);
	if ((ret = history_init(store, cap, !no_triggers, &installed, &rep)) <
	    0)
		goto out;
	if (no_triggers)
		printf("change capture: no triggers; changes are found by "
		       "scanning '%s'\n",
		       path);
	else if (installed && before.health == CAPTURE_BROKEN)
		printf("change capture: triggers repaired in '%s'\n", path);
	else if (installed)
		printf("change capture: triggers installed in '%s'\n", path);
	else
		printf("change capture: triggers already installed in '%s'\n",
		       path);
	if (rep.intents_finished + rep.intents_redone + rep.intents_branched)
		printf("finished %zu interrupted edit%s\n",
		       rep.intents_finished + rep.intents_redone +
			       rep.intents_branched,
		       rep.intents_finished + rep.intents_redone +
					       rep.intents_branched ==
				       1
			       ? ""
			       : "s");
	printf("%zu new version%s recorded", rep.versions,
	       rep.versions == 1 ? "" : "s");
	if (rep.unreadable)
		printf(" (%zu row%s could not be read)", rep.unreadable,
		       rep.unreadable == 1 ? "" : "s");
	printf("\n");
	ret = rep.unreadable ? EXIT_ERROR : EXIT_OK;
out:
	capture_status_release(&before);
	store_info_release(&info);
	capture_close(cap);
	store_close(store);
	return ret;
}
