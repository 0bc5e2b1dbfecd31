#!/usr/bin/env python3
"""OpenSSL's command-line tools as an independent peer for p2psip's DTLS 1.2 / TLS 1.2 links.

Four cases, each with mutual certificate authentication (RFC 6940 §11.3, digest §8) on
127.0.0.1 ports found free just before use:
  dtls  openssl s_server -dtls1_2  <->  tls_probe client
  dtls  tls_probe server           <->  openssl s_client -dtls1_2
  tls   openssl s_server -tls1_2   <->  tls_probe client
  tls   tls_probe server           <->  openssl s_client -tls1_2
The openssl side uses the "peer" identity of `tls_probe creds` (certified by the same overlay CA)
and must verify ours (-Verify / -verify with -verify_return_error and -CAfile); the probe
checks that openssl's certificate carries the expected Node-ID. A line goes each way and must
arrive. DTLS runs with ECDSA P-256 certificates, TLS with RSA-2048, so both ECDHE suites run.
A negative control (the probe expecting another Node-ID) must make the handshake fail.
Every step has a timeout; every process is killed in a finally block. Missing openssl is a
failure, not a skip: this oracle is the point of the test.
"""
import argparse
import os
import queue
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

STEP_TIMEOUT = 20.0
PROBE_LINE = "hello from p2psip"
OPENSSL_LINE = "hello from openssl"


class Proc:
    """A child process whose stdout lines are collected by a thread (never blocks the test)."""

    def __init__(self, name, cmd, cwd):
        self.name = name
        self.cmd = cmd
        self.lines = queue.Queue()
        self.seen = []
        self.p = subprocess.Popen(cmd, cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True, bufsize=1)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.p.stdout:
            self.lines.put(line.rstrip("\r\n"))

    def wait_for(self, needle, timeout=STEP_TIMEOUT):
        """True once a line containing `needle` has been printed (now or earlier)."""
        end = time.monotonic() + timeout
        while True:
            if any(needle in l for l in self.seen):
                return True
            left = end - time.monotonic()
            if left <= 0:
                return False
            try:
                self.seen.append(self.lines.get(timeout=min(left, 0.2)))
            except queue.Empty:
                if self.p.poll() is not None and self.lines.empty():
                    time.sleep(0.1)  # let the reader thread drain the pipe
                    if self.lines.empty():
                        return any(needle in l for l in self.seen)

    def write_line(self, text):
        self.p.stdin.write(text + "\n")
        self.p.stdin.flush()

    def output(self):
        while not self.lines.empty():
            self.seen.append(self.lines.get_nowait())
        return "\n".join(self.seen)

    def stop(self):
        if self.p.poll() is None:
            self.p.kill()
        try:
            self.p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass


def free_port(udp):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if udp else socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
    finally:
        s.close()


def openssl_identity(creds):
    return ["-cert", os.path.join(creds, "peer.pem"), "-key", os.path.join(creds, "peer.key"),
            "-CAfile", os.path.join(creds, "ca.pem"), "-verify_return_error"]


def probe_cmd(probe, role, transport, port, creds):
    return [probe, "run", "--role", role, "--transport", transport, "--port", str(port),
            "--creds", creds, "--send", PROBE_LINE, "--expect", OPENSSL_LINE,
            "--timeout-ms", str(int(STEP_TIMEOUT * 1000))]


def run_case(probe, transport, openssl_is_server, creds, workdir):
    """Runs one case; returns None on success, else a description of what went wrong."""
    udp = transport == "dtls"
    version = "-dtls1_2" if udp else "-tls1_2"
    port = free_port(udp)
    procs = []
    try:
        if openssl_is_server:
            server = Proc("openssl s_server",
                          ["openssl", "s_server", version, "-accept", f"127.0.0.1:{port}",
                           "-Verify", "2", "-naccept", "1"] + openssl_identity(creds), workdir)
            procs.append(server)
            if not server.wait_for("ACCEPT", 10):
                return "s_server did not start listening"
            client = Proc("tls_probe client", probe_cmd(probe, "client", transport, port, creds),
                          workdir)
            procs.append(client)
            ours, theirs = client, server
        else:
            server = Proc("tls_probe server", probe_cmd(probe, "server", transport, port, creds),
                          workdir)
            procs.append(server)
            if not server.wait_for("LISTENING", 10):
                return "tls_probe did not start listening"
            client = Proc("openssl s_client",
                          ["openssl", "s_client", version, "-connect", f"127.0.0.1:{port}",
                           "-verify", "2", "-quiet"] + openssl_identity(creds), workdir)
            procs.append(client)
            ours, theirs = server, client
        if not ours.wait_for("ESTABLISHED"):
            return "no handshake"
        theirs.write_line(OPENSSL_LINE)
        if not ours.wait_for("RECEIVED " + OPENSSL_LINE):
            return f"tls_probe did not receive the line from {theirs.name}"
        if not theirs.wait_for(PROBE_LINE, 10):
            return f"{theirs.name} did not print the line from tls_probe"
        try:
            rc = ours.p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            return "tls_probe did not exit"
        if rc != 0:
            return f"tls_probe exited with {rc}"
        return None
    finally:
        for p in procs:
            p.stop()
        for p in procs:
            sys.stdout.write(f"--- {p.name}: {' '.join(p.cmd)}\n{p.output()}\n")


def run_negative_control(probe, creds, workdir):
    """The probe, told to expect another Node-ID than openssl's certificate carries, must refuse
    the handshake: shows the cases above cannot pass without the Node-ID check."""
    wrong = os.path.join(workdir, "creds-wrong-id")
    shutil.copytree(creds, wrong)
    with open(os.path.join(wrong, "peer.nodeid"), "w") as f:
        f.write("c3" * 16 + "\n")
    port = free_port(True)
    procs = []
    try:
        server = Proc("openssl s_server",
                      ["openssl", "s_server", "-dtls1_2", "-accept", f"127.0.0.1:{port}",
                       "-Verify", "2", "-naccept", "1"] + openssl_identity(wrong), workdir)
        procs.append(server)
        if not server.wait_for("ACCEPT", 10):
            return "s_server did not start listening"
        client = Proc("tls_probe client (expects Node-ID c3c3...)",
                      probe_cmd(probe, "client", "dtls", port, wrong), workdir)
        procs.append(client)
        try:
            rc = client.p.wait(timeout=STEP_TIMEOUT)
        except subprocess.TimeoutExpired:
            return "tls_probe did not exit"
        if rc != 1 or not client.wait_for("not the expected c3c3", 5):
            return f"tls_probe exited with {rc} instead of refusing the wrong Node-ID"
        return None
    finally:
        for p in procs:
            p.stop()
        for p in procs:
            sys.stdout.write(f"--- {p.name}: {' '.join(p.cmd)}\n{p.output()}\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--probe", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    args.probe = os.path.abspath(args.probe)  # the children run in a scratch directory
    if shutil.which("openssl") is None:
        sys.exit("FAIL: the openssl command is not installed (Debian package openssl; "
                 "deploy/install-deps.sh installs it)")
    version = subprocess.run(["openssl", "version"], capture_output=True, text=True, timeout=10)
    print(f"oracle: {version.stdout.strip()}")

    os.makedirs(args.out, exist_ok=True)
    workdir = tempfile.mkdtemp(prefix="openssl-interop-", dir=args.out)
    failures = []
    try:
        creds = {}
        for transport, scheme in (("dtls", "ecdsa"), ("tls", "rsa")):
            d = os.path.join(workdir, f"creds-{scheme}")
            os.makedirs(d)
            res = subprocess.run([args.probe, "creds", d, scheme], capture_output=True, text=True,
                                 timeout=60)
            if res.returncode != 0:
                sys.exit(f"FAIL: tls_probe creds: {res.stdout}{res.stderr}")
            creds[transport] = d
        for transport in ("dtls", "tls"):
            for openssl_is_server in (True, False):
                name = (f"{transport}: openssl s_server <-> p2psip client" if openssl_is_server
                        else f"{transport}: p2psip server <-> openssl s_client")
                error = run_case(args.probe, transport, openssl_is_server, creds[transport],
                                 workdir)
                print(f"{'PASS' if error is None else 'FAIL'}: {name}"
                      + ("" if error is None else f": {error}"))
                if error is not None:
                    failures.append(name)
        error = run_negative_control(args.probe, creds["dtls"], workdir)
        print(f"{'PASS' if error is None else 'FAIL'}: negative control (wrong Node-ID refused)"
              + ("" if error is None else f": {error}"))
        if error is not None:
            failures.append("negative control")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if failures:
        sys.exit(f"FAIL: {len(failures)} of 5 interop checks failed: {', '.join(failures)}")
    print("openssl interop: 4 of 4 cases and the negative control passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
