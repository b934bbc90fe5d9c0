#!/usr/bin/env python3
"""sweep - run spanlog on many captures at several snaplens (truncation).

Each capture is one test.  For every snaplen spanlog must exit 0 or 2 (2 is
how a truncated or corrupt input is reported), print no sanitizer report,
write only JSON objects, end a successful run with a "stats" event, and say
why on stderr when it exits 2.  Prints PASS/FAIL lines and ends with
"N passed, N failed".
"""

import argparse
import concurrent.futures
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import evlib  # noqa: E402


def check_run(opts, cap, snaplen):
    """None when fine, else a short description of what went wrong."""
    argv = [opts.spanlog, "-r", cap, "-o", "-", "--snaplen", str(snaplen)]
    argv += opts.extra
    rc, out, err = evlib.run(argv, timeout=opts.timeout)
    san = evlib.sanitizer_report(err)
    if san:
        return "snaplen %d: sanitizer: %s" % (snaplen, san)
    if rc not in (0, 2):
        last = err.strip().splitlines()[-1] if err.strip() else ""
        return "snaplen %d: %s %.200s" % (snaplen, evlib.describe_rc(rc),
                                          last)
    events, jerr = evlib.parse_events(out)
    if jerr:
        return "snaplen %d: %s" % (snaplen, jerr[0])
    if rc == 2 and not err.strip():
        return "snaplen %d: exit 2 without a message" % snaplen
    if rc == 0 and not any(e.get("event_type") == "stats" for e in events):
        return "snaplen %d: exit 0 but no final stats event" % snaplen
    return None


def check_file(opts, path):
    cap = evlib.materialize(path, opts.work)
    problems = []
    for s in opts.snaplens:
        p = check_run(opts, cap, s)
        if p:
            problems.append(p)
    return problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--spanlog", required=True)
    ap.add_argument("--snaplens", default="64,96,128,200")
    ap.add_argument("--work", required=True, help="scratch dir (gunzip)")
    ap.add_argument("--base", default=None,
                    help="test names are paths relative to this dir")
    ap.add_argument("--prefix", default="snaplen/")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--timeout", type=int, default=600)
    ap.add_argument("--extra", action="append", default=[])
    ap.add_argument("files", nargs="+")
    opts = ap.parse_args()
    opts.snaplens = [int(x) for x in opts.snaplens.split(",") if x]

    passed = failed = 0
    with concurrent.futures.ThreadPoolExecutor(max(1, opts.jobs)) as ex:
        futs = [(f, ex.submit(check_file, opts, f)) for f in opts.files]
        for f, fut in futs:
            name = opts.prefix + (os.path.relpath(f, opts.base)
                                  if opts.base else os.path.basename(f))
            try:
                problems = fut.result()
            except Exception as e:
                problems = ["checker error: %r" % e]
            if problems:
                failed += 1
                print("FAIL %s: %s" % (name, "; ".join(problems)), flush=True)
            else:
                passed += 1
                print("PASS %s" % name, flush=True)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
