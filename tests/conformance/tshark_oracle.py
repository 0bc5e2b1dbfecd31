"""What the tshark checks share (stdlib only): running tshark for fields or its expert summary,
refusing to skip in CI when tshark is missing, and running a C++ pcap writer."""
import argparse
import os
import shutil
import subprocess
import sys


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def require_tshark():
    """None when tshark is installed; otherwise 77 (meson's skip), or exit with a failure in CI,
    where a conformance check may not skip."""
    if shutil.which("tshark") is not None:
        return None
    msg = "tshark is not installed (deploy/install-deps.sh installs it)"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        sys.exit(f"FAIL: {msg}; a conformance suite may not skip in CI")
    print(f"SKIP: {msg}")
    return 77


def write_pcaps(writer, out, pcap, manifest, broken):
    """Runs `writer PCAP MANIFEST BROKEN` with the three files in directory `out`; their paths."""
    os.makedirs(out, exist_ok=True)
    paths = [os.path.join(out, name) for name in (pcap, manifest, broken)]
    res = run([writer] + paths)
    if res.returncode != 0:
        sys.exit(f"{os.path.basename(writer)} failed: {res.stdout}{res.stderr}")
    return paths


def fields(pcap, names, prefs=()):
    """tshark's `names` fields of every frame of `pcap`, by frame number (names[0] must be
    frame.number); a field with several occurrences is comma-joined."""
    cmd = ["tshark", "-r", pcap, *prefs, "-T", "fields", "-E", "separator=\t", "-E",
           "occurrence=a", "-E", "aggregator=,"]
    for f in names:
        cmd += ["-e", f]
    res = run(cmd)
    if res.returncode != 0:
        sys.exit(f"tshark failed on {pcap}: {res.stderr.strip()}")
    rows = {}
    for line in res.stdout.splitlines():
        cols = line.split("\t")
        cols += [""] * (len(names) - len(cols))
        rows[int(cols[0])] = dict(zip(names, cols))
    return rows


def expert_errors(pcap, prefs=()):
    """The error lines of `tshark -z expert` on `pcap`, and its whole output."""
    res = run(["tshark", "-r", pcap, *prefs, "-q", "-z", "expert"])
    if res.returncode != 0:
        sys.exit(f"tshark -z expert failed on {pcap}: {res.stderr.strip()}")
    errors = [l for l in res.stdout.splitlines() if l.strip().startswith("Errors")]
    return errors, res.stdout


def start(pcap, manifest, broken):
    """The common start of a check run as `CHECK --writer W --out DIR`: tshark must be there
    (else 77, meson's skip, or a failure in CI), then W writes the three files into DIR. Their
    paths, or the skip code."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--writer", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    skip = require_tshark()
    if skip is not None:
        return skip
    return write_pcaps(args.writer, args.out, pcap, manifest, broken)
