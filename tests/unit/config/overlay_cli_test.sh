#!/bin/sh
# `p2psip overlay init | verify | bump` end to end (suite unit): the directory layout and file
# modes, xmllint --relaxng on the document, signature checks, a bump, and init refusing to
# overwrite. Everything happens in a temporary directory that is removed on any exit.
# Usage: overlay_cli_test.sh P2PSIP GRAMMAR
set -eu
P2PSIP=$1
GRAMMAR=$2
TMP=$(mktemp -d /tmp/p2psip-overlay-cli.XXXXXX)
trap 'rm -rf "$TMP"' EXIT INT TERM
DIR=$TMP/ov
fail() { echo "FAIL: $*" >&2; exit 1; }
command -v xmllint >/dev/null || fail "xmllint is missing (package libxml2-utils)"

"$P2PSIP" overlay init test.example --dir "$DIR" --bootstrap 127.0.0.1:7001 \
  --bootstrap '[::1]:7002' --key-type ecdsa --validity-days 30 >"$TMP/init.out" \
  || fail "init failed"
grep -q "p2psip enroll-server --dir $DIR" "$TMP/init.out" || fail "init does not print next steps"
for f in overlay.relo ca/root.der ca/root.pem ca/root-key.der signer/cert.der signer/key.der; do
  [ -s "$DIR/$f" ] || fail "missing $f"
done
[ "$(stat -c %a "$DIR/ca/root-key.der")" = 600 ] || fail "root key is not 0600"
[ "$(stat -c %a "$DIR/signer/key.der")" = 600 ] || fail "signer key is not 0600"
[ -z "$(find "$DIR" -name '*.tmp')" ] || fail "temporary file left behind"
grep -q 'sequence="0"' "$DIR/overlay.relo" || fail "sequence is not 0"
grep -q '<bootstrap-node address="::1" port="7002"/>' "$DIR/overlay.relo" || fail "bootstrap"
grep -q '<enrollment-server>https://127.0.0.1:6084/enroll</enrollment-server>' \
  "$DIR/overlay.relo" || fail "enrollment-server"
xmllint --noout --nonet --relaxng "$GRAMMAR" "$DIR/overlay.relo" 2>"$TMP/xmllint.err" \
  || fail "xmllint: $(cat "$TMP/xmllint.err")"

"$P2PSIP" overlay verify "$DIR/overlay.relo" --root-cert "$DIR/ca/root.pem" >"$TMP/verify.out" \
  || fail "verify failed"
grep -q "OK: 5 signature(s) verified" "$TMP/verify.out" || fail "verify summary: $(cat "$TMP/verify.out")"
"$P2PSIP" overlay verify "$DIR/overlay.relo" --root-cert "$DIR/ca/root.der" >/dev/null \
  || fail "verify with a DER root failed"

"$P2PSIP" overlay bump --dir "$DIR" >"$TMP/bump.out" || fail "bump failed"
grep -q "sequence 1" "$TMP/bump.out" || fail "bump output: $(cat "$TMP/bump.out")"
grep -q 'sequence="1"' "$DIR/overlay.relo" || fail "bumped file is not sequence 1"
xmllint --noout --nonet --relaxng "$GRAMMAR" "$DIR/overlay.relo" 2>/dev/null || fail "xmllint after bump"
"$P2PSIP" overlay verify "$DIR/overlay.relo" --root-cert "$DIR/ca/root.pem" >"$TMP/verify2.out" \
  || fail "verify after bump failed"
grep -q "sequence 1" "$TMP/verify2.out" || fail "verify after bump: $(cat "$TMP/verify2.out")"
"$P2PSIP" overlay verify "$DIR/overlay.relo" --root-cert "$DIR/ca/root.pem" --json \
  | python3 -c 'import json, sys
d = json.load(sys.stdin)
assert d["ok"] and d["configurations"][0]["sequence"] == 1, d
assert d["configurations"][0]["root_listed"] and len(d["signatures"]) == 5, d' \
  || fail "verify --json"

# A changed byte fails verification with exit 1 and one line on stderr.
sed 's/<initial-ttl>100</<initial-ttl>99</' "$DIR/overlay.relo" >"$TMP/tampered.relo"
cmp -s "$DIR/overlay.relo" "$TMP/tampered.relo" && fail "tampering did not change the file"
set +e
"$P2PSIP" overlay verify "$TMP/tampered.relo" --root-cert "$DIR/ca/root.pem" >/dev/null 2>"$TMP/err"
rc=$?
set -e
[ $rc -eq 1 ] || fail "tampered document: exit $rc"
[ "$(wc -l <"$TMP/err")" -eq 1 ] || fail "tampered document: not one line: $(cat "$TMP/err")"
grep -q "does not verify" "$TMP/err" || fail "tampered document: $(cat "$TMP/err")"

# Another overlay's root does not verify this one.
"$P2PSIP" overlay init other.example --dir "$TMP/other" --key-type ecdsa >/dev/null || fail "init 2"
if "$P2PSIP" overlay verify "$DIR/overlay.relo" --root-cert "$TMP/other/ca/root.der" \
  >/dev/null 2>&1; then
  fail "verified against another overlay's root"
fi

# init refuses a non-empty directory and leaves it alone; --force overwrites.
before=$(cksum <"$DIR/overlay.relo")
if "$P2PSIP" overlay init test.example --dir "$DIR" --key-type ecdsa >/dev/null 2>"$TMP/err"; then
  fail "init overwrote a non-empty directory"
fi
grep -q "not empty" "$TMP/err" || fail "refusal reason: $(cat "$TMP/err")"
[ "$(cksum <"$DIR/overlay.relo")" = "$before" ] || fail "refused init changed the document"
"$P2PSIP" overlay init test.example --dir "$DIR" --key-type ecdsa --force >/dev/null \
  || fail "init --force failed"
grep -q 'sequence="0"' "$DIR/overlay.relo" || fail "--force did not write a new document"
echo "PASS"
