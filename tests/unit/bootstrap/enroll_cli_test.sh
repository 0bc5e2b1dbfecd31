#!/usr/bin/env bash
# End-to-end test of the enrollment commands with the real binaries on 127.0.0.1:
#   overlay directory (p2psip overlay init, or make_test_overlay when that is unavailable)
#   → p2psip enroll-server → p2psip enroll-user → p2psip enroll (wrong password, untrusted
#   root, success) → files checked → server stopped with SIGTERM.
# Usage: enroll_cli_test.sh P2PSIP MAKE_TEST_OVERLAY. Everything lives in one temporary
# directory that the EXIT trap removes, after stopping the server, also on failure.
set -euo pipefail

P2PSIP=$1
MAKE_OVERLAY=$2
WORK=$(mktemp -d "${TMPDIR:-/tmp}/p2psip-enroll-cli.XXXXXX")
SERVER_PID=""

cleanup() {
  if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  for f in server.out server.err; do
    [[ -f $WORK/$f ]] && sed "s/^/$f: /" "$WORK/$f" >&2
  done
  exit 1
}

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
DIR=$WORK/overlay
NAME=enroll-cli.test
CONFIG_URL=https://127.0.0.1:$PORT/.well-known/reload-config

if "$P2PSIP" overlay init "$NAME" --dir "$DIR" --enrollment-url "https://127.0.0.1:$PORT/enroll" \
    --key-type ecdsa >"$WORK/init.out" 2>&1; then
  echo "overlay directory from p2psip overlay init"
else
  echo "p2psip overlay init unavailable or failed ($(head -c 200 "$WORK/init.out")); using make_test_overlay"
  rm -rf "$DIR"
  "$MAKE_OVERLAY" "$DIR" "$NAME" "https://127.0.0.1:$PORT/enroll"
fi
[[ -f $DIR/overlay.relo && -f $DIR/ca/root.der && -f $DIR/ca/root-key.der ]] ||
  fail "overlay directory incomplete"

"$P2PSIP" enroll-server --dir "$DIR" --listen "127.0.0.1:$PORT" --validity-days 7 \
  >"$WORK/server.out" 2>"$WORK/server.err" &
SERVER_PID=$!
for _ in $(seq 100); do  # at most 10 s
  grep -q 'enrollment:' "$WORK/server.out" 2>/dev/null && break
  kill -0 "$SERVER_PID" 2>/dev/null || fail "enroll-server exited early"
  sleep 0.1
done
grep -q "overlay $NAME" "$WORK/server.out" || fail "enroll-server did not start"

printf 'alice-password\n' >"$WORK/pw"
"$P2PSIP" enroll-user --dir "$DIR" alice --password-file "$WORK/pw" | grep -q 'added user alice' ||
  fail "enroll-user did not add alice"
[[ $(stat -c %a "$DIR/enrollment/users") == 600 ]] || fail "users file is not mode 600"
grep -q alice-password "$DIR/enrollment/users" && fail "the password is in the users file"

# Wrong password (from stdin): exit 1 and the RFC token on stderr.
set +e
echo wrong | "$P2PSIP" enroll --config-url "$CONFIG_URL" --root-cert "$DIR/ca/root.der" \
  --user alice --out "$WORK/bad" --key-type ecdsa 2>"$WORK/bad.err"
rc=$?
set -e
[[ $rc == 1 ]] || fail "wrong password: exit $rc, expected 1"
grep -q failed_authentication "$WORK/bad.err" || fail "wrong password: $(cat "$WORK/bad.err")"
[[ ! -e $WORK/bad/node/cert.der ]] || fail "wrong password wrote a certificate"

# A client that trusts another overlay's root refuses the server.
"$MAKE_OVERLAY" "$WORK/other" other.test https://127.0.0.1:1/enroll
set +e
"$P2PSIP" enroll --config-url "$CONFIG_URL" --root-cert "$WORK/other/ca/root.der" --user alice \
  --password-file "$WORK/pw" --out "$WORK/untrusted" --key-type ecdsa 2>"$WORK/untrusted.err"
rc=$?
set -e
[[ $rc == 1 ]] || fail "untrusted root: exit $rc, expected 1"
grep -q untrusted "$WORK/untrusted.err" || fail "untrusted root: $(cat "$WORK/untrusted.err")"

# Success with the default key type (RSA-2048).
"$P2PSIP" enroll --config-url "$CONFIG_URL" --root-cert "$DIR/ca/root.der" --user alice \
  --password-file "$WORK/pw" --out "$WORK/node" >"$WORK/enroll.out" 2>"$WORK/enroll.err" ||
  fail "enroll failed: $(cat "$WORK/enroll.err")"
NODE_ID=$(sed -n 's/^  Node-ID: \([0-9a-f]*\)$/\1/p' "$WORK/enroll.out")
[[ ${#NODE_ID} == 32 ]] || fail "no Node-ID printed: $(cat "$WORK/enroll.out")"
cmp -s "$WORK/node/overlay.relo" "$DIR/overlay.relo" || fail "overlay.relo differs"
[[ -s $WORK/node/node/cert.der ]] || fail "no cert.der"
[[ $(stat -c %a "$WORK/node/node/key.der") == 600 ]] || fail "key.der is not mode 600"
grep -q "^alice $NODE_ID" "$DIR/enrollment/issued" || fail "Node-ID not recorded as issued"
grep -q "enroll: issued alice Node-ID $NODE_ID" "$WORK/server.err" || fail "no log line"

# Renewal: the same Node-ID again.
"$P2PSIP" enroll --config-url "$CONFIG_URL" --root-cert "$DIR/ca/root.der" --user alice \
  --password-file "$WORK/pw" --out "$WORK/node2" --key-type ecdsa >"$WORK/enroll2.out" ||
  fail "renewal failed"
grep -q "Node-ID: $NODE_ID" "$WORK/enroll2.out" || fail "renewal gave another Node-ID"

# enroll-user --batch: several users in one run (comments, blank lines and repeats skipped),
# one password for all; each of them can then enroll with it.
printf 'bob@b.test\n# a comment\n\n  carol@b.test  \nbob@b.test\n' >"$WORK/batch"
"$P2PSIP" enroll-user --dir "$DIR" --batch "$WORK/batch" --password-file "$WORK/pw" \
  >"$WORK/batch.out" 2>&1 || fail "enroll-user --batch failed: $(cat "$WORK/batch.out")"
[[ $(grep -c '^added user' "$WORK/batch.out") == 2 ]] ||
  fail "enroll-user --batch: $(cat "$WORK/batch.out")"
"$P2PSIP" enroll --config-url "$CONFIG_URL" --root-cert "$DIR/ca/root.der" --user carol@b.test \
  --password-file "$WORK/pw" --out "$WORK/carol" --key-type ecdsa >"$WORK/carol.out" 2>&1 ||
  fail "carol (added by --batch) could not enroll: $(cat "$WORK/carol.out")"
printf 'ok@b.test\nnot a name\n' >"$WORK/badbatch"
set +e
"$P2PSIP" enroll-user --dir "$DIR" --batch "$WORK/badbatch" --password-file "$WORK/pw" \
  >/dev/null 2>"$WORK/badbatch.err"
rc=$?
set -e
[[ $rc == 2 ]] || fail "a bad name in --batch: exit $rc, expected 2"
grep -q 'badbatch:2:' "$WORK/badbatch.err" || fail "bad batch line not named: $(cat "$WORK/badbatch.err")"
grep -q '^ok@b.test ' "$DIR/enrollment/users" && fail "a refused batch still added users"

# enroll-user --provision: identities issued straight from the CA (no password, no HTTPS), in
# the layout enroll --out writes; their Node-IDs are recorded, so a later enrollment keeps them.
printf 'dave@b.test\nerin@b.test\n' >"$WORK/prov"
"$P2PSIP" enroll-user --dir "$DIR" --batch "$WORK/prov" --provision "$WORK/prov-out" \
  >"$WORK/prov.out" 2>"$WORK/prov.err" || fail "enroll-user --provision: $(cat "$WORK/prov.err")"
for u in dave erin; do
  ID=$(sed -n "s/^provisioned $u@b.test Node-ID \([0-9a-f]*\) in .*/\1/p" "$WORK/prov.out")
  [[ ${#ID} == 32 ]] || fail "--provision printed no Node-ID for $u: $(cat "$WORK/prov.out")"
  D=$WORK/prov-out/$u@b.test
  cmp -s "$D/overlay.relo" "$DIR/overlay.relo" || fail "--provision: $u's overlay.relo differs"
  [[ -s $D/node/cert.der ]] || fail "--provision: no cert.der for $u"
  [[ $(stat -c %a "$D/node/key.der") == 600 ]] || fail "--provision: $u's key.der not mode 600"
  grep -q "^$u@b.test $ID" "$DIR/enrollment/issued" || fail "--provision: $u's Node-ID not recorded"
  if command -v openssl >/dev/null; then
    openssl x509 -inform der -in "$DIR/ca/root.der" -out "$WORK/root.pem"
    openssl x509 -inform der -in "$D/node/cert.der" -out "$WORK/$u.pem"
    openssl verify -CAfile "$WORK/root.pem" "$WORK/$u.pem" >/dev/null ||
      fail "--provision: $u's certificate does not chain to the overlay root"
    openssl x509 -in "$WORK/$u.pem" -noout -ext subjectAltName | grep -q "email:$u@b.test" ||
      fail "--provision: $u's certificate does not name $u@b.test"
  fi
done
DAVE_ID=$(sed -n 's/^provisioned dave@b.test Node-ID \([0-9a-f]*\) in .*/\1/p' "$WORK/prov.out")
"$P2PSIP" enroll-user --dir "$DIR" dave@b.test --password-file "$WORK/pw" >/dev/null
"$P2PSIP" enroll --config-url "$CONFIG_URL" --root-cert "$DIR/ca/root.der" --user dave@b.test \
  --password-file "$WORK/pw" --out "$WORK/dave" --key-type ecdsa >"$WORK/dave.out" 2>&1 ||
  fail "dave could not enroll after --provision: $(cat "$WORK/dave.out")"
grep -q "Node-ID: $DAVE_ID" "$WORK/dave.out" || fail "enrollment after --provision changed the Node-ID"
set +e
"$P2PSIP" enroll-user --dir "$DIR" frank --provision "$WORK/prov-out" >/dev/null 2>"$WORK/frank.err"
rc=$?
"$P2PSIP" enroll-user --dir "$DIR" gina@b.test --provision "$WORK/prov-out" \
  --password-file "$WORK/pw" >/dev/null 2>&1
rc2=$?
set -e
[[ $rc == 1 ]] && grep -q 'not user@domain' "$WORK/frank.err" ||
  fail "--provision of a name without a domain: exit $rc, $(cat "$WORK/frank.err")"
[[ $rc2 == 2 ]] || fail "--provision with --password-file: exit $rc2, expected 2"

kill -TERM "$SERVER_PID"
set +e
wait "$SERVER_PID"
rc=$?
set -e
SERVER_PID=""
[[ $rc == 0 ]] || fail "enroll-server exit $rc after SIGTERM"
grep -q 'stopped (SIGTERM); 4 issued, 1 refused' "$WORK/server.err" ||
  fail "unexpected summary: $(tail -1 "$WORK/server.err")"
echo "enroll CLI end-to-end: ok"
