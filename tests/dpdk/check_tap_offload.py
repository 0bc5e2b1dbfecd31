#!/usr/bin/env python3
"""Checksum offload on a real device: a DpdkPort on net_tap against the kernel behind the tap.

    check_tap_offload.py DPDK_ECHO

net_tap is the one vdev here that offers checksum offload (its driver computes and checks the
sums in software, as a NIC does in hardware). In a namespace this script creates, dpdk_echo
runs on net_tap (the node 198.18.0.2, UDP 6084) and the kernel holds the tap's other side as
198.18.0.1/24. Run twice, --checksum-offload on and off; each time:
  - the kernel's socket sends 200 datagrams of 1 to 1,400 bytes (odd and even) and gets every
    one echoed, byte for byte: the kernel checks each UDP checksum, and counts failures in
    /proc/net/snmp (Udp InCsumErrors), which must stay 0;
  - a frame with a wrong UDP checksum, written raw on the tap (AF_PACKET), is dropped by the
    node and counted (rx_bad_checksum 1): a device's "bad" or "unknown" verdict is never
    taken as good;
  - offload on: the device computed the checksums of every datagram sent and checked those of
    the datagrams received (tx/rx_checksum_by_device); off: it did neither.
The namespace and process are removed even on failure; nothing leaves the namespace.
"""
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from netns import KERNEL, NODE, run  # noqa: E402

TAP = "p2ptapck0"
SIZES = [1 + (i * 7) % 1400 for i in range(200)]


def kernel_side(node_mac):
    """Runs inside the namespace. Prints one JSON line."""
    def snmp_udp():
        lines = [l.split() for l in open("/proc/net/snmp") if l.startswith("Udp:")]
        return dict(zip(lines[0][1:], map(int, lines[1][1:])))

    before = snmp_udp()
    result = {"sent": 0, "echoed": 0, "mismatched": 0}
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    udp.bind((KERNEL, 7000))
    udp.settimeout(0.5)
    # First one datagram until it comes back (ARP both ways), then all of them at once.
    for _ in range(20):
        udp.sendto(b"warm", (NODE, 6084))
        try:
            if udp.recvfrom(2048) == (b"warm", (NODE, 6084)):
                break
        except socket.timeout:
            pass
    else:
        raise SystemExit("no echo of the first datagram")
    want = {}
    # In groups of 20, each answered before the next (the tap's and the socket's queues are
    # short; a loss here would not be the checksums' doing).
    for first in range(0, len(SIZES), 20):
        for i in range(first, min(first + 20, len(SIZES))):
            payload = bytes([(i * 31 + k) % 251 for k in range(SIZES[i])])
            want[payload] = want.get(payload, 0) + 1
            udp.sendto(payload, (NODE, 6084))
            result["sent"] += 1
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and result["echoed"] < result["sent"]:
            try:
                data, src = udp.recvfrom(2048)
            except socket.timeout:
                continue
            if src != (NODE, 6084) or data == b"warm":
                continue
            if want.get(data, 0) > 0:
                want[data] -= 1
                result["echoed"] += 1
            else:
                result["mismatched"] += 1
    # One frame with a wrong UDP checksum, raw on the tap: Ethernet, IPv4, UDP.
    kernel_mac = bytes.fromhex(open(f"/sys/class/net/{TAP}/address").read().strip().replace(":", ""))
    body = b"bad checksum"
    udp_header = struct.pack("!HHHH", 7001, 6084, 8 + len(body), 0x1234)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + 8 + len(body), 0, 0x4000, 64, 17, 0,
                     socket.inet_aton(KERNEL), socket.inet_aton(NODE))
    s = sum(struct.unpack("!10H", ip))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    ip = ip[:10] + struct.pack("!H", ~s & 0xffff) + ip[12:]
    frame = bytes.fromhex(node_mac.replace(":", "")) + kernel_mac + b"\x08\x00" + ip + udp_header + body
    raw = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    raw.bind((TAP, 0))
    raw.send(frame)
    raw.close()
    time.sleep(0.5)
    after = snmp_udp()
    result["in_csum_errors"] = after.get("InCsumErrors", 0) - before.get("InCsumErrors", 0)
    result["in_datagrams"] = after["InDatagrams"] - before["InDatagrams"]
    result["rcvbuf_errors"] = after["RcvbufErrors"] - before["RcvbufErrors"]
    print(json.dumps(result))


def one_run(echo, offload, ns):
    prefix = f"p2psip-tapck-{os.getpid()}-{offload}"
    cmd = ["ip", "netns", "exec", ns, echo, "--device", "net_tap_ck0",
           "--address", f"{NODE}:6084", "--prefix-length", "24", "--seconds", "40",
           "--checksum-offload", offload, "--",
           "--no-huge", "--no-pci", "--no-shconf", "-m", "256",
           f"--file-prefix={prefix}", "--log-level=lib.eal:warning",
           f"--vdev=net_tap_ck0,iface={TAP}"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        if not line.startswith("ready"):
            raise SystemExit(f"dpdk_echo did not start: {line}{proc.stderr.read()[-2000:]}")
        node_mac = line.split()[-1]
        run("ip", "addr", "add", f"{KERNEL}/24", "dev", TAP, ns=ns)
        run("ip", "link", "set", TAP, "up", ns=ns)
        k = run(sys.executable, os.path.abspath(__file__), "--kernel-side", node_mac, ns=ns,
                timeout=60)
        kernel = json.loads(k.stdout.strip().splitlines()[-1])
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
        counters = json.loads(out.strip().splitlines()[-1])
        return kernel, counters
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--kernel-side":
        kernel_side(sys.argv[2])
        return
    echo = sys.argv[1]
    failures = []
    for offload in ("on", "off"):
        ns = f"p2psip-tapck-{os.getpid()}"
        run("ip", "netns", "add", ns)
        try:
            run("ip", "link", "set", "lo", "up", ns=ns)
            kernel, c = one_run(echo, offload, ns)
        finally:
            run("ip", "netns", "del", ns, check=False)
        print(f"offload {offload}: kernel {kernel}\n  dpdk_echo {c}")
        n = len(SIZES)
        if kernel["echoed"] != n or kernel["mismatched"] != 0:
            failures.append(f"{offload}: {kernel['echoed']} of {n} echoed intact, "
                            f"{kernel['mismatched']} changed")
        if kernel["in_csum_errors"] != 0:
            failures.append(f"{offload}: the kernel counted {kernel['in_csum_errors']} bad checksums")
        if c["rx_bad_checksum"] != 1:
            failures.append(f"{offload}: the raw frame with a wrong checksum gave rx_bad_checksum "
                            f"{c['rx_bad_checksum']}, not 1")
        if c["rx_datagrams"] < n:
            failures.append(f"{offload}: the node took {c['rx_datagrams']} datagrams, not {n}")
        if offload == "on":
            if c["tx_checksum_by_device"] < n or c["rx_checksum_by_device"] < n:
                failures.append(f"on: the device computed {c['tx_checksum_by_device']} and checked "
                                f"{c['rx_checksum_by_device']} checksums of {n}")
        elif c["tx_checksum_by_device"] != 0 or c["rx_checksum_by_device"] != 0:
            failures.append("off: the device was still given checksum work")
    if failures:
        sys.exit("check_tap_offload: " + "; ".join(failures))
    print("check_tap_offload: ok")


if __name__ == "__main__":
    main()
