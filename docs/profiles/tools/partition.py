#!/usr/bin/env python3
"""partition.py FOLDED...: perf samples split into disjoint cost centres (first match wins)."""
import re, sys
CATS = [
 ("writer: fsync (fdatasync, kernel)", r"^ruji-store-writ.*(fdatasync|do_fsync)"),
 ("writer: save op: context_of (Session clone in open_session)", r"^ruji-store-writ.*save_answer.*open_session"),
 ("writer: save op: drop Context (Session drop)", r"^ruji-store-writ.*save_answer.*drop_in_place<ruji_store::room::Context>"),
 ("writer: save op: rest of context_of", r"^ruji-store-writ.*save_answer.*context_of"),
 ("writer: save op: rest (answer + audit insert, ...)", r"^ruji-store-writ.*save_answer"),
 ("writer: redb commit (without fsync)", r"^ruji-store-writ.*commit"),
 ("writer: other", r"^ruji-store-writ"),
 ("periodic sweep (due_timeouts on a blocking thread)", r"tick_once"),
 ("LED reasons (panel supervise, blocking)", r"supervise"),
 ("worker: context read: Session clone (open_session)", r"context<|context_of.*open_session|open_session"),
 ("worker: drop Context (Session drop)", r"drop_in_place<ruji_store::room::Context>"),
 ("worker: context read: rest", r"context_of|Store.*context"),
 ("worker: signed cookie (SignedCookieJar::from_headers)", r"SignedCookieJar|signed::"),
 ("worker: JSON (serde_json)", r"serde_json"),
 ("worker: kernel (socket reads/writes, epoll, wake-ups)", r"^tokio-rt-worker.*(_\[k\]|__GI___writev|__libc_recv|__GI___libc_write|__libc_read|epoll_wait)"),
 ("worker: other (hyper, axum, tokio, alloc)", r"^tokio-rt-worker"),
 ("other threads", r"."),
]
for path in sys.argv[1:]:
    tot = 0.0
    acc = {n: 0.0 for n, _ in CATS}
    rx = [(n, re.compile(p)) for n, p in CATS]
    for line in open(path):
        stack, _, w = line.rstrip().rpartition(" ")
        w = float(w); tot += w
        for n, r in rx:
            if r.search(stack):
                acc[n] += w
                break
    print(f"== {path}")
    for n, _ in CATS:
        print(f"  {100*acc[n]/tot:5.1f}%  {n}")
