#!/usr/bin/env python3
"""The DPDK port against the kernel, over a veth pair between two network namespaces.

    check_veth.py DPDK_ECHO PMD          PMD: af_packet or af_xdp

Namespace A holds one end of the veth, driven by dpdk_echo (a DpdkPort on net_<PMD>, address
198.18.0.2, UDP 6084) with a net_tap exception device that the kernel of A sees as `dtap*`,
holding the same address and MAC. Namespace B holds the other end as an ordinary kernel
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

NODE = "198.18.0.2"
KERNEL = "198.18.0.1"


def run(*cmd, check=True, ns=None, timeout=20):
    if ns is not None:
        cmd = ("ip", "netns", "exec", ns) + cmd
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: exit {r.returncode}: {r.stderr.strip()}")
    return r


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
    tag = f"{os.getpid() % 100000}"
    ns_a, ns_b = f"p2pdA{tag}", f"p2pdB{tag}"
    veth_a, veth_b, tap = f"va{tag}", f"vb{tag}", f"dtap{tag}"
    procs = []
    failures = []
    try:
        run("ip", "netns", "add", ns_a)
        run("ip", "netns", "add", ns_b)
        run("ip", "link", "add", veth_a, "netns", ns_a, "type", "veth", "peer", "name", veth_b,
            "netns", ns_b)
        run("ip", "link", "set", "lo", "up", ns=ns_a)
        run("ip", "link", "set", "lo", "up", ns=ns_b)
        run("ip", "addr", "add", f"{KERNEL}/24", "dev", veth_b, ns=ns_b)
        run("ip", "link", "set", veth_b, "up", ns=ns_b)
        # veth offloads checksums by default: B's kernel would send UDP and TCP with only the
        # pseudo-header summed, which a real NIC completes and a packet socket or XDP reader
        # sees as is. Make B's kernel compute them, as the wire would carry them.
        run("ethtool", "-K", veth_b, "tx", "off", ns=ns_b)
        # A's kernel must leave the veth to DPDK: no ARP answers, no IPv6, and (strict reverse
        # path filtering) no IPv4 either, since the node's address lives on the tap.
        run("sysctl", "-qw", f"net.ipv6.conf.{veth_a}.disable_ipv6=1", ns=ns_a)
        run("sysctl", "-qw", "net.ipv4.conf.all.rp_filter=1", ns=ns_a)
        run("sysctl", "-qw", f"net.ipv4.conf.{veth_a}.rp_filter=1", ns=ns_a)
        run("ip", "link", "set", veth_a, "arp", "off", "up", ns=ns_a)
        mac = run("cat", f"/sys/class/net/{veth_a}/address", ns=ns_a).stdout.strip()
        vdev = (f"net_af_packet0,iface={veth_a}" if pmd == "af_packet"
                else f"net_af_xdp0,iface={veth_a},start_queue=0,queue_count=1")
        eal = ["--no-huge", "--no-pci", "--no-shconf", "--no-telemetry", "-m", "128",
               f"--file-prefix=p2psip-veth-{tag}", "--log-level=lib.eal:warning",
               f"--vdev={vdev}", f"--vdev=net_tap0,iface={tap},mac={mac}"]
        device = "net_af_packet0" if pmd == "af_packet" else "net_af_xdp0"
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
        # The exception path: A's kernel holds the node's address on the tap.
        run("ip", "addr", "add", f"{NODE}/24", "dev", tap, ns=ns_a)
        run("ip", "link", "set", tap, "up", ns=ns_a)
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
        run("ip", "netns", "del", ns_a, check=False)
        run("ip", "netns", "del", ns_b, check=False)
    print(f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
