"""Two network namespaces joined by a veth pair, for the dpdk suite (stdlib only).

Namespace B holds one end as an ordinary kernel interface with KERNEL/24. Namespace A holds the
other end for a DPDK port (NODE): A's kernel is told to leave it alone (no ARP answers, no
IPv6, strict reverse-path filtering, since the node's address lives on the port's net_tap
exception interface). Everything is removed on exit, also after a failure. Addresses are in
198.18.0.0/15 and never leave the namespaces.
"""
import os
import shutil
import subprocess
import sys

NODE = "198.18.0.2"
KERNEL = "198.18.0.1"


def run(*cmd, check=True, ns=None, timeout=20):
    if ns is not None:
        cmd = ("ip", "netns", "exec", ns) + cmd
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: exit {r.returncode}: {r.stderr.strip()}")
    return r


class VethPair:
    def __init__(self, label):
        tag = f"{os.getpid() % 100000}"
        self.ns_a, self.ns_b = f"p2p{label}A{tag}", f"p2p{label}B{tag}"
        self.veth_a, self.veth_b = f"va{tag}", f"vb{tag}"
        self.tap = f"dtap{tag}"
        self.tag = tag
        self.mac_a = None
        self.prefixes = []  # EAL --file-prefix values handed out by eal_args

    def __enter__(self):
        try:
            run("ip", "netns", "add", self.ns_a)
            run("ip", "netns", "add", self.ns_b)
            run("ip", "link", "add", self.veth_a, "netns", self.ns_a, "type", "veth", "peer",
                "name", self.veth_b, "netns", self.ns_b)
            for ns in (self.ns_a, self.ns_b):
                run("ip", "link", "set", "lo", "up", ns=ns)
            run("ip", "addr", "add", f"{KERNEL}/24", "dev", self.veth_b, ns=self.ns_b)
            run("ip", "link", "set", self.veth_b, "up", ns=self.ns_b)
            # veth offloads checksums by default: B's kernel would send UDP and TCP with only
            # the pseudo-header summed, which a real NIC completes and a packet socket or XDP
            # reader sees as is. Make B's kernel compute them, as the wire would carry them.
            run("ethtool", "-K", self.veth_b, "tx", "off", ns=self.ns_b)
            run("sysctl", "-qw", f"net.ipv6.conf.{self.veth_a}.disable_ipv6=1", ns=self.ns_a)
            run("sysctl", "-qw", "net.ipv4.conf.all.rp_filter=1", ns=self.ns_a)
            run("sysctl", "-qw", f"net.ipv4.conf.{self.veth_a}.rp_filter=1", ns=self.ns_a)
            run("ip", "link", "set", self.veth_a, "arp", "off", "up", ns=self.ns_a)
            self.mac_a = run("cat", f"/sys/class/net/{self.veth_a}/address",
                             ns=self.ns_a).stdout.strip()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def close(self):
        run("ip", "netns", "del", self.ns_a, check=False)
        run("ip", "netns", "del", self.ns_b, check=False)
        # The EAL's runtime directories of the DPDK processes this pair was made for (p2psipd
        # leaves its own, as DPDK applications do; it is shared with dpdk-telemetry.py).
        for prefix in self.prefixes:
            shutil.rmtree(f"/var/run/dpdk/{prefix}", ignore_errors=True)

    def eal_args(self, pmd, prefix, telemetry=False, queues=1):
        """EAL arguments for a DPDK process in namespace A on the veth, with a net_tap. With
        telemetry, its socket is telemetry_socket(prefix)."""
        vdev = (f"net_af_packet0,iface={self.veth_a},qpairs={queues}" if pmd == "af_packet"
                else f"net_af_xdp0,iface={self.veth_a},start_queue=0,queue_count={queues}")
        self.prefixes.append(f"{prefix}-{self.tag}")
        return (["--no-huge", "--no-pci", "--no-shconf"]
                + ([] if telemetry else ["--no-telemetry"])
                + ["-m", "256", f"--file-prefix={prefix}-{self.tag}",
                   "--log-level=lib.eal:warning", f"--vdev={vdev}",
                   f"--vdev=net_tap0,iface={self.tap}"])

    def telemetry_socket(self, prefix):
        return f"/var/run/dpdk/{prefix}-{self.tag}/dpdk_telemetry.v2"

    @staticmethod
    def device(pmd):
        return "net_af_packet0" if pmd == "af_packet" else "net_af_xdp0"


# A TCP server for namespace A's kernel: accepts one connection on argv[1]:argv[2] and sends
# back what it read, reversed.
_TCP_SERVER = """
import socket, sys
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind((sys.argv[1], int(sys.argv[2])))
srv.listen(1)
srv.settimeout(30)
print("listening", flush=True)
conn, _ = srv.accept()
with conn:
    conn.settimeout(5)
    conn.sendall(conn.recv(100)[::-1])
"""

_TCP_CLIENT = """
import socket, sys
try:
    with socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5) as c:
        c.settimeout(5)
        c.sendall(sys.argv[3].encode())
        print(c.recv(100).decode(errors="replace"))
except OSError as e:
    print(f"error: {e}")
"""


def ping(ns, address, count=3):
    """Pings `address` from namespace `ns`; (answered, the summary lines)."""
    r = run("ping", "-c", str(count), "-i", "0.2", "-W", "2", address, check=False, ns=ns,
            timeout=30)
    return r.returncode == 0, r.stdout.strip().splitlines()[-2:]


def tcp_exchange(pair, port=8080, text="tcp through the exception path"):
    """A TCP connection from namespace B's kernel to NODE:port, served by namespace A's kernel
    (so, for a DPDK port on A's veth, through its exception path). The server's reply (`text`
    reversed), or "error: ..."."""
    server = subprocess.Popen(["ip", "netns", "exec", pair.ns_a, sys.executable, "-c",
                               _TCP_SERVER, NODE, str(port)], stdout=subprocess.PIPE, text=True)
    try:
        if server.stdout.readline().strip() != "listening":
            return "error: the TCP server in namespace A did not start"
        r = run(sys.executable, "-c", _TCP_CLIENT, NODE, str(port), text, check=False,
                ns=pair.ns_b, timeout=30)
        return r.stdout.strip()
    finally:
        if server.poll() is None:
            server.kill()
        server.wait(timeout=10)
