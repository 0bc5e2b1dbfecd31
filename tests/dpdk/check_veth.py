#!/usr/bin/env python3
"""The DPDK port against the kernel, over a veth pair between two network namespaces.

    check_veth.py DPDK_ECHO PMD          PMD: af_packet or af_xdp

Namespace A holds one end of the veth, driven by dpdk_echo (a DpdkPort on net_<PMD>, address
198.18.0.2, UDP 6084) with a net_tap exception device that the kernel of A sees as `dtap*`,
to which the port gives the same address and MAC. Namespace B holds the other end as an ordinary kernel
interface, 198.18.0.1/24. Checked, from B's kernel sockets and tools:
  - the DPDK stack resolves B's MAC by ARP and greets B's UDP socket;
  - B's datagrams to 198.18.0.2:6084 come back echoed (B's kernel resolved the DPDK node's MAC:
    the stack answered ARP);
  - `ping 198.18.0.2` is answered (by the stack, ICMP echo);
  - a TCP connection to 198.18.0.2:8080 reaches a server in A's kernel through the exception
    path, and data flows both ways;
and dpdk_echo's counters agree. Namespaces and processes are removed even on failure.
Addresses are 198.18.0.0/15 inside namespaces this script creates; nothing leaves them.
"""
import json
import os
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from netns import KERNEL, NODE, VethPair, run  # noqa: E402


def kernel_side(mode_args):
    """Runs inside namespace B: the kernel's sockets and tools. Prints one JSON line."""
    result = {"greeting": None, "echoed": 0, "sent": 0, "ping": False, "tcp": None}
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind((KERNEL, 7000))
    udp.settimeout(10)
    try:
        data, src = udp.recvfrom(2048)
        result["greeting"] = [data.decode(errors="replace"), src[0], src[1]]
    except socket.timeout:
        pass
    # Echo: 50 datagrams to the node; replies come back to this socket (greetings too).
    udp.settimeout(0.2)
    echoes = set()
    for i in range(50):
        udp.sendto(f"echo {i}".encode(), (NODE, 6084))
        result["sent"] += 1
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and len(echoes) < 50:
        try:
            data, src = udp.recvfrom(2048)
        except socket.timeout:
            continue
        if src == (NODE, 6084) and data.startswith(b"echo "):
            echoes.add(data)
    result["echoed"] = len(echoes)
    ping = subprocess.run(["ping", "-c", "3", "-i", "0.2", "-W", "2", NODE],
                          capture_output=True, text=True, timeout=20)
    result["ping"] = ping.returncode == 0
    result["ping_output"] = ping.stdout.strip().splitlines()[-2:] if ping.stdout else []
    try:
        with socket.create_connection((NODE, 8080), timeout=5) as tcp:
            tcp.settimeout(5)
            tcp.sendall(b"tcp through the exception path")
            result["tcp"] = tcp.recv(100).decode(errors="replace")
    except OSError as e:
        result["tcp"] = f"error: {e}"
    print(json.dumps(result))


def tcp_echo_server():
    """Runs inside namespace A, in its kernel: echoes one TCP connection on NODE:8080."""
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((NODE, 8080))
    srv.listen(1)
    srv.settimeout(30)
    print("listening", flush=True)
    try:
        conn, _ = srv.accept()
    except socket.timeout:
        return
    with conn:
        conn.settimeout(5)
        data = conn.recv(100)
        conn.sendall(data[::-1])


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "--kernel-side":
        return kernel_side(sys.argv[2:])
    if len(sys.argv) >= 2 and sys.argv[1] == "--tcp-server":
        return tcp_echo_server()
    if len(sys.argv) != 3 or sys.argv[2] not in ("af_packet", "af_xdp"):
        print(__doc__, file=sys.stderr)
        return 2
    echo_bin, pmd = sys.argv[1], sys.argv[2]
    procs = []
    failures = []
    pair = VethPair("veth")
    try:
        pair.__enter__()
        ns_a, ns_b, tap, mac = pair.ns_a, pair.ns_b, pair.tap, pair.mac_a
        eal = pair.eal_args(pmd, "p2psip-veth")
        device = pair.device(pmd)
        echo = subprocess.Popen(
            ["ip", "netns", "exec", ns_a, echo_bin, "--device", device, "--address",
             f"{NODE}:6084", "--exception", "net_tap0", "--greet", f"{KERNEL}:7000",
             "--seconds", "40", "--"] + eal,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        procs.append(echo)
        line = echo.stdout.readline()
        if not line.startswith("ready"):
            echo.wait(timeout=10)
            raise RuntimeError(f"dpdk_echo did not start: {line!r} {echo.stderr.read()}")
        print(f"dpdk_echo on {device}: {line.strip()}")
        # The exception path: the port gave the tap the node's MAC and address and brought it
        # up, so A's kernel holds the node's address there.
        addr = run("ip", "-4", "-o", "addr", "show", "dev", tap, ns=ns_a).stdout
        if f"{NODE}/24" not in addr or mac not in run("cat", f"/sys/class/net/{tap}/address",
                                                        ns=ns_a).stdout:
            raise RuntimeError(f"the tap was not configured by the port: {addr!r}")
        server = subprocess.Popen(["ip", "netns", "exec", ns_a, sys.executable, __file__,
                                   "--tcp-server"], stdout=subprocess.PIPE, text=True)
        procs.append(server)
        if server.stdout.readline().strip() != "listening":
            raise RuntimeError("the TCP server in namespace A did not start")
        kernel = run(sys.executable, __file__, "--kernel-side", ns=ns_b, timeout=60)
        seen = json.loads(kernel.stdout.strip().splitlines()[-1])
        print("kernel side:", json.dumps(seen))
        echo.terminate()
        out, err = echo.communicate(timeout=15)
        counters = json.loads(out.strip().splitlines()[-1])
        print("dpdk side:", json.dumps(counters))

        def expect(ok, what):
            print(("ok   " if ok else "FAIL ") + what)
            if not ok:
                failures.append(what)

        g = seen["greeting"]
        expect(g is not None and g[0].startswith("hello from dpdk") and g[1] == NODE
               and g[2] == 6084, "the DPDK stack resolved the kernel's MAC and greeted it")
        expect(seen["echoed"] == seen["sent"] == 50,
               f"50 datagrams echoed through the DPDK port ({seen['echoed']})")
        expect(seen["ping"], "ping to the DPDK node's address is answered")
        expect(seen["tcp"] == "htap noitpecxe eht hguorht pct",
               f"a TCP connection reaches A's kernel through the exception path ({seen['tcp']})")
        expect(counters["rx_icmp_echo"] >= 3, "the stack answered the pings")
        # (B's kernel may learn the node's MAC from the node's own request, and ask nothing.)
        expect(counters["tx_arp_requests"] >= 1 and counters["rx_arp_replies"] >= 1,
               "the stack resolved B by ARP")
        expect(counters["exception_to_kernel"] > 0 and counters["exception_from_kernel"] > 0,
               "frames crossed the exception path both ways")
        expect(counters["rx_malformed"] == 0 and counters["rx_bad_checksum"] == 0,
               "no malformed frames or bad checksums from the kernel")
    except Exception as e:  # noqa: BLE001: report any setup failure as a test failure
        failures.append(str(e))
        print("FAIL", e)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait(timeout=10)
        pair.close()
    print(f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
