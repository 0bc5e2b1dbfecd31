#!/usr/bin/env python3
"""Integration case `overlay`: a 10-process overlay on loopback, checked from the outside.

  check_overlay.py --p2psip P2PSIP --p2psipd P2PSIPD [--registrations 1000] [--seed N]

1. A bootstrap node on 127.0.0.1 and 9 peers on 127.0.0.2..10 (one port for all, free for
   this run; some peers with --cores 2 once p2psipd accepts it) form a ring: from
   `p2psip stats --json` of every node, its successors and predecessors are the sorted ring of
   all Node-IDs.
2. 1,000 SIP users are provisioned from the overlay CA (`p2psip enroll-user --provision`;
   USER-NODE-MATCH needs one certificate per AOR) and a few enrolled over HTTPS
   (`p2psip enroll`); each AOR is registered through a random node and looked up through
   another random node: every lookup returns exactly the registered contact and Node-ID.
3. kill -9 of 2 non-adjacent peers: once the ring has repaired (polled, bounded), every AOR is
   still found (none lost) and the live nodes hold 3 copies of every registration again.
4. A new peer joins: the ring is correct again, the new peer answers for the AORs in its range
   (they moved to it) and holds their copies, and every lookup still works.
5. SIGTERM on a peer: it exits 0 within the bound after handing its data over (3 copies of
   every AOR on the others at once); no AOR lost.
Also: `p2psip stats NODE-ID` through another node, and `p2psip trace AOR` through random nodes
ends at the responsible peer. The checks that need `p2psip stats` or `p2psip trace` run when
`p2psip --help` lists them (and say NOT CHECKED otherwise). Each p2psip process runs with its
own identity: one Node-ID is one node, so no two concurrent clients share one.
"""
import argparse
import os
import re
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import Failure, OVERLAY, check  # noqa: E402

REPAIR_TIMEOUT = 150   # ring repair after kill -9 (link failure detection + updates)
RING_TIMEOUT = 120     # ring correct after joins
COPIES_TIMEOUT = 120   # 3 copies of every value again
WORKERS = 6            # concurrent p2psip processes


def aor(i):
    return f"sip{i:04d}@{OVERLAY}"


def contact(name):
    return f"sip:{name.split('@')[0]}@127.0.0.1:5060"


def register_all(ov, users, ids, workers):
    """Registers each AOR through a random live node; returns {aor: node used}."""
    nodes = ov.live()
    plan = [(name, ov.rng.choice(nodes)) for name in users]

    def one(item):
        name, via = item
        r = ov.client(["sip", "register", name, contact(name)],
                      state_dir=os.path.join(ov.dir, "users", name), via=via)
        if r.rc != 0:
            return name, f"register {name} via {via!r}: {r.why()}", r.seconds
        j = r.json()
        if j.get("aor") != name:
            return name, f"register {name}: answer names {j.get('aor')}", r.seconds
        return name, None, r.seconds

    t0 = time.monotonic()
    results = ov.parallel(one, plan, workers)
    errors = [e for _, e, _ in results if e]
    took = time.monotonic() - t0
    print(f"  {len(users)} registrations in {took:.1f} s "
          f"({len(users) / took:.1f}/s, mean {sum(s for *_, s in results) / len(results):.2f} s "
          f"per p2psip process)", flush=True)
    if errors:
        raise Failure(f"{len(errors)} of {len(users)} registrations failed:\n  "
                      + "\n  ".join(errors[:10]))
    return {name: via for name, via in plan}


def lookup_all(ov, users, ids, workers, avoid=None, retries=0, retry_wait=5):
    """Looks every AOR up through a random live node (other than avoid[aor] where given) and
    checks the contact. Failed ones are tried again (through another random node) `retries`
    times after retry_wait s. Returns (answered_by {aor: node-id hex}, retried count, errors of
    the AORs that still failed)."""
    nodes = ov.live()
    # Each lookup runs as a client with the identity of another user: one Node-ID is one node,
    # so no two processes that run at the same time may share an identity.
    everyone = sorted(ids)
    shift = ov.rng.randrange(1, len(everyone))
    position = {u: i for i, u in enumerate(everyone)}
    as_user = {name: everyone[(position[name] + shift) % len(everyone)] for name in users}

    def plan(names):  # the random choices, made here: ov.rng is not for threads
        return [(name, ov.rng.choice([n for n in nodes if avoid is None
                                      or n is not avoid.get(name)] or nodes)) for name in names]

    def one(item):
        name, via = item
        r = ov.client(["sip", "lookup", name], via=via,
                      state_dir=os.path.join(ov.dir, "users", as_user[name]))
        if r.rc != 0:
            return name, None, f"lookup {name} as {as_user[name]} via {via!r}: {r.why()}"
        j = r.json()
        got = [(c.get("uri"), c.get("node")) for c in j.get("contacts", [])]
        want = [(contact(name), ids[name])]
        if got != want:
            return name, None, f"lookup {name} via {via!r}: contacts {got}, want {want}"
        return name, j.get("answered_by"), None

    t0 = time.monotonic()
    pending = list(users)
    answered = {}
    retried = 0
    errors = []
    for attempt in range(retries + 1):
        if attempt:
            retried += len(pending)
            time.sleep(retry_wait)
        results = ov.parallel(one, plan(pending), workers)
        errors = [e for _, _, e in results if e]
        for name, by, e in results:
            if not e:
                answered[name] = by
        pending = [name for name, _, e in results if e]
        if not pending:
            break
        if attempt < retries:
            print(f"  round {attempt + 1}: {len(pending)} failed ({summary(errors, 2)})",
                  flush=True)
    took = time.monotonic() - t0
    print(f"  {len(users)} lookups in {took:.1f} s ({len(users) / took:.1f}/s)"
          + (f"; {retried} retried" if retried else ""), flush=True)
    return answered, retried, errors


def summary(errors, show=6):
    """How many errors of each kind (the text after the node), and a few whole."""
    kinds = {}
    for e in errors:
        k = re.sub(r"\[[^]]*\] ", "", e.split(": ", 1)[-1].split(": ", 1)[-1])[:120]
        kinds[k] = kinds.get(k, 0) + 1
    return ("; ".join(f"{v}x {k}" for k, v in sorted(kinds.items(), key=lambda x: -x[1]))
            + "".join(f"\n    {e}" for e in errors[:show]))


def copies_problems(ov, users, ids):
    """Each live node's storage.resources against the 3 copies of every AOR the sorted ring of
    live nodes implies (the responsible peer and its 2 successors): no fewer."""
    nodes = ov.live()
    ring = sorted(n.id_int for n in nodes)
    k = len(ring)
    want = {n: 0 for n in ring}
    for name in users:
        rid = harness.resource_id(name)
        first = ring.index(harness.responsible(ring, rid))
        for j in range(min(3, k)):
            want[ring[(first + j) % k]] += 1
    problems = []
    total = 0
    for n in nodes:
        try:
            st = ov.stats(n)
        except Failure as e:  # e.g. the client cannot attach while the ring is repaired
            problems.append(str(e))
            continue
        got = int(st.get("storage", {}).get("resources", -1))
        total += max(got, 0)
        # At least: a peer may keep a copy it is no longer responsible for until it expires.
        if got < want[n.id_int]:
            c = st.get("counters", {}).get("node", {})
            detail = ", ".join(f"{k} {c[k]}" for k in sorted(c) if "replica" in k or k in (
                "stores_applied", "storage_errors", "resources_dropped"))
            problems.append(f"{n!r} ({n.cores} core{'s' if n.cores > 1 else ''}): holds {got} "
                            f"resources, want >= {want[n.id_int]} ({detail})")
    return problems, total


def wait_copies(ov, users, ids, timeout, what):
    t0 = time.monotonic()
    deadline = t0 + timeout
    problems = ["not checked"]
    total = 0
    for _ in range(200):
        problems, total = copies_problems(ov, users, ids)
        if not problems or time.monotonic() > deadline:
            break
        time.sleep(2)
    took = time.monotonic() - t0
    if problems:
        raise Failure(f"{what}: copies not where the ring puts them within {timeout} s "
                      f"({total} held, want {3 * len(users)}):\n  " + "\n  ".join(problems))
    return took


def non_adjacent_pair(ov, candidates):
    """Two of `candidates` that are not neighbours in the ring of live nodes."""
    ring = sorted(ov.live(), key=lambda n: n.id_int)
    k = len(ring)
    pairs = []
    for a in candidates:
        for b in candidates:
            if a is b:
                continue
            d = (ring.index(b) - ring.index(a)) % k
            if d not in (1, k - 1):
                pairs.append((a, b))
    if not pairs:
        raise Failure("no two non-adjacent peers to kill")
    return ov.rng.choice(pairs)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--p2psip", required=True)
    ap.add_argument("--p2psipd", required=True)
    ap.add_argument("--peers", type=int, default=9)
    ap.add_argument("--registrations", type=int, default=1000)
    ap.add_argument("--enrolled", type=int, default=3,
                    help="how many of the SIP users enroll over HTTPS instead of provisioning")
    ap.add_argument("--workers", type=int, default=WORKERS)
    ap.add_argument("--seed", type=int)
    ap.add_argument("--cores", type=int, default=2,
                    help="--cores for every third peer, when p2psipd accepts more than 1")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = ap.parse_args()
    harness.install_sigterm_handler()
    failures = []
    timings = {}
    t_start = time.monotonic()
    with harness.Overlay(args.p2psip, args.p2psipd, "overlay", seed=args.seed,
                         keep=args.keep) as ov:
        has_stats = ov.has("stats")
        if not has_stats:
            print("NOTE: `p2psip stats` is missing: the ring and copy checks are NOT CHECKED "
                  "(they switch on by themselves once `p2psip --help` lists stats)")
        multi = args.cores > 1 and ov.accepts_cores(args.cores)
        print(f"p2psipd --cores {args.cores}: "
              + ("accepted, used on every third peer" if multi else "not accepted yet; 1 core"))

        # 1. the ring
        t0 = time.monotonic()
        ov.start_bootstrap()
        names = [f"peer{i + 2}@{OVERLAY}" for i in range(args.peers + 1)]  # +1: the late joiner
        ov.enroll_users(names)
        peers = []
        for i in range(args.peers):
            cores = args.cores if multi and i % 3 == 2 else 1
            peers.append(ov.start_peer(cores=cores, enroll=False))
            time.sleep(0.3)
        ov.wait_joined(peers)
        timings["join"] = time.monotonic() - t0
        check(True, f"{len(ov.live())} nodes joined in {timings['join']:.1f} s", failures)
        if has_stats:
            took = ov.wait_ring(RING_TIMEOUT, what="ring of 10")
            check(True, f"ring correct from every node's stats {took:.1f} s after the joins",
                  failures)
            check_remote_stats(ov, failures)

        # 2. 1,000 registrations through random nodes, looked up through others
        users = [aor(i) for i in range(args.registrations)]
        users_dir = os.path.join(ov.dir, "users")
        enrolled = users[:args.enrolled]
        ids = {}
        for name in enrolled:
            ids[name] = enroll_over_https(ov, name, os.path.join(users_dir, name))
        provisioned, secs = ov.provision(users[args.enrolled:], users_dir)
        ids.update(provisioned)
        print(f"  {len(provisioned)} identities provisioned in {secs:.1f} s, "
              f"{len(enrolled)} enrolled over HTTPS")
        t0 = time.monotonic()
        stored_via = register_all(ov, users, ids, args.workers)
        _, _, errors = lookup_all(ov, users, ids, args.workers, avoid=stored_via)
        timings["register+lookup"] = time.monotonic() - t0
        check(not errors, f"{len(users)} AORs registered through random nodes and found through "
              f"other random nodes ({timings['register+lookup']:.1f} s): {len(errors)} lookups "
              f"failed" + (": " + summary(errors) if errors else ""), failures)
        if ov.has("trace"):
            check_traces(ov, users, ids, failures)
        else:
            print("NOTE: `p2psip trace` is missing: traces NOT CHECKED")
        if has_stats:
            took = wait_copies(ov, users, ids, COPIES_TIMEOUT, "after the registrations")
            check(True, f"3 copies of every AOR on the responsible peer and its 2 successors "
                  f"({took:.1f} s)", failures)

        # 3. kill -9 of 2 non-adjacent peers
        a, b = non_adjacent_pair(ov, peers)
        print(f"kill -9 {a!r} and {b!r}", flush=True)
        t0 = time.monotonic()
        ov.kill9(a)
        ov.kill9(b)
        if has_stats:
            took = ov.wait_ring(REPAIR_TIMEOUT, what="ring after kill -9")
            check(True, f"ring of {len(ov.live())} repaired {took:.1f} s after kill -9", failures)
            _, retried, errors = lookup_all(ov, users, ids, args.workers, retries=2)
        else:
            time.sleep(2 * ov.update_interval)
            _, retried, errors = lookup_all(ov, users, ids, args.workers, retries=6,
                                            retry_wait=10)
        check(not errors, f"no AOR lost after kill -9 of 2 peers ({retried} lookups needed a "
              f"retry through another node; {len(errors)} never found"
              + (": " + summary(errors) if errors else ")"), failures)
        if has_stats:
            took = wait_copies(ov, users, ids, COPIES_TIMEOUT, "after kill -9")
            check(True, f"3 copies of every AOR again {time.monotonic() - t0:.1f} s after the "
                  "kill", failures)
        timings["kill"] = time.monotonic() - t0

        # 4. a new peer joins and takes over its range
        t0 = time.monotonic()
        new = ov.start_peer(enroll=False)
        ov.wait_joined([new])
        if has_stats:
            took = ov.wait_ring(RING_TIMEOUT, what="ring after the join")
            check(True, f"ring of {len(ov.live())} correct {took:.1f} s after the join",
                  failures)
        else:
            time.sleep(2 * ov.update_interval)
        ring = sorted(n.id_int for n in ov.live())
        pred = ring[ring.index(new.id_int) - 1]
        mine = [u for u in users if harness.in_range(harness.resource_id(u), pred, new.id_int)]
        print(f"  {new!r} joined; {len(mine)} AORs in its range", flush=True)
        answered, _, errors = lookup_all(ov, users, ids, args.workers)
        check(not errors, f"every AOR found after the join ({len(errors)} lookups failed"
              + (": " + summary(errors) if errors else ")"), failures)
        wrong = [u for u in mine if u in answered and answered[u] != new.node_id]
        check(not wrong, f"the {len(mine)} AORs in the new peer's range are answered by it "
              f"({len(wrong)} by another: {wrong[:3]})", failures)
        # Registrations made after the join land on it too (its range is never empty of them,
        # even where no earlier AOR fell in it).
        late = late_names(pred, new.id_int, 3)
        late_ids, _ = ov.provision(late, users_dir)
        ids.update(late_ids)
        register_all(ov, late, ids, args.workers)
        answered, _, errors = lookup_all(ov, late, ids, args.workers, retries=2)
        check(not errors and all(answered.get(u) == new.node_id for u in late),
              f"{len(late)} AORs registered after the join in its range are stored on it",
              failures)
        users = users + late
        if has_stats:
            took = wait_copies(ov, users, ids, COPIES_TIMEOUT, "after the join")
            check(True, f"the new peer holds the copies of its range and its predecessors' "
                  f"({time.monotonic() - t0:.1f} s after it started)", failures)
        timings["join-one"] = time.monotonic() - t0

        # 5. SIGTERM: a graceful leave hands the data over
        t0 = time.monotonic()
        victim = ov.rng.choice([p for p in ov.live() if p is not ov.bootstrap and p is not new])
        held = ov.stats(victim).get("storage", {}).get("resources", "?") if has_stats else "?"
        rc, secs = ov.terminate(victim)
        check(rc == 0, f"{victim!r} (holding {held} resources) exited {rc} {secs:.1f} s after "
              "SIGTERM", failures)
        log = harness.tail(victim.log_path, 200)
        check("leaving the overlay" in log and "left; exiting" in log,
              "it logged its Leave and exit", failures)
        if has_stats:
            took = wait_copies(ov, users, ids, COPIES_TIMEOUT, "after SIGTERM")
            check(True, f"its data handed over: 3 copies of every AOR on the remaining "
                  f"{len(ov.live())} nodes {took:.1f} s after it exited", failures)
            ov.wait_ring(RING_TIMEOUT, what="ring after SIGTERM")
        _, retried, errors = lookup_all(ov, users, ids, args.workers, retries=2)
        check(not errors, f"every one of the {len(users)} AORs still found after the leave "
              f"({retried} lookups needed a retry through another node; {len(errors)} never "
              "found" + (": " + summary(errors) if errors else ")"), failures)
        timings["sigterm"] = time.monotonic() - t0

        for n in ov.live():
            check(n.alive(), f"{n!r} still running at the end", failures)
    total = time.monotonic() - t_start
    print("timings: " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items())
          + f"; total {total:.1f} s")
    if failures:
        print(f"FAILED: {len(failures)} check(s)")
        return 1
    print("overlay: all checks passed")
    return 0


def check_traces(ov, users, ids, failures, count=20):
    """`p2psip trace AOR` through random nodes: the path starts at the node asked, every hop is a
    live node, no hop repeats, and it ends at the peer the sorted ring makes responsible."""
    live = ov.live()
    by_id = {n.node_id: n for n in live}
    ring = sorted(n.id_int for n in live)
    names = ov.rng.sample(users, min(count, len(users)))
    everyone = sorted(ids)
    problems = []
    for i, name in enumerate(names):
        via = ov.rng.choice(live)
        who = everyone[(everyone.index(name) + 1 + i) % len(everyone)]
        r = ov.client(["trace", name], via=via, state_dir=os.path.join(ov.dir, "users", who))
        if r.rc != 0:
            problems.append(f"trace {name} via {via!r}: {r.why()}")
            continue
        j = r.json()
        path = [h.get("node") for h in j.get("hops", [])]
        want = f"{harness.responsible(ring, harness.resource_id(name)):032x}"
        if (not path or path[0] != via.node_id or j.get("responsible") != want
                or path[-1] != want or len(set(path)) != len(path)
                or any(p not in by_id for p in path)):
            problems.append(f"trace {name} via {via!r}: path {[p[:8] for p in path]}, "
                            f"responsible {str(j.get('responsible'))[:8]}, want {want[:8]}")
    check(not problems, f"{len(names)} traces end at the responsible peer through live nodes "
          f"({len(problems)} wrong)" + "".join(f"\n    {p}" for p in problems[:6]), failures)


def check_remote_stats(ov, failures):
    """`p2psip stats NODE-ID` through another node reports that node."""
    a, b = ov.nodes[1], ov.nodes[-1]
    r = ov.client(["stats", b.node_id], via=a)
    ok = r.rc == 0 and r.json().get("node_id", "").lower() == b.node_id
    check(ok, f"stats of {b!r} asked through {a!r} by Node-ID" + ("" if ok else f": {r.why()}"),
          failures)


def late_names(pred, node, count):
    """`count` AORs whose Resource-IDs fall in (pred, node] (searched in a bounded loop)."""
    out = []
    for i in range(5_000_000):
        name = f"late{i}@{OVERLAY}"
        if harness.in_range(harness.resource_id(name), pred, node):
            out.append(name)
            if len(out) == count:
                return out
    raise Failure("no AOR name found in the new peer's range (it is implausibly small)")


def enroll_over_https(ov, name, out):
    """`enroll-user` on the bootstrap, then `p2psip enroll` over its HTTPS service."""
    ov.enroll_users([name])
    res = subprocess.run(
        [ov.p2psip, "enroll", "--config-url",
         f"https://{ov.bootstrap.endpoint}/.well-known/reload-config",
         "--root-cert", os.path.join(ov.overlay_dir(), "ca", "root.pem"), "--user", name,
         "--password-file", ov.password_file, "--out", out, "--key-type", "ecdsa"],
        capture_output=True, text=True, timeout=120)
    if res.returncode != 0:
        raise Failure(f"p2psip enroll {name}: exit {res.returncode}: {res.stderr.strip()}")
    m = re.search(r"Node-ID: ([0-9a-f]+)", res.stdout)
    if not m:
        raise Failure(f"p2psip enroll {name}: no Node-ID in {res.stdout!r}")
    return m.group(1)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Failure as e:
        print(f"FAIL: {e}", flush=True)
        sys.exit(1)
