#!/usr/bin/env python3
"""The forwarding table of the README, in one run (as root): forward_bench on every port and
DTLS setting, interleaved, `--repetitions` times each (medians), beside dpdk-testpmd on the
same vdevs and the AES-128-GCM bound BoringSSL reaches on this machine (dtls_bench).

    python3 bench/run_forward_bench.py --build build [--seconds 3] [--repetitions 3]

Two set-ups, each with the forwarder F on the DPDK port and, for comparison, on the kernel's
UDP sockets, the load peer L the same:
  - in-process: F on a net_ring ethdev, L on its other end; kernel: F and L on loopback;
  - a veth pair between two network namespaces (198.18.0.0/15, made and removed here): F on
    net_af_xdp on one end, L on a kernel socket in the other namespace; kernel: F on a kernel
    socket on the same veth end.
Prints a Markdown table; --json FILE writes every run.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "dpdk"))
from netns import KERNEL, NODE, VethPair, run  # noqa: E402


def forward(build, case, dtls, coalesce, seconds, window, pair):
    cmd = [os.path.join(build, "bench", "forward_bench"), f"--dtls={'on' if dtls else 'off'}",
           f"--coalesce-acks={'on' if coalesce else 'off'}", f"--seconds={seconds}",
           f"--window={window}"]
    if case == "dpdk-ring":
        cmd += ["--port=dpdk-ring"]
    elif case == "kernel-loopback":
        cmd += ["--port=kernel"]
    elif case == "af_xdp-veth":
        cmd = ["ip", "netns", "exec", pair.ns_a] + cmd + [
            "--port=dpdk", "--device=net_af_xdp0",
            f"--eal=--vdev=net_af_xdp0,iface={pair.veth_a},start_queue=0,queue_count=1",
            f"--f-at={NODE}:6084", f"--l-at={KERNEL}:0", f"--l-netns={pair.ns_b}"]
    elif case == "kernel-veth":
        cmd = ["ip", "netns", "exec", pair.ns_a] + cmd + [
            "--port=kernel", f"--f-at={NODE}:0", f"--l-at={KERNEL}:0", f"--l-netns={pair.ns_b}"]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        sys.exit(f"run_forward_bench: {' '.join(cmd)} failed ({p.returncode}):\n{p.stderr[-2000:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def veth_kernel_side(pair, on):
    """Namespace A's end of the veth for F's kernel socket (address, ARP, checksums computed),
    or handed back to DPDK (no address, no ARP: the DPDK port's stack answers)."""
    if on:
        run("ip", "addr", "add", f"{NODE}/24", "dev", pair.veth_a, ns=pair.ns_a)
        run("ip", "link", "set", pair.veth_a, "arp", "on", ns=pair.ns_a)
        run("ethtool", "-K", pair.veth_a, "tx", "off", ns=pair.ns_a)
    else:
        run("ip", "addr", "flush", "dev", pair.veth_a, ns=pair.ns_a)
        run("ip", "link", "set", pair.veth_a, "arp", "off", ns=pair.ns_a)
        run("ip", "neigh", "flush", "dev", pair.veth_b, ns=pair.ns_b)


def testpmd_rates(proc):
    out = proc.communicate(timeout=60)[0]
    rates = [int(m) for m in re.findall(r"Rx-pps:\s+(\d+)", out)]
    busy = [r for r in rates if r > 0][1:]  # the first period includes start-up
    if len(busy) < 2:
        sys.exit(f"run_forward_bench: no rates from dpdk-testpmd:\n{out[-2000:]}")
    return statistics.median(busy)


def testpmd(cmd_prefix, prefix, lcores, vdev, size, seconds, first):
    """dpdk-testpmd, one forwarding core in macswap mode (each frame's header touched, nothing
    else), for `seconds`."""
    cmd = cmd_prefix + ["timeout", "-s", "INT", str(seconds), "dpdk-testpmd", "--no-huge",
                        "--no-pci", "--no-shconf", f"--file-prefix={prefix}", "-m", "512",
                        f"--lcores={lcores}", f"--vdev={vdev}", "--", "--port-topology=loop",
                        "--forward-mode=macswap", f"--txpkts={size}", "--nb-cores=1",
                        "--total-num-mbufs=8192", "--stats-period=1"] + (
                            ["--tx-first"] if first else [])
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def testpmd_ring(size):
    """A looped net_ring0: one burst circulates through the forwarding core and the ring."""
    prefix = f"p2psip-tpmd-{os.getpid()}"
    try:
        return testpmd_rates(testpmd([], prefix, "0@0,1@1", "net_ring0", size, 6, True))
    finally:
        subprocess.run(["rm", "-rf", f"/var/run/dpdk/{prefix}"], check=False)


def testpmd_af_xdp(pair, size):
    """One testpmd on each end of the veth, both on net_af_xdp: frames bounce between them;
    the rate A's forwarding core receives."""
    prefixes = [f"p2psip-tpmd-a-{os.getpid()}", f"p2psip-tpmd-b-{os.getpid()}"]
    try:
        b = testpmd(["ip", "netns", "exec", pair.ns_b], prefixes[1], "0@0,1@1",
                    f"net_af_xdp0,iface={pair.veth_b},start_queue=0,queue_count=1", size, 11,
                    False)
        time.sleep(2)
        a = testpmd(["ip", "netns", "exec", pair.ns_a], prefixes[0], "0@1,1@0",
                    f"net_af_xdp0,iface={pair.veth_a},start_queue=0,queue_count=1", size, 8, True)
        rate = testpmd_rates(a)
        testpmd_rates(b)
        return rate
    finally:
        for p in prefixes:
            subprocess.run(["rm", "-rf", f"/var/run/dpdk/{p}"], check=False)


def aes_gcm_bound(build):
    """BoringSSL's raw AES-128-GCM seal+open rates (median of 3) of a 100-byte record (about a
    framing ACK's), an 800-byte one (a forwarded Ping's DATA record) and a 1000-byte one.
    Returns the bound with each message's own record only (800: ACKs coalesced away, the
    target's measure) and the earlier, looser one (a 1000- and a 100-byte record: one ACK per
    message)."""
    p = subprocess.run([os.path.join(build, "bench", "dtls_bench"),
                        "--benchmark_filter=AesGcmSealOpen/(100|800|1000)$",
                        "--benchmark_repetitions=3", "--benchmark_report_aggregates_only=true",
                        "--benchmark_format=json"], capture_output=True, text=True, timeout=300)
    if p.returncode != 0:
        sys.exit(f"run_forward_bench: dtls_bench failed:\n{p.stderr[-2000:]}")
    rate = {}
    for b in json.loads(p.stdout)["benchmarks"]:
        if b.get("aggregate_name") == "median":
            rate[b["run_name"].split("/")[1]] = b["items_per_second"]
    return rate["800"], 1 / (1 / rate["1000"] + 1 / rate["100"]), rate


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build")
    ap.add_argument("--seconds", type=float, default=3)
    ap.add_argument("--repetitions", type=int, default=3)
    ap.add_argument("--window", type=int, default=64)
    ap.add_argument("--json", help="write every run here")
    args = ap.parse_args()

    # (forwarder's port, DTLS, ACKs coalesced): the coalescing's effect side by side, in-process.
    cases = [(c, d, True) for d in (True, False)
             for c in ("dpdk-ring", "kernel-loopback", "af_xdp-veth", "kernel-veth")]
    cases[2:2] = [("dpdk-ring", True, False), ("kernel-loopback", True, False)]
    runs = {c: [] for c in cases}
    with VethPair("fwd") as pair:
        for rep in range(args.repetitions):
            for c in cases:
                if c[0] == "kernel-veth":
                    veth_kernel_side(pair, True)
                try:
                    r = forward(args.build, c[0], c[1], c[2], args.seconds, args.window, pair)
                finally:
                    if c[0] == "kernel-veth":
                        veth_kernel_side(pair, False)
                print(f"[{rep + 1}/{args.repetitions}] {c[0]:15} dtls={'on ' if c[1] else 'off'}"
                      f"{'' if c[2] or not c[1] else ' (one ACK per message)'}"
                      f" {r['forwarded_per_s']:>9.0f}/s p50 {r['p50_us']:.1f} us p99 "
                      f"{r['p99_us']:.1f} us, F busy-capacity {r['busy_capacity_per_s']:.0f}/s,"
                      f" allocations {r['allocations_per_message']}", file=sys.stderr, flush=True)
                if r["lost"] != 0 or r["forwarded_by_f"] < r["forwarded_per_s"] * r["seconds"]:
                    sys.exit(f"run_forward_bench: lost messages or F's count disagrees: {r}")
                runs[c].append(r)
        size = runs[cases[0]][0]["message_bytes"]
        pmd_xdp = testpmd_af_xdp(pair, size)
    pmd_ring = testpmd_ring(size)
    bound, loose_bound, gcm = aes_gcm_bound(args.build)

    def med(c, key):
        return statistics.median(r[key] for r in runs[c])

    print(f"\nOne worker core forwarding {size}-byte Ping requests (window {args.window}), "
          f"medians of {args.repetitions} runs of {args.seconds:g} s, all in one run:\n")
    print("| forwarder's port | DTLS (framing ACKs) | forwarded/s | vs kernel | F's capacity/s "
          "| p50 µs | p99 µs |")
    print("|---|---|---:|---:|---:|---:|---:|")
    kernel_of = {"dpdk-ring": "kernel-loopback", "kernel-loopback": "kernel-loopback",
                 "af_xdp-veth": "kernel-veth", "kernel-veth": "kernel-veth"}
    for c in cases:
        k = med((kernel_of[c[0]], c[1], c[2]), "forwarded_per_s")
        dtls = ("on (one per burst)" if c[2] else "on (one per message)") if c[1] else "off"
        print(f"| {c[0]} | {dtls} | {med(c, 'forwarded_per_s'):,.0f} | "
              f"{med(c, 'forwarded_per_s') / k:.2f}× | {med(c, 'busy_capacity_per_s'):,.0f} | "
              f"{med(c, 'p50_us'):.1f} | {med(c, 'p99_us'):.1f} |")
    print(f"| dpdk-testpmd macswap, looped net_ring | — | {pmd_ring:,.0f} frames | | | | |")
    print(f"| dpdk-testpmd macswap ×2, net_af_xdp both ends of the veth | — | {pmd_xdp:,.0f} frames | | | | |")
    dtls = med(("dpdk-ring", True, True), "busy_capacity_per_s")
    print(f"\nAES-128-GCM bound, seal+open of the message's own 800-byte record: {bound:,.0f} "
          f"messages/s; the DPDK forwarder's capacity with DTLS is {100 * dtls / bound:.0f}% of "
          f"it. (The looser bound of earlier runs, a 1000-byte and a 100-byte record per message "
          f"({gcm['1000']:,.0f}/s and {gcm['100']:,.0f}/s): {loose_bound:,.0f}/s, "
          f"{100 * dtls / loose_bound:.0f}%.)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"runs": {f"{c[0]}/{'dtls' if c[1] else 'plain'}"
                                f"{'' if c[2] else '/ack-per-message'}": runs[c] for c in cases},
                       "testpmd_ring_pps": pmd_ring, "testpmd_af_xdp_pps": pmd_xdp,
                       "aes_gcm_bound": bound, "aes_gcm_loose_bound": loose_bound,
                       "aes_gcm": gcm}, f, indent=1)


if __name__ == "__main__":
    main()
