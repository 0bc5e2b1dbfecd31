#!/usr/bin/env bash
# End-to-end test of `p2psip stats` and `p2psip trace` with the real binaries on loopback:
#   p2psipd bootstrap on 127.0.0.1:PORT (a new standalone overlay) → enroll-user bob →
#   p2psipd peer on 127.0.0.2:PORT joining it → stats (--json, text, of a Node-ID through the
#   peer), trace (resource, --node, --json), bad arguments → both daemons stopped with SIGTERM.
# Usage: diag_cli_test.sh P2PSIP P2PSIPD. Everything lives in one temporary directory that the
# EXIT trap removes after stopping the daemons, also on failure; every wait is bounded.
set -euo pipefail

P2PSIP=$1
P2PSIPD=$2
WORK=$(mktemp -d "${TMPDIR:-/tmp}/p2psip-diag-cli.XXXXXX")
PIDS=()

cleanup() {
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  for f in "$WORK"/*.log; do [[ -f $f ]] && sed "s|^|$(basename "$f"): |" "$f" >&2; done
  exit 1
}

# Waits up to 15 s for `pattern` in `file` while process `pid` lives.
await() {
  local file=$1 pattern=$2 pid=$3
  for _ in $(seq 150); do
    grep -q "$pattern" "$file" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || fail "$(basename "$file" .log) exited early"
    sleep 0.1
  done
  fail "no \"$pattern\" in $(basename "$file") within 15 s"
}

# A port free for TCP and UDP on both loopback addresses (the bootstrap also serves HTTPS).
PORT=$(python3 - <<'PY'
import socket
for _ in range(50):
    t = socket.socket(); t.bind(("127.0.0.1", 0)); port = t.getsockname()[1]; t.close()
    try:
        for host in ("127.0.0.1", "127.0.0.2"):
            for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
                s = socket.socket(socket.AF_INET, kind); s.bind((host, port)); s.close()
    except OSError:
        continue
    print(port); break
PY
)
[[ -n $PORT ]] || fail "no free port"

"$P2PSIPD" --state-dir "$WORK/s1" --listen "127.0.0.1:$PORT" >"$WORK/s1.log" 2>&1 &
PIDS+=($!)
await "$WORK/s1.log" "joined the overlay" "${PIDS[0]}"
S1=$(sed -n 's/^p2psipd: node \([0-9a-f]*\) .*/\1/p' "$WORK/s1.log")
[[ -n $S1 ]] || fail "no Node-ID in the bootstrap's banner"

echo bob-password | "$P2PSIP" enroll-user --dir "$WORK/s1/overlay" bob@p2psip.local >/dev/null ||
  fail "enroll-user bob"
echo bob-password | "$P2PSIPD" --state-dir "$WORK/s2" --listen "127.0.0.2:$PORT" \
  --join "127.0.0.1:$PORT" --root-cert "$WORK/s1/overlay/ca/root.pem" \
  --user bob@p2psip.local >"$WORK/s2.log" 2>&1 &
PIDS+=($!)
await "$WORK/s2.log" "joined the overlay" "${PIDS[1]}"
S2=$(sed -n 's/^p2psipd: node \([0-9a-f]*\) .*/\1/p' "$WORK/s2.log")
[[ -n $S2 ]] || fail "no Node-ID in the peer's banner"

client() { timeout 30 "$P2PSIP" --state-dir "$WORK/s1" --via "127.0.0.2:$PORT" --timeout 10 "$@"; }

# The peer's statistics document, checked member by member. The ring needs an Update round to
# show the bootstrap, and a multi-core runtime reports its workers' links every half second:
# retried for up to 10 s.
check_stats() {
  python3 - "$WORK/stats.json" "$S1" "$S2" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
s1, s2 = sys.argv[2], sys.argv[3]
assert d["node_id"] == s2, d["node_id"]
assert d["role"] == "peer" and d["joined"] is True and d["overlay"] == "p2psip.local", d
assert d["address"].startswith("127.0.0.2:") and d["software"].startswith("p2psip "), d
assert isinstance(d["uptime_s"], int) and d["cores"] >= 1, d
assert d["ring"]["self"] == s2 and s1 in d["ring"]["successors"] + d["ring"]["predecessors"]
assert any(l["peer"] == s1 and l["up"] for l in d["links"]), d["links"]
for l in d["links"]:
    assert set(l) >= {"id", "core", "remote", "peer", "up", "client", "opened_here", "cipher"}
assert set(d["storage"]) == {"resources", "values", "certificates"}
for part in ("node", "links", "port"):
    assert all(isinstance(v, int) for v in d["counters"][part].values()), part
assert d["counters"]["node"]["received"] > 0 and d["counters"]["port"]["rx_datagrams"] > 0
assert len(d["per_core"]) == d["cores"], d["per_core"]
PY
}
for attempt in $(seq 20); do
  client --json stats >"$WORK/stats.json" 2>"$WORK/stats.err" || fail "stats: $(cat "$WORK/stats.err")"
  check_stats 2>"$WORK/check.err" && break
  [[ $attempt == 20 ]] && fail "stats --json: $(cat "$WORK/check.err" "$WORK/stats.json")"
  sleep 0.5
done

client stats >"$WORK/stats.txt" 2>"$WORK/stats.err" || fail "stats: $(cat "$WORK/stats.err")"
grep -q "^node $S2 (peer) of overlay p2psip.local" "$WORK/stats.txt" || fail "$(cat "$WORK/stats.txt")"
grep -q "software *p2psip" "$WORK/stats.txt" || fail "no SOFTWARE_VERSION: $(cat "$WORK/stats.txt")"

# The bootstrap's statistics, through the peer.
client --json stats "$S1" >"$WORK/s1.json" 2>"$WORK/stats.err" || fail "stats $S1: $(cat "$WORK/stats.err")"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["node_id"]==sys.argv[2] and d["role"]=="bootstrap", d' \
  "$WORK/s1.json" "$S1" || fail "stats $S1: $(cat "$WORK/s1.json")"

# Traces end at the peer responsible for the target; a Node-ID target at that node.
for target in alice bob carol sip:dave@p2psip.local; do
  client --json trace "$target" >"$WORK/trace.json" 2>"$WORK/trace.err" ||
    fail "trace $target: $(cat "$WORK/trace.err")"
  python3 - "$WORK/trace.json" "$S1" "$S2" <<'PY' || fail "trace $target: $(cat "$WORK/trace.json")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["responsible"] in sys.argv[2:], d
assert 1 <= len(d["hops"]) <= 2 and d["hops"][0]["node"] == sys.argv[3], d
assert d["hops"][-1]["node"] == d["responsible"] == d["hops"][-1]["next_hop"], d
assert len(d["target"]) == 32, d
PY
done
client --json trace --node "$S1" >"$WORK/trace.json" 2>"$WORK/trace.err" ||
  fail "trace --node: $(cat "$WORK/trace.err")"
grep -q "\"responsible\":\"$S1\"" "$WORK/trace.json" || fail "trace --node: $(cat "$WORK/trace.json")"
client trace --node "$S1" >"$WORK/trace.txt" 2>&1 || fail "trace --node: $(cat "$WORK/trace.txt")"
grep -q "^responsible peer $S1, 2 hops" "$WORK/trace.txt" || fail "$(cat "$WORK/trace.txt")"

# The data commands on an ARRAY kind (USER-MATCH: the operator identity is admin@): store,
# fetch every index, and the node's refusal of a resource that is not the user's own.
client store admin@p2psip.local first-value --kind CERTIFICATE_BY_USER >/dev/null ||
  fail "store admin@"
client --json fetch admin@p2psip.local --kind CERTIFICATE_BY_USER >"$WORK/fetch.json" ||
  fail "fetch admin@: $(cat "$WORK/fetch.json")"
grep -q '"value":"first-value"' "$WORK/fetch.json" || fail "fetch admin@: $(cat "$WORK/fetch.json")"
set +e
client store bob@p2psip.local x --kind CERTIFICATE_BY_USER >/dev/null 2>"$WORK/refused.err"
rc=$?
set -e
[[ $rc == 1 ]] || fail "a value access control refuses: exit $rc"
grep -q "Error_Forbidden" "$WORK/refused.err" || fail "refused: $(cat "$WORK/refused.err")"
[[ $(wc -l <"$WORK/refused.err") == 1 ]] || fail "refused: $(cat "$WORK/refused.err")"

# ping --count: pings one after another, forwarded by the peer to the bootstrap node, with
# the rate and the round-trip quantiles.
client ping "$S1" --count 5 --json >"$WORK/pings.json" || fail "ping --count: exit $?"
python3 - "$WORK/pings.json" "$S1" <<'PY' || fail "ping --count: $(cat "$WORK/pings.json")"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["count"] == 5 and j["hops"] == 1 and j["per_second"] > 0, j
assert j["responder"].lower() == sys.argv[2].lower(), j
r = j["rtt_ms"]
assert 0 < r["min"] <= r["p50"] <= r["p99"] <= r["max"], r
PY

# Bad arguments: exit 2 with a one-line reason, before any network work.
expect_usage() {
  set +e
  "$P2PSIP" --state-dir "$WORK/s1" --via "127.0.0.2:$PORT" "$@" >/dev/null 2>"$WORK/usage.err"
  local rc=$?
  set -e
  [[ $rc == 2 ]] || fail "$*: exit $rc, expected 2"
  [[ $(wc -l <"$WORK/usage.err") == 1 ]] || fail "$*: $(cat "$WORK/usage.err")"
}
expect_usage stats not-hex
expect_usage trace
expect_usage trace alice --node "$S1"
expect_usage store x y --kind NO-SUCH-KIND
expect_usage ping --count 0
# p2psipd's own bad arguments, the DPDK ones included: exit 2, one line, nothing started.
expect_daemon_usage() {
  set +e
  "$P2PSIPD" --state-dir "$WORK/bad" --listen "127.0.0.3:$PORT" "$@" >/dev/null \
    2>"$WORK/dusage.err"
  local rc=$?
  set -e
  [[ $rc == 2 ]] || fail "p2psipd $*: exit $rc, expected 2: $(cat "$WORK/dusage.err")"
  [[ $(wc -l <"$WORK/dusage.err") == 1 ]] || fail "p2psipd $*: $(cat "$WORK/dusage.err")"
  [[ ! -e "$WORK/bad" ]] || fail "p2psipd $*: made its state directory anyway"
}
expect_daemon_usage --cores 0
expect_daemon_usage --eal=--no-huge
expect_daemon_usage --dpdk-exception net_tap0
expect_daemon_usage --dpdk-prefix-length 33
echo "diag cli: ok (bootstrap $S1, peer $S2)"
