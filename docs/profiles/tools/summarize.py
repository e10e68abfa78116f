#!/usr/bin/env python3
"""summarize.py RUN_DIR...: per phase, instructions per request from the callgrind dumps
(callgrind.out.K, one per phase, in order) and the driver's counts (phased.jsonl)."""
import json, re, sys, os

def totals(path):
    for line in open(path, errors="replace"):
        if line.startswith("totals:"):
            return int(line.split()[1])
        if line.startswith("summary:"):
            s = int(line.split()[1])
    return s

def trigger(path):
    for line in open(path, errors="replace"):
        if line.startswith("desc: Trigger:"):
            return line.split("dump ", 1)[-1].strip()

for run in sys.argv[1:]:
    recs = [json.loads(l) for l in open(os.path.join(run, "phased.jsonl"))]
    by = {}
    phases = [r for r in recs if r["phase"] not in ("setup", "logins")]
    for i, r in enumerate(phases):
        by[f"phase-{i}-{r['phase']}"] = r
    for r in recs:
        if r["phase"] == "logins":
            by["phase-logins"] = r
    dumps = sorted([f for f in os.listdir(run) if re.fullmatch(r"callgrind\.out\.\d+", f)],
                   key=lambda f: int(f.rsplit(".", 1)[1]))
    print(f"== {run}")
    for f in dumps:
        p = os.path.join(run, f)
        t, name = totals(p), trigger(p)
        r = by.get(name, {})
        secs = r.get("seconds", 0)
        line = f"{name:16s} Ir={t:>14,d}  s={secs:6.2f}  Ir/s={t/secs if secs else 0:>13,.0f}"
        if r.get("saves"):
            line += f"  saves={r['saves']:6d} ({r['saves_per_s']}/s)  Ir/save={t/r['saves']:>10,.0f}"
        if r.get("pages") and not r.get("saves"):
            line += f"  pages={r['pages']:6d}  Ir/page={t/r['pages']:>10,.0f}"
        if r.get("phase") == "logins" and r.get("clients"):
            line += f"  logins={r['clients']}  Ir/login={t/r['clients']:>12,.0f}"
        if r.get("errors"):
            line += f"  errors={r['errors']}"
        print(line)
