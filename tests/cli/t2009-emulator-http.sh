#!/usr/bin/env bash
# optimizely-emulator: HTTP framing. Content-Length on every body, never
# chunked, none on 204, the request body cap.
. "$CS_SOURCE_DIR/tests/cli/t2000-emulator-basics.sh"
emu_skip_all_unless_built

if ! command -v python3 >/dev/null; then
	test_skip "python3 is needed for raw HTTP checks"
	test_done
	exit 0
fi

emu_start --max-body 4096

# Sends raw requests (separated by blank lines in a file) over one
# connection and prints every response's status line and headers.
raw_http() {
	python3 - "$EMU_URL" "$EMU_TOKEN" "$1" <<-\EOF
	import socket, sys
	from urllib.parse import urlparse
	u = urlparse(sys.argv[1])
	token = sys.argv[2]
	reqs = open(sys.argv[3]).read().replace("TOKEN", token).split("\n=====\n")
	s = socket.create_connection((u.hostname, u.port))
	f = s.makefile("rb")
	for r in reqs:
	    head, _, body = r.partition("\n\n")
	    lines = head.strip("\n").split("\n") + ["Host: x"]
	    if body:
	        lines.append("Content-Length: %d" % len(body.encode()))
	    s.sendall(("\r\n".join(lines) + "\r\n\r\n" + body).encode())
	    status = f.readline().decode().rstrip()
	    print(status)
	    length = None
	    chunked = False
	    while True:
	        h = f.readline().decode().rstrip("\r\n")
	        if not h:
	            break
	        print(h)
	        k, _, v = h.partition(":")
	        if k.lower() == "content-length":
	            length = int(v)
	        if k.lower() == "transfer-encoding" and "chunked" in v:
	            chunked = True
	    code = int(status.split()[1])
	    if code in (204, 304) or (length is None and not chunked):
	        data = b""
	    elif chunked:
	        data = b"<chunked>"
	    else:
	        data = f.read(length)
	    print("BODY %d" % len(data))
	    print("----")
	EOF
}

cat >reqs.txt <<EOF
GET /_cms/v1/contenttypes HTTP/1.1
Authorization: Bearer TOKEN
=====
POST /_cms/v1/contenttypes HTTP/1.1
Authorization: Bearer TOKEN
Content-Type: application/json

{"key":"Article","displayName":"A","baseType":"_page"}
=====
POST /_cms/v1/contenttypes HTTP/1.1
Authorization: Bearer TOKEN
Content-Type: application/json
Prefer: return=representation

{"key":"Hero","displayName":"H","baseType":"_component"}
=====
PATCH /_cms/v1/contenttypes/Article HTTP/1.1
Authorization: Bearer TOKEN
Content-Type: application/merge-patch+json

{"displayName":"B"}
=====
GET /_cms/v1/contenttypes/Nope HTTP/1.1
Authorization: Bearer TOKEN
=====
DELETE /_cms/v1/contenttypes/Hero HTTP/1.1
Authorization: Bearer TOKEN
=====
GET /_cms/v1/manifest HTTP/1.1
Authorization: Bearer TOKEN
=====
GET /_cms/v1/contenttypes HTTP/1.1
=====
GET /_emulator/journal HTTP/1.1
=====
POST /_emulator/reset HTTP/1.1
=====
GET /_cms/v1/contenttypes/BlankSection HTTP/1.1
Authorization: Bearer TOKEN
EOF

test_expect_success 'one keep-alive connection serves a mix of requests' '
	raw_http reqs.txt >responses.txt &&
	test "$(grep -c "^HTTP/1.1 " responses.txt)" = 11 &&
	grep "^HTTP/1.1 " responses.txt >statuses.txt &&
	sed -n "1p;2p;3p;4p;5p;6p;7p;8p;9p;10p;11p" statuses.txt | cut -d" " -f2 | tr "\n" " " >codes &&
	test "$(cat codes)" = "200 201 201 204 404 204 200 401 200 204 200 "
'

test_expect_success 'no response is chunked' '
	! grep -qi "^transfer-encoding" responses.txt
'

test_expect_success 'every response with a body has a matching Content-Length' '
	awk "/^HTTP/ { code = \$2; cl = -1 } tolower(\$0) ~ /^content-length:/ { cl = \$2 + 0 }
		/^BODY/ { if (code != 204 && cl != \$2) { print \"bad\", code, cl, \$2; bad = 1 } }
		END { exit bad }" responses.txt
'

test_expect_success '204 carries no Content-Length; 201 without Prefer says 0' '
	awk "/^HTTP/ { code = \$2 } tolower(\$0) ~ /^content-length:/ && code == 204 { bad = 1 }
		END { exit bad }" responses.txt &&
	awk "/^HTTP/ { n++ } n == 2 && tolower(\$0) ~ /^content-length: 0/ { ok = 1 } END { exit !ok }" responses.txt
'

test_expect_success 'a body over --max-body is 413 (declared length)' '
	head -c 5000 /dev/zero | tr "\0" a >big.txt &&
	code=$(req POST /_cms/v1/contenttypes -H "Content-Type: application/json" --data-binary @big.txt) &&
	expect_status "$code" 413 && json ".status == 413 and .code == \"PayloadTooLarge\""
'

test_expect_success 'a chunked body over --max-body is 413 too' '
	code=$(req POST /_cms/v1/contenttypes -H "Content-Type: application/json" \
		-H "Transfer-Encoding: chunked" --data-binary @big.txt) &&
	expect_status "$code" 413
'

test_expect_success 'a body at the limit is read whole' '
	python3 -c "
import json
d = {\"key\": \"Sized\", \"displayName\": \"S\", \"baseType\": \"_page\", \"description\": \"\"}
pad = 4096 - len(json.dumps(d))
d[\"description\"] = \"\"
print(json.dumps(d) + \" \" * (pad - 1))" >sized.json &&
	test "$(wc -c <sized.json)" = 4096 &&
	test "$(req POST /_cms/v1/contenttypes -H "Content-Type: application/json" --data-binary @sized.json)" = 201
'

test_expect_success 'HEAD and other methods on the API are 405' '
	test "$(req DELETE /_cms/v1/contenttypes)" = 405 &&
	test "$(req PUT /_cms/v1/contenttypes/Article)" = 405 &&
	test "$(hdr Allow)" = "GET, PATCH, DELETE"
'

test_done
