"""Multi-process p2psip overlays on loopback for the `integration` suite (stdlib only).

An Overlay runs real p2psipd processes, one per 127.0.0.x address, all on one UDP port chosen
per run (free on every address the run uses, outside the kernel's ephemeral range, so parallel
runs and the clients' ephemeral ports do not collide), and runs `p2psip` client commands against
them. Everything lives in one temporary directory.

Cleanup is unconditional: every process the harness starts is recorded and killed (SIGKILL,
then reaped) and the directory removed, on success, on failure and on SIGTERM (meson's timeout),
which is turned into SystemExit so that `finally` blocks run. The daemons stay in the test's
process group, so that if the harness itself is SIGKILLed, meson's kill of the group still takes
them. Every wait is bounded in time and every loop in count.
"""
import concurrent.futures
import hashlib
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

OVERLAY = "p2psip.local"
PASSWORD = "integration-password"
# Generous for a loaded 2-core CI box, bounded.
START_TIMEOUT = 60      # a daemon prints its banner
JOIN_TIMEOUT = 90       # a peer logs that it joined
CLIENT_TIMEOUT = 20     # p2psip --timeout: attach, then each request
CLIENT_PROC_TIMEOUT = 90  # the whole p2psip process
STOP_TIMEOUT = 30       # SIGTERM -> exit (the daemon lingers 2 s to hand data over)


def ci():
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


class Failure(Exception):
    """A check failed; the message says which and why."""


def require_tool(name):
    """The tool's path. Missing: a failure in CI, else a skip (exit 77, meson's skip code)."""
    path = shutil.which(name)
    if path is None:
        msg = f"{name} is not installed (deploy/install-deps.sh installs it)"
        if ci():
            raise Failure(f"{msg}; the integration suite may not skip in CI")
        print(f"SKIP: {msg}")
        sys.exit(77)
    return path


def install_sigterm_handler():
    def on_term(signum, _frame):
        raise SystemExit(f"signal {signum}: stopping and cleaning up")
    signal.signal(signal.SIGTERM, on_term)


def resource_id(name):
    """wire::ChordResourceId: the first 16 bytes of SHA-1 of the resource name, as an int."""
    return int.from_bytes(hashlib.sha1(name.encode()).digest()[:16], "big")


def responsible(ring_ids, rid):
    """The Node-ID (int) responsible for rid in a sorted ring: the first id >= rid, wrapping."""
    for n in ring_ids:
        if n >= rid:
            return n
    return ring_ids[0]


def in_range(rid, pred, node):
    """rid in the half-open ring interval (pred, node]."""
    if pred < node:
        return pred < rid <= node
    return rid > pred or rid <= node


def ephemeral_range():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            lo, hi = map(int, f.read().split())
            return lo, hi
    except (OSError, ValueError):
        return 32768, 60999


def free_port(addresses, rng):
    """A port free for UDP on every address and for TCP on the first (the bootstrap's HTTPS),
    outside the ephemeral range. Another process may still take it before the daemons bind:
    start-up then fails with a clear bind error."""
    lo, _ = ephemeral_range()
    for _ in range(200):
        port = rng.randrange(10000, max(10001, lo))
        socks = []
        try:
            for i, addr in enumerate(addresses):
                for kind in ((socket.SOCK_DGRAM, socket.SOCK_STREAM) if i == 0
                             else (socket.SOCK_DGRAM,)):
                    s = socket.socket(socket.AF_INET, kind)
                    socks.append(s)
                    s.bind((addr, port))
            return port
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise Failure("no free port found on the loopback addresses after 200 tries")


def tail(path, lines=25):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return "(no file)\n"


class Node:
    def __init__(self, name, address, port, state_dir, user):
        self.name = name
        self.address = address
        self.port = port
        self.state_dir = state_dir
        self.user = user
        self.proc = None
        self.node_id = None  # hex
        self.out_path = state_dir + ".out"
        self.log_path = state_dir + ".log"
        self.key_log = None
        self.cores = 1

    @property
    def endpoint(self):
        return f"{self.address}:{self.port}"

    @property
    def id_int(self):
        return int(self.node_id, 16)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def __repr__(self):
        return f"{self.name}@{self.endpoint}({(self.node_id or '?')[:8]})"


class ClientResult:
    def __init__(self, argv, rc, out, err, seconds):
        self.argv, self.rc, self.out, self.err, self.seconds = argv, rc, out, err, seconds

    def json(self):
        try:
            return json.loads(self.out)
        except ValueError as e:
            raise Failure(f"{' '.join(self.argv)}: not JSON ({e}): {self.out[:300]!r}")

    def why(self):
        lines = [l for l in self.err.strip().splitlines() if "no longer in the overlay ring" not in l]
        return f"exit {self.rc}: {' | '.join(lines) or '(no stderr)'}"


class Overlay:
    """A set of p2psipd processes and the p2psip commands run against them."""

    def __init__(self, p2psip, p2psipd, name, seed=None, max_addresses=16, keep=False,
                 update_interval=10, log_level="info", addresses=None, port=None, netns=None,
                 client_netns=None):
        """addresses and port: given ones instead of 127.0.0.x and a free port (inside network
        namespaces, where the root namespace cannot check them); netns: address -> namespace
        whose daemon runs there; client_netns: where p2psip client commands run."""
        self.p2psip = p2psip
        self.p2psipd = p2psipd
        self.seed = seed if seed is not None else random.SystemRandom().randrange(1 << 30)
        self.rng = random.Random(self.seed)
        self.keep = keep
        self.update_interval = update_interval
        self.log_level = log_level
        base = os.environ.get("TMPDIR") or None
        self.dir = tempfile.mkdtemp(prefix=f"p2psip-int-{name}-", dir=base)
        self.addresses = addresses or [f"127.0.0.{i}" for i in range(1, max_addresses + 1)]
        self.port = port or free_port(self.addresses, self.rng)
        self.netns = dict(netns or {})
        self.client_netns = client_netns
        self.nodes = []
        self.bootstrap = None
        self._procs = []
        self._clients = set()
        self._lock = threading.Lock()
        self._closed = False
        self._next_address = 0
        self._features = None
        with open(os.path.join(self.dir, "password"), "w") as f:
            f.write(PASSWORD + "\n")
        self.password_file = os.path.join(self.dir, "password")
        print(f"overlay {name}: port {self.port}, seed {self.seed}, dir {self.dir}", flush=True)

    # ---- lifetime -------------------------------------------------------------------------

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc is not None and not isinstance(exc, SystemExit) or (
                isinstance(exc, SystemExit) and exc.code not in (0, None)):
            self.dump_logs()
        self.close()
        return False

    def close(self):
        if self._closed:
            return
        self._closed = True
        with self._lock:
            procs = list(self._procs) + list(self._clients)
        for p in procs:
            if p.poll() is None:
                try:
                    p.kill()
                except OSError:
                    pass
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                print(f"WARNING: pid {p.pid} did not die after SIGKILL", flush=True)
        if self.keep:
            print(f"kept {self.dir}", flush=True)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    def dump_logs(self, lines=30):
        for n in self.nodes:
            rc = n.proc.poll() if n.proc is not None else None
            print(f"---- {n!r} ({'running' if rc is None else f'exited {rc}'}) last log lines:")
            print(tail(n.log_path, lines), end="")
        sys.stdout.flush()

    # ---- processes ------------------------------------------------------------------------

    def _popen(self, argv, **kw):
        with self._lock:
            if self._closed:
                raise Failure("overlay already closed")
            p = subprocess.Popen(argv, **kw)
            self._procs.append(p)
        return p

    def features(self):
        """The subcommands `p2psip --help` lists (stats and trace arrive from other work)."""
        if self._features is None:
            res = subprocess.run([self.p2psip, "--help"], capture_output=True, text=True,
                                 timeout=30)
            listed = res.stdout.split("Subcommands:", 1)[-1]
            self._features = set(re.findall(r"^  ([a-z][a-z-]*)\s", listed, re.M))
        return self._features

    def has(self, command):
        return command in self.features()

    def accepts_cores(self, n):
        """Whether p2psipd takes --cores n (the multi-core runtime)."""
        res = subprocess.run([self.p2psipd, "--cores", str(n), "--help"], capture_output=True,
                             text=True, timeout=30)
        return res.returncode == 0

    def next_address(self):
        if self._next_address >= len(self.addresses):
            raise Failure("out of loopback addresses for this run")
        a = self.addresses[self._next_address]
        self._next_address += 1
        return a

    def start_bootstrap(self, key_log=False, cores=1):
        n = Node("boot", self.next_address(), self.port, os.path.join(self.dir, "boot"), None)
        self._start(n, [], key_log, cores)
        self.bootstrap = n
        self.wait_banner(n)
        return n

    def enroll_users(self, names):
        """Adds users with the shared password on the bootstrap (one enroll-user run)."""
        path = os.path.join(self.dir, f"users-{len(names)}-{time.monotonic_ns()}")
        with open(path, "w") as f:
            f.write("\n".join(names) + "\n")
        res = subprocess.run([self.p2psip, "enroll-user", "--dir", self.overlay_dir(),
                              "--batch", path, "--password-file", self.password_file],
                             capture_output=True, text=True, timeout=300)
        if res.returncode != 0:
            raise Failure(f"enroll-user --batch failed: exit {res.returncode}: {res.stderr}")

    def in_netns(self, argv, ns):
        return ["ip", "netns", "exec", ns] + list(argv) if ns else list(argv)

    def start_peer(self, name=None, key_log=False, cores=1, enroll=True, extra=()):
        address = self.next_address()
        name = name or f"peer{address.rsplit('.', 1)[1]}"
        user = f"{name}@{OVERLAY}"
        if enroll:
            self.enroll_users([user])
        n = Node(name, address, self.port, os.path.join(self.dir, name), user)
        self._start(n, ["--join", self.bootstrap.endpoint,
                        "--root-cert", os.path.join(self.overlay_dir(), "ca", "root.pem"),
                        "--user", user, "--password-file", self.password_file] + list(extra),
                    key_log, cores)
        return n

    def _start(self, n, extra, key_log, cores):
        argv = [self.p2psipd, "--state-dir", n.state_dir, "--listen", n.endpoint,
                "--log-level", self.log_level, "--update-interval", str(self.update_interval)]
        if cores != 1:
            argv += ["--cores", str(cores)]
        n.cores = cores
        if key_log:
            n.key_log = n.state_dir + ".keys"
            argv += ["--key-log", n.key_log]
        argv += extra
        env = dict(os.environ)
        env.pop("SSLKEYLOGFILE", None)
        with open(n.out_path, "w") as out, open(n.log_path, "w") as log:
            n.proc = self._popen(self.in_netns(argv, self.netns.get(n.address)),
                                 stdin=subprocess.DEVNULL, stdout=out, stderr=log, env=env)
        self.nodes.append(n)

    def wait_banner(self, n, timeout=START_TIMEOUT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with open(n.out_path) as f:
                    m = re.search(r"p2psipd: node ([0-9a-f]+) of overlay", f.read())
                if m:
                    n.node_id = m.group(1)
                    return
            except OSError:
                pass
            if not n.alive():
                raise Failure(f"{n!r} exited {n.proc.poll()} before starting:\n"
                              + tail(n.log_path))
            time.sleep(0.1)
        raise Failure(f"{n!r} printed no banner within {timeout} s:\n" + tail(n.log_path))

    def wait_joined(self, nodes, timeout=JOIN_TIMEOUT):
        deadline = time.monotonic() + timeout
        waiting = list(nodes)
        for n in waiting:
            self.wait_banner(n, timeout=max(1, deadline - time.monotonic()))
        while waiting and time.monotonic() < deadline:
            for n in list(waiting):
                with open(n.log_path, errors="replace") as f:
                    if "joined the overlay" in f.read():
                        waiting.remove(n)
                if not n.alive():
                    raise Failure(f"{n!r} exited {n.proc.poll()} while joining:\n"
                                  + tail(n.log_path))
            time.sleep(0.2)
        if waiting:
            raise Failure(f"not joined within {timeout} s: {waiting}")

    def live(self):
        return [n for n in self.nodes if n.alive()]

    def kill9(self, n):
        n.proc.kill()
        n.proc.wait(timeout=10)

    def terminate(self, n, timeout=STOP_TIMEOUT):
        """SIGTERM; returns (exit status, seconds)."""
        t0 = time.monotonic()
        n.proc.send_signal(signal.SIGTERM)
        try:
            rc = n.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            n.proc.kill()
            n.proc.wait(timeout=10)
            raise Failure(f"{n!r} still running {timeout} s after SIGTERM:\n" + tail(n.log_path))
        return rc, time.monotonic() - t0

    def overlay_dir(self):
        return os.path.join(self.bootstrap.state_dir, "overlay")

    def admin_state(self):
        """The bootstrap's state dir: p2psip uses its client/ identity (admin@)."""
        return self.bootstrap.state_dir

    # ---- identities -----------------------------------------------------------------------

    def provision(self, names, out_dir, overlay_dir=None, key_type="ecdsa"):
        """Issues identities straight from the overlay CA (enroll-user --provision)."""
        os.makedirs(out_dir, exist_ok=True)
        path = os.path.join(out_dir, f"names-{time.monotonic_ns()}")
        with open(path, "w") as f:
            f.write("\n".join(names) + "\n")
        t0 = time.monotonic()
        res = subprocess.run([self.p2psip, "enroll-user", "--dir", overlay_dir or self.overlay_dir(),
                              "--batch", path, "--provision", out_dir, "--key-type", key_type],
                             capture_output=True, text=True, timeout=600)
        if res.returncode != 0:
            raise Failure(f"enroll-user --provision failed: exit {res.returncode}: "
                          f"{res.stderr[-2000:]}")
        ids = {}
        for m in re.finditer(r"^provisioned (\S+) Node-ID ([0-9a-f]+) in ", res.stdout, re.M):
            ids[m.group(1)] = m.group(2)
        missing = [n for n in names if n not in ids]
        if missing:
            raise Failure(f"enroll-user --provision did not report {len(missing)} users, e.g. "
                          f"{missing[:3]}")
        return ids, time.monotonic() - t0

    # ---- client commands ------------------------------------------------------------------

    def client(self, args, state_dir=None, via=None, timeout=CLIENT_TIMEOUT, json_out=True,
               proc_timeout=CLIENT_PROC_TIMEOUT, stdin_data=None):
        argv = [self.p2psip, "--state-dir", state_dir or self.admin_state(),
                "--timeout", str(timeout)]
        if via is not None:
            argv += ["--via", via.endpoint if isinstance(via, Node) else via]
        if json_out:
            argv.append("--json")
        argv += list(args)
        t0 = time.monotonic()
        with self._lock:
            if self._closed:
                raise Failure("overlay already closed")
            p = subprocess.Popen(self.in_netns(argv, self.client_netns),
                                 stdin=subprocess.PIPE if stdin_data else subprocess.DEVNULL,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            self._clients.add(p)
        try:
            out, err = p.communicate(stdin_data, timeout=proc_timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
            err += f"\n(killed after {proc_timeout} s)"
        finally:
            with self._lock:
                self._clients.discard(p)
        return ClientResult(argv, p.returncode, out, err, time.monotonic() - t0)

    def parallel(self, fn, items, workers):
        """fn(item) for every item on `workers` threads; results in order."""
        with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as ex:
            return list(ex.map(fn, items))

    # ---- stats ----------------------------------------------------------------------------

    def stats(self, n, timeout=CLIENT_TIMEOUT):
        """`p2psip stats --json` of node n (asked through n itself)."""
        r = self.client(["stats"], via=n, timeout=timeout)
        if r.rc != 0:
            raise Failure(f"p2psip stats via {n!r}: {r.why()}")
        return r.json()

    def ring_problems(self, nodes=None):
        """What is wrong with the ring that `stats` of every live node shows; [] when each
        node's successors and predecessors are the sorted ring of all live Node-IDs."""
        nodes = nodes or self.live()
        ring = sorted(n.id_int for n in nodes)
        k = len(ring)
        problems = []
        for n in nodes:
            try:
                st = self.stats(n)
            except Failure as e:
                problems.append(str(e))
                continue
            r = st.get("ring", {})
            if st.get("node_id", "").lower() != n.node_id:
                problems.append(f"{n!r}: stats says node_id {st.get('node_id')}")
            if not st.get("joined", False):
                problems.append(f"{n!r}: not joined")
            i = ring.index(n.id_int)
            want_s = [ring[(i + j) % k] for j in range(1, k)]
            want_p = [ring[(i - j) % k] for j in range(1, k)]
            got_s = [int(x, 16) for x in r.get("successors", [])]
            got_p = [int(x, 16) for x in r.get("predecessors", [])]
            need = min(3, k - 1)
            for what, got, want in (("successors", got_s, want_s),
                                    ("predecessors", got_p, want_p)):
                if len(got) < need or got != want[:len(got)]:
                    problems.append(
                        f"{n!r}: {what} {[f'{x:032x}'[:8] for x in got]}, want the first "
                        f">= {need} of {[f'{x:032x}'[:8] for x in want]}")
        return problems

    def wait_ring(self, timeout, nodes=None, what="ring"):
        """Polls ring_problems until none (bounded); returns seconds taken."""
        t0 = time.monotonic()
        deadline = t0 + timeout
        problems = ["not checked"]
        rounds = 0
        while time.monotonic() < deadline and rounds < 1000:
            rounds += 1
            for n in nodes or self.live():
                if not n.alive():
                    raise Failure(f"{n!r} died (exit {n.proc.poll()}):\n" + tail(n.log_path))
            problems = self.ring_problems(nodes)
            if not problems:
                return time.monotonic() - t0
            time.sleep(1)
        raise Failure(f"{what} not correct within {timeout} s ({rounds} checks):\n  "
                      + "\n  ".join(problems[:12]))


def counter(stats, group, name):
    """stats["counters"][group][name], or a Failure naming what is there."""
    c = stats.get("counters", {}).get(group)
    if not isinstance(c, dict) or name not in c:
        have = sorted(c.keys()) if isinstance(c, dict) else sorted(stats.get("counters", {}))
        raise Failure(f"stats has no counters.{group}.{name} (has: {have})")
    return int(c[name])


def check(cond, what, failures):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)
    return cond


def udp_drops(address, port):
    """Datagrams the kernel dropped on the UDP sockets bound to address:port (receive buffer
    full), from /proc/net/udp's last column; sums a SO_REUSEPORT group."""
    want = f"{socket.inet_aton(address)[::-1].hex().upper()}:{port:04X}"
    total = 0
    with open("/proc/net/udp") as f:
        next(f)
        for line in f:
            cols = line.split()
            if cols[1] == want:
                total += int(cols[-1])
    return total
