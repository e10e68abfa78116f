#!/usr/bin/env python3
"""breakdown.py RUN_DIR...: per request, the instructions of the named cost centres
(inclusive, from cgparse) for the pages / saves / mixed / idle phases of a callgrind.sh run."""
import os, re, sys
sys.dont_write_bytecode = True  # no __pycache__ in the repository
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cgparse
import summarize

CENTRES = [
    ("Store::context / context_of (all)", r"^ruji_store::room::context_of$"),
    ("  open_session (Session clone)", r"^ruji_store::room::open_session$"),
    ("  Session::clone", r"^<ruji_core::package::Session as core::clone::Clone>::clone$"),
    ("drop Context", r"^core::ptr::drop_in_place<ruji_store::room::Context>$"),
    ("  drop Session", r"^core::ptr::drop_in_place<ruji_core::package::Session>$"),
    ("Package::participant (linear find)", r"^ruji_core::package::Package::participant$"),
    ("SignedCookieJar::from_headers (verify + sign again)", r"^axum_extra::extract::cookie::signed::SignedCookieJar::from_headers$"),
    ("auth::participant (jar.get: verify once more)", r"^ruji_web::auth::participant$"),
    ("save job on the writer (boxed FnOnce: op + reply)", r"^core::ops::function::FnOnce::call_once\{\{vtable.shim\}\}$"),
    ("answers_of", r"^ruji_store::room::answers_of$"),
    ("Tx::audit", r"^ruji_store::Tx::audit$"),
    ("redb commit (WriteTransaction::commit_with)", r"^redb::transactions::WriteTransaction::commit_with$"),
    ("malloc (incl.)", r"^malloc$"),
    ("free (incl.)", r"^free$"),
    ("realloc (incl.)", r"^realloc$"),
    ("spawn_blocking tasks (the sweep, the LED reasons)", r"^std::sys::backtrace::__rust_begin_short_backtrace$"),
    ("periodic::{{closure}}", r"^ruji_room::periodic::<impl ruji_room::Room>::periodic::\{\{closure\}\}$"),
    ("hyper connection (HTTP, all of a request on the worker)", r"^<hyper::server::conn::http1::Connection<I,S> as core::future::future::Future>::poll$"),
]

for run in sys.argv[1:]:
    dumps = summarize.bench_report.callgrind_dumps(run)
    print(f"== {run}")
    for name, r in summarize.phases(run):
        if r["kind"] == "logins" or name not in dumps:
            continue
        s, e, total = cgparse.parse(dumps[name][0])
        inc = cgparse.inclusive(s, e)
        cin = cgparse.calls_in(e)
        if r["kind"] == "idle":
            div, unit = r["seconds"], "per second"
        elif r["kind"] == "pages":
            div, unit = r["pages"], "per page load"
        else:
            div, unit = r["saves"], "per save" + (" (+ its page load)" if r["kind"] == "mixed" else "")
        print(f"-- {r['kind']}: {total/div:,.0f} Ir {unit}  (n={div})")
        for label, pat in CENTRES:
            rx = re.compile(pat)
            c = sum(v for f, v in inc.items() if rx.search(cgparse.short(f)))
            k = sum(cin[f] for f in inc if rx.search(cgparse.short(f)))
            if c:
                print(f"   {c/div:>12,.0f} {100*c/total:5.1f}%  calls/unit={k/div:8.2f}  {label}")
        # self cost of the allocator
        al = sum(v for f, v in s.items() if re.match(r"^(malloc|free|_int_malloc|_int_free|malloc_consolidate|unlink_chunk.*|realloc|_int_realloc|cfree|__libc_.*|alloc_perturb|__rustc::__rust_(alloc|dealloc|realloc))$", cgparse.short(f)))
        print(f"   {al/div:>12,.0f} {100*al/total:5.1f}%  allocator self cost (glibc malloc/free + rust shims)")
