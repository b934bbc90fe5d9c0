#!/usr/bin/env python3
"""events_equiv - are two spanlog outputs the same set of events?

Usage: events_equiv.py A.jsonl B.jsonl

Drops "stats" events and the "sensor" field, then compares the two multisets
of events (every other field, event_id and flow_id included, must be equal;
order may differ).  Also checks that event_id is unique within each file.
Exit 0 when equal, 1 otherwise, with the first differences on stdout.
"""

import collections
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import evlib  # noqa: E402


def canon(path, problems):
    events, errors = evlib.read_events(path)
    for e in errors[:3]:
        problems.append("%s: %s" % (os.path.basename(path), e))
    bag = collections.Counter()
    ids = collections.Counter()
    for ev in events:
        if ev.get("event_type") == "stats":
            continue
        ev = dict(ev)
        ev.pop("sensor", None)
        ids[ev.get("event_id")] += 1
        bag[json.dumps(ev, sort_keys=True, separators=(",", ":"))] += 1
    dup = [i for i, n in ids.items() if n > 1]
    if dup:
        problems.append("%s: %d event_id values used more than once (e.g. %s)"
                        % (os.path.basename(path), len(dup), dup[:3]))
    return bag


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    problems = []
    a = canon(sys.argv[1], problems)
    b = canon(sys.argv[2], problems)
    only_a = a - b
    only_b = b - a
    if only_a or only_b:
        problems.append("%d events only in %s, %d only in %s (of %d / %d)" % (
            sum(only_a.values()), os.path.basename(sys.argv[1]),
            sum(only_b.values()), os.path.basename(sys.argv[2]),
            sum(a.values()), sum(b.values())))
        for tag, bag in (("<", only_a), (">", only_b)):
            for line in sorted(bag)[:3]:
                problems.append("%s %.400s" % (tag, line))
        # Name the fields that differ for events paired by event_id or
        # flow_id, which is usually the quickest way to the cause.
        bs = [json.loads(x) for x in only_b]
        for line in sorted(only_a)[:3]:
            ea = json.loads(line)
            twin = None
            for key in ("event_id", "flow_id"):
                twin = next((eb for eb in bs if eb.get(key) is not None and
                             eb.get(key) == ea.get(key) and
                             eb.get("event_type") == ea.get("event_type")),
                            None)
                if twin:
                    break
            if twin:
                diff = sorted(k for k in set(ea) | set(twin)
                              if ea.get(k) != twin.get(k))
                problems.append("event %s %s: differs in %s" % (
                    ea.get("event_type"), ea.get("event_id"),
                    ", ".join("%s (%.60r vs %.60r)" % (
                        k, ea.get(k), twin.get(k)) for k in diff)))
    if not a and not b:
        problems.append("no events at all in either output")
    for p in problems:
        print("    " + p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
