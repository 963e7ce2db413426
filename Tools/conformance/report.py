"""Summarises .build/node-tests/results.json (written by the conformance test) into a per-op
table in README.md (between the conformance markers) and, with --update, rewrites
Tests/Conformance/expected_passes.txt so today's passes are guarded against regressions.
Usage: python Tools/conformance/report.py [--update]"""
import collections
import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
RESULTS = ROOT / ".build/node-tests/results.json"
START, END = "<!-- conformance:start -->", "<!-- conformance:end -->"


def main():
    results = json.loads(RESULTS.read_text())
    per_op = collections.defaultdict(collections.Counter)
    for r in results:
        per_op[r["op"]][r["outcome"]] += 1
    totals = collections.Counter(r["outcome"] for r in results)
    n = len(results)
    lines = [START, "",
             f"**{totals['passed']} of {n} cases pass ({100 * totals['passed'] / n:.1f} %)**; "
             f"{totals['failed']} fail, {totals['unsupported']} unsupported (op without a kernel, or sequence/optional data).",
             "", "| op | passed | failed | unsupported |", "|---|---:|---:|---:|"]
    for op in sorted(per_op):
        c = per_op[op]
        lines.append(f"| {op} | {c['passed']} | {c['failed']} | {c['unsupported']} |")
    lines += ["", END]
    readme = ROOT / "README.md"
    text = readme.read_text()
    if START in text and END in text:
        head, rest = text.split(START, 1)
        _, tail = rest.split(END, 1)
        readme.write_text(head + "\n".join(lines) + tail)
    print(f"{totals['passed']}/{n} passed, {totals['failed']} failed, {totals['unsupported']} unsupported")
    if "--update" in sys.argv:
        passed = sorted(r["name"] for r in results if r["outcome"] == "passed")
        (ROOT / "Tests/Conformance/expected_passes.txt").write_text(
            "# ONNX backend node tests that must keep passing (Tools/conformance/report.py --update writes it).\n" + "\n".join(passed) + "\n")
    failed = [r for r in results if r["outcome"] == "failed"]
    if "--failures" in sys.argv:
        for r in failed:
            print(f"{r['name']}: {r['detail']}")


if __name__ == "__main__":
    main()
