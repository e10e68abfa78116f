#!/usr/bin/env python3
"""summarize.py RUN_DIR...: per phase, instructions per request from the callgrind dumps of a
callgrind.sh run (phase-INDEX-KIND, logins-setup) and the counts loadgen saw in each phase
(loadgen.json, logins.json). The callgrind files are read by scripts/bench_report.py."""
import json
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the repository
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../scripts"))
import bench_report  # noqa: E402


def phases(run):
    """[(dump name, loadgen's record of that phase)] in order, the logins last."""
    out = []
    for path, prefix in (("loadgen.json", "phase"), ("logins.json", "logins")):
        p = os.path.join(run, path)
        if not os.path.exists(p):
            continue
        with open(p) as f:
            d = json.load(f)
        if d.get("logins"):
            out.append((f"{prefix}-setup", {"kind": "logins", "logins": d["logins"],
                                             "seconds": d["setup_seconds"]}))
        for r in d["phases"]:
            out.append((f"{prefix}-{r['name']}", r))
    return out


def main():
    for run in sys.argv[1:]:
        dumps = bench_report.callgrind_dumps(run)
        print(f"== {run}")
        for name, r in phases(run):
            if name not in dumps:
                print(f"{name:16s} no dump")
                continue
            t = dumps[name][1]
            secs = r.get("seconds", 0)
            line = f"{name:16s} Ir={t:>14,d}  s={secs:6.2f}  Ir/s={t / secs if secs else 0:>13,.0f}"
            if r.get("saves"):
                line += f"  saves={r['saves']:6d} ({r['saves_per_s']}/s)  Ir/save={t / r['saves']:>10,.0f}"
            if r.get("pages") and not r.get("saves"):
                line += f"  pages={r['pages']:6d}  Ir/page={t / r['pages']:>10,.0f}"
            if r.get("logins"):
                line += f"  logins={r['logins']}  Ir/login={t / r['logins']:>12,.0f}"
            if r.get("errors"):
                line += f"  errors={r['error_kinds']}"
            print(line)


if __name__ == "__main__":
    main()
