/*
 * t_plan: the decision table of brief §8, row by row, and the checks a
 * saved plan goes through before apply trusts it.
 */
#include <stdlib.h>
#include <string.h>

#include "core/plan.h"
#include "tap.h"
#include "util/err.h"
#include "util/jx.h"

#define H_L "1111111111111111111111111111111111111111111111111111111111111111"
#define H_B "2222222222222222222222222222222222222222222222222222222222222222"
#define H_R "3333333333333333333333333333333333333333333333333333333333333333"

struct row {
	const char *name;
	int local_present;
	const char *l, *b, *r;
	const char *lbt, *rbt; /* base types */
	int recreate, allow_data_loss;
	enum plan_action want;
};

/* Every row of the table; "same" hashes are spelled with the same macro. */
static const struct row rows[] = {
	{"L = B, R = B: nothing", 1, H_B, H_B, H_B, "_page", "_page", 0, 0,
	 PLAN_NONE},
	{"L != B, R = B: update", 1, H_L, H_B, H_B, "_page", "_page", 0, 0,
	 PLAN_UPDATE},
	{"L = B, R != B: drift (push mode leaves it)", 1, H_B, H_B, H_R,
	 "_page", "_page", 0, 0, PLAN_DRIFT},
	{"L != B, R != B, L = R: converged", 1, H_L, H_B, H_L, "_page",
	 "_page", 0, 0, PLAN_CONVERGED},
	{"L != B, R != B, L != R: conflict", 1, H_L, H_B, H_R, "_page",
	 "_page", 0, 0, PLAN_CONFLICT},
	{"no base, remote absent: create", 1, H_L, NULL, NULL, "_page", NULL,
	 0, 0, PLAN_CREATE},
	{"no base, remote present, L = R: adopt", 1, H_L, NULL, H_L, "_page",
	 "_page", 0, 0, PLAN_ADOPT},
	{"no base, remote present, L != R: conflict with an empty base", 1,
	 H_L, NULL, H_R, "_page", "_page", 0, 0, PLAN_CONFLICT},
	{"deleted in Catalyst, R = B: delete", 0, NULL, H_B, H_B, NULL,
	 "_page", 0, 0, PLAN_DELETE},
	{"deleted in Catalyst, R != B: conflict (delete vs modify)", 0, NULL,
	 H_B, H_R, NULL, "_page", 0, 0, PLAN_CONFLICT},
	{"deleted remotely, L = B: reported", 1, H_B, H_B, NULL, "_page",
	 NULL, 0, 0, PLAN_REMOTE_DELETED},
	{"deleted remotely, L = B, --recreate: create", 1, H_B, H_B, NULL,
	 "_page", NULL, 1, 0, PLAN_CREATE},
	{"deleted remotely, L != B: conflict (modify vs delete)", 1, H_L, H_B,
	 NULL, "_page", NULL, 0, 0, PLAN_CONFLICT},
	{"deleted on both sides: forget", 0, NULL, H_B, NULL, NULL, NULL, 0, 0,
	 PLAN_FORGET},
	{"not in Catalyst, never synced: nothing", 0, NULL, NULL, H_R, NULL,
	 "_page", 0, 0, PLAN_NONE},
	{"category changed: blocked", 1, H_L, H_B, H_B, "_component", "_page",
	 0, 0, PLAN_BLOCKED},
	{"category changed, --allow-data-loss only: still blocked", 1, H_L,
	 H_B, H_B, "_component", "_page", 0, 1, PLAN_BLOCKED},
	{"category changed, --recreate only: still blocked", 1, H_L, H_B, H_B,
	 "_component", "_page", 1, 0, PLAN_BLOCKED},
	{"category changed, --allow-data-loss --recreate: recreate", 1, H_L,
	 H_B, H_B, "_component", "_page", 1, 1, PLAN_RECREATE},
	{"category back to what the CMS has: no block", 1, H_R, H_B, H_R,
	 "_page", "_page", 0, 0, PLAN_CONVERGED},
};

static void test_table(void)
{
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		struct plan_sides s = {0};
		const char *why = NULL;
		enum plan_action got;

		s.local_present = r->local_present;
		s.local_hash = r->l;
		s.base_hash = r->b;
		s.remote_hash = r->r;
		s.local_base_type = r->lbt;
		s.remote_base_type = r->rbt;
		s.recreate = r->recreate;
		s.allow_data_loss = r->allow_data_loss;
		got = plan_decide(&s, &why);
		if (!is_str(plan_action_name(got), plan_action_name(r->want),
			    "%s", r->name))
			diag("reason: %s", why ? why : "(none)");
		ok(why && *why, "%s: says why", r->name);
	}
}

static void test_names(void)
{
	int a;

	for (a = PLAN_NONE; a <= PLAN_BLOCKED; a++)
		if (plan_action_parse(plan_action_name((enum plan_action)a)) !=
		    a)
			break;
	is_int(a, PLAN_BLOCKED + 1, "every action name parses back");
	is_int(plan_action_parse("nonsense"), -1, "an unknown name is -1");
	ok(plan_action_attention(PLAN_CONFLICT) &&
		   plan_action_attention(PLAN_DRIFT) &&
		   plan_action_attention(PLAN_BLOCKED) &&
		   plan_action_attention(PLAN_REMOTE_DELETED),
	   "conflict, drift, blocked and remote-deleted need attention");
	ok(!plan_action_attention(PLAN_CREATE) &&
		   !plan_action_attention(PLAN_ADOPT) &&
		   !plan_action_attention(PLAN_NONE),
	   "create, adopt and none do not");
}

static json_t *load(const char *text)
{
	json_t *v = NULL;

	if (jx_load(&v, text, strlen(text), "test") < 0)
		diag("bad test JSON: %s", err_msg());
	return v;
}

#define GOOD_HEAD                                                              \
	"{\"format_version\":1,\"kind\":\"plan\",\"id\":\"abc\","             \
	"\"store_id\":\"s\",\"target\":{\"name\":\"optimizely\","             \
	"\"identity\":\"optimizely http://x v1\"},\"types\":[{\"key\":\"A\","  \
	"\"action\":\"create\"}],"

static void check_plan(const char *text, int want, const char *needle,
		       const char *name)
{
	json_t *p = load(text);
	int ret = plan_check(p);

	is_int(ret, want, "%s", name);
	if (needle && !ok(strstr(err_msg(), needle), "%s: names %s", name,
			  needle))
		diag("message: %s", err_msg());
	err_clear();
	json_decref(p);
}

static void test_check(void)
{
	check_plan(GOOD_HEAD
		   "\"operations\":[{\"seq\":0,\"action\":\"create\",\"key\":"
		   "\"A\",\"doc\":{\"key\":\"A\"},\"after\":[]},{\"seq\":1,"
		   "\"action\":\"link\",\"key\":\"A\",\"patch\":{},\"after\":"
		   "[0]}]}",
		   0, NULL, "a good plan passes");
	check_plan(GOOD_HEAD "\"operations\":[{\"seq\":0,\"action\":"
			     "\"create\",\"key\":\"A\",\"doc\":{},\"after\":[0]}]}",
		   ERR_INVALID, "operations[0].after",
		   "a dependency on itself is refused");
	check_plan(GOOD_HEAD "\"operations\":[{\"seq\":0,\"action\":\"update\","
			     "\"key\":\"A\",\"patch\":{},\"after\":[]}]}",
		   ERR_INVALID, "operations[0].remote",
		   "an update without the remote document is refused");
	check_plan(GOOD_HEAD "\"operations\":[{\"seq\":3,\"action\":\"create\","
			     "\"key\":\"A\",\"doc\":{},\"after\":[]}]}",
		   ERR_INVALID, "operations[0].seq", "a seq out of place");
	check_plan(GOOD_HEAD "\"operations\":[{\"seq\":0,\"action\":\"explode\","
			     "\"key\":\"A\",\"after\":[]}]}",
		   ERR_INVALID, "operations[0].action", "an unknown action");
	check_plan("{\"format_version\":2,\"kind\":\"plan\"}", ERR_INVALID,
		   "format_version 2", "a newer format is refused by name");
	check_plan("[1,2]", ERR_INVALID, "not a plan", "not an object");
	check_plan("{\"kind\":\"run\"}", ERR_INVALID, "kind",
		   "another document kind");
}

int main(void)
{
	plan_lazy();
	test_table();
	test_names();
	test_check();
	return done_testing();
}
