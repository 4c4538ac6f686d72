#!/usr/bin/env bash
# The command line itself: --help, --version, usage errors, and that every
# command's --help matches its page in docs/.
. "$CS_SOURCE_DIR/tests/lib/test-lib.sh"

test_expect_success '--version prints the version' '
	cs --version >out &&
	grep -Eq "^catalyst-sync [0-9]+\.[0-9]+\.[0-9]+$" out
'

test_expect_success '--help lists every command' '
	cs --help >out &&
	grep -q "^usage: catalyst-sync" out &&
	grep -q "validate" out &&
	grep -q "export" out
'

test_expect_success 'an unknown command is a usage error (64)' '
	test_expect_code 64 cs frobnicate 2>err &&
	grep -q "not a command" err
'

test_expect_success 'an unknown option is a usage error that names it' '
	test_expect_code 64 cs export --bogus 2>err &&
	grep -q "unknown option .--bogus." err
'

test_expect_success 'no command at all is a usage error' '
	test_expect_code 64 cs >out 2>&1
'

# The first text block of a command's page is its --help, verbatim.
first_text_block() {
	awk '/^```text$/ { on = 1; next } on && /^```$/ { exit } on' "$1"
}

for c in validate export init status diff log show record map \
	history runs gc plan apply resume demo pull conflicts resolve rollback; do
	test_expect_success "$c --help matches docs/catalyst-sync-$c.md" "
		cs $c --help >help.txt &&
		first_text_block \"\$CS_SOURCE_DIR/docs/catalyst-sync-$c.md\" >doc.txt &&
		diff -u doc.txt help.txt
	"
	test_expect_success "help $c is $c --help" "
		cs help $c >a.txt && cs $c --help >b.txt && diff -u b.txt a.txt
	"
done

test_done
