#!/usr/bin/env bash
# plan and apply against the emulator: every row of the decision table of
# brief §8, with Catalyst edited as the Catalyst app does (SQL on its
# ContentType rows) and the CMS as an editor does (/_emulator/editor).
#
# This file also holds the helpers of the t40*-*.sh tests: those source it,
# and only the part after "return" runs the tests below.
#
#	sync_setup [EMULATOR-OPTION...]
#	                       a Catalyst database from examples/sample-model.sql,
#	                       an emulator, cs.yaml (CATALYST_SYNC_CONFIG), init
#	write_config [OPTIONS] cs.yaml; OPTIONS is a YAML flow map of the
#	                       target's options ("{retries: 2}")
#	cat_set NAME PATH JSON a Catalyst edit: json_set on the row's fields
#	cat_settings NAME PATH JSON            ... on its settings
#	cat_remove NAME PATH   json_remove on its fields
#	cat_add ID NAME FIELDS SETTINGS        a new row of the website
#	cat_delete NAME        the row deleted, as Catalyst deletes a type
#	editor_patch KEY JSON  an editor's change in the CMS (merge patch)
#	editor_create JSON, editor_delete KEY
#	remote KEY             the type as the emulator holds it (v1, JSON)
#	jmark; jwrites         the content-type writes the emulator journaled
#	                       since jmark, one "METHOD KEY STATUS" per line
#	remote_is_export [KEY...]
#	                       the emulator's user types equal 'export --json'
#	                       on owned members (KEYs left out of both)
. "$CS_SOURCE_DIR/tests/cli/t2000-emulator-basics.sh"

WEBSITE_ID=cmnw01j0q0000nwjournal001
SAMPLE_MODEL="$CS_SOURCE_DIR/examples/sample-model.sql"

write_config() {
	cat >cs.yaml <<EOF_YAML
source:
  database: catalyst.db
sync:
  mode: push
  platforms:
    optimizely:
      url: $EMU_URL
      options: ${1:-{\}}
  state:
    storage: state.db
EOF_YAML
}

sync_setup() {
	make_catalyst_db catalyst.db "$SAMPLE_MODEL" &&
	emu_start "$@" &&
	write_config &&
	export CATALYST_SYNC_CONFIG=cs.yaml OPTIMIZELY_CMS_CLIENT_ID=$EMU_ID \
		OPTIMIZELY_CMS_CLIENT_SECRET=$EMU_SECRET &&
	cs init >init.out 2>&1
}

# Catalyst edits: what the app writes, with updatedAt bumped.
cat_sql() {
	sqlite3 catalyst.db "$1"
}

# cat_update NAME SET-CLAUSE: one row changed, or a failure.
cat_update() {
	test "$(cat_sql "UPDATE \"ContentType\" SET $2, \"updatedAt\" = \"updatedAt\" + 1000 WHERE \"name\" = '$1'; SELECT changes()")" = 1
}

cat_set() {
	cat_update "$1" "\"fields\" = json_set(\"fields\", '$2', json('$3'))"
}

cat_settings() {
	cat_update "$1" "\"settings\" = json_set(\"settings\", '$2', json('$3'))"
}

cat_remove() {
	cat_update "$1" "\"fields\" = json_remove(\"fields\", '$2')"
}

cat_add() {
	cat_sql "INSERT INTO \"ContentType\" (\"id\", \"websiteId\", \"name\", \"fields\", \"settings\", \"createdAt\", \"updatedAt\") VALUES ('$1', '$WEBSITE_ID', '$2', '$3', '${4:-{\}}', 1761990000000, 1761990000000)"
}

cat_delete() {
	test "$(cat_sql "DELETE FROM \"ContentType\" WHERE \"name\" = '$1'; SELECT changes()")" = 1
}

editor_patch() {
	code=$(ctl POST "/_emulator/editor/contenttypes/$1" \
		-H "Content-Type: application/json" -d "$2") &&
	expect_status "$code" 200
}

editor_create() {
	code=$(ctl POST /_emulator/editor/contenttypes \
		-H "Content-Type: application/json" -d "$1") &&
	expect_status "$code" 201
}

editor_delete() {
	code=$(ctl DELETE "/_emulator/editor/contenttypes/$1") &&
	expect_status "$code" 204
}

# remote KEY: the stored type (control API: no token, no faults, no journal).
remote() {
	ctl GET /_emulator/state >/dev/null &&
	jq -e --arg k "$1" '.contentTypes[].type | select(.key == $k)' body
}

jmark() {
	ctl GET "/_emulator/journal?limit=1" >/dev/null &&
	jq '.lastSeq' body >jmark
}

# Every request to the content-type API since jmark: "METHOD KEY STATUS".
jrequests() {
	ctl GET "/_emulator/journal?since=$(cat jmark 2>/dev/null || echo 0)" \
		>/dev/null &&
	jq -r '.entries[] | select(.path | test("/(contenttypes|manifest)")) |
		[.method,
		 (if .method == "POST" then ((.body | fromjson? | .key) // "manifest")
		  else (.path | sub(".*/contenttypes/?"; "") | if . == "" then "*" else . end) end),
		 .status] | join(" ")' body
}

jwrites() {
	jrequests | grep -v '^GET ' || true
}

# The journal entries since jmark, as JSON (for headers and bodies).
jentries() {
	ctl GET "/_emulator/journal?since=$(cat jmark 2>/dev/null || echo 0)" \
		>/dev/null && jq '[.entries[] | select(.path | test("/contenttypes"))]' body
}

OWNED_JQ='
def p: {type, format, contentType, items, displayName, description, isRequired,
	sortOrder, minimum, maximum, minLength, maxLength, pattern, enum,
	minItems, maxItems, allowedTypes, restrictedTypes}
	| (if .items then .items |= p else . end)
	| (if .allowedTypes then .allowedTypes |= sort else . end)
	| (if .restrictedTypes then .restrictedTypes |= sort else . end)
	| with_entries(select(.value != null and .value != false and .value != []
		and (.key != "sortOrder" or .value != 0)));
def owned: {key, displayName, description, baseType,
	properties: ((.properties // {}) | map_values(p))}
	| with_entries(select(.value != null));
[.[] | select(.key as $k | $ex | index($k) | not) | owned] | sort_by(.key)'

# remote_is_export [KEY...]: the emulator's user types, on owned members,
# are exactly what 'export --json' says Catalyst wants.
remote_is_export() {
	ex=$(printf '%s\n' "$@" | jq -R . | jq -sc 'map(select(. != ""))')
	cs export --json >export.json 2>export.err &&
	ctl GET /_emulator/state >/dev/null &&
	jq '[.contentTypes[].type | select(.source == null)]' body >remote.json &&
	jq -S --argjson ex "$ex" "$OWNED_JQ" export.json >want.json &&
	jq -S --argjson ex "$ex" "$OWNED_JQ" remote.json >have.json &&
	test "$(jq length want.json)" -gt 0 &&
	diff -u want.json have.json
}

# The sync_state of a type: "status|conflict_status|has a base".
state_of() {
	sqlite3 state.db "SELECT status || '|' || conflict_status || '|' || (base_hash IS NOT NULL) FROM sync_state WHERE type_key = '$1'"
}

# When sourced by another test, stop here.
if [ "${BASH_SOURCE[0]}" != "$0" ]; then
	return 0
fi

emu_skip_all_unless_built
sync_setup

test_expect_success 'first plan: every type is created, nothing is written' '
	jmark &&
	cs plan >out && cat out &&
	grep -q "^  +   create    Article, 10 properties$" out &&
	grep -q "^  +   create    LandingPage (Catalyst .Landing Page.), 7 properties$" out &&
	grep -q "^Plan: 5 to create, 0 to update, 0 to delete, 0 to record; 0 unchanged.$" out &&
	test_expect_code 2 cs plan --detailed-exitcode >/dev/null &&
	cs plan --json >plan.json &&
	jq -e "[.types[].action] == [\"create\",\"create\",\"create\",\"create\",\"create\"]" plan.json &&
	jq -e ".summary.create == 5 and .format_version == 1 and .kind == \"plan\"" plan.json &&
	test -z "$(jwrites)"
'

test_expect_success 'apply without a terminal and without --auto-approve refuses, changes nothing' '
	jmark &&
	test_expect_code 1 cs apply </dev/null >out 2>err &&
	grep -q "refusing to apply a plan nobody reviewed" err &&
	grep -q "auto-approve" err &&
	test -z "$(jwrites)" &&
	cs runs >runs && test "$(cat runs)" = "no runs yet" &&
	test "$(sqlite3 state.db "SELECT count(*) FROM sync_state")" = 0
'

test_expect_success 'apply --auto-approve creates every type (create)' '
	jmark &&
	cs apply --auto-approve --actor first-sync </dev/null >out 2>err &&
	grep -q "^Run [0-9a-f]* done: 5 of 5 operations done.$" out &&
	test "$(jwrites | grep -c "^POST .* 201$")" = 5 &&
	remote_is_export &&
	test "$(state_of Article)" = "in_sync|none|1"
'

test_expect_success 'in sync: nothing to do, no write (nothing)' '
	jmark &&
	cs plan --detailed-exitcode >out &&
	grep -q "No changes to make" out &&
	grep -q "; 5 unchanged.$" out &&
	cs apply --auto-approve </dev/null >out &&
	grep -q "^Nothing to apply.$" out &&
	test -z "$(jwrites)" &&
	test "$(cs runs --json | jq ".runs | length")" = 1
'

test_expect_success 'a remote type nobody manages is ignored (unmanaged)' '
	editor_create "{\"key\":\"Promo\",\"displayName\":\"Promo\",\"baseType\":\"_component\",\"properties\":{\"code\":{\"type\":\"string\"}}}" &&
	jmark &&
	cs plan >out && cat out &&
	grep -q "No changes to make" out &&
	grep -q "; 1 remote types not managed.$" out &&
	! grep -q Promo out &&
	cs plan --json | jq -e ".summary.unmanaged == 1 and ([.types[] | select(.key == \"Promo\")] == [])" &&
	cs apply --auto-approve </dev/null >out &&
	test -z "$(jwrites)" &&
	remote Promo >/dev/null
'

test_expect_success 'a Catalyst edit is an update, shown per property (update)' '
	cat_set Author "\$.fields[0].validation.maxLength" 100 &&
	cat_set Author "\$.fields[1].label" "\"About\"" &&
	cs plan >out && cat out &&
	grep -q "^  ~   update    Author$" out &&
	grep -q "^                changed in Catalyst$" out &&
	grep -q "^                  ~ properties.bio.displayName: \"Biography\" -> \"About\"$" out &&
	grep -q "^                  ~ properties.fullName.maxLength: 80 -> 100$" out &&
	grep -q "^Plan: 0 to create, 1 to update, 0 to delete, 0 to record; 4 unchanged; 1 remote types not managed.$" out &&
	test_expect_code 2 cs plan --detailed-exitcode >/dev/null &&
	cs plan --json >plan.json &&
	jq -e ".types[0] | .key == \"Author\" and .action == \"update\" and ([.changes[].path] == [\"properties.bio.displayName\", \"properties.fullName.maxLength\"])" plan.json
'

test_expect_success 'apply sends only the changes, with If-Match, and records them' '
	etag=$(jq -r ".types[0].remote_etag" plan.json) &&
	jmark &&
	cs apply --auto-approve --actor ana </dev/null >out 2>err &&
	test "$(jwrites)" = "PATCH Author 200" &&
	jentries >e.json &&
	jq -e --arg e "$etag" ".[] | select(.method == \"PATCH\") | .headers[\"if-match\"] == \$e and .headers[\"cms-ignore-data-loss-warnings\"] == null" e.json &&
	jq -e ".[] | select(.method == \"PATCH\") | .body | fromjson == {properties: {bio: {displayName: \"About\"}, fullName: {maxLength: 100}}}" e.json &&
	remote Author | jq -e ".properties.fullName.maxLength == 100" &&
	remote_is_export Promo &&
	cs plan --detailed-exitcode >/dev/null
'

test_expect_success 'drift is left alone in push mode (exit 3) while the others are applied' '
	editor_patch Event "{\"properties\":{\"venue\":{\"displayName\":\"Place\"}}}" &&
	cat_set Author "\$.fields[1].label" "\"Short bio\"" &&
	test_expect_code 3 cs plan >out && cat out &&
	grep -q "^  !   drift     Event$" out &&
	grep -q "push mode leaves it alone" out &&
	grep -q "~ properties.venue.displayName: \"Venue\" -> \"Place\"" out &&
	jmark &&
	test_expect_code 3 cs apply --auto-approve </dev/null >out 2>err &&
	test "$(jwrites)" = "PATCH Author 200" &&
	remote Event | jq -e ".properties.venue.displayName == \"Place\"" &&
	remote Author | jq -e ".properties.bio.displayName == \"Short bio\"" &&
	test "$(state_of Event)" = "drift|none|1"
'

test_expect_success 'the same change on both sides is recorded without a request (converged)' '
	cat_set Event "\$.fields[2].label" "\"Place\"" &&
	cs plan >out && cat out &&
	grep -q "^  =   converged Event$" out &&
	grep -q "^Plan: 0 to create, 0 to update, 0 to delete, 1 to record; 4 unchanged" out &&
	jmark &&
	cs apply --auto-approve </dev/null >out &&
	test -z "$(jwrites)" &&
	test "$(state_of Event)" = "in_sync|none|1" &&
	cs plan --detailed-exitcode >out &&
	grep -q "; 5 unchanged;" out
'

test_expect_success 'changed on both sides differently is a conflict, not an overwrite' '
	cat_set Author "\$.fields[0].label" "\"Name\"" &&
	editor_patch Author "{\"properties\":{\"fullName\":{\"displayName\":\"Writer\"}}}" &&
	test_expect_code 3 cs plan >out && cat out &&
	grep -q "^  !   conflict  Author$" out &&
	grep -q "^                changed in Catalyst and in the CMS; conflicting changes: " out &&
	grep -q "~ properties.fullName.displayName: \"Writer\" -> \"Name\"" out &&
	jmark &&
	test_expect_code 3 cs apply --auto-approve </dev/null >out &&
	test -z "$(jwrites)" &&
	remote Author | jq -e ".properties.fullName.displayName == \"Writer\"" &&
	test "$(state_of Author)" = "conflict|detected|1"
'

test_expect_success 'setup: Catalyst takes the editor value, the conflict converges' '
	cat_set Author "\$.fields[0].label" "\"Writer\"" &&
	cs apply --auto-approve </dev/null >out &&
	test "$(state_of Author)" = "in_sync|none|1" &&
	cs plan --detailed-exitcode >/dev/null
'

TAG_FIELDS='{"name":"Tag","fields":[{"id":"f1","name":"label","type":"text","label":"Label","required":true,"order":0}],"relationships":[]}'
VENUE_FIELDS='{"name":"Venue","fields":[{"id":"f1","name":"city","type":"text","label":"City","order":0}],"relationships":[]}'

test_expect_success 'a new type already in the CMS, identical, is adopted without a request (adopt)' '
	cat_add cmnw02a1b0006nwtag0000001 Tag "$TAG_FIELDS" "{\"category\":\"component\"}" &&
	cs export --json | jq ".[] | select(.key == \"Tag\")" >tag.json &&
	code=$(req POST /_cms/v1/contenttypes -H "Content-Type: application/json" --data @tag.json) &&
	expect_status "$code" 201 &&
	cs plan >out && cat out &&
	grep -q "^  =   adopt     Tag$" out &&
	grep -q "already in the CMS and identical" out &&
	jmark &&
	cs apply --auto-approve </dev/null >out &&
	test -z "$(jwrites)" &&
	test "$(state_of Tag)" = "in_sync|none|1"
'

test_expect_success 'a new type already in the CMS, different, is a conflict with an empty base' '
	cat_add cmnw02a1b0007nwvenue00001 Venue "$VENUE_FIELDS" "{\"category\":\"component\"}" &&
	editor_create "{\"key\":\"Venue\",\"displayName\":\"Venue\",\"baseType\":\"_component\",\"properties\":{\"town\":{\"type\":\"string\"}}}" &&
	test_expect_code 3 cs plan >out && cat out &&
	grep -q "^  !   conflict  Venue$" out &&
	grep -q "never synced (no base to merge from)" out &&
	cs plan --json | jq -e ".types[] | select(.key == \"Venue\") | .base_hash == null and .action == \"conflict\"" &&
	jmark &&
	test_expect_code 3 cs apply --auto-approve </dev/null >out &&
	test -z "$(jwrites)" &&
	remote Venue | jq -e ".properties | keys == [\"town\"]"
'

test_expect_success 'setup: the Venue on both sides goes away' '
	cat_delete Venue && editor_delete Venue &&
	cs plan --detailed-exitcode >out &&
	! grep -q Venue out
'

test_expect_success 'a type deleted in Catalyst is deleted in the CMS, with If-Match (delete)' '
	cat_delete "Landing Page" &&
	cs plan --json >plan.json &&
	cs plan >out && cat out &&
	grep -q "^  -   delete    LandingPage (Catalyst .Landing Page.)$\|^  -   delete    LandingPage$" out &&
	grep -q "^                deleted in Catalyst$" out &&
	etag=$(jq -r ".types[] | select(.key == \"LandingPage\") | .remote_etag" plan.json) &&
	jmark &&
	cs apply --auto-approve </dev/null >out &&
	test "$(jwrites)" = "DELETE LandingPage 204" &&
	jentries | jq -e --arg e "$etag" ".[] | select(.method == \"DELETE\") | .headers[\"if-match\"] == \$e" &&
	! remote LandingPage >/dev/null &&
	cs plan --detailed-exitcode >out && ! grep -q LandingPage out
'

test_expect_success 'deleted in Catalyst but changed in the CMS is a conflict (delete vs. modify)' '
	cat_delete Event &&
	editor_patch Event "{\"properties\":{\"venue\":{\"displayName\":\"Location\"}}}" &&
	test_expect_code 3 cs plan >out && cat out &&
	grep -q "^  !   conflict  Event$" out &&
	grep -q "deleted in Catalyst but changed in the CMS" out &&
	jmark &&
	test_expect_code 3 cs apply --auto-approve </dev/null >out &&
	test -z "$(jwrites)" &&
	remote Event | jq -e ".properties.venue.displayName == \"Location\""
'

test_expect_success 'deleted on both sides: its state is forgotten (forget)' '
	editor_delete Event &&
	cs plan >out && cat out &&
	grep -q "^  =   forget    Event$" out &&
	grep -q "deleted on both sides" out &&
	jmark &&
	cs apply --auto-approve </dev/null >out &&
	test -z "$(jwrites)" &&
	test "$(state_of Event)" = "deleted|none|0" &&
	cs plan --detailed-exitcode >out && ! grep -q Event out
'

test_expect_success 'deleted in the CMS only: reported and left alone (remote-deleted)' '
	editor_delete Category &&
	test_expect_code 3 cs plan >out && cat out &&
	grep -q "^  !   remote-deleted Category$" out &&
	grep -q "deleted in the CMS; .plan --recreate. creates it again" out &&
	jmark &&
	test_expect_code 3 cs apply --auto-approve </dev/null >out &&
	test -z "$(jwrites)" &&
	! remote Category >/dev/null
'

test_expect_success '--recreate creates it again' '
	cs plan --recreate >out && cat out &&
	grep -q "^  +   create    Category, 4 properties$" out &&
	grep -q "re-created (--recreate)" out &&
	jmark &&
	cs apply --recreate --auto-approve </dev/null >out &&
	test "$(jwrites)" = "POST Category 201" &&
	remote_is_export Promo &&
	cs plan --detailed-exitcode >/dev/null
'

test_expect_success 'a category (baseType) change is blocked as data loss' '
	cat_settings Tag "\$.category" "\"page\"" &&
	test_expect_code 3 cs plan >out && cat out &&
	grep -q "^  x   blocked   Tag$" out &&
	grep -q "the CMS cannot change a baseType: .plan --allow-data-loss --recreate." out &&
	grep -q "~ baseType: \"_component\" -> \"_page\"" out &&
	test_expect_code 3 cs plan --allow-data-loss >out &&
	grep -q "^  x   blocked   Tag$" out &&
	test_expect_code 3 cs plan --recreate >out &&
	grep -q "^  x   blocked   Tag$" out &&
	jmark &&
	test_expect_code 3 cs apply --auto-approve </dev/null >out &&
	test -z "$(jwrites)" &&
	remote Tag | jq -e ".baseType == \"_component\""
'

test_expect_success '--allow-data-loss --recreate deletes and re-creates it' '
	cs plan --allow-data-loss --recreate >out && cat out &&
	grep -q "^  -/+ recreate  Tag$" out &&
	grep -q "^Data loss is allowed in this plan" out &&
	jmark &&
	cs apply --allow-data-loss --recreate --auto-approve </dev/null >out &&
	test "$(jwrites | tr "\n" ,)" = "DELETE Tag 204,POST Tag 201," &&
	remote Tag | jq -e ".baseType == \"_page\"" &&
	remote_is_export Promo &&
	cs plan --detailed-exitcode >/dev/null
'

test_expect_success 'history: pushed data, response, status and actor of each operation' '
	cs history --json >h.json &&
	jq -e "[.entries[] | select(.type_key == \"Author\" and .action == \"update\")] | length == 2" h.json &&
	jq -e "[.entries[] | select(.type_key == \"Author\" and .action == \"update\")][-1] | .status == \"SUCCESS\" and .actor == \"ana\" and .direction == \"push\" and .target == \"optimizely\" and .pushed == {properties: {bio: {displayName: \"About\"}, fullName: {maxLength: 100}}} and .response.properties.fullName.maxLength == 100" h.json &&
	jq -e "[.entries[] | select(.actor == \"first-sync\")] | length == 5 and all(.status == \"SUCCESS\" and .action == \"create\" and .pushed.key == .type_key and .response.key == .type_key)" h.json &&
	jq -e "[.entries[] | select(.type_key == \"LandingPage\")][0] | .action == \"delete\" and .status == \"SUCCESS\"" h.json &&
	jq -e "[.entries[] | select(.action == \"record_base\")] | length >= 3" h.json &&
	cs history --type Author >out && grep -q "  update  *Author  *SUCCESS  ana$" out
'

test_expect_success 'runs lists every apply that did something' '
	cs runs &&
	cs runs --json >r.json &&
	jq -e "(.runs | length) == 10 and all(.runs[]; .target == \"optimizely\" and .mode == \"push\")" r.json &&
	jq -e ".runs[-1] | .actor == \"first-sync\" and .status == \"done\" and .summary.done == 5" r.json &&
	run=$(jq -r ".runs[-1].id" r.json) &&
	cs history --run "$run" >out && test "$(wc -l <out)" = 5
'

test_expect_success 'backups: the remote document before every update and delete' '
	sqlite3 state.db "SELECT type_key FROM backups ORDER BY id" >b &&
	printf "Author\nAuthor\nLandingPage\nTag\n" >want && diff -u want b &&
	sqlite3 state.db "SELECT remote_doc FROM backups WHERE type_key = '\''Author'\'' ORDER BY id LIMIT 1" |
		jq -e ".properties.fullName.maxLength == 80 and .properties.bio.displayName == \"Biography\"" &&
	sqlite3 state.db "SELECT remote_doc FROM backups WHERE type_key = '\''LandingPage'\''" | jq -e ".key == \"LandingPage\"" &&
	test "$(sqlite3 state.db "SELECT count(*) FROM backups WHERE run_id IS NULL OR etag IS NULL")" = 0
'

test_done
