#!/usr/bin/env python3
"""A DPDK node forwards between a RELOAD client and a kernel node; tshark decodes the veth.

    check_dpdk_capture.py --p2psip P2PSIP --p2psipd P2PSIPD

The namespaces of check_overlay.py: the bootstrap node on kernel sockets in B (198.18.0.1), a
peer on DPDK (net_af_packet + net_tap) in A (198.18.0.2). Clients in B send through the DPDK
node (`--via 198.18.0.2`) SIP registrations and lookups of AORs that the bootstrap node is
responsible for, and a Ping to it: the DPDK node forwards each request and its answer. dumpcap
captures UDP port 6084 on B's end of the veth. tshark, given both nodes' key logs, must decode
the forwarded Store, Fetch and Ping requests and answers and the ring's Attach, Join and Update,
find RELOAD framing in every DTLS application-data record, and report no expert errors; without
the key logs it must decode no RELOAD. The DPDK node's own counters must show the forwarding.
"""
import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import check_capture as capture  # noqa: E402
import harness  # noqa: E402
from harness import Failure, Overlay, check  # noqa: E402
from netns import KERNEL, NODE, VethPair  # noqa: E402

EXPECTED = {"Attach": (3, 4), "Store": (7, 8), "Fetch": (9, 10), "Join": (15, 16),
            "Update": (19, 20), "Ping": (23, 24)}
PORT = 6084


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--p2psip", required=True)
    ap.add_argument("--p2psipd", required=True)
    args = ap.parse_args()
    harness.install_sigterm_handler()
    harness.require_tool("tshark")
    harness.require_tool("dumpcap")
    failures = []
    with VethPair("cap") as pair, Overlay(
            args.p2psip, args.p2psipd, "dpdk-capture", addresses=[KERNEL, NODE], port=PORT,
            netns={KERNEL: pair.ns_b, NODE: pair.ns_a}, client_netns=pair.ns_b,
            update_interval=5) as ov:
        try:
            pcap = os.path.join(ov.dir, "veth.pcapng")
            cap = capture.start_capture(ov, pcap, interface=pair.veth_b, netns=pair.ns_b)
            boot = ov.start_bootstrap(key_log=True)
            eal = " ".join(pair.eal_args("af_packet", "p2psipd-cap"))
            dpdk = ov.start_peer("dpdk", key_log=True, extra=[
                "--dpdk-device", pair.device("af_packet"), f"--eal={eal}",
                "--dpdk-exception", "net_tap0"])
            ov.wait_joined([dpdk])
            ov.wait_ring(60)

            # Users whose client attaches to the DPDK node (their Node-ID is in its range) and
            # whose AOR the bootstrap node holds: each of their requests is forwarded by the
            # DPDK node, in both directions.
            ring = sorted([boot.id_int, dpdk.id_int])
            users_dir = os.path.join(ov.dir, "users")
            mine = []
            for batch in range(8):  # Node-IDs are random: provision until 3 fit (bounded)
                names = [f"cap{batch * 32 + i}@{harness.OVERLAY}" for i in range(32)]
                names = [n for n in names
                         if harness.responsible(ring, harness.resource_id(n)) == boot.id_int]
                if not names:
                    continue  # the bootstrap's range is small: none of these AORs falls in it
                ids, _ = ov.provision(names, users_dir)
                mine += [n for n in names
                         if harness.responsible(ring, int(ids[n], 16)) == dpdk.id_int]
                if len(mine) >= 3:
                    break
            mine = mine[:4]
            if len(mine) < 2:
                raise Failure(f"only {len(mine)} users fit after 8 batches")
            for i, u in enumerate(mine):
                r = ov.client(["sip", "register", u, f"sip:{u}"],
                              state_dir=os.path.join(users_dir, u), via=dpdk)
                if r.rc != 0:
                    raise Failure(f"register {u} via {dpdk!r}: {r.why()}")
                other = mine[(i + 1) % len(mine)]
                r = ov.client(["sip", "lookup", u], via=dpdk,
                              state_dir=os.path.join(users_dir, other))
                if r.rc != 0 or r.json()["contacts"][0]["uri"] != f"sip:{u}":
                    raise Failure(f"lookup {u} via {dpdk!r}: {r.why()} {r.out[:200]}")
            r = ov.client(["ping", boot.node_id], via=dpdk,
                          state_dir=os.path.join(users_dir, mine[0]))
            if r.rc != 0:
                raise Failure(f"p2psip ping: {r.why()}")
            # The workers report their counters twice a second: ask until the forwarding
            # shows (bounded).
            want = 2 * (2 * len(mine) + 1)
            forwarded = 0
            for _ in range(20):
                forwarded = harness.counter(ov.stats(dpdk), "node", "forwarded")
                if forwarded >= want:
                    break
                time.sleep(0.5)
            check(forwarded >= want,
                  f"the DPDK node forwarded {forwarded} messages (requests and answers)",
                  failures)
            time.sleep(1)
            capture.stop_capture(cap)

            keys = os.path.join(ov.dir, "all.keys")
            with open(keys, "w") as out:
                for n in (boot, dpdk):
                    with open(n.key_log) as f:
                        out.write(f.read())
            found = capture.codes(pcap, PORT, keys)
            missing = [f"{name} {'request' if i == 0 else 'answer'} ({code})"
                       for name, pair_ in EXPECTED.items() for i, code in enumerate(pair_)
                       if code not in found]
            check(not missing, f"decrypted RELOAD on the veth {dict(sorted(found.items()))}; "
                  f"missing: {missing or 'none'}", failures)
            appdata, undecoded, _, _ = capture.undecoded_records(pcap, PORT, keys)
            check(appdata > 0 and not undecoded,
                  f"RELOAD framing in every one of {appdata} DTLS application-data frames "
                  f"({len(undecoded)} without: {undecoded[:10]})", failures)
            expert = capture.tshark(pcap, PORT, keys, "-q", "-z", "expert")
            errors = [l for l in expert.splitlines() if l.strip().startswith("Errors")]
            check(not errors, "tshark -z expert: no errors" + ("" if not errors else
                                                               ":\n" + expert), failures)
            plain = capture.codes(pcap, PORT, None)
            check(not plain, f"negative control: no RELOAD without the key logs "
                  f"({sum(plain.values())} messages)", failures)
        except Failure as e:
            failures.append(str(e))
            print(f"FAIL {e}", flush=True)
            ov.dump_logs()
    print(f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
