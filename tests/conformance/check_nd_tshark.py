#!/usr/bin/env python3
"""tshark as an independent oracle for NetStack's IPv6: neighbour discovery, ICMPv6, UDP/IPv6.

Runs nd_pcap_writer, which writes the frames two in-memory NetStacks exchange into OUT/nd.pcap
(Ethernet) with OUT/nd.manifest.tsv saying what each frame must be. Then checks with tshark
(UDP checksum validation on) that every frame decodes as the expected ICMPv6 type or UDP, with
the expected addresses and hop limit, a Neighbor Advertisement's Solicited flag and Override
flag and target link-layer option, checksums reported good, no malformed packet, and that
`tshark -z expert` reports no errors. A negative control (OUT/nd-broken.pcap, a byte flipped
after the checksum was written) must be reported bad. Nothing is sent on any interface.
"""
import sys

from tshark_oracle import expert_errors, start
from tshark_oracle import fields as tshark_fields

ICMPV6_TYPES = {"ns": "135", "na": "136", "echo_request": "128", "echo_reply": "129"}
FIELDS = ["frame.number", "ipv6.src", "ipv6.dst", "ipv6.hlim", "icmpv6.type",
          "icmpv6.checksum.status", "udp.checksum.status", "icmpv6.nd.na.flag.s",
          "icmpv6.nd.na.flag.o", "icmpv6.opt.type", "_ws.malformed", "_ws.expert.severity"]
PREFS = ["-o", "udp.check_checksum:TRUE"]


def fields(pcap):
    return tshark_fields(pcap, FIELDS, PREFS)


def flag(value):
    return {"1": "1", "True": "1", "0": "0", "False": "0"}.get(value, value)


def main():
    paths = start("nd.pcap", "nd.manifest.tsv", "nd-broken.pcap")
    if isinstance(paths, int):
        return paths
    pcap, manifest, broken = paths

    rows = fields(pcap)
    failures = []
    expected = [line.rstrip("\n").split("\t") for line in open(manifest) if line.strip()]
    if len(expected) < 10 or len(rows) != len(expected):
        failures.append(f"{len(rows)} frames decoded, {len(expected)} in the manifest")
    for number, kind, src, dst, hlim, solicited in expected:
        row = rows.get(int(number))
        if row is None:
            failures.append(f"frame {number} ({kind}) missing")
            continue
        where = f"frame {number} ({kind})"
        want = {"ipv6.src": src, "ipv6.dst": dst, "ipv6.hlim": hlim}
        if kind == "udp":
            want["udp.checksum.status"] = "1"
            want["icmpv6.type"] = ""
        else:
            want["icmpv6.type"] = ICMPV6_TYPES[kind]
            want["icmpv6.checksum.status"] = "1"
        for field, value in want.items():
            if row[field] != value:
                failures.append(f"{where}: {field} is {row[field]!r}, expected {value!r}")
        if kind == "na":
            if flag(row["icmpv6.nd.na.flag.s"]) != solicited:
                failures.append(f"{where}: Solicited flag {row['icmpv6.nd.na.flag.s']!r}")
            if flag(row["icmpv6.nd.na.flag.o"]) != "1":
                failures.append(f"{where}: Override flag {row['icmpv6.nd.na.flag.o']!r}")
            if "2" not in row["icmpv6.opt.type"].split(","):
                failures.append(f"{where}: no target link-layer address option")
        if kind == "ns" and src != "::" and "1" not in row["icmpv6.opt.type"].split(","):
            failures.append(f"{where}: no source link-layer address option")
        if row["_ws.malformed"]:
            failures.append(f"{where}: malformed")
        if row["_ws.expert.severity"]:
            failures.append(f"{where}: expert info {row['_ws.expert.severity']}")

    errors, expert_out = expert_errors(pcap, PREFS)
    if errors:
        failures.append(f"tshark -z expert reports errors:\n{expert_out}")

    # The negative control: tshark must see the flipped bytes (checksum status 0: bad; 1: good).
    bad = fields(broken)
    if [bad.get(1, {}).get("icmpv6.checksum.status"),
            bad.get(2, {}).get("udp.checksum.status")] != ["0", "0"]:
        failures.append(f"negative control: checksums not reported bad: {bad}")

    if failures:
        print("\n".join(failures))
        return 1
    print(f"tshark: {len(expected)} IPv6 frames (NS, NA, echo, UDP) decode cleanly, checksums "
          f"good; the negative control is caught")
    return 0


if __name__ == "__main__":
    sys.exit(main())
