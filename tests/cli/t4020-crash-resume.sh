#!/usr/bin/env bash
# Crash safety (brief §11, §20): apply is killed with SIGKILL at every
# journal point of a run (CS_FAULT_AT=apply:N, debug builds) and at random
# moments under latency; 'resume' (or the next apply) must end with the
# remote exactly as planned, nothing created twice, and a consistent store.
. "$CS_SOURCE_DIR/tests/cli/t2000-emulator-basics.sh"
emu_skip_all_unless_built

make_catalyst_db catalyst.db "$CS_SOURCE_DIR/examples/sample-model.sql"
emu_start

cat >cs.yaml <<EOF_YAML
source:
  database: catalyst.db
sync:
  platforms:
    optimizely:
      url: $EMU_URL
      auth:
        client_id: $EMU_ID
        client_secret: $EMU_SECRET
  state:
    storage: state.db
EOF_YAML
chmod 600 cs.yaml

# What the remote must hold: the export's owned members, per key.
remote_owned() {
	req GET "/_cms/v1/contenttypes?pageSize=1000" >/dev/null &&
		jq -S '[.items[] | select(.source == null) |
			{key, displayName, baseType,
			 properties: (.properties | map_values(
				{type, displayName, isRequired, format, minLength, maxLength,
				 pattern, minimum, maximum, contentType, items: (.items // null | if . then {type, contentType} else . end)}
				| with_entries(select(.value != null and .value != false))))}]
			| sort_by(.key)' body
}
export_owned() {
	cs --config cs.yaml export --json |
		jq -S '[.[] | {key, displayName, baseType,
			 properties: ((.properties // {}) | map_values(
				{type, displayName, isRequired, format, minLength, maxLength,
				 pattern, minimum, maximum, contentType, items: (.items // null | if . then {type, contentType} else . end)}
				| with_entries(select(.value != null and .value != false))))}]
			| sort_by(.key)'
}

# Creating requests per key over the whole journal: none may exceed 1.
creates_per_key() {
	ctl GET /_emulator/journal >/dev/null &&
		jq -r '.entries[] |
			select(.method == "POST") |
			if (.path | endswith("/contenttypes")) and .status == 201 then
				(.body | fromjson | .key)
			elif (.path | endswith("/manifest")) and .status == 200 then
				(.body | fromjson | .contentTypes[].key)
			else empty end' body | sort | uniq -c | sort -rn
}

# The end state every crash must reach.
check_converged() {
	cs --config cs.yaml plan --detailed-exitcode >plan.out ||
		{ echo "# plan after resume:"; sed 's/^/# /' plan.out; return 1; }
	remote_owned >remote.json && export_owned >export.json &&
		{ cmp -s remote.json export.json ||
			{ diff remote.json export.json | head -20 | sed 's/^/# /'; return 1; }; } &&
	creates_per_key >creates &&
		{ ! awk '$1 > 1 { found = 1 } END { exit !found }' creates ||
			{ echo "# created twice:"; sed 's/^/# /' creates; return 1; }; } &&
	test "$(sqlite3 state.db "SELECT count(*) FROM sync_runs WHERE status IN ('running', 'interrupted')")" = 0 &&
	test "$(sqlite3 state.db "SELECT count(*) FROM sync_ops WHERE state IN ('pending', 'running')")" = 0 &&
	test "$(sqlite3 state.db "SELECT count(*) FROM sync_state WHERE status NOT IN ('in_sync', 'deleted')")" = 0
}

# Restores the baseline store and Catalyst database, and the emulator.
restore() {
	cp base-state.db state.db && rm -f state.db-wal state.db-shm &&
		cp base-catalyst.db catalyst.db &&
		code=$(ctl POST /_emulator/reset) && expect_status "$code" 204 &&
		if [ -f base-remote.json ]; then
			code=$(ctl PUT /_emulator/state -H "Content-Type: application/json" --data @base-remote.json) &&
			expect_status "$code" 204
		fi
}

test_expect_success 'setup: init, and a baseline to restore before each crash' '
	cs --config cs.yaml init >/dev/null &&
	cp state.db base-state.db && cp catalyst.db base-catalyst.db &&
	cp state.db init-state.db && cp catalyst.db init-catalyst.db
'

# Counts the journal points of a clean run, so every one is tried.
test_expect_success 'a clean first run, to count its crash points' '
	cs --config cs.yaml plan --out plan.json >/dev/null &&
	ops=$(jq ".operations | length" plan.json) &&
	test "$ops" = 5 &&
	cs --config cs.yaml apply --auto-approve --no-bulk >/dev/null 2>&1 &&
	check_converged
'

crash_at() { # N [apply options...]: kill at point N, then resume
	n=$1; shift
	restore &&
	{ CS_FAULT_AT=apply:$n cs --config cs.yaml apply --auto-approve "$@" >crash.out 2>&1; code=$?; } ;
	case $code in
	137) ;; # killed where asked
	0) echo "# point $n was never reached (exit 0)" ;;
	*) echo "# apply exited $code:"; sed "s/^/# /" crash.out; return 1 ;;
	esac
	cs --config cs.yaml resume >resume.out 2>&1 ||
		{ echo "# resume failed:"; sed "s/^/# /" resume.out; return 1; }
	check_converged
}

# 1 (journal written) + 3 per create (running, answer, done) = 16.
for n in $(seq 1 16); do
	test_expect_success "first sync killed at journal point $n: resume converges" "
		crash_at $n --no-bulk
	"
done

test_expect_success 'killed, then the next apply finishes the run first' '
	restore &&
	{ CS_FAULT_AT=apply:6 cs --config cs.yaml apply --auto-approve --no-bulk >/dev/null 2>&1; test $? = 137; } &&
	sqlite3 state.db "SELECT status FROM sync_runs" >st && grep -qx running st &&
	cs --config cs.yaml apply --auto-approve >out 2>&1 &&
	grep -q "Finishing the interrupted run" out &&
	check_converged
'

cat >edits.sql <<\EOF_SQL
UPDATE ContentType SET fields = json_set(fields, '$.fields[0].validation.maxLength', 99,
	'$.fields[0].label', 'Name'), updatedAt = updatedAt + 1000 WHERE name = 'Author';
UPDATE ContentType SET fields = json_set(fields, '$.fields[1].label', 'Short Slug'),
	updatedAt = updatedAt + 1000 WHERE name = 'Category';
DELETE FROM ContentType WHERE name = 'Event';
INSERT INTO ContentType (id, websiteId, name, fields, settings, createdAt, updatedAt)
VALUES ('cmnw02a1b0009nwpodcast01', 'cmnw01j0q0000nwjournal001', 'Podcast',
	'{"fields":[{"name":"title","type":"text","label":"Title","required":true,"order":0}]}',
	'{"category":"page"}', 1761904900000, 1761904900000);
EOF_SQL
for i in $(seq 1 30); do
	echo "INSERT INTO ContentType (id, websiteId, name, fields, settings, createdAt, updatedAt) VALUES ('gen$i', 'cmnw01j0q0000nwjournal001', 'Generated $i', '[{\"name\":\"title\",\"type\":\"text\",\"label\":\"Title\"}]', NULL, $((1761905000000 + i)), $((1761905000000 + i)));"
done >generated.sql

test_expect_success 'setup: a synced baseline, then edits in Catalyst (update, delete, create)' '
	restore && cs --config cs.yaml apply --auto-approve --no-bulk >/dev/null 2>&1 &&
	ctl GET /_emulator/state >/dev/null && cp body base-remote.json &&
	sqlite3 catalyst.db <edits.sql &&
	cs --config cs.yaml status >/dev/null &&
	cp state.db base-state.db && rm -f base-state.db-wal && cp catalyst.db base-catalyst.db &&
	cs --config cs.yaml plan --json >p.json &&
	jq -r "[.operations[].action] | sort | join(\",\")" p.json >actions &&
	test "$(cat actions)" = "create,delete,update,update"
'

# 1 + 3 per operation (4) = 13, and one more for the backups path.
for n in $(seq 1 13); do
	test_expect_success "updates and deletes killed at journal point $n: resume converges" "
		crash_at $n --no-bulk
	"
done

test_expect_success 'setup: a model big enough for manifest imports (30 new types)' '
	rm -f base-remote.json &&
	cp init-state.db base-state.db && cp init-catalyst.db base-catalyst.db &&
	restore && sqlite3 catalyst.db <generated.sql &&
	cs --config cs.yaml status >/dev/null &&
	cp state.db base-state.db && rm -f base-state.db-wal && cp catalyst.db base-catalyst.db
'

test_expect_success 'a clean bulk run imports through the manifest' '
	restore && code=$(ctl DELETE /_emulator/journal) &&
	cs --config cs.yaml apply --auto-approve >out 2>&1 &&
	grep -q "created through manifest imports" out &&
	ctl GET /_emulator/journal >/dev/null &&
	test "$(jq "[.entries[] | select(.path | endswith(\"/manifest\"))] | length" body)" -ge 1 &&
	check_converged
'

test_expect_success 'a manifest that keeps failing falls back to one create per type' '
	restore &&
	code=$(ctl POST /_emulator/faults/script -H "Content-Type: application/json" \
		-d "{\"method\":\"POST\",\"path\":\"*/manifest\",\"count\":0,\"status\":500}") &&
	expect_status "$code" 201 &&
	cs --config cs.yaml apply --auto-approve >out 2>err &&
	grep -q "creating them one by one" err &&
	! grep -q "created through manifest imports" out &&
	ctl GET /_emulator/journal >/dev/null &&
	test "$(jq "[.entries[] | select(.method == \"POST\" and (.path | endswith(\"/contenttypes\")) and .status == 201)] | length" body)" = 35 &&
	code=$(ctl DELETE /_emulator/faults/script) &&
	check_converged
'

# Bulk: 1 (journal) + 1 (chunk marked) + 2 per imported type, then the rest.
for n in 1 2 3 4 5 9 20 40 61 62 63 64 65 70 75; do
	test_expect_success "bulk first sync killed at journal point $n: resume converges" "
		crash_at $n
	"
done

test_expect_success 'random SIGKILLs under 20 ms latency: resume converges every time' '
	code=$(ctl PUT /_emulator/faults -H "Content-Type: application/json" -d "{\"latencyMs\":20}") &&
	for delay in 0.15 0.3 0.45 0.6 0.9; do
		restore &&
		code=$(ctl PUT /_emulator/faults -H "Content-Type: application/json" -d "{\"latencyMs\":20}") &&
		{ "$CATALYST_SYNC" --config cs.yaml apply --auto-approve --no-bulk >/dev/null 2>&1 & pid=$!; } &&
		sleep $delay && kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
		cs --config cs.yaml resume >resume.out 2>&1 ||
			{ sed "s/^/# /" resume.out; exit 1; }
		# Killed while still planning: no run began, so apply again.
		if [ "$(sqlite3 state.db "SELECT count(*) FROM sync_runs")" = 0 ]; then
			grep -q "Nothing to resume" resume.out &&
			cs --config cs.yaml apply --auto-approve --no-bulk >/dev/null 2>&1 || exit 1
		fi
		check_converged || exit 1
	done
'

test_expect_success 'SIGINT stops taking new operations, exits 130, and resume finishes' '
	restore &&
	code=$(ctl PUT /_emulator/faults -H "Content-Type: application/json" -d "{\"latencyMs\":100}") &&
	{ "$CATALYST_SYNC" --config cs.yaml apply --auto-approve --no-bulk --concurrency 1 >int.out 2>&1 & pid=$!; } &&
	sleep 0.6 && kill -INT $pid; wait $pid; code=$?
	test "$code" = 130 &&
	grep -q "resume" int.out &&
	sqlite3 state.db "SELECT status FROM sync_runs ORDER BY started_at DESC LIMIT 1" >st &&
	grep -qx interrupted st &&
	test "$(sqlite3 state.db "SELECT count(*) FROM sync_ops WHERE state = '\''running'\''")" = 0 &&
	cs --config cs.yaml resume >/dev/null 2>&1 &&
	check_converged
'

test_done
