#!/usr/bin/env bash
# demo: a whole sync against the emulator with nothing to configure: the
# creates, then one edit in Catalyst pushed as exactly one update; the
# workspace it leaves; the commands it suggests; folders it must not
# touch; failing steps; --keep; and never an emulator left running.
. "$CS_SOURCE_DIR/tests/lib/test-lib.sh"

if [ -z "${CATALYST_SYNC_EMULATOR:-}" ] || [ ! -x "$CATALYST_SYNC_EMULATOR" ]; then
	test_skip "optimizely-emulator is not built (no CATALYST_SYNC_EMULATOR)"
	test_done
	exit 0
fi
if ! command -v sqlite3 >/dev/null || ! command -v pgrep >/dev/null; then
	test_skip "sqlite3 and pgrep are needed"
	test_done
	exit 0
fi

# An absolute workspace: the emulator's --state names it, so pgrep -f on
# it finds an emulator left running.
ws=$TEST_DIR/ws

# The output of the Nth command the demo ran (1 init, 2 plan, 3 apply,
# 4 plan, 5 apply), up to the next one.
step() {
	awk -v n="$1" '/^\$ / { k++ } k == n' out
}

# No process of ours has DIR/emulator.json on its command line.
no_emulator_in() {
	if pgrep -f "$1/emulator.json" >procs; then
		echo "an emulator is still running:" >&2
		ps -o pid,args -p "$(tr '\n' ',' <procs | sed 's/,$//')" >&2
		return 1
	fi
}

test_expect_success 'the demo runs a whole sync and exits 0' '
	cs demo --workspace "$ws" >out 2>err ||
		{ cat out err; exit 1; }
'

test_expect_success 'it shows each command it runs, with the config' '
	grep "^\\$ " out >heads &&
	test "$(wc -l <heads)" = 5 &&
	sed -n 1p heads | grep -q -- " --config $ws/catalyst-sync.yaml init$" &&
	sed -n 2p heads | grep -q -- " --config $ws/catalyst-sync.yaml plan$" &&
	sed -n 3p heads | grep -q -- " --config $ws/catalyst-sync.yaml apply --auto-approve$" &&
	sed -n 4p heads | grep -q -- " plan$" &&
	sed -n 5p heads | grep -q -- " apply --auto-approve$"
'

test_expect_success 'the first sync creates the five types of the sample model' '
	step 1 | grep -q "^5 new versions recorded" &&
	step 2 >plan1 &&
	test "$(grep -c "^  +   create " plan1)" = 5 &&
	! grep -q "^  ~   update" plan1 &&
	grep -q "create    LandingPage (Catalyst .Landing Page.), 7 properties" plan1 &&
	grep -q "^Plan: 5 to create, 0 to update, 0 to delete" plan1 &&
	step 3 | grep -Eq "^Run [0-9a-f]+ done: 5 of 5 operations done"
'

test_expect_success 'then exactly one update, with the per-property changes' '
	step 4 >plan2 &&
	test "$(grep -c "^  ~   update " plan2)" = 1 &&
	! grep -q "^  +   create " plan2 &&
	grep -q "^  ~   update    Author$" plan2 &&
	grep -q "~ properties.fullName.maxLength: 80 -> 120" plan2 &&
	grep -q "~ properties.bio.displayName: \"Biography\" -> \"About the Author\"" plan2 &&
	grep -q "+ properties.socialHandle: {\"type\":\"string\",\"maxLength\":30" plan2 &&
	grep -q "^Plan: 0 to create, 1 to update, 0 to delete, 0 to record; 4 unchanged" plan2 &&
	step 5 | grep -Eq "^Run [0-9a-f]+ done: 1 of 1 operations done"
'

test_expect_success 'the workspace holds catalyst.db, the config and the state store' '
	test -f "$ws/catalyst.db" &&
	test -f "$ws/catalyst-sync.yaml" &&
	test "$(stat -c %a "$ws/catalyst-sync.yaml")" = 600 &&
	test -f "$ws/catalyst-sync.db" &&
	test -f "$ws/emulator.json" &&
	test -f "$ws/.catalyst-sync-demo" &&
	grep -q "^  database: catalyst.db$" "$ws/catalyst-sync.yaml" &&
	grep -q "^    storage: catalyst-sync.db$" "$ws/catalyst-sync.yaml" &&
	grep -Eq "^      url: http://127\.0\.0\.1:[0-9]+$" "$ws/catalyst-sync.yaml" &&
	test "$(head -c 15 "$ws/catalyst-sync.db")" = "SQLite format 3"
'

test_expect_success 'the edit is in Catalyst as the app writes it' '
	sqlite3 "$ws/catalyst.db" "SELECT typeof(updatedAt), updatedAt > 1761904804000,
		json_extract(fields, '\''\$.fields[4].name'\''),
		json_extract(fields, '\''\$.fields[4].order'\''),
		json_extract(fields, '\''\$.fields[0].validation.maxLength'\'')
		FROM ContentType WHERE name = '\''Author'\''" >row &&
	test "$(cat row)" = "integer|1|socialHandle|4|120" &&
	sqlite3 "$ws/catalyst.db" "SELECT json_extract(fields, '\''\$.fields[4].id'\'')
		FROM ContentType WHERE name = '\''Author'\''" |
		grep -Eq "^[0-9]{13}_[0-9a-z]{9}$"
'

test_expect_success 'the emulator is not left running' '
	no_emulator_in "$ws"
'

# The restart line the demo printed, run as printed.
restart=$(grep -- "--state $ws/emulator.json" out)
test_expect_success 'a restarted emulator on the demo state: plan shows no changes' '
	test -n "$restart" || exit 1
	port=$(sed -n "s|^      url: http://127.0.0.1:||p" "$ws/catalyst-sync.yaml")
	case "$restart" in *" --port $port "*) ;; *) exit 1;; esac
	eval "exec $restart" >emu2.out 2>emu2.err &
	pid=$!
	for _ in $(seq 1 200); do
		grep -q listening emu2.out && break
		sleep 0.05
	done
	cs --config "$ws/catalyst-sync.yaml" plan --detailed-exitcode >plan3
	rc=$?
	kill -TERM $pid && wait $pid || exit 1
	cat emu2.out plan3
	grep -q "listening on http://127.0.0.1:$port$" emu2.out &&
	test $rc = 0 &&
	grep -q "No changes to make" plan3 &&
	grep -q "^Plan: 0 to create, 0 to update, 0 to delete, 0 to record; 5 unchanged" plan3
'

test_expect_success 'the suggested local commands work as printed' '
	sed -n "/^Try, from this folder:/,/^\$/p" out | grep "^  " >tries &&
	test "$(wc -l <tries)" = 5 &&
	while read -r line; do
		eval "$line" >try.out 2>&1 || { echo "failed: $line"; cat try.out; exit 1; }
	done <tries &&
	grep -q " diff Author [0-9a-f]\{12\} " tries &&
	line=$(grep " diff Author " tries) && eval "$line" >diff.out &&
	grep -q "fields.fullName.validation.maxLength: 80 -> 120" diff.out
'

test_expect_success 'a non-empty folder that is not a demo workspace is refused' '
	mkdir foreign && echo mine >foreign/notes.txt &&
	test_expect_code 1 cs demo --workspace foreign >out.f 2>err.f &&
	grep -q "not a demo workspace" err.f &&
	test "$(ls -A foreign)" = notes.txt &&
	test "$(cat foreign/notes.txt)" = mine &&
	! grep -q "^\\$ " out.f
'

test_expect_success 'a file is refused as a workspace' '
	echo x >afile &&
	test_expect_code 1 cs demo --workspace afile 2>err.a &&
	grep -q "not a folder" err.a
'

test_expect_success 'global --config is a usage error' '
	test_expect_code 64 cs --config x.yaml demo 2>err.c &&
	grep -q "not used" err.c
'

test_expect_success 'run again, it starts over in its own workspace' '
	echo stale >"$ws/leftover.txt" &&
	cs demo --workspace "$ws" >out.again 2>err.again &&
	grep -q "^Starting over in the earlier demo workspace" out.again &&
	test ! -e "$ws/leftover.txt" &&
	grep -q "1 to update" out.again &&
	no_emulator_in "$ws"
'

test_expect_success 'without CATALYST_SYNC_EMULATOR it finds the emulator beside itself' '
	(unset CATALYST_SYNC_EMULATOR && cs demo --workspace ws2 >out.2 2>err.2) &&
	grep -q "^Starting the Optimizely emulator: .*emulator/optimizely-emulator$" out.2 &&
	no_emulator_in ws2
'

cat >bad-secret-emulator <<EOF
#!/bin/sh
# The real emulator, with a secret the config does not have.
exec "$CATALYST_SYNC_EMULATOR" "\$@" --client-secret not-the-generated-one
EOF
cat >dead-emulator <<'EOF'
#!/bin/sh
echo "optimizely-emulator: cannot listen: the port is taken" >&2
exit 1
EOF
cat >mute-emulator <<'EOF'
#!/bin/sh
# Its pid (kept across exec) says whether the demo stopped it.
echo $$ >"$(dirname "$0")/mute.pid"
exec sleep 120
EOF
chmod +x bad-secret-emulator dead-emulator mute-emulator

test_expect_success 'a failing step stops the demo with its exit code and names it' '
	export CATALYST_SYNC_EMULATOR=$PWD/bad-secret-emulator &&
	test_expect_code 1 cs demo --workspace "$TEST_DIR/ws3" >out.3 2>err.3 &&
	cat err.3 &&
	grep -q "demo stopped: step .catalyst-sync plan. failed with exit code 1" err.3 &&
	grep -q "the emulator is stopped" err.3 &&
	test "$(grep -c "^\\$ " out.3)" = 2 &&
	no_emulator_in "$TEST_DIR/ws3"
'

test_expect_success 'an emulator that exits at once is a clear error' '
	export CATALYST_SYNC_EMULATOR=$PWD/dead-emulator &&
	test_expect_code 1 cs demo --workspace ws4 >out.4 2>err.4 &&
	cat err.4 &&
	grep -q "cannot start the emulator: .* exited with code 1 before it listened (see ws4/emulator.log): optimizely-emulator: cannot listen" err.4
'

test_expect_success 'an emulator that never listens times out, and is stopped' '
	export CATALYST_SYNC_EMULATOR=$PWD/mute-emulator &&
	test_expect_code 1 cs demo --workspace ws5 >out.5 2>err.5 &&
	cat err.5 &&
	grep -q "did not say it was listening within 10 s" err.5 &&
	test -s mute.pid && ! kill -0 "$(cat mute.pid)" 2>/dev/null
'

test_expect_success 'an emulator that is not there is a clear error' '
	export CATALYST_SYNC_EMULATOR=$PWD/nowhere &&
	test_expect_code 1 cs demo --workspace ws6 2>err.6 &&
	grep -q "CATALYST_SYNC_EMULATOR is .*nowhere., which is not a program" err.6
'

test_expect_success '--keep leaves the emulator up until Ctrl-C, then exits 0' '
	# Not through cs: $! must be catalyst-sync itself, not a subshell.
	"$CATALYST_SYNC" demo --keep --workspace "$TEST_DIR/ws7" >out.7 2>err.7 &
	pid=$!
	for _ in $(seq 1 400); do
		grep -q "^Press Ctrl-C to stop the emulator" out.7 && break
		sleep 0.05
	done &&
	grep -q "^The emulator keeps running at http://127.0.0.1:" out.7 &&
	pgrep -f "$TEST_DIR/ws7/emulator.json" >/dev/null &&
	cs --config "$TEST_DIR/ws7/catalyst-sync.yaml" plan >plan7 &&
	grep -q "No changes to make" plan7 &&
	kill -INT $pid &&
	wait $pid &&
	grep -q "^Stopped the emulator" out.7 &&
	no_emulator_in "$TEST_DIR/ws7"
'

test_done
