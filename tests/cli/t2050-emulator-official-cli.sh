#!/usr/bin/env bash
# optimizely-emulator against the official client, @optimizely/cms-cli
# 2.2.0 (with @optimizely/cms-sdk 2.2.0), unchanged: login, config push
# (plain, breaking, --force), config pull --json, content delete and
# danger delete-all-content-types (answered through a pseudo-terminal).
#
# Needs Node >= 20, npm and the npm registry (packages are installed in the
# test's temporary directory, with npm's cache in the build directory).
# Without them the test skips with the reason, except under CI=true, where
# it fails instead.
. "$CS_SOURCE_DIR/tests/cli/t2000-emulator-basics.sh"
emu_skip_all_unless_built

CLI_VERSION=2.2.0

skip_or_fail() {
	if [ "${CI:-}" = true ]; then
		test_expect_success "prerequisite: $1" 'false'
	else
		test_skip "$1"
	fi
	test_done
	exit $?
}

command -v node >/dev/null && command -v npm >/dev/null ||
	skip_or_fail "node and npm are not installed"
node_major=$(node -e 'console.log(process.versions.node.split(".")[0])')
[ "$node_major" -ge 20 ] 2>/dev/null ||
	skip_or_fail "Node >= 20 is needed (found $(node --version))"
command -v python3 >/dev/null ||
	skip_or_fail "python3 is needed to drive the prompts"

export npm_config_cache="${CS_BUILD_DIR:-$TEST_DIR}/npm-cache"
export npm_config_update_notifier=false npm_config_fund=false \
	npm_config_audit=false npm_config_loglevel=error
mkdir proj && (cd proj && npm init -y >/dev/null 2>&1)
if ! (cd proj && timeout 600 npm install --no-save --prefer-offline \
	"@optimizely/cms-cli@$CLI_VERSION" "@optimizely/cms-sdk@$CLI_VERSION" \
	>../npm.log 2>&1); then
	sed 's/^/# /' npm.log | tail -n 5
	skip_or_fail "cannot install @optimizely/cms-cli@$CLI_VERSION from the npm registry"
fi
CLI="$TEST_DIR/proj/node_modules/.bin/optimizely-cms-cli"

# drive.py TIMEOUT PROMPT... -- ARGV: runs ARGV in a pseudo-terminal,
# answers "y" to each PROMPT in turn, prints the output without colours and
# exits with ARGV's exit code.
cat >drive.py <<\EOF
import fcntl, os, pty, re, select, struct, sys, termios, time
sep = sys.argv.index("--")
timeout = float(sys.argv[1])
prompts = [p.encode() for p in sys.argv[2:sep]]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[sep + 1], sys.argv[sep + 1:])
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
out, pos, deadline = b"", 0, time.time() + timeout
while time.time() < deadline:
    r, _, _ = select.select([fd], [], [], 0.2)
    if r:
        try:
            data = os.read(fd, 65536)
        except OSError:
            break
        if not data:
            break
        out += data
    if prompts and out.find(prompts[0], pos) >= 0:
        pos = out.find(prompts[0], pos) + len(prompts[0])
        prompts.pop(0)
        time.sleep(0.3)
        os.write(fd, b"y\r")
else:
    os.kill(pid, 9)
_, status = os.waitpid(pid, 0)
text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", out.decode(errors="replace"))
sys.stdout.write(text[-20000:])
sys.exit(os.waitstatus_to_exitcode(status))
EOF

emu_start

# cli ARG...: the official CLI in proj/, pointed at the emulator.
cli() {
	(cd "$TEST_DIR/proj" &&
		OPTIMIZELY_CMS_API_URL="$EMU_URL" \
		OPTIMIZELY_CMS_CLIENT_ID="${CLI_ID:-$EMU_ID}" \
		OPTIMIZELY_CMS_CLIENT_SECRET="${CLI_SECRET:-$EMU_SECRET}" \
		NO_COLOR=1 FORCE_COLOR=0 timeout 120 "$CLI" "$@")
}

cli_pty() {
	(cd "$TEST_DIR/proj" &&
		OPTIMIZELY_CMS_API_URL="$EMU_URL" \
		OPTIMIZELY_CMS_CLIENT_ID="$EMU_ID" \
		OPTIMIZELY_CMS_CLIENT_SECRET="$EMU_SECRET" \
		TERM=dumb python3 "$TEST_DIR/drive.py" "$@")
}

mkdir proj/src
cat >proj/optimizely.config.mjs <<\EOF
import { buildConfig } from '@optimizely/cms-sdk';
export default buildConfig({
  components: ['./src/*.mjs'],
  propertyGroups: [
    { key: 'seo', displayName: 'SEO', sortOrder: 1 },
    { key: 'extra', displayName: 'Extra' },
  ],
});
EOF
cat >proj/src/types.mjs <<\EOF
import { contentType, contract, displayTemplate } from '@optimizely/cms-sdk';
export const SeoContract = contract({
  key: 'SeoContract',
  displayName: 'SEO',
  properties: { metaTitle: { type: 'string', maxLength: 60, group: 'seo' } },
});
export const Hero = contentType({
  key: 'Hero',
  displayName: 'Hero',
  baseType: '_component',
  compositionBehaviors: ['sectionEnabled'],
  properties: {
    heading: { type: 'string', isRequired: true },
    count: { type: 'integer', minimum: 1, maximum: 5 },
    tone: { type: 'string', enum: [{ value: 'calm', displayName: 'Calm' }] },
  },
});
export const Author = contentType({
  key: 'Author',
  displayName: 'Author',
  baseType: '_component',
  properties: { name: { type: 'string' }, bio: { type: 'richText' } },
});
export const Article = contentType({
  key: 'Article',
  displayName: 'Article',
  baseType: '_page',
  extends: SeoContract,
  mayContainTypes: ['_self', Hero],
  properties: {
    body: { type: 'richText', isLocalized: true, group: 'extra' },
    hero: { type: 'component', contentType: Hero },
    author: { type: 'contentReference', allowedTypes: [Author] },
    related: { type: 'array', items: { type: 'content', allowedTypes: ['_self', Hero] } },
    links: { type: 'array', items: { type: 'link' } },
    published: { type: 'dateTime' },
  },
});
export const HeroDT = displayTemplate({
  key: 'HeroDT',
  displayName: 'Hero DT',
  isDefault: true,
  contentType: 'Hero',
  settings: {
    color: { displayName: 'Color', editor: 'select', sortOrder: 0,
      choices: { red: { displayName: 'Red', sortOrder: 0 } } },
  },
});
EOF

test_expect_success 'login with the right credentials succeeds' '
	cli login >out 2>&1 && grep -q "credentials are correct" out
'

test_expect_success 'login with a wrong secret fails with the documented message' '
	! CLI_SECRET=wrong cli login >out 2>&1 &&
	grep -q "The client credentials are invalid" out
'

test_expect_success 'config push creates types, a contract, groups and references' '
	cli config push ./optimizely.config.mjs >out 2>&1 && cat out &&
	grep -q "Content type .Article. was created" out &&
	test "$(req GET /_cms/v1/contenttypes/Article)" = 200 &&
	json ".contracts == [\"SeoContract\"] and .mayContainTypes == [\"Article\",\"Hero\"]" &&
	json ".properties.hero.contentType == \"Hero\" and .properties.author.allowedTypes == [\"Author\"]" &&
	json ".properties.related.items.allowedTypes == [\"Article\",\"Hero\"] and .properties.links.format == \"LinkCollection\"" &&
	json ".properties.metaTitle.group == \"seo\" and .properties.body.isLocalized == true" &&
	test "$(req GET /_cms/v1/contenttypes/SeoContract)" = 200 && json ".isContract == true" &&
	test "$(req GET /_cms/v1/propertygroups/seo)" = 200 &&
	test "$(req GET /_cms/v1/propertygroups/extra)" = 200
'

test_expect_success 'the push was one manifest POST with the vendor media type' '
	ctl GET /_emulator/journal >/dev/null &&
	json "[.entries[] | select(.path == \"/_cms/v1/manifest\" and .method == \"POST\")] | length == 1" &&
	json ".entries[] | select(.method == \"POST\" and .path == \"/_cms/v1/manifest\") | .headers[\"content-type\"] == \"application/vnd.optimizely.cms.v1.manifest+json\" and (.headers | has(\"cms-ignore-data-loss-warnings\") | not) and .status == 200"
'

test_expect_success 'pushing the same config again changes nothing' '
	cli config push ./optimizely.config.mjs >out 2>&1 &&
	grep -q "Content type .Article. is unchanged" out
'

test_expect_success 'a breaking push (property removed, type changed) is refused' '
	sed -i "s/published: { type: .dateTime. },//; s/count: { type: .integer., minimum: 1, maximum: 5 }/count: { type: \"string\" }/" proj/src/types.mjs &&
	! cli config push ./optimizely.config.mjs >out 2>&1 && cat out &&
	grep -q "The changes to .Article. are considered breaking" out &&
	grep -q "Use the .--force. flag to apply the changes anyway" out &&
	req GET /_cms/v1/contenttypes/Article >/dev/null && json ".properties | has(\"published\")" &&
	req GET /_cms/v1/contenttypes/Hero >/dev/null && json ".properties.count.type == \"integer\""
'

test_expect_success '... and applied with --force' '
	cli config push --force ./optimizely.config.mjs >out 2>&1 && cat out &&
	grep -q "Content type .Article. was updated" out &&
	req GET /_cms/v1/contenttypes/Article >/dev/null && json ".properties | has(\"published\") | not" &&
	req GET /_cms/v1/contenttypes/Hero >/dev/null && json ".properties.count.type == \"string\"" &&
	ctl GET /_emulator/journal >/dev/null &&
	json "[.entries[] | select(.path == \"/_cms/v1/manifest\" and .method == \"POST\")][-1].headers[\"cms-ignore-data-loss-warnings\"] == \"true\""
'

test_expect_success 'config pull --json prints the manifest' '
	cli config pull --json >pulled.json 2>err &&
	jq -e "[.contentTypes[].key] == [\"BlankExperience\",\"BlankSection\",\"Article\",\"Author\",\"Hero\",\"SeoContract\"]" pulled.json &&
	jq -e "all(.contentTypes[]; has(\"isContract\")) and ([.propertyGroups[].key] == [\"seo\",\"extra\"]) and ([.displayTemplates[].key] == [\"HeroDT\"])" pulled.json &&
	ctl GET /_emulator/journal >/dev/null &&
	json "any(.entries[]; .path == \"/_cms/v1/manifest\" and .method == \"GET\" and .query == \"sections=contentTypes&sections=displayTemplates&sections=propertyGroups\")"
'

test_expect_success 'config pull --include-read-only adds the system contracts' '
	cli config pull --json --include-read-only >pulled-ro.json 2>err &&
	jq -e "any(.contentTypes[]; .key == \"globalcontract:_Item\")" pulled-ro.json
'

test_expect_success 'content delete of a type in use reports it' '
	ctl PUT /_emulator/instances/Author -d "{\"count\":1}" >/dev/null &&
	! cli_pty 60 "Are you sure" -- "$CLI" content delete Author >out 2>&1 &&
	cat out && grep -q "Cannot delete: Content type is in use" out &&
	ctl PUT /_emulator/instances/Author -d "{\"count\":0}" >/dev/null
'

test_expect_success 'danger delete-all-content-types deletes every user type' '
	cli_pty 90 "Are you sure" "Proceed with deletion" -- \
		"$CLI" danger delete-all-content-types >out 2>&1 && cat out &&
	grep -q "Successfully deleted: 4" out &&
	req GET "/_cms/v1/contenttypes?sources=DEFAULT" >/dev/null && json ".totalCount == 0" &&
	req GET /_cms/v1/contenttypes >/dev/null && json ".totalCount == 9" &&
	ctl GET /_emulator/journal >/dev/null &&
	json "[.entries[] | select(.method == \"DELETE\") | .status][-4:] == [204,204,204,204]"
'

test_done
