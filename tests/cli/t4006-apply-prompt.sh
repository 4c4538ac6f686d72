#!/usr/bin/env bash
# apply, pull and merges on a person's terminal (brief §10): the plan is
# shown, the question names what would be written (the CMS, Catalyst or
# both), and nothing but "yes" writes anything.
. "$CS_SOURCE_DIR/tests/cli/t4001-plan-decisions.sh"
emu_skip_all_unless_built
sync_setup

# on_tty ANSWER CMD...: CMD on a pseudo-terminal, ANSWER typed when asked.
on_tty() {
	python3 "$CS_SOURCE_DIR/tests/tools/on_tty.py" "$@"
}

cat_field() {
	cat_sql "SELECT json_extract(\"fields\", '\$.fields') FROM \"ContentType\" WHERE \"name\" = '$1'" |
		jq -e --arg n "$2" '.[] | select(.name == $n)'
}

test_expect_success 'on a terminal apply shows the plan and asks; "no" writes nothing' '
	jmark &&
	on_tty no "$CATALYST_SYNC" apply >out && cat out &&
	grep -q "^  +   create    Author" out &&
	grep -q "^Apply these changes to target .optimizely.?" out &&
	grep -q "^Only .yes. is accepted: no" out &&
	grep -q "^Cancelled: nothing was written\.\$" out &&
	test -z "$(jwrites)" &&
	test "$(sqlite3 state.db "SELECT count(*) FROM sync_runs")" = 0
'

test_expect_success 'anything but "yes" is a no' '
	on_tty y "$CATALYST_SYNC" apply >out &&
	grep -q "^Cancelled: nothing was written\.\$" out &&
	on_tty YES "$CATALYST_SYNC" apply >out &&
	grep -q "^Cancelled: nothing was written\.\$" out &&
	test -z "$(jwrites)"
'

test_expect_success '"yes" applies the plan it showed' '
	on_tty yes "$CATALYST_SYNC" apply >out && cat out &&
	grep -q "^Run [0-9a-f]* done" out &&
	remote_is_export
'

test_expect_success 'pull asks before it writes Catalyst, and names Catalyst' '
	editor_patch Author "{\"properties\":{\"bio\":{\"displayName\":\"About\"}}}" &&
	on_tty no "$CATALYST_SYNC" pull >out && cat out &&
	grep -q "^Write these changes into Catalyst?\$" out &&
	! grep -q "to target" out &&
	! cat_field Author bio | jq -e ".label == \"About\"" &&
	on_tty yes "$CATALYST_SYNC" pull >out &&
	cat_field Author bio | jq -e ".label == \"About\""
'

test_expect_success 'a merge in bidirectional mode names both sides' '
	cat_set Author "\$.fields[0].label" "\"Name\"" &&
	editor_patch Author "{\"properties\":{\"bio\":{\"displayName\":\"Short bio\"}}}" &&
	sed -i "s/mode: push/mode: bidirectional/" cs.yaml &&
	jmark &&
	on_tty no "$CATALYST_SYNC" apply >out && cat out &&
	grep -q "^Make these changes in target .optimizely. and in Catalyst?\$" out &&
	test -z "$(jwrites)" &&
	! cat_field Author bio | jq -e ".label == \"Short bio\"" &&
	on_tty yes "$CATALYST_SYNC" apply >out &&
	test "$(jwrites)" = "PATCH Author 200" &&
	cat_field Author bio | jq -e ".label == \"Short bio\""
'

test_done
