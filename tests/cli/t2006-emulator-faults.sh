#!/usr/bin/env bash
# optimizely-emulator: injected faults, by flag, by setting and by script.
. "$CS_SOURCE_DIR/tests/cli/t2000-emulator-basics.sh"
emu_skip_all_unless_built

now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

faults() {
	ctl PUT /_emulator/faults -d "$1" >/dev/null
}

# statuses N PATH: the status of N sequential GETs, space-separated.
statuses() {
	local out= i
	for i in $(seq 1 "$1"); do
		out="$out $(req GET "$2")"
	done
	echo $out
}

emu_start --latency-ms 150

# last_duration: the server-side duration of the last journaled request.
last_duration() {
	ctl GET /_emulator/journal >/dev/null && jq ".entries[-1].durationMs" body
}

test_expect_success '--latency-ms delays each request' '
	t0=$(now_ms) && req GET /_cms/v1/contenttypes >/dev/null && t1=$(now_ms) &&
	test $((t1 - t0)) -ge 150 && test "$(last_duration)" -ge 150
'

test_expect_success 'concurrent requests overlap their latency' '
	t0=$(now_ms) &&
	for i in 1 2 3 4 5 6 7 8; do
		req GET /_cms/v1/contenttypes/BlankSection >/dev/null &
	done &&
	wait && t1=$(now_ms) &&
	echo "# 8 requests at 150 ms took $((t1 - t0)) ms" &&
	test $((t1 - t0)) -lt 1000
'

test_expect_success 'the control API gets no latency' '
	faults "{\"latencyMs\":2000}" &&
	t0=$(now_ms) && ctl GET /_emulator/health >/dev/null && t1=$(now_ms) &&
	faults "{\"latencyMs\":150}" &&
	test $((t1 - t0)) -lt 2000
'

test_expect_success 'fault settings can be read and changed at run time' '
	test "$(ctl GET /_emulator/faults)" = 200 &&
	json ".latencyMs == 150 and .jitterMs == 0 and .errorRate == 0 and .tokenTtl == 300" &&
	test "$(ctl PUT /_emulator/faults -d "{\"latencyMs\":0,\"jitterMs\":40}")" = 200 &&
	json ".latencyMs == 0 and .jitterMs == 40" &&
	test "$(ctl PUT /_emulator/faults -d "{\"errorRate\":2}")" = 400 &&
	json ".errors[0].field == \"errorRate\"" &&
	test "$(ctl PUT /_emulator/faults -d "{\"bogus\":1}")" = 400
'

test_expect_success 'jitter adds 0..jitterMs' '
	faults "{\"latencyMs\":50,\"jitterMs\":100}" &&
	for i in 1 2 3 4 5 6; do
		req GET /_cms/v1/contenttypes/BlankSection >/dev/null || exit 1
	done &&
	ctl GET /_emulator/journal >/dev/null &&
	jq "[.entries[-6:][].durationMs]" body &&
	json "[.entries[-6:][].durationMs] | all(. >= 50 and . < 200) and (unique | length) > 1" &&
	faults "{\"latencyMs\":0,\"jitterMs\":0}"
'

test_expect_success 'errorRate 1 answers 500, 502 or 503 problem+json, processing nothing' '
	faults "{\"errorRate\":1}" &&
	code=$(create_type Failing _page) &&
	case "$code" in 500|502|503) ;; *) exit 1;; esac &&
	json ".status == $code and (.title | length > 0)" &&
	hdr Content-Type | grep -q problem+json &&
	s=$(statuses 12 /_cms/v1/contenttypes) && echo "# $s" &&
	for c in $s; do case "$c" in 500|502|503) ;; *) exit 1;; esac; done &&
	faults "{\"errorRate\":0}" &&
	test "$(req GET /_cms/v1/contenttypes/Failing)" = 404
'

test_expect_success 'rateLimit answers 429 with Retry-After beyond N per minute' '
	faults "{\"rateLimit\":3}" &&
	s=$(statuses 4 /_cms/v1/contenttypes) &&
	test "$s" = "200 200 200 429" &&
	hdr Content-Type | grep -q "^application/json" &&
	ra=$(hdr Retry-After) && test "$ra" -ge 1 && test "$ra" -le 60 &&
	json ".status == 429 and .code == \"TooManyRequests\"" &&
	faults "{\"rateLimit\":0}" &&
	test "$(req GET /_cms/v1/contenttypes)" = 200
'

test_expect_success 'dropRate 1 closes the connection; the request was processed' '
	faults "{\"dropRate\":1}" &&
	req POST /_cms/v1/contenttypes -H "Content-Type: application/json" \
		-d "{\"key\":\"Dropped\",\"displayName\":\"D\",\"baseType\":\"_page\"}" >/dev/null;
	rc=$? &&
	faults "{\"dropRate\":0}" &&
	test "$rc" = 52 &&
	test "$(req GET /_cms/v1/contenttypes/Dropped)" = 200
'

test_expect_success 'truncateRate 1 announces the full length and sends half' '
	faults "{\"truncateRate\":1}" &&
	req GET /_cms/v1/contenttypes/BlankSection >/dev/null;
	rc=$? &&
	len=$(hdr Content-Length) && got=$(wc -c <body) &&
	! jq . body >/dev/null 2>&1 &&
	faults "{\"truncateRate\":0}" &&
	test "$rc" = 18 &&
	test "$got" -lt "$len" && test "$got" -gt 0
'

test_expect_success 'stale reads: a new type is 404 for staleReadMs' '
	faults "{\"staleReadMs\":800}" &&
	test "$(create_type Fresh _page)" = 201 &&
	test "$(req GET /_cms/v1/contenttypes/Fresh)" = 404 &&
	req GET /_cms/v1/contenttypes >/dev/null && json "any(.items[]; .key == \"Fresh\")" &&
	sleep 0.9 &&
	test "$(req GET /_cms/v1/contenttypes/Fresh)" = 200
'

test_expect_success 'stale reads: a patched type shows the previous version' '
	req GET /_cms/v1/contenttypes/Fresh >/dev/null && old=$(hdr ETag) &&
	patch_type Fresh -d "{\"displayName\":\"Fresh 2\"}" >/dev/null && new=$(hdr ETag) &&
	test "$new" != "$old" &&
	test "$(req GET /_cms/v1/contenttypes/Fresh)" = 200 &&
	json ".displayName == \"Fresh\"" && test "$(hdr ETag)" = "$old" &&
	sleep 0.9 &&
	req GET /_cms/v1/contenttypes/Fresh >/dev/null &&
	json ".displayName == \"Fresh 2\"" && test "$(hdr ETag)" = "$new"
'

test_expect_success 'stale reads: a deleted type is still served for a while' '
	test "$(req DELETE /_cms/v1/contenttypes/Fresh)" = 204 &&
	test "$(req GET /_cms/v1/contenttypes/Fresh)" = 200 &&
	sleep 0.9 &&
	test "$(req GET /_cms/v1/contenttypes/Fresh)" = 404 &&
	faults "{\"staleReadMs\":0}"
'

# scripted faults

test_expect_success 'script: the next 2 creates answer 503' '
	test "$(ctl POST /_emulator/faults/script -d "{\"method\":\"POST\",\"path\":\"/_cms/v1/contenttypes\",\"count\":2,\"status\":503,\"retryAfter\":2}")" = 201 &&
	json ".id >= 1 and .count == 2 and .action == \"status\"" &&
	test "$(create_type S1 _page)" = 503 && test "$(hdr Retry-After)" = 2 &&
	test "$(req GET /_cms/v1/contenttypes)" = 200 &&
	test "$(create_type S1 _page)" = 503 &&
	test "$(create_type S1 _page)" = 201
'

test_expect_success 'script: 401 after 3 calls, for ever' '
	test "$(ctl POST /_emulator/faults/script -d "{\"path\":\"/_cms/v1/*\",\"after\":3,\"count\":0,\"status\":401}")" = 201 &&
	s=$(statuses 5 /_cms/v1/contenttypes) && test "$s" = "200 200 200 401 401" &&
	json ".status == 401" &&
	test "$(ctl GET /_emulator/faults/script)" = 200 &&
	json "(.rules | length) == 1 and .rules[0].after == 0" &&
	test "$(ctl DELETE /_emulator/faults/script)" = 204 &&
	test "$(req GET /_cms/v1/contenttypes)" = 200
'

test_expect_success 'script: drop before processing loses the request' '
	ctl POST /_emulator/faults/script -d "{\"method\":\"POST\",\"path\":\"*/contenttypes\",\"action\":\"drop\",\"phase\":\"before\"}" >/dev/null &&
	create_type Lost _page >/dev/null; rc=$? &&
	test "$rc" = 52 && test "$(req GET /_cms/v1/contenttypes/Lost)" = 404
'

test_expect_success 'script: drop after processing loses the answer' '
	ctl POST /_emulator/faults/script -d "{\"method\":\"POST\",\"action\":\"drop\"}" >/dev/null &&
	create_type Kept _page >/dev/null; rc=$? &&
	test "$rc" = 52 && test "$(req GET /_cms/v1/contenttypes/Kept)" = 200
'

test_expect_success 'script: truncate and delay' '
	ctl POST /_emulator/faults/script -d "{\"method\":\"GET\",\"path\":\"/_cms/v1/contenttypes/Kept\",\"action\":\"truncate\"}" >/dev/null &&
	req GET /_cms/v1/contenttypes/Kept >/dev/null; rc=$? && test "$rc" = 18 &&
	ctl POST /_emulator/faults/script -d "{\"action\":\"delay\",\"delayMs\":300}" >/dev/null &&
	t0=$(now_ms) && req GET /_cms/v1/contenttypes/Kept >/dev/null && t1=$(now_ms) &&
	test $((t1 - t0)) -ge 300 && test "$(last_duration)" -ge 300 &&
	req GET /_cms/v1/contenttypes/Kept >/dev/null &&
	test "$(last_duration)" -lt 300
'

test_expect_success 'script: rules are validated and can be deleted one by one' '
	test "$(ctl POST /_emulator/faults/script -d "{\"action\":\"explode\"}")" = 400 &&
	test "$(ctl POST /_emulator/faults/script -d "{\"status\":42}")" = 400 &&
	ctl POST /_emulator/faults/script -d "{\"path\":\"/nowhere\",\"count\":0}" >/dev/null &&
	id=$(jq .id body) &&
	test "$(ctl DELETE /_emulator/faults/script/$id)" = 204 &&
	test "$(ctl DELETE /_emulator/faults/script/$id)" = 404
'

test_expect_success 'faults are journaled' '
	ctl GET /_emulator/journal >/dev/null &&
	json "any(.entries[]; .fault == \"drop\") and any(.entries[]; .fault == \"truncate\") and any(.entries[]; .fault == \"script\") and any(.entries[]; .fault == \"ratelimit\") and any(.entries[]; .fault == \"error\")"
'

emu_stop

# determinism

run_seeded() {
	emu_start --seed "$1" --error-rate 0.5 --jitter-ms 5
	statuses 24 /_cms/v1/contenttypes/BlankSection >"seq-$2"
	emu_stop
}

run_seeded 7 a
run_seeded 7 b
run_seeded 8 c

test_expect_success 'the same seed gives the same faults' '
	cat seq-a && test -s seq-a && cmp seq-a seq-b &&
	grep -q 200 seq-a && grep -Eq "50[023]" seq-a
'

test_expect_success 'another seed gives other faults' '
	! cmp -s seq-a seq-c
'

test_done
