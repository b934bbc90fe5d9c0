#!/usr/bin/env python3
"""check_ot_facts - compare spanlog's OT events with a golden case's facts.

Usage: check_ot_facts.py FACTS.jsonl EVENTS.jsonl

FACTS is written by tests/gen/otgen (golden mode), one JSON object a line:

  {"event_type": T, KEY: VALUE, ...}
      One event with event_type T must carry every KEY with an equal VALUE.
      Each fact needs its own event (distinct events, found by a maximum
      bipartite matching, so the order of facts and events does not matter).
  {"count_event_type": T, "count": N [, KEY: VALUE ...]}
      Exactly N events of type T, counting only those that carry the
      optional KEY/VALUE pairs.

KEY lookup: a dotted path ("request.objects.0.group": list items by index)
looked up inside the event's own T object first (ev["modbus"]["..."]), then
from the top of the event ("dest_port", "proto").  A KEY ending in "^"
means "the string value starts with VALUE".
VALUE comparison: numbers and strings equal (true/false are not numbers);
an object matches when each of its keys matches (a subset: keys the fact
does not list are not asserted); a list must have the same length and match
item by item.

Exit 0 when everything matches, 1 otherwise (reasons on stdout), 2 on
usage or unreadable input.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import evlib  # noqa: E402

MISSING = object()


def walk(obj, parts):
    v = obj
    for p in parts:
        if isinstance(v, dict):
            if p not in v:
                return MISSING
            v = v[p]
        elif isinstance(v, list):
            if not p.isdigit() or int(p) >= len(v):
                return MISSING
            v = v[int(p)]
        else:
            return MISSING
    return v


def lookup(ev, etype, key):
    parts = key.split(".")
    inner = ev.get(etype)
    if isinstance(inner, dict):
        v = walk(inner, parts)
        if v is not MISSING:
            return v
    return walk(ev, parts)


def same(want, got, path=""):
    """None when got matches want, else a short reason."""
    if isinstance(want, dict):
        if not isinstance(got, dict):
            return "%s: got %s, want an object" % (path or "value",
                                                   short(got))
        for k, w in want.items():
            if k not in got:
                return "%s.%s: missing" % (path, k) if path else \
                    "%s: missing" % k
            r = same(w, got[k], "%s.%s" % (path, k) if path else k)
            if r:
                return r
        return None
    if isinstance(want, list):
        if not isinstance(got, list):
            return "%s: got %s, want a list" % (path, short(got))
        if len(want) != len(got):
            return "%s: %d items, want %d" % (path, len(got), len(want))
        for i, (w, g) in enumerate(zip(want, got)):
            r = same(w, g, "%s.%d" % (path, i))
            if r:
                return r
        return None
    if isinstance(want, bool) or isinstance(got, bool):
        ok = isinstance(want, bool) and isinstance(got, bool) and want == got
    elif isinstance(want, (int, float)) and isinstance(got, (int, float)):
        ok = want == got
    else:
        ok = type(want) is type(got) and want == got
    if ok:
        return None
    return "%s: got %s, want %s" % (path, short(got), short(want))


def short(v):
    s = json.dumps(v)
    return s if len(s) <= 120 else s[:117] + "..."


def mismatches(fact, ev, etype):
    """Reasons why ev does not satisfy fact (empty list: it does)."""
    out = []
    if ev.get("event_type") != etype:
        return ["event_type %r" % ev.get("event_type")]
    for key, want in fact.items():
        if key in ("event_type", "count_event_type", "count"):
            continue
        if key.endswith("^"):
            got = lookup(ev, etype, key[:-1])
            if got is MISSING:
                out.append("%s: missing" % key[:-1])
            elif not isinstance(got, str) or not got.startswith(want):
                out.append("%s: got %s, want prefix %r" %
                           (key[:-1], short(got), want))
            continue
        got = lookup(ev, etype, key)
        if got is MISSING:
            out.append("%s: missing" % key)
            continue
        r = same(want, got, key)
        if r:
            out.append(r)
    return out


def match(facts, events):
    """Maximum bipartite matching fact -> event; returns {fact_i: ev_i}."""
    cands = []
    for f in facts:
        et = f["event_type"]
        cands.append([i for i, ev in enumerate(events)
                      if not mismatches(f, ev, et)])
    owner = {}

    def augment(fi, seen):
        for ei in cands[fi]:
            if ei in seen:
                continue
            seen.add(ei)
            if ei not in owner or augment(owner[ei], seen):
                owner[ei] = fi
                return True
        return False

    for fi in range(len(facts)):
        augment(fi, set())
    return {fi: ei for ei, fi in owner.items()}


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    facts_path, events_path = sys.argv[1:]
    problems = []
    facts, counts = [], []
    try:
        with open(facts_path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except ValueError as e:
                    problems.append("facts line %d: not JSON: %s" % (n, e))
                    continue
                if "count_event_type" in obj:
                    counts.append(obj)
                elif "event_type" in obj:
                    facts.append(obj)
                else:
                    problems.append("facts line %d: no event_type" % n)
        events, errors = evlib.read_events(events_path)
    except OSError as e:
        print("    %s" % e)
        return 2
    problems += ["output " + e for e in errors[:3]]

    got = match(facts, events)
    for fi, fact in enumerate(facts):
        if fi in got:
            continue
        et = fact["event_type"]
        same_type = [ev for ev in events if ev.get("event_type") == et]
        best = None
        for ev in same_type:
            mm = mismatches(fact, ev, et)
            if best is None or len(mm) < len(best):
                best = mm
        desc = short({k: v for k, v in fact.items()})
        if best is None:
            problems.append("no %s event at all for fact %s" % (et, desc))
        elif not best:
            problems.append("fact %s: its only matching events are taken "
                            "by other facts" % desc)
        else:
            problems.append("no event for fact %s; nearest %s event: %s" %
                            (desc, et, "; ".join(best[:4])))

    for c in counts:
        et = c["count_event_type"]
        want = c.get("count")
        n = sum(1 for ev in events if not mismatches(c, ev, et))
        if n != want:
            extra = {k: v for k, v in c.items()
                     if k not in ("count_event_type", "count")}
            problems.append("count of %s events%s: %d, want %s" %
                            (et, " with %s" % short(extra) if extra else "",
                             n, want))

    for p in problems:
        print("    " + p)
    if not problems:
        print("    %d facts, %d counts match" % (len(facts), len(counts)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
