#!/usr/bin/env bash
# Pull, three-way merge, conflicts and their resolution over HTTP against
# the emulator (brief §6, §8, §9, §12): an editor changes the CMS through
# /_emulator/editor, Catalyst is edited as the app edits it (SQL).
#
# The fourth scenario of the issue, an editor change between plan and
# apply (a 412, a conflict, no overwrite), is t4004's "an editor change
# during apply FILE".
. "$CS_SOURCE_DIR/tests/cli/t4001-plan-decisions.sh"
emu_skip_all_unless_built
sync_setup


# The Catalyst row's field NAME of type TYPE, as JSON.
cat_field() {
	cat_sql "SELECT json_extract(\"fields\", '\$.fields') FROM \"ContentType\" WHERE \"name\" = '$1'" |
		jq -e --arg n "$2" '.[] | select(.name == $n)'
}

# state_of KEY: status|conflict_status of its sync state.
sync_status() {
	sqlite3 state.db "SELECT status || '|' || coalesce(conflict_status, '') FROM sync_state WHERE type_key = '$1'"
}

test_expect_success 'setup: the sample model is in the CMS' '
	cs apply --auto-approve </dev/null >out 2>err &&
	cs plan --detailed-exitcode >/dev/null
'

test_expect_success 'push mode leaves drift alone; pull brings it into Catalyst as a SYNC version' '
	editor_patch Author "{\"properties\":{\"bio\":{\"displayName\":\"About the author\"}}}" &&
	test_expect_code 3 cs plan >out &&
	grep -q "drift" out &&
	cs pull --auto-approve --actor tester </dev/null >out 2>err &&
	cat_field Author bio | jq -e ".label == \"About the author\" and .helpText == \"Two or three sentences shown under each article\" and .placeholder == \"Enter content...\" and .id == \"1761904802000_b2l3k4j5h\"" &&
	cs log Author --json | jq -e ".versions[0].source == \"SYNC\" and .versions[0].author == \"tester\"" &&
	cs log Author --json | jq -r ".versions[0].id" >written &&
	cs history --type Author --json | jq -r "[.entries[] | select(.action == \"pull\")][0].version_id" >named &&
	test -s written && diff -u written named &&
	cs plan --detailed-exitcode >/dev/null &&
	test "$(sync_status Author)" = "in_sync|none"
'

test_expect_success 'a field pulled from the CMS keeps its key when renamed in Catalyst (it has an id, as the studio gives)' '
	editor_patch Author "{\"properties\":{\"mastodon\":{\"type\":\"string\",\"displayName\":\"Mastodon\"}}}" &&
	cs pull --auto-approve </dev/null >out 2>err &&
	i=$(cat_sql "SELECT json_extract(\"fields\", \"\$.fields\") FROM \"ContentType\" WHERE \"name\" = '\''Author'\''" | jq "map(.name) | index(\"mastodon\")") &&
	test -n "$i" && test "$i" != null &&
	cat_set Author "\$.fields[$i].name" "\"fediverse\"" &&
	cs plan --detailed-exitcode >out &&
	cs export Author --json | jq -e ".[0].properties.mastodon.displayName == \"Mastodon\" and (.[0].properties.fediverse == null)" &&
	editor_patch Author "{\"properties\":{\"mastodon\":null}}" &&
	cs pull --auto-approve </dev/null >out 2>err &&
	! cat_field Author fediverse &&
	cs plan --detailed-exitcode >/dev/null
'

test_expect_success 'the row keeps its own shape and the keys Catalyst does not send' '
	cat_sql "SELECT json_type(\"fields\", \"\$.fields\"), json_extract(\"fields\", \"\$.icon\") FROM \"ContentType\" WHERE \"name\" = '\''Author'\''" >shape &&
	grep -q "^array|" shape
'

test_expect_success 'a property added in the CMS becomes a field with that key; removing it removes the field' '
	editor_patch Author "{\"properties\":{\"twitterHandle\":{\"type\":\"string\",\"displayName\":\"Twitter\",\"maxLength\":30}}}" &&
	cs pull --auto-approve </dev/null >out 2>err &&
	cat_field Author twitterHandle | jq -e ".label == \"Twitter\" and .validation.maxLength == 30" &&
	cat_field Author twitterHandle | jq -e ".id | test(\"^[0-9]{13}_[0-9a-z]{9}\$\")" &&
	fid=$(cat_field Author twitterHandle | jq -r .id) &&
	test "$(sqlite3 state.db "SELECT key FROM field_map WHERE field_ref = '\''$fid'\''")" = twitterHandle &&
	cs plan --detailed-exitcode >/dev/null &&
	editor_patch Author "{\"properties\":{\"twitterHandle\":null}}" &&
	cs pull --auto-approve </dev/null >out 2>err &&
	! cat_field Author twitterHandle &&
	cs plan --detailed-exitcode >/dev/null
'

# A pull killed at each of its journal points (debug builds) is finished by
# resume: Catalyst is written once, the base recorded once.
test_expect_success 'a pull killed at any point is finished by resume, without a second write' '
	cs log Author --json | jq "[.versions[] | select(.source == \"SYNC\")] | length" >before &&
	for n in 1 2 3; do
		editor_patch Author "{\"properties\":{\"website\":{\"displayName\":\"Site $n\"}}}" &&
		{ CS_FAULT_AT=apply:$n cs pull --auto-approve >crash.out 2>&1; code=$?; } &&
		test "$code" = 137 &&
		cs resume >out 2>err &&
		cat_field Author website | jq -e --arg l "Site $n" ".label == \$l" &&
		cs plan --detailed-exitcode >/dev/null || return 1
	done &&
	cs log Author --json | jq -e --argjson b "$(cat before)" "[.versions[] | select(.source == \"SYNC\")] | length == \$b + 3"
'

test_expect_success 'both sides change different properties: bidirectional apply merges, both changes on both sides' '
	cat_set Author "\$.fields[0].label" "\"Name\"" &&
	editor_patch Author "{\"properties\":{\"website\":{\"displayName\":\"Homepage\"}}}" &&
	test_expect_code 3 cs plan >out &&
	grep -q "they merge cleanly" out &&
	sed -i "s/mode: push/mode: bidirectional/" cs.yaml &&
	jmark &&
	cs apply --auto-approve </dev/null >out 2>err &&
	test "$(jwrites)" = "PATCH Author 200" &&
	remote Author | jq -e ".properties.fullName.displayName == \"Name\" and .properties.website.displayName == \"Homepage\"" &&
	cat_field Author website | jq -e ".label == \"Homepage\"" &&
	cat_field Author fullName | jq -e ".label == \"Name\"" &&
	cs plan --detailed-exitcode >/dev/null
'

test_expect_success 'a merge killed at any point is finished by resume: both changes on both sides' '
	for n in 1 2 3 4 5 6; do
		cat_set Author "\$.fields[0].label" "\"Name $n\"" &&
		editor_patch Author "{\"properties\":{\"bio\":{\"displayName\":\"Bio $n\"}}}" &&
		{ CS_FAULT_AT=apply:$n cs apply --auto-approve >crash.out 2>&1; code=$?; } &&
		test "$code" = 137 &&
		cs resume >out 2>err &&
		remote Author | jq -e --arg a "Name $n" --arg b "Bio $n" ".properties.fullName.displayName == \$a and .properties.bio.displayName == \$b" &&
		cat_field Author fullName | jq -e --arg a "Name $n" ".label == \$a" &&
		cat_field Author bio | jq -e --arg b "Bio $n" ".label == \$b" &&
		cs plan --detailed-exitcode >/dev/null || return 1
	done
'

test_expect_success 'both change the same attribute: a conflict with a three-way view, nothing written' '
	cat_set Author "\$.fields[0].validation.maxLength" 100 &&
	editor_patch Author "{\"properties\":{\"fullName\":{\"maxLength\":120}}}" &&
	jmark &&
	test_expect_code 3 cs apply --auto-approve </dev/null >out 2>err &&
	test -z "$(jwrites)" &&
	test "$(sync_status Author)" = "conflict|detected" &&
	test_expect_code 3 cs conflicts >out &&
	grep -q "properties.fullName.maxLength" out &&
	grep -q "base:   80" out && grep -q "local:  100" out && grep -q "remote: 120" out &&
	test_expect_code 3 cs conflicts --json >c.json &&
	jq -e ".types[0].conflicts[0] | .path == \"properties.fullName.maxLength\" and .base == 80 and .local == 100 and .remote == 120" c.json &&
	cs conflicts --log --json | jq -e "[.conflicts[] | select(.resolution == \"pending\" and .path == \"properties.fullName.maxLength\")] | length == 1"
'

test_expect_success 'resolve --strategy merge stops at the real conflict' '
	test_expect_code 3 cs resolve Author --strategy merge --auto-approve </dev/null >out 2>err &&
	grep -q "still has conflicting changes" out
'

test_expect_success 'resolve --strategy remote: the CMS value wins on both sides, logged with who' '
	cs resolve Author --strategy remote --auto-approve --actor alice </dev/null >out 2>err &&
	cat_field Author fullName | jq -e ".validation.maxLength == 120" &&
	remote Author | jq -e ".properties.fullName.maxLength == 120" &&
	cs plan --detailed-exitcode >/dev/null &&
	cs conflicts --log --json | jq -e "[.conflicts[] | select(.path == \"properties.fullName.maxLength\")][0] | .resolution == \"remote_wins\" and .resolved_by == \"alice\""
'

test_expect_success 'resolve --strategy local: Catalyst wins the conflict, the other CMS change is kept' '
	cat_set Author "\$.fields[0].validation.maxLength" 90 &&
	editor_patch Author "{\"properties\":{\"fullName\":{\"maxLength\":150},\"photo\":{\"displayName\":\"Portrait\"}}}" &&
	test_expect_code 3 cs plan >/dev/null &&
	cs resolve Author --strategy local --auto-approve </dev/null >out 2>err &&
	remote Author | jq -e ".properties.fullName.maxLength == 90 and .properties.photo.displayName == \"Portrait\"" &&
	cat_field Author photo | jq -e ".label == \"Portrait\"" &&
	cat_field Author fullName | jq -e ".validation.maxLength == 90" &&
	cs plan --detailed-exitcode >/dev/null
'

test_expect_success 'a field deleted in Catalyst and changed in the CMS comes back whole with --strategy remote' '
	cat_remove Author "\$.fields[3]" &&
	editor_patch Author "{\"properties\":{\"website\":{\"displayName\":\"Homepage 2\"}}}" &&
	test_expect_code 3 cs apply --auto-approve </dev/null >out 2>err &&
	remote Author | jq -e ".properties.website.displayName == \"Homepage 2\"" &&
	cs resolve Author --strategy remote --auto-approve </dev/null >out 2>err &&
	cat_field Author website | jq -e ".label == \"Homepage 2\" and .id == \"1761904804000_d4n5m6l7k\" and .type == \"url\"" &&
	cs plan --detailed-exitcode >/dev/null
'

test_expect_success 'a merge file: written for people, refused when stale, applied when filled in' '
	cat_set Author "\$.fields[0].label" "\"Writer\"" &&
	editor_patch Author "{\"properties\":{\"fullName\":{\"displayName\":\"Byline\"}}}" &&
	test_expect_code 3 cs conflicts Author --out m.json >out &&
	jq -e ".kind == \"merge\" and .type == \"Author\" and (.conflicts | length) == 1 and .conflicts[0].take == null and (.instructions | test(\"resolve Author --file\"))" m.json &&
	test_expect_code 1 cs resolve Author --file m.json --auto-approve </dev/null >out 2>err &&
	grep -q "conflicts\[0\] (properties.fullName.displayName): choose" err &&
	jq ".conflicts[0].take = \"value\" | .conflicts[0].value = \"Author name\"" m.json >filled.json &&
	cat_set Author "\$.fields[3].label" "\"Site\"" &&
	test_expect_code 1 cs resolve Author --file filled.json --auto-approve </dev/null >out 2>err &&
	grep -q "stale" err &&
	test_expect_code 3 cs conflicts Author --out m2.json >/dev/null &&
	jq ".conflicts[0].take = \"value\" | .conflicts[0].value = \"Author name\"" m2.json >filled.json &&
	cs resolve Author --file filled.json --auto-approve </dev/null >out 2>err &&
	remote Author | jq -e ".properties.fullName.displayName == \"Author name\" and .properties.website.displayName == \"Site\"" &&
	cat_field Author fullName | jq -e ".label == \"Author name\"" &&
	cs plan --detailed-exitcode >/dev/null &&
	cs conflicts --log --json | jq -e "[.conflicts[] | select(.path == \"properties.fullName.displayName\")][0].resolution == \"manual\""
'

test_expect_success 'deleted in Catalyst, changed in the CMS: a delete-versus-modify conflict' '
	sed -i "s/mode: bidirectional/mode: push/" cs.yaml &&
	editor_patch LandingPage "{\"properties\":{\"title\":{\"displayName\":\"Page title\"}}}" &&
	cat_delete "Landing Page" &&
	test_expect_code 3 cs plan --json >p.json &&
	jq -e ".types[] | select(.key == \"LandingPage\") | .action == \"conflict\" and (.reason | test(\"deleted in Catalyst\"))" p.json &&
	jmark &&
	test_expect_code 3 cs apply --auto-approve </dev/null >out 2>err &&
	test -z "$(jwrites)" &&
	remote LandingPage | jq -e ".properties.title.displayName == \"Page title\"" &&
	cs conflicts --log --json | jq -e "[.conflicts[] | select(.type_key == \"LandingPage\" and .kind == \"delete\")] | length == 1"
'

test_expect_success '--strategy local settles it: deleted in the CMS too (If-Match)' '
	cs apply --strategy local --type LandingPage --auto-approve </dev/null >out 2>err &&
	! remote LandingPage
'

test_expect_success 'changed in Catalyst, deleted in the CMS: a conflict; pull --strategy remote removes it from Catalyst' '
	cat_add cmnw09z9z0009nwpromo00001 Promo "[{\"id\":\"p1\",\"name\":\"headline\",\"label\":\"Headline\",\"type\":\"text\",\"order\":0}]" &&
	cs apply --auto-approve </dev/null >out 2>err &&
	cat_set Promo "\$[0].label" "\"Title\"" &&
	editor_delete Promo &&
	test_expect_code 3 cs plan --json >p.json &&
	jq -e ".types[] | select(.key == \"Promo\") | .action == \"conflict\" and (.reason | test(\"deleted in the CMS\"))" p.json &&
	test_expect_code 3 cs pull --auto-approve </dev/null >out 2>err &&
	test "$(cat_sql "SELECT count(*) FROM \"ContentType\" WHERE \"name\" = '\''Promo'\''")" = 1 &&
	cs pull --strategy remote --auto-approve </dev/null >out 2>err &&
	test "$(cat_sql "SELECT count(*) FROM \"ContentType\" WHERE \"name\" = '\''Promo'\''")" = 0 &&
	cs log Promo --json | jq -e ".versions[0] | .source == \"SYNC\" and .deleted" &&
	cs plan --detailed-exitcode >/dev/null
'

test_expect_success 'pull --adopt imports a CMS type nobody manages; pull --allow-delete removes one' '
	editor_create "{\"key\":\"Newsletter\",\"displayName\":\"Newsletter\",\"baseType\":\"_component\",\"properties\":{\"subject\":{\"type\":\"string\",\"displayName\":\"Subject\",\"isRequired\":true}}}" &&
	cs status --all >out &&
	grep -q Newsletter out &&
	cs pull --adopt Newsletter --auto-approve </dev/null >out 2>err &&
	cat_field Newsletter subject | jq -e ".label == \"Subject\" and .required == true" &&
	cs plan --detailed-exitcode >/dev/null &&
	editor_delete Newsletter &&
	test_expect_code 3 cs pull --auto-approve </dev/null >out 2>err &&
	cat_field Newsletter subject >/dev/null &&
	{ CS_FAULT_AT=apply:3 cs pull --allow-delete --auto-approve >crash.out 2>&1; code=$?; } &&
	test "$code" = 137 &&
	cs resume >out 2>err &&
	test "$(cat_sql "SELECT count(*) FROM \"ContentType\" WHERE \"name\" = '\''Newsletter'\''")" = 0 &&
	cs plan --detailed-exitcode >/dev/null
'

test_expect_success 'what Catalyst cannot hold is not half pulled: the type waits, whole' '
	editor_patch Author "{\"properties\":{\"photo\":{\"restrictedTypes\":[\"Article\"]},\"website\":{\"displayName\":\"Web\"}}}" &&
	cat_sql "SELECT \"fields\" FROM \"ContentType\" WHERE \"name\" = '\''Author'\''" >before &&
	test_expect_code 3 cs pull --auto-approve </dev/null >out 2>err &&
	grep -q "the CMS holds what Catalyst cannot" out &&
	cat_sql "SELECT \"fields\" FROM \"ContentType\" WHERE \"name\" = '\''Author'\''" >after &&
	diff before after &&
	editor_patch Author "{\"properties\":{\"photo\":{\"restrictedTypes\":null}}}" &&
	cs pull --auto-approve </dev/null >out 2>err &&
	cat_field Author website | jq -e ".label == \"Web\"" &&
	cs plan --detailed-exitcode >/dev/null
'

test_expect_success 'renaming a type and a field in Catalyst keeps their keys: a displayName change only' '
	cat_sql "UPDATE \"ContentType\" SET \"name\" = '\''Writer'\'', \"fields\" = json_set(json_set(\"fields\", '\''\$.name'\'', '\''Writer'\''), '\''\$.fields[1].name'\'', '\''biography'\''), \"updatedAt\" = \"updatedAt\" + 1000 WHERE \"name\" = '\''Author'\''" &&
	jmark &&
	cs apply --auto-approve </dev/null >out 2>err &&
	test "$(jwrites)" = "PATCH Author 200" &&
	remote Author | jq -e ".displayName == \"Writer\" and .properties.bio != null and .properties.biography == null"
'

test_done
