#!/usr/bin/env python3
"""The tables of `scripts/bench paced` and `scripts/bench instructions`, and their regression
check against the last recorded figures (docs/bench/*.tsv).

  bench_report.py paced RUN_DIR          RUN_DIR/rows.tsv lists the rows (key, clients,
                                         period_ms, start); RUN_DIR/KEY.RUN.json are loadgen's
                                         --json outputs, several runs per row
  bench_report.py instructions RUN_DIR   RUN_DIR/room-N/: callgrind dumps and loadgen's outputs
                                         (sat.json, paced.json, logins.json) for N participants

The table goes to stdout, then each figure's ratio to the baseline (docs/bench/paced.tsv or
instructions.tsv, or BENCH_BASELINE_DIR). A ratio worse than the threshold is marked; with
BENCH_CHECK=1 the exit status is then 1. BENCH_RECORD=1 writes the figures into the baseline
(rows of the same key replaced, others kept). Thresholds: BENCH_RATIO_INSTR (default 1.25,
instructions), BENCH_RATIO_RSS (1.25, memory), BENCH_RATIO_TIME (2.0, latency and saves/s:
the machines are shared, times vary far more than instructions).

A benchmark, never a test: nothing here runs in scripts/test. Only the standard library.
Also used by docs/profiles/tools/summarize.py and breakdown.py (callgrind_dumps).
"""
import datetime
import glob
import json
import os
import re
import statistics
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def log(msg):
    print(f"bench: {msg}", file=sys.stderr)


# ---------------------------------------------------------------- callgrind

def callgrind_total(path):
    """Instructions (Ir) in a callgrind output file: its `totals:` (or `summary:`) line."""
    total = None
    with open(path, errors="replace") as f:
        for line in f:
            if line.startswith(("totals:", "summary:")):
                total = int(line.split()[1])
    if total is None:
        raise ValueError(f"{path}: no totals line (a callgrind file cut short?)")
    return total


def callgrind_trigger(path):
    """The name given to `callgrind_control --dump=NAME`, or None."""
    with open(path, errors="replace") as f:
        for line in f:
            if line.startswith("desc: Trigger:"):
                m = re.search(r"dump\s+(\S+)\s*$", line) or re.search(r"--dump=(\S+)", line)
                return m.group(1) if m else line.split(":", 2)[-1].strip()
            if line.startswith(("fn=", "events:")):
                return None
    return None


def callgrind_dumps(run_dir):
    """{dump name: (path, instructions)} of the dumps `callgrind.out.N` in run_dir."""
    out = {}
    for p in glob.glob(os.path.join(run_dir, "callgrind.out.*")):
        if not re.fullmatch(r"\d+", p.rsplit(".", 1)[1]):
            continue
        name = callgrind_trigger(p)
        if name:
            out[name] = (p, callgrind_total(p))
    return out


# ---------------------------------------------------------------- formatting

def fmt_num(x, digits=0):
    if x is None:
        return "–"
    if digits == 0:
        return f"{round(x):,}"
    return f"{x:,.{digits}f}"


def med_range(values, digits):
    """"median (min–max)" of a run's values, or the one value."""
    values = [v for v in values if v is not None]
    if not values:
        return None, "–"
    m = statistics.median(values)
    if len(values) == 1 or min(values) == max(values):
        return m, fmt_num(m, digits)
    return m, f"{fmt_num(m, digits)} ({fmt_num(min(values), digits)}–{fmt_num(max(values), digits)})"


def short_num(x):
    """2 decimals at most, no trailing zeros: 232, 1.35, 3504.7."""
    return f"{x:.2f}".rstrip("0").rstrip(".")


def pace_label(period_ms, start):
    period_ms = int(period_ms)
    if period_ms == 0:
        return "no pause"
    if period_ms == 1000:
        p = "one save a second each"
    elif period_ms % 1000 == 0:
        p = f"one save every {period_ms // 1000} s each"
    else:
        p = f"one save every {period_ms} ms each"
    return f"{p}, {'spread' if start == 'spread' else 'lock-step'}"


# ---------------------------------------------------------------- baselines

def baseline_path(name):
    d = os.environ.get("BENCH_BASELINE_DIR") or os.path.join(REPO, "docs", "bench")
    return os.path.join(d, f"{name}.tsv")


def shown(path):
    """The path relative to the repository when inside it."""
    rel = os.path.relpath(path, REPO)
    return path if rel.startswith("..") else rel


def read_tsv(path):
    """(columns, rows as dicts) of a TSV whose first non-# line is the header; ([], []) if absent."""
    if not os.path.exists(path):
        return [], []
    cols, rows = [], []
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            cells = line.split("\t")
            if not cols:
                cols = cells
            else:
                rows.append(dict(zip(cols, cells)))
    return cols, rows


def baseline(name, keys):
    """(path, rows of the baseline `name` by key), or None (logged) when there is none."""
    path = baseline_path(name)
    _, base = read_tsv(path)
    if not base:
        log(f"no baseline {path}; BENCH_RECORD=1 writes one")
        return None
    return path, {tuple(r[k] for k in keys): r for r in base}


def commit():
    """The commit measured; "-dirty" when the server's source differs from it (a change to the
    bench's own scripts does not change what is measured)."""
    def git(*args):
        return subprocess.run(["git", "-C", REPO, *args], capture_output=True, text=True,
                              check=True).stdout.strip()
    try:
        dirty = git("status", "--porcelain", "--", "firmware", "Cargo.toml", "Cargo.lock")
        return git("rev-parse", "--short", "HEAD") + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def record(name, cols, keys, new_rows, note):
    """Writes new_rows into the baseline `name`, replacing rows of the same key."""
    path = baseline_path(name)
    _, old = read_tsv(path)
    stamp = {"recorded": datetime.date.today().isoformat(), "commit": commit()}
    new = [dict(r, **stamp) for r in new_rows]
    new_keys = {tuple(r[k] for k in keys) for r in new}
    rows = [r for r in old if tuple(r.get(k) for k in keys) not in new_keys] + new
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(f"# {note}\n")
        f.write("# Written by scripts/bench with BENCH_RECORD=1; compared by ratio on every run.\n")
        f.write("\t".join(cols + ["recorded", "commit"]) + "\n")
        for r in rows:
            f.write("\t".join(str(r.get(c, "")) for c in cols + ["recorded", "commit"]) + "\n")
    log(f"recorded {len(new)} rows in {path}")


def ratio_cell(now, base, threshold, lower_is_worse=False):
    """(cell text, worse?) for one figure against its baseline."""
    if now is None or base is None:
        return "–", False
    if base == 0:
        return ("1.00" if now == 0 else "new"), False
    r = now / base
    worse = r < 1 / threshold if lower_is_worse else r > threshold
    text = f"{r:.2f}"
    return (f"**{text} worse**" if worse else text), worse


def env_float(name, default):
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        sys.exit(f"bench: {name}={os.environ[name]!r} is not a number")


def finish(worse):
    """Exit status: 1 only under BENCH_CHECK=1 and a figure worse than its threshold."""
    if worse:
        log(f"{worse} figure(s) worse than the baseline by more than the threshold")
        if os.environ.get("BENCH_CHECK") == "1":
            sys.exit(1)


# ---------------------------------------------------------------- paced

PACED_COLS = ["clients", "period_ms", "start", "ready", "saves_per_s", "p50_ms", "p99_ms",
              "max_ms", "errors", "rss_mb", "runs"]
PACED_KEY = ["clients", "period_ms", "start"]


def run_figures(d):
    """The figures of one loadgen --json output."""
    server = d.get("server") or {}
    setup_errors = sum((d.get("setup_errors") or {}).values())
    hwm = server.get("hwm_peak_kb")
    kinds = dict(d.get("error_kinds") or {})
    for k, v in (d.get("setup_errors") or {}).items():
        kinds[f"setup, {k}"] = kinds.get(f"setup, {k}", 0) + v
    return {
        "ready": d["clients_ready"],
        "saves_per_s": d["saves_per_s"],
        "p50_ms": d["save_ms"]["p50"],
        "p99_ms": d["save_ms"]["p99"],
        "max_ms": d["save_ms"]["max"],
        "errors": d["errors"] + setup_errors,
        "rss_mb": hwm / 1024 if hwm else None,
        "kinds": kinds,
    }


def paced(run_dir):
    _, rows = read_tsv(os.path.join(run_dir, "rows.tsv"))
    out_rows, notes = [], []
    print("| clients | pace | saves/s | p50 ms | p99 ms | max ms | errors | RSS peak MB |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        runs = []
        for p in sorted(glob.glob(os.path.join(run_dir, f"{row['key']}.*.json"))):
            try:
                with open(p) as f:
                    runs.append(run_figures(json.load(f)))
            except (OSError, ValueError, KeyError) as e:
                log(f"{p}: unreadable ({e}); that run is left out")
        label = pace_label(row["period_ms"], row["start"])
        if not runs:
            print(f"| {row['clients']} | {label} | failed | | | | | |")
            continue
        cells, medians = [], {}
        for fig, digits in [("saves_per_s", 1), ("p50_ms", 2), ("p99_ms", 2), ("max_ms", 1),
                            ("errors", 0), ("rss_mb", 1)]:
            medians[fig], cell = med_range([r[fig] for r in runs], digits)
            cells.append(cell)
        ready = min(r["ready"] for r in runs)
        clients = row["clients"] if ready == int(row["clients"]) else f"{ready} of {row['clients']}"
        print(f"| {clients} | {label} | " + " | ".join(cells) + " |")
        kinds = sorted({k for r in runs for k in r["kinds"]})
        if kinds:
            per_run = [(statistics.median(r["kinds"].get(k, 0) for r in runs), k) for k in kinds]
            listed = "; ".join(f"{fmt_num(v, 0 if v == int(v) else 1)} × {k.strip()}"
                               for v, k in sorted(per_run, reverse=True))
            notes.append(f"- {row['clients']} clients, {label}: {listed}")
        medians["ready"] = statistics.median(r["ready"] for r in runs)
        out_rows.append({k: row[k] for k in PACED_KEY} | {
            f: (short_num(medians[f]) if medians[f] is not None else "") for f in medians
        } | {"runs": len(runs)})
    print()
    print("Medians of the runs (range in brackets). Save latency is from loadgen's PUT to its answer "
          "(acknowledged after the group commit's fsync); RSS peak is the server's VmHWM over the "
          "logins and the load. Clients that did not get through the logins count in errors.")
    if notes:
        print()
        print("Errors by kind, median per run:")
        print("\n".join(notes))
    if os.environ.get("BENCH_TARGET"):
        # The board's build emulated: not comparable with the native baseline.
        log("BENCH_TARGET set: the baseline is not compared or recorded")
        return
    compare_paced(out_rows)
    if os.environ.get("BENCH_RECORD") == "1":
        record("paced", PACED_COLS, PACED_KEY, out_rows,
               "scripts/bench paced: medians per row (server on core 0, loadgen on core 1)")


def compare_paced(rows):
    found = baseline("paced", PACED_KEY)
    if not found:
        return
    path, by_key = found
    t_time = env_float("BENCH_RATIO_TIME", 2.0)
    t_rss = env_float("BENCH_RATIO_RSS", 1.25)
    worse = 0
    lines = []
    for r in rows:
        b = by_key.get(tuple(str(r[k]) for k in PACED_KEY))
        if not b:
            continue
        cells = []
        for fig, t, lower in [("saves_per_s", t_time, True), ("p50_ms", t_time, False),
                              ("p99_ms", t_time, False), ("rss_mb", t_rss, False)]:
            cell, w = ratio_cell(num(r[fig]), num(b.get(fig)), t, lower)
            cells.append(cell)
            worse += w
        e_now, e_base = num(r["errors"]), num(b.get("errors"))
        e_worse = e_now is not None and e_base is not None and e_now > e_base
        worse += e_worse
        e_cell = f"{fmt_num(e_base)} → {fmt_num(e_now)}"
        cells.insert(3, f"**{e_cell} worse**" if e_worse else e_cell)
        clients = r["clients"]
        if b.get("ready") and num(b["ready"]) != num(r["ready"]):
            clients = f"{short_num(num(r['ready']))} ready, then {short_num(num(b['ready']))}"
        lines.append(f"| {clients} | {pace_label(r['period_ms'], r['start'])} | "
                     + " | ".join(cells) + f" | {b.get('recorded', '?')} {b.get('commit', '')} |")
    if lines:
        print()
        print(f"Against the baseline ({shown(path)}): now ÷ then; worse than "
              f"{t_time}× (times, saves/s) or {t_rss}× (RSS), or more errors, is marked. "
              "The max is not compared: one stall sets it.")
        print()
        print("| clients | pace | saves/s | p50 | p99 | errors | RSS | baseline of |")
        print("|---:|---|---:|---:|---:|---:|---:|---|")
        print("\n".join(lines))
    finish(worse)


def num(x):
    try:
        return float(x)
    except (TypeError, ValueError):
        return None


# ---------------------------------------------------------------- instructions

# (key, label, loadgen output, phase kind, divide by)
OPERATIONS = [
    ("page", "page load (`GET /api/v1/items/{n}`), clients without pause", "sat", "pages", "pages"),
    ("save", "answer save (`PUT /api/v1/answers/{id}`), clients without pause", "sat", "saves", "saves"),
    ("paced", "page load + save at one a second per client, whole server, per save", "paced",
     "mixed", "saves"),
    ("idle", "background, per idle second", "paced", "idle", "seconds"),
    ("login", "login (`POST /api/v1/login`, argon2id included)", "logins", None, "logins"),
]
INSTR_COLS = ["operation", "participants", "active", "instructions", "count"]
INSTR_KEY = ["operation", "participants", "active"]


def room_figures(room_dir):
    """{operation: (instructions per unit, units, active)} for one room's run, and notes."""
    dumps = callgrind_dumps(room_dir)
    out, notes = {}, []
    for key, _, run, kind, unit in OPERATIONS:
        path = os.path.join(room_dir, f"{run}.json")
        if not os.path.exists(path):
            continue
        with open(path) as f:
            d = json.load(f)
        if kind is None:
            rec, dump = {"logins": d.get("logins", d["clients_ready"])}, f"{run}-setup"
            active = d["clients_ready"]
        else:
            ph = [p for p in d["phases"] if p["kind"] == kind]
            if not ph:
                continue
            rec, dump, active = ph[0], f"{run}-{ph[0]['name']}", d["active"]
            errors = rec.get("errors", 0)
            if errors:
                log(f"{room_dir}: {errors} errors in {run} {kind}: {rec.get('error_kinds')}")
                notes.append(f"{errors} errors in the {kind} phase: {rec.get('error_kinds')}")
            period = (d.get("pace") or {}).get("period_ms") or 0
            if kind == "mixed" and period:
                offered = rec["active"] * rec["seconds"] * 1000 / period
                if rec["saves"] < 0.95 * offered:
                    notes.append(
                        f"under callgrind the server kept up with {rec['saves']} of the "
                        f"{offered:.0f} paced saves offered (the machine was busy, or the room too "
                        "large): larger group commits and another share of the background per "
                        "save than at the offered rate, so the paced figure is not comparable; "
                        "run it again on a quieter machine")
        if dump not in dumps:
            log(f"{room_dir}: no callgrind dump {dump}")
            continue
        units = rec.get(unit) or 0
        if units:
            out[key] = (dumps[dump][1] / units, units, active)
    return out, notes


def instructions(run_dir):
    rooms = sorted((int(m.group(1)), p) for p in glob.glob(os.path.join(run_dir, "room-*"))
                   if (m := re.search(r"room-(\d+)$", p)))
    figs, notes = {}, []
    for n, p in rooms:
        figs[n], room_notes = room_figures(p)
        notes += [f"- {n:,} participants: {x}" for x in room_notes]
    ns = [n for n, _ in rooms]
    print("| instructions (Ir) per | " + " | ".join(f"{n:,} participants" for n in ns) + " |")
    print("|---|" + "---:|" * len(ns))
    rows = []
    for key, label, *_ in OPERATIONS:
        cells = []
        for n in ns:
            f = figs[n].get(key)
            cells.append(fmt_num(f[0]) if f else "–")
            if f:
                rows.append({"operation": key, "participants": n, "active": f[2],
                             "instructions": round(f[0]), "count": f[1]})
        print(f"| {label} | " + " | ".join(cells) + " |")
    actives = sorted({r["active"] for r in rows if r["operation"] != "login"})
    print()
    print(f"Counted with callgrind: the instructions of the whole server process (every thread) in "
          f"a phase where {'/'.join(map(str, actives))} clients did only that, after their logins, "
          f"divided by the requests acknowledged in it (or by its seconds). Counted:")
    units = {"page": "page loads", "save": "saves", "paced": "paced saves", "idle": "idle s",
             "login": "logins"}
    for n in ns:
        counted = [f"{units[r['operation']]} {fmt_num(r['count'])}" for r in rows
                   if r["participants"] == n]
        print(f"- {n:,} participants: " + ", ".join(counted))
    if notes:
        print()
        print("Warnings:")
        print("\n".join(notes))
    compare_instructions(rows)
    if os.environ.get("BENCH_RECORD") == "1":
        record("instructions", INSTR_COLS, INSTR_KEY, rows,
               "scripts/bench instructions: callgrind instructions per operation")


def compare_instructions(rows):
    found = baseline("instructions", INSTR_KEY)
    if not found:
        return
    path, by_key = found
    t = env_float("BENCH_RATIO_INSTR", 1.25)
    ns = sorted({r["participants"] for r in rows})
    cells, worse, of = {}, 0, set()
    for r in rows:
        b = by_key.get(tuple(str(r[k]) for k in INSTR_KEY))
        if b:
            cell, w = ratio_cell(r["instructions"], num(b.get("instructions")), t)
            cells[r["operation"], r["participants"]] = cell
            worse += w
            of.add(f"{b.get('recorded', '?')} {b.get('commit', '')}")
    if cells:
        print()
        print(f"Against the baseline ({shown(path)}, recorded {', '.join(sorted(of))}): now ÷ "
              f"then; worse than {t}× is marked.")
        print()
        print("| ratio | " + " | ".join(f"{n:,}" for n in ns) + " |")
        print("|---|" + "---:|" * len(ns))
        for key, *_ in OPERATIONS:
            if any((key, n) in cells for n in ns):
                print(f"| {key} | " + " | ".join(cells.get((key, n), "–") for n in ns) + " |")
    finish(worse)


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("paced", "instructions"):
        sys.exit(__doc__)
    {"paced": paced, "instructions": instructions}[sys.argv[1]](sys.argv[2])
