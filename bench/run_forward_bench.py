#!/usr/bin/env python3
"""The forwarding table of the README, in one run: forward_bench on every port and DTLS setting,
interleaved, `--repetitions` times each (medians), beside dpdk-testpmd on the same vdev and the
AES-128-GCM bound BoringSSL reaches on this machine (dtls_bench).

    python3 bench/run_forward_bench.py --build build [--seconds 3] [--repetitions 3]

Prints a Markdown table and, with --json FILE, writes every run's numbers.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys


def run(cmd, timeout):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if p.returncode != 0:
        sys.exit(f"run_forward_bench: {' '.join(cmd)} failed ({p.returncode}):\n{p.stderr[-2000:]}")
    return p.stdout


def forward(build, port, dtls, seconds, window):
    out = run([os.path.join(build, "bench", "forward_bench"), f"--port={port}",
               f"--dtls={'on' if dtls else 'off'}", f"--seconds={seconds}", f"--window={window}"],
              timeout=120)
    return json.loads(out.strip().splitlines()[-1])


def testpmd(seconds, size):
    """dpdk-testpmd, one forwarding core, macswap on a looped net_ring0: the vdev's own ceiling
    when the application touches each packet's header and nothing else."""
    prefix = f"p2psip-testpmd-{os.getpid()}"
    cmd = ["timeout", "-s", "INT", str(seconds + 3), "dpdk-testpmd", "--no-huge", "--no-pci",
           "--no-shconf", f"--file-prefix={prefix}", "-m", "512", "-l", "0,1",
           "--vdev=net_ring0", "--", "--port-topology=loop", "--forward-mode=macswap",
           "--tx-first", f"--txpkts={size}", "--nb-cores=1", "--total-num-mbufs=8192",
           "--stats-period=1"]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 30)
    subprocess.run(["rm", "-rf", f"/var/run/dpdk/{prefix}"], check=False)
    rates = [int(m) for m in re.findall(r"Rx-pps:\s+(\d+)", p.stdout)]
    if len(rates) < 3:
        sys.exit(f"run_forward_bench: no rates from dpdk-testpmd:\n{p.stdout[-2000:]}{p.stderr[-2000:]}")
    return statistics.median(rates[1:])  # the first period includes start-up


def aes_gcm_bound(build):
    """Seal+open of one ~800-byte record (the message) and one ~100-byte one (its framing ACK),
    BoringSSL's raw AES-128-GCM, median of 3: a forwarder opens and seals both per message."""
    out = run([os.path.join(build, "bench", "dtls_bench"), "--benchmark_filter=AesGcmSealOpen/(100|1000)$",
               "--benchmark_repetitions=3", "--benchmark_report_aggregates_only=true",
               "--benchmark_format=json"], timeout=300)
    rate = {}
    for b in json.loads(out)["benchmarks"]:
        if b.get("aggregate_name") == "median":
            rate[b["run_name"].split("/")[1]] = b["items_per_second"]
    return 1 / (1 / rate["1000"] + 1 / rate["100"]), rate


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build")
    ap.add_argument("--seconds", type=float, default=3)
    ap.add_argument("--repetitions", type=int, default=3)
    ap.add_argument("--window", type=int, default=64)
    ap.add_argument("--json", help="write every run here")
    args = ap.parse_args()

    cases = [(p, d) for d in (True, False) for p in ("dpdk-ring", "kernel")]
    runs = {c: [] for c in cases}
    for rep in range(args.repetitions):
        for c in cases:
            r = forward(args.build, c[0], c[1], args.seconds, args.window)
            print(f"[{rep + 1}/{args.repetitions}] {c[0]:9} dtls={'on ' if c[1] else 'off'} "
                  f"{r['forwarded_per_s']:>9.0f}/s p50 {r['p50_us']:.1f} us p99 {r['p99_us']:.1f} us "
                  f"lost {r['lost']}", file=sys.stderr)
            if r["forwarded_by_f"] < r["forwarded_per_s"] * r["seconds"]:
                sys.exit(f"run_forward_bench: F forwarded fewer than L counted: {r}")
            runs[c].append(r)
    size = runs[cases[0]][0]["message_bytes"]
    pmd = testpmd(5, size)
    bound, gcm = aes_gcm_bound(args.build)

    def med(c, key):
        return statistics.median(r[key] for r in runs[c])

    print(f"\nOne worker core forwarding {size}-byte Ping requests (window {args.window}), "
          f"medians of {args.repetitions} runs of {args.seconds} s:\n")
    print("| port | DTLS | forwarded/s | vs kernel | p50 µs | p99 µs |")
    print("|---|---|---:|---:|---:|---:|")
    for c in cases:
        kernel = med(("kernel", c[1]), "forwarded_per_s")
        print(f"| {c[0]} | {'on' if c[1] else 'off'} | {med(c, 'forwarded_per_s'):,.0f} | "
              f"{med(c, 'forwarded_per_s') / kernel:.2f}× | {med(c, 'p50_us'):.1f} | {med(c, 'p99_us'):.1f} |")
    print(f"| dpdk-testpmd macswap, net_ring | — | {pmd:,.0f} | | | |")
    dtls = med(("dpdk-ring", True), "forwarded_per_s")
    print(f"\nAES-128-GCM bound (seal+open of a 1000-byte and a 100-byte record per message, "
          f"{gcm['1000']:,.0f}/s and {gcm['100']:,.0f}/s): {bound:,.0f} messages/s; "
          f"DPDK forwarding with DTLS reaches {100 * dtls / bound:.0f}% of it.")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"runs": {f"{c[0]}/{'dtls' if c[1] else 'plain'}": runs[c] for c in cases},
                       "testpmd_pps": pmd, "aes_gcm_bound": bound, "aes_gcm": gcm}, f, indent=1)


if __name__ == "__main__":
    main()
