#!/usr/bin/env python3
"""tshark decrypts a DTLS capture of two p2psip nodes and decodes RELOAD in it.

Runs dtls_capture (two real nodes over real DTLS links, recorded to OUT/dtls.pcap with the
session keys in OUT/dtls.keys), then checks with tshark, told to read UDP 6084 as DTLS and to
use the key log, that the frames carry RELOAD framing and the Join, Ping, Store and Fetch
requests and answers, and that `-z expert` reports no errors. Negative control: without the key
log tshark must find no RELOAD at all (the capture really is encrypted).
"""
import argparse
import os
import shutil
import subprocess
import sys

# RELOAD message codes (RFC 6940 §14.8): request, answer.
EXPECTED = {"Ping": (23, 24), "Store": (7, 8), "Fetch": (9, 10), "Join": (15, 16)}


def tshark(pcap, keys, *extra):
    cmd = ["tshark", "-r", pcap, "-d", "udp.port==6084,dtls"]
    if keys:
        cmd += ["-o", f"tls.keylog_file:{keys}"]
    res = subprocess.run(cmd + list(extra), capture_output=True, text=True, timeout=60)
    if res.returncode != 0:
        sys.exit(f"tshark failed: {res.stderr.strip()}")
    return res.stdout


def codes(pcap, keys):
    out = tshark(pcap, keys, "-Y", "reload", "-T", "fields", "-E", "occurrence=a",
                 "-E", "aggregator=,", "-e", "reload.message.code")
    found = set()
    for line in out.splitlines():
        for c in line.split(","):
            if c.strip():
                found.add(int(c, 0))
    return found


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--capture", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    if shutil.which("tshark") is None:
        sys.exit("tshark is not installed (deploy/install-deps.sh installs it)")
    pcap = os.path.join(args.out, "dtls.pcap")
    keys = os.path.join(args.out, "dtls.keys")
    res = subprocess.run([args.capture, pcap, keys], capture_output=True, text=True, timeout=60)
    print(res.stdout, end="")
    if res.returncode != 0:
        sys.exit(f"dtls_capture failed: {res.stderr.strip()}")
    with open(keys) as f:
        lines = [l for l in f if l.startswith("CLIENT_RANDOM ")]
    if not lines:
        sys.exit("the key log has no CLIENT_RANDOM line")

    found = codes(pcap, keys)
    missing = [f"{name} {'request' if i == 0 else 'answer'} ({code})"
               for name, pair in EXPECTED.items() for i, code in enumerate(pair)
               if code not in found]
    if missing:
        sys.exit(f"not decoded from the decrypted capture: {', '.join(missing)}; found {sorted(found)}")
    framing = tshark(pcap, keys, "-Y", "reload-framing", "-T", "fields", "-e", "frame.number")
    expert = tshark(pcap, keys, "-q", "-z", "expert")
    errors = [l for l in expert.splitlines() if l.strip().startswith("Errors")]
    if errors:
        sys.exit("tshark expert errors in the decrypted capture:\n" + expert)
    if codes(pcap, None):
        sys.exit("negative control failed: RELOAD decoded without the key log")
    print(f"tshark decrypted {len(framing.split())} framing records; RELOAD codes {sorted(found)};"
          f" {len(lines)} key log lines; no expert errors")


if __name__ == "__main__":
    main()
