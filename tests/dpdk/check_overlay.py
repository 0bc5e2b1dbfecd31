#!/usr/bin/env python3
"""A p2psipd on DPDK and a p2psipd on kernel sockets form one overlay across a veth pair.

    check_overlay.py --p2psip P2PSIP --p2psipd P2PSIPD [--pmd af_packet|af_xdp] [--cores N]

Namespace B: the bootstrap node on kernel sockets, 198.18.0.1:6084. Namespace A: a peer whose
workers run on a DPDK port (net_af_packet or net_af_xdp on the veth, 198.18.0.2:6084) with a
net_tap exception path; its first run enrolls with the bootstrap over HTTPS, which goes through
that exception path. Checked from namespace B with the real p2psip client:
  - both nodes join and the ring is right in both nodes' `p2psip stats --json`;
  - SIP registrations stored through one node are looked up through the other, both ways;
  - `ping 198.18.0.2` from B's kernel is answered (by the DPDK node's stack), and a TCP
    connection from B to 198.18.0.2 reaches a server in A's kernel through the exception path;
  - the DPDK node's statistics show its own stack at work (datagrams, ARP, the exception path)
    and no malformed frames or bad checksums, in `p2psip stats` and through DPDK telemetry;
  - SIGTERM on the DPDK node: it leaves and exits 0.
Namespaces, processes and files are removed even on failure (harness.py, netns.py).
"""
import argparse
import json
import os
import socket
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import harness  # noqa: E402
from harness import Failure, Overlay  # noqa: E402
from netns import KERNEL, NODE, VethPair, ping, tcp_exchange  # noqa: E402

USERS = 20


def contact(name):
    return f"sip:{name.split('@')[0]}@phone.example"


def port_counter(stats, name):
    return sum(core.get("port", {}).get(name, 0) for core in stats.get("per_core", []))


def telemetry(path, command):
    """One DPDK telemetry command over the EAL's socket; the answer's value."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as s:
        s.settimeout(5)
        s.connect(path)
        json.loads(s.recv(16384))  # the greeting: version, pid, max_output_len
        s.send(command.encode())
        return json.loads(s.recv(65536))[command.split(",")[0]]  # "/p2psip/core,1": parameter


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--p2psip", required=True)
    ap.add_argument("--p2psipd", required=True)
    ap.add_argument("--pmd", default="af_packet", choices=["af_packet", "af_xdp"])
    ap.add_argument("--cores", type=int, default=1, help="the DPDK node's workers (queue pairs)")
    ap.add_argument("--poll-nap-us", type=int, default=None,
                    help="the DPDK node's --poll-nap-us (default: p2psipd's)")
    ap.add_argument("--pings", type=int, default=200,
                    help="pings forwarded by each node, one after another (rate, p50/p99)")
    args = ap.parse_args()
    harness.install_sigterm_handler()
    failures = []

    def check(ok, what):
        harness.check(ok, what, failures)

    with VethPair("ovl") as pair, Overlay(
            args.p2psip, args.p2psipd, "dpdk", addresses=[KERNEL, NODE], port=6084,
            netns={KERNEL: pair.ns_b, NODE: pair.ns_a}, client_netns=pair.ns_b,
            update_interval=5) as ov:
        try:
            boot = ov.start_bootstrap()
            eal = " ".join(pair.eal_args(args.pmd, "p2psipd", telemetry=True,
                                         queues=args.cores))
            dpdk = ov.start_peer("dpdk", cores=args.cores, extra=[
                "--dpdk-device", pair.device(args.pmd), f"--eal={eal}",
                "--dpdk-exception", "net_tap0"] + (
                    [] if args.poll_nap_us is None else ["--poll-nap-us", str(args.poll_nap_us)]))
            ov.wait_joined([dpdk])
            secs = ov.wait_ring(60)
            print(f"ring of a kernel node and a DPDK node correct after {secs:.1f} s")

            users = [f"user{i}@{harness.OVERLAY}" for i in range(USERS)]
            users_dir = os.path.join(ov.dir, "users")
            ids, _ = ov.provision(users, users_dir)
            errors = []
            for i, name in enumerate(users):
                via = (boot, dpdk)[i % 2]
                r = ov.client(["sip", "register", name, contact(name)],
                              state_dir=os.path.join(users_dir, name), via=via)
                if r.rc != 0:
                    errors.append(f"register {name} via {via!r}: {r.why()}")
            check(not errors, f"{USERS} registrations stored through both nodes "
                              f"({len(errors)} failed: {errors[:2]})")
            errors = []
            for i, name in enumerate(users):
                via = (dpdk, boot)[i % 2]  # the other node than the one that stored it
                as_user = users[(i + 1) % USERS]
                r = ov.client(["sip", "lookup", name], via=via,
                              state_dir=os.path.join(users_dir, as_user))
                got = [(c.get("uri"), c.get("node")) for c in r.json().get("contacts", [])] \
                    if r.rc == 0 else r.why()
                if got != [(contact(name), ids[name])]:
                    errors.append(f"lookup {name} via {via!r}: {got}")
            check(not errors, f"{USERS} registrations looked up through the other node "
                              f"({len(errors)} failed: {errors[:2]})")

            st = ov.stats(dpdk)
            for core in st["per_core"]:
                print(f"DPDK node core {core.get('core')} port counters:",
                      {k: v for k, v in core.get("port", {}).items() if v})
            check(len(st["per_core"]) == args.cores,
                  f"{args.cores} worker(s), each on its own queue pair")
            check(port_counter(st, "stack.rx_datagrams") > 0,
                  "the DPDK node's own stack received RELOAD datagrams")
            # (The kernel behind the tap may have asked first, during enrollment: the reply
            # came to the node's MAC and taught its stack too.)
            check(port_counter(st, "stack.neighbours") >= 1
                  and port_counter(st, "stack.rx_arp_replies") > 0,
                  "its stack learnt the peer's MAC from ARP")
            check(port_counter(st, "dpdk.exception_to_kernel") > 0
                  and port_counter(st, "dpdk.exception_from_kernel") > 0,
                  "the exception path carried the kernel's traffic both ways")
            check(port_counter(st, "dpdk.tx_unresolved") == 0,
                  "no datagram dropped waiting for ARP (every queue knows the peer's MAC)")
            check(port_counter(st, "stack.rx_malformed") == 0
                  and port_counter(st, "stack.rx_bad_checksum") == 0,
                  "no malformed frames or bad checksums")
            # net_af_packet and net_af_xdp offer no checksum offload: the stack did the sums
            # (dpdk-tap-checksum-offload shows a device that does).
            check(port_counter(st, "dpdk.tx_checksum_by_device") == 0
                  and port_counter(st, "dpdk.rx_checksum_by_device") == 0,
                  f"no checksum offload claimed on net_{args.pmd}")

            # The DPDK node's address from namespace B's kernel: ICMP echo, answered by its own
            # stack, and a TCP connection to a server in namespace A's kernel, through the
            # exception path.
            answered, summary = ping(pair.ns_b, NODE)
            check(answered, f"ping {NODE} from namespace B is answered ({summary[-1:]})")
            text = "tcp through the exception path"
            got = tcp_exchange(pair, text=text)
            check(got == text[::-1],
                  f"a TCP connection to {NODE} reaches namespace A's kernel through the "
                  f"exception path ({got})")

            # Pings one after another from namespace B's kernel: forwarded by the DPDK node
            # (to the bootstrap), then by the kernel node (to the DPDK node), side by side.
            for name, via, target in (("DPDK node", dpdk, boot), ("kernel node", boot, dpdk)):
                r = ov.client(["ping", target.node_id, "--count", str(args.pings)], via=via,
                              proc_timeout=300)
                if r.rc != 0:
                    raise Failure(f"ping --count via {via!r}: {r.why()}")
                j = r.json()
                check(j.get("count") == args.pings and j.get("hops") == 1,
                      f"{args.pings} pings forwarded by the {name}: {j['per_second']:.0f}/s, rtt "
                      f"p50 {j['rtt_ms']['p50']:.3f} ms, p99 {j['rtt_ms']['p99']:.3f} ms")

            # The same statistics through DPDK telemetry (published every 0.5 s).
            time.sleep(1)
            path = pair.telemetry_socket("p2psipd")
            try:
                counters = telemetry(path, "/p2psip/counters")
                document = json.loads(telemetry(path, "/p2psip/stats"))
                ring = telemetry(path, "/p2psip/ring")
                cores = telemetry(path, "/p2psip/cores")
                per_core = [telemetry(path, f"/p2psip/core,{c}") for c in cores]
                no_core = telemetry(path, f"/p2psip/core,{args.cores}")
                link_ids = telemetry(path, "/p2psip/links")
                links = [telemetry(path, f"/p2psip/link,{i}") for i in link_ids]
            except (OSError, ValueError, KeyError) as e:
                raise Failure(f"DPDK telemetry at {path}: {e}")
            check(counters.get("port/stack/rx_datagrams", 0) > 0
                  and counters.get("node/received", 0) > 0,
                  f"/p2psip/counters over DPDK telemetry ({len(counters)} counters)")
            check(document.get("node_id", "").lower() == dpdk.node_id
                  and document.get("per_core"),
                  "/p2psip/stats over DPDK telemetry is the node's statistics document")
            neighbours = [x.lower() for x in ring.get("successors", []) + ring.get("predecessors", [])]
            check(ring.get("self", "").lower() == dpdk.node_id and boot.node_id in neighbours,
                  "/p2psip/ring: the routing table, with the kernel node as a neighbour")
            check(cores == list(range(args.cores)) and no_core is None
                  and all("node/received" in c for c in per_core)
                  and sum(c.get("port/stack/rx_datagrams", 0) for c in per_core)
                  <= counters.get("port/stack/rx_datagrams", 0)
                  and sum(c.get("port/stack/rx_datagrams", 0) for c in per_core) > 0,
                  f"/p2psip/cores and /p2psip/core,N: {len(per_core)} worker(s)' own counters "
                  f"(an unknown core is refused)")
            check(any(l and l.get("up") == 1 and l.get("peer", "").lower() == boot.node_id
                      and l.get("remote", "").startswith(KERNEL + ":")
                      and l.get("framing/messages_acked", 0) > 0
                      and 0 < l.get("framing/acks_out", 0)
                      <= l.get("framing/data_delivered", 0) + l.get("framing/data_duplicates", 0)
                      for l in links),
                  f"/p2psip/links and /p2psip/link,ID: {len(links)} link(s), one up to the kernel "
                  f"node at {KERNEL}, with its framing's figures")

            rc, secs = ov.terminate(dpdk)
            check(rc == 0, f"SIGTERM: the DPDK node left and exited {rc} in {secs:.1f} s")
        except Failure as e:
            failures.append(str(e))
            print(f"FAIL {e}", flush=True)
            ov.dump_logs()
    print(f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
