#!/usr/bin/env python3
"""cgparse.py: read a callgrind output file (event Ir) into a call graph.

  cgparse.py top FILE [N]            self and inclusive cost per function, with calls
  cgparse.py incl FILE REGEX...      inclusive cost and calls of the functions matching
  cgparse.py folded FILE [MIN_FRAC]  approximate folded stacks (for inferno-flamegraph):
                                     the call graph expanded from its roots, each callee's
                                     cost split by the share of the caller's edge (gprof's
                                     assumption: a function costs the same whoever calls it)

Callgrind records caller->callee edges with their inclusive cost, not whole stacks, so the
folded output is an expansion of the graph, exact only where a function has one caller.
"""
import re
import sys
from collections import defaultdict

sys.setrecursionlimit(10000)


def parse(path):
    names = {}          # id -> name, per kind
    self_cost = defaultdict(int)
    edges = defaultdict(lambda: defaultdict(lambda: [0, 0]))  # f -> g -> [calls, cost]
    fn = None
    pending_call = None  # (target, count)
    total = None

    def name(kind, rest):
        m = re.match(r"\((\d+)\)(?:\s+(.*))?$", rest)
        if not m:
            return rest
        key = (kind, m.group(1))
        if m.group(2) is not None:
            names[key] = m.group(2)
        return names.get(key, rest)

    cfn = None
    with open(path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            c = line[0]
            if c.isdigit() or c in "+-*":
                parts = line.split()
                cost = int(parts[1]) if len(parts) > 1 else 0
                if pending_call is not None:
                    tgt, cnt = pending_call
                    e = edges[fn][tgt]
                    e[0] += cnt
                    e[1] += cost
                    pending_call = None
                else:
                    self_cost[fn] += cost
                continue
            if line.startswith("fn="):
                fn = name("fn", line[3:])
                cfn = None
            elif line.startswith("cfn="):
                cfn = name("fn", line[4:])
            elif line.startswith("calls="):
                cnt = int(line[6:].split()[0])
                pending_call = (cfn, cnt)
            elif line.startswith(("fl=", "fi=", "fe=", "cfi=", "cfl=")):
                k, rest = line.split("=", 1)
                name("fl", rest)
            elif line.startswith(("ob=", "cob=")):
                k, rest = line.split("=", 1)
                name("ob", rest)
            elif line.startswith("totals:") or line.startswith("summary:"):
                total = int(line.split()[1])
    return self_cost, edges, total


def inclusive(self_cost, edges):
    inc = defaultdict(int)
    for f, s in self_cost.items():
        inc[f] += s
    for f, out in edges.items():
        for g, (cnt, cost) in out.items():
            if g != f:
                inc[f] += cost
    return inc


def calls_in(edges):
    cin = defaultdict(int)
    for f, out in edges.items():
        for g, (cnt, cost) in out.items():
            if g != f:
                cin[g] += cnt
    return cin


def short(n):
    n = re.sub(r"\[/[^\]]*\]$", "", n).strip()
    return n


def cmd_top(path, n=40):
    s, e, total = parse(path)
    inc = inclusive(s, e)
    cin = calls_in(e)
    print(f"total {total:,}")
    print("-- self")
    for f, c in sorted(s.items(), key=lambda x: -x[1])[:n]:
        print(f"{c:>15,} {100*c/total:6.2f}%  {short(f)[:160]}")
    print("-- inclusive")
    for f, c in sorted(inc.items(), key=lambda x: -x[1])[:n]:
        print(f"{c:>15,} {100*c/total:6.2f}% calls={cin[f]:>8}  {short(f)[:160]}")


def cmd_incl(path, pats):
    s, e, total = parse(path)
    inc = inclusive(s, e)
    cin = calls_in(e)
    for p in pats:
        r = re.compile(p)
        for f, c in sorted(inc.items(), key=lambda x: -x[1]):
            if r.search(f):
                print(f"{c:>15,} {100*c/total:6.2f}% calls={cin[f]:>8} self={s[f]:>13,}  {short(f)[:170]}")


def cmd_folded(path, min_frac=0.0005):
    s, e, total = parse(path)
    inc = inclusive(s, e)
    cin = calls_in(e)
    thresh = total * min_frac
    out = defaultdict(float)
    # Roots: the part of a function's inclusive cost that no recorded call explains (thread
    # entries, and frames already on the stack when instrumentation was switched on).
    cost_in = defaultdict(int)
    for f0, outs in e.items():
        for g, (cnt, ec) in outs.items():
            if g != f0:
                cost_in[g] += ec
    rootw = {f: inc[f] - cost_in[f] for f in inc if inc[f] - cost_in[f] > 0}
    roots = list(rootw)

    def clean(n):
        n = short(n)
        n = n.replace(";", ",")
        return n

    def walk(f, cost, stack, onstack):
        if inc[f] <= 0:
            return
        scale = cost / inc[f]
        here = stack + [clean(f)]
        rest = s[f] * scale
        for g, (cnt, ec) in e[f].items():
            if g == f:
                continue
            c = ec * scale
            if c < thresh or g in onstack or len(here) > 120:
                rest += c
                continue
            onstack.add(g)
            walk(g, c, here, onstack)
            onstack.discard(g)
        if rest > 0:
            out[";".join(here)] += rest

    for r in sorted(roots, key=lambda x: -rootw[x]):
        if rootw[r] < thresh:
            out["[other roots]"] += rootw[r]
            continue
        walk(r, rootw[r], [], {r})
    for k, v in out.items():
        if v >= 1:
            print(f"{k} {int(round(v))}")


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "top":
        cmd_top(sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 40)
    elif cmd == "incl":
        cmd_incl(sys.argv[2], sys.argv[3:])
    elif cmd == "folded":
        cmd_folded(sys.argv[2], float(sys.argv[3]) if len(sys.argv) > 3 else 0.0005)
