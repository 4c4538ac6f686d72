#!/usr/bin/env bash
# init --adopt-remote: a lost state store is rebuilt from a target whose
# types equal Catalyst's; types that differ are listed and left alone, and
# what editors set in the CMS (target-owned members) does not count.
. "$CS_SOURCE_DIR/tests/cli/t2000-emulator-basics.sh"
emu_skip_all_unless_built

make_catalyst_db catalyst.db "$FIXTURES/catalyst/catalyst-938657b-fixture.sql"
QA="Catalyst QA Site"
emu_start

test_expect_success 'setup: an emulator holding the QA website pushed by hand' '
	cs --database catalyst.db --website "$QA" export --lenient --json >docs.json &&
	for i in 0 1 2 3 4; do
		jq ".[$i]" docs.json >one.json &&
		code=$(req POST /_cms/v1/contenttypes -H "Content-Type: application/json" --data @one.json) &&
		expect_status "$code" 201 || exit 1
	done
'

test_expect_success 'setup: an editor changes one type and sets a CMS-only member on another' '
	code=$(ctl POST /_emulator/editor/contenttypes/Product -H "Content-Type: application/json" \
		-d "{\"properties\":{\"sku\":{\"displayName\":\"Stock unit\"}}}") &&
	expect_status "$code" 200 &&
	code=$(ctl POST "/_emulator/editor/contenttypes/Article" -H "Content-Type: application/json" \
		-d "{\"properties\":{\"title\":{\"indexingType\":\"searchable\"}}}") &&
	expect_status "$code" 200
'

cat >cs.yaml <<EOF_YAML
source:
  database: catalyst.db
  website: $QA
sync:
  state:
    storage: state.db
EOF_YAML

test_expect_success 'init --adopt-remote adopts what is equal' '
	export OPTIMIZELY_CMS_API_URL=$EMU_URL OPTIMIZELY_CMS_CLIENT_ID=$EMU_ID \
		OPTIMIZELY_CMS_CLIENT_SECRET=$EMU_SECRET &&
	cs --config cs.yaml init --adopt-remote >out &&
	cat out &&
	grep -q "^  Article  *in sync: adopted" out &&
	grep -q "^  Author  *in sync: adopted" out &&
	grep -Eq "^  Product  *differs \(1 difference, first at properties.sku.displayName\): not adopted" out &&
	grep -q "^4 adopted, 1 differ, 0 not in the target; 0 remote types not in Catalyst" out
'

test_expect_success 'the bases are recorded with the ETag, the overlay keeps CMS-only members' '
	sqlite3 state.db "SELECT type_key, status, remote_etag IS NOT NULL FROM sync_state ORDER BY type_key" >rows &&
	grep -q "^Article|in_sync|1$" rows && ! grep -q "^Product|" rows &&
	test "$(wc -l <rows)" = 4 &&
	sqlite3 state.db "SELECT overlay FROM target_overlay o JOIN sync_state s ON s.type_id = o.type_id WHERE s.type_key = '\''Article'\''" >ov &&
	grep -q "searchable" ov
'

test_expect_success 'status shows adopted types in sync, and an edit as a change since' '
	cs --config cs.yaml status >out &&
	grep -Eq "^Article +Article +head [0-9a-f]{12}  optimizely: in sync" out &&
	grep -Eq "^Product +Product +head [0-9a-f]{12}  never synced" out &&
	sqlite3 catalyst.db "UPDATE \"ContentType\" SET \"name\" = '\''Essay'\'' WHERE \"id\" = '\''cmeg00bv8q4r2kbsqmyiam2ue'\''" &&
	cs --config cs.yaml status >out &&
	grep -Eq "^Essay +Article +head [0-9a-f]{12}  optimizely: changed since last sync" out
'

test_expect_success 'without a target configured it says what to set' '
	test_expect_code 64 cs --config cs.yaml init --adopt-remote >out 2>err &&
	grep -q "OPTIMIZELY_CMS_API_URL" err
'

test_expect_success 'bad credentials are an error naming the client, not the secret' '
	export OPTIMIZELY_CMS_API_URL=$EMU_URL OPTIMIZELY_CMS_CLIENT_ID=$EMU_ID \
		OPTIMIZELY_CMS_CLIENT_SECRET=wrong-secret-99 &&
	test_expect_code 1 cs --config cs.yaml init --adopt-remote >out 2>err &&
	grep -q "credentials" err &&
	cat err && ! grep -q "wrong-secret-99" err out
'

test_done
