#!/usr/bin/env python3
"""Counts test results across meson build directories for deploy/test.sh.

Each meson test counts once, except gtest-protocol tests, which count each gtest case (from
meson's JUnit log). A test that failed without a failing case recorded (a crash, a timeout)
counts as one failure. Prints `tests: N passed, N failed, N skipped` and exits non-zero on any
failure, or on any skip when CI=true (a suite must not skip in CI for lack of a tool).
"""
import json
import os
import sys
import xml.etree.ElementTree as ET


def count(build_dir):
    passed = failed = skipped = 0
    failures = []
    cases = {}  # meson test name -> [passed, failed, skipped]
    junit = os.path.join(build_dir, "meson-logs", "testlog.junit.xml")
    if os.path.exists(junit):
        for suite in ET.parse(junit).getroot().iter("testsuite"):
            # name = "<project>.<meson test name>.<gtest suite>"
            parts = suite.get("name", "").split(".")
            if len(parts) < 3:
                continue
            test = ".".join(parts[1:-1])
            c = cases.setdefault(test, [0, 0, 0])
            for case in suite.iter("testcase"):
                if case.find("failure") is not None or case.find("error") is not None:
                    c[1] += 1
                    failures.append(f"{test}: {parts[-1]}.{case.get('name')}")
                elif case.find("skipped") is not None:
                    c[2] += 1
                else:
                    c[0] += 1
    log = os.path.join(build_dir, "meson-logs", "testlog.json")
    if not os.path.exists(log):
        return 0, 1, 0, [f"{build_dir}: no test log (tests did not run)"]
    with open(log) as f:
        for line in f:
            t = json.loads(line)
            name, result = t["name"], t["result"]
            c = cases.get(name)
            if c is not None and sum(c) > 0:
                passed, failed, skipped = passed + c[0], failed + c[1], skipped + c[2]
                if result not in ("OK", "SKIP") and c[1] == 0:
                    failed += 1
                    failures.append(f"{name}: {result}")
            elif result in ("OK", "EXPECTEDFAIL"):
                passed += 1
            elif result == "SKIP":
                skipped += 1
                failures.append(f"{name}: skipped")
            else:
                failed += 1
                failures.append(f"{name}: {result}")
    return passed, failed, skipped, failures


def main():
    total = [0, 0, 0]
    problems = []
    for d in sys.argv[1:]:
        p, f, s, fl = count(d)
        total = [total[0] + p, total[1] + f, total[2] + s]
        problems += [f"  [{os.path.basename(d.rstrip('/'))}] {x}" for x in fl]
    if problems:
        print("not passed:")
        print("\n".join(problems))
    print(f"tests: {total[0]} passed, {total[1]} failed, {total[2]} skipped")
    ci = os.environ.get("CI", "").lower() in ("1", "true", "yes")
    return 1 if total[1] > 0 or (ci and total[2] > 0) else 0


if __name__ == "__main__":
    sys.exit(main())
