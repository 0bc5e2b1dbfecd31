#!/usr/bin/env bash
# A local p2psip overlay on loopback in one command (the README's first command).
#
# Installs the Debian packages, builds p2psipd and p2psip, starts a bootstrap super-peer on
# 127.0.0.1 and four peers on 127.0.0.2-5 (each enrolled over HTTPS with the bootstrap node),
# registers SIP users (each with its own certificate, RFC 7904 USER-NODE-MATCH) through
# different peers, looks them up through others, prints the hop-by-hop path of a lookup, and
# keeps the overlay running until Ctrl-C; then every node leaves gracefully (its data handed to
# its neighbours) and the script exits.
#
#   deploy/quickstart.sh                   as above
#   PEERS=8 CORES=2 deploy/quickstart.sh   more peers, two worker threads per node
#   SKIP_DEPS=1 deploy/quickstart.sh       packages already installed
#   QUICKSTART_EXIT=1 deploy/quickstart.sh run the demonstration, then leave and exit
#
# Everything lives in ./quickstart-state (removed and made anew each run): the overlay's CA and
# signed configuration, each node's identity and log. Only loopback addresses are used.
set -euo pipefail
cd "$(dirname "$0")/.."

PORT=${PORT:-6084}
PEERS=${PEERS:-4}
CORES=${CORES:-1}
STATE=${STATE:-$(pwd)/quickstart-state}
BUILD=${BUILD:-build}
DOMAIN=p2psip.local
started=$(date +%s)

step() { printf '\n== %s (%ds)\n' "$*" $(( $(date +%s) - started )); }
die() { echo "quickstart: $*" >&2; exit 1; }

if [ "$PEERS" -lt 1 ] || [ "$PEERS" -gt 200 ]; then die "PEERS must be 1..200"; fi

if [ -z "${SKIP_DEPS:-}" ]; then
  step "installing dependencies (deploy/install-deps.sh)"
  bash deploy/install-deps.sh
fi

step "building p2psipd and p2psip in $BUILD/"
if [ ! -f "$BUILD/build.ninja" ]; then meson setup "$BUILD" >/dev/null; fi
ninja -C "$BUILD" src/cli/p2psipd src/cli/p2psip
P2PSIPD=$(pwd)/$BUILD/src/cli/p2psipd
P2PSIP=$(pwd)/$BUILD/src/cli/p2psip

rm -rf "$STATE"
mkdir -p "$STATE"
pids=()
names=()

leave_all() {
  trap - INT TERM EXIT
  if [ "${#pids[@]}" -eq 0 ]; then return; fi
  step "leaving: SIGTERM to every node (each hands its data over and sends Leave)"
  kill -TERM "${pids[@]}" 2>/dev/null || true
  local status=0 i
  for i in "${!pids[@]}"; do
    if wait "${pids[$i]}"; then
      echo "  ${names[$i]} left (exit 0)"
    else
      echo "  ${names[$i]} exited with $?" && status=1
    fi
  done
  echo "state and logs kept in $STATE"
  return $status
}
trap 'leave_all; exit 130' INT TERM
trap 'leave_all' EXIT

# Waits until the node's log says it joined (bounded).
wait_joined() {  # NAME LOG
  local i
  for i in $(seq 1 150); do
    if grep -q "joined the overlay" "$2" 2>/dev/null; then return 0; fi
    if ! kill -0 "${pids[-1]}" 2>/dev/null; then tail -5 "$2" >&2; die "$1 exited"; fi
    sleep 0.2
  done
  tail -5 "$2" >&2
  die "$1 did not join within 30 s"
}

step "bootstrap super-peer on 127.0.0.1:$PORT (a new overlay: CA, signed configuration)"
"$P2PSIPD" --state-dir "$STATE/boot" --listen "127.0.0.1:$PORT" --role bootstrap \
  --cores "$CORES" --overlay-name "$DOMAIN" --update-interval 10 \
  >"$STATE/boot.out" 2>"$STATE/boot.log" &
pids+=($!)
names+=(boot)
wait_joined boot "$STATE/boot.log"
sed -n '1,2p' "$STATE/boot.out"
ROOT=$STATE/boot/overlay/ca/root.pem

step "$PEERS peers on 127.0.0.2-$((PEERS + 1)), each enrolled over HTTPS, then joining"
for i in $(seq 1 "$PEERS"); do
  addr=127.0.0.$((i + 1))
  user=peer$i@$DOMAIN
  head -c 18 /dev/urandom | base64 >"$STATE/peer$i.password"
  "$P2PSIP" enroll-user --dir "$STATE/boot/overlay" --password-file "$STATE/peer$i.password" \
    "$user" >/dev/null
  "$P2PSIPD" --state-dir "$STATE/peer$i" --listen "$addr:$PORT" --cores "$CORES" \
    --join "127.0.0.1:$PORT" --root-cert "$ROOT" --user "$user" \
    --password-file "$STATE/peer$i.password" >"$STATE/peer$i.out" 2>"$STATE/peer$i.log" &
  pids+=($!)
  names+=("peer$i")
  wait_joined "peer$i" "$STATE/peer$i.log"
  echo "  peer$i $(sed -n '1s/^p2psipd: node \([0-9a-f]*\).*/\1/p' "$STATE/peer$i.out") at $addr:$PORT"
done

step "the ring, as the bootstrap node reports it (p2psip stats)"
sleep 2
"$P2PSIP" --state-dir "$STATE/boot" --via "127.0.0.1:$PORT" stats | sed -n '1,6p'

users=(alice bob carol dave)
step "registering ${users[*]} (each enrolls for its own certificate, then stores its contact)"
n=0
for u in "${users[@]}"; do
  head -c 18 /dev/urandom | base64 >"$STATE/$u.password"
  "$P2PSIP" enroll-user --dir "$STATE/boot/overlay" --password-file "$STATE/$u.password" \
    "$u@$DOMAIN" >/dev/null
  "$P2PSIP" enroll --config-url "https://127.0.0.1:$PORT/.well-known/reload-config" \
    --root-cert "$ROOT" --user "$u@$DOMAIN" --password-file "$STATE/$u.password" \
    --key-type ecdsa --out "$STATE/users/$u" >/dev/null
  via=127.0.0.$(( (n % (PEERS + 1)) + 1 )):$PORT
  printf '  %-18s via %-16s ' "$u@$DOMAIN" "$via"
  "$P2PSIP" --state-dir "$STATE/users/$u" --via "$via" \
    sip register "$u@$DOMAIN" "sip:$u@127.0.0.1:$((5060 + n))"
  n=$((n + 1))
done

step "looking them up through other nodes (p2psip sip lookup)"
n=0
for u in "${users[@]}"; do
  via=127.0.0.$(( ((n + 2) % (PEERS + 1)) + 1 )):$PORT
  printf '  via %-16s ' "$via"
  "$P2PSIP" --state-dir "$STATE/boot" --via "$via" sip lookup "$u@$DOMAIN"
  n=$((n + 1))
done

step "the path of a lookup for alice@$DOMAIN from 127.0.0.2 (p2psip trace, RFC 7851 PathTrack)"
"$P2PSIP" --state-dir "$STATE/boot" --via "127.0.0.2:$PORT" trace "alice@$DOMAIN"

cat <<EOF

The overlay is running: ${#pids[@]} nodes on 127.0.0.1-$((PEERS + 1)), port $PORT (logs in $STATE).
Try, in another terminal:
  $P2PSIP --state-dir $STATE/boot --via 127.0.0.3:$PORT stats
  $P2PSIP --state-dir $STATE/boot --via 127.0.0.2:$PORT sip lookup bob@$DOMAIN
  $P2PSIP --state-dir $STATE/users/alice --via 127.0.0.4:$PORT sip register alice@$DOMAIN sip:alice@127.0.0.1:5999
Ctrl-C leaves the overlay (every node hands its data over) and stops.
EOF

if [ -n "${QUICKSTART_EXIT:-}" ]; then exit 0; fi
while true; do
  for i in "${!pids[@]}"; do
    kill -0 "${pids[$i]}" 2>/dev/null || die "${names[$i]} stopped: see $STATE/${names[$i]}.log"
  done
  sleep 1
done
