#!/usr/bin/env python3
"""check_proto_facts - compare spanlog's protocol events with golden facts.

Usage: check_proto_facts.py FACTS.jsonl EVENTS.jsonl

FACTS is written by tests/gen/itgen (golden mode), one JSON object a line:
  {"event_type": T, KEY: VALUE, ...}
      an expected event.  KEY is a dotted path into the event, with [i] for
      list items ("email.attachment[0].filename", "dns.flags.rd").  The
      fact is satisfied by an event of type T in which every KEY holds a
      value equal to VALUE (JSON equality; 1 == 1.0); VALUE null means the
      key must be absent (or null).  Each event satisfies one fact at most.
  {"count_event_type": T, "count": N}
      exactly N events of type T.
  {"anomaly": NAME, "count": N}
      exactly N "anomaly" events whose anomaly.event is NAME or whose
      anomaly.detail starts with the word NAME.
  {"absent_text": S}
      S does not occur in the raw output (UTF-8 bytes, and S with JSON
      escaping of "/" and non-ASCII as \\uXXXX also checked).
Exit 0 when every fact holds, 1 otherwise (reasons on stdout), 2 on usage.
"""

import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import evlib  # noqa: E402

MISSING = object()
PATH_RE = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def split_path(key):
    """'a.b[0].c' -> ['a', 'b', 0, 'c']."""
    out = []
    for name, idx in PATH_RE.findall(key):
        out.append(int(idx) if idx else name)
    return out


def lookup(ev, key):
    v = ev
    for p in split_path(key):
        if isinstance(p, int):
            if not isinstance(v, list) or p >= len(v):
                return MISSING
        elif not isinstance(v, dict) or p not in v:
            return MISSING
        v = v[p]
    return v


def equal(got, want):
    if isinstance(want, bool) or isinstance(got, bool):
        return type(got) is type(want) and got == want
    if isinstance(want, (int, float)) and isinstance(got, (int, float)):
        return abs(got - want) < 1e-9
    if isinstance(want, list):
        return isinstance(got, list) and len(got) == len(want) and \
            all(equal(g, w) for g, w in zip(got, want))
    if isinstance(want, dict):
        return isinstance(got, dict) and set(got) == set(want) and \
            all(equal(got[k], want[k]) for k in want)
    return got == want


def mismatches(fact, ev):
    out = []
    for key, want in fact.items():
        if key == "event_type":
            continue
        got = lookup(ev, key)
        if key in ("src_ip", "dest_ip") and isinstance(got, str):
            got, want = evlib.norm_ip(got), evlib.norm_ip(want)
        if want is None:
            if got is not MISSING and got is not None:
                out.append("%s: got %s, want absent" % (key, short(got)))
        elif got is MISSING:
            out.append("%s: missing (want %s)" % (key, short(want)))
        elif not equal(got, want):
            out.append("%s: got %s, want %s" % (key, short(got),
                                                short(want)))
    return out


def short(v):
    s = json.dumps(v, ensure_ascii=False)
    return s if len(s) <= 300 else s[:300] + "..."


def describe(fact):
    keys = ("src_port", "dest_port", "http.url", "dns.id", "dns.rrname",
            "smtp.mail_from", "smtp.trans_depth", "http.trans_depth")
    parts = ["%s=%s" % (k, short(fact[k])) for k in keys if k in fact]
    return "%s event (%s)" % (fact.get("event_type"), ", ".join(parts))


def anomaly_matches(ev, name):
    a = ev.get("anomaly") or {}
    if a.get("event") == name:
        return True
    detail = a.get("detail") or ""
    return detail.split(" ", 1)[0] == name


def text_forms(s):
    forms = {s, json.dumps(s)[1:-1], json.dumps(s, ensure_ascii=False)[1:-1],
             s.replace("/", "\\/")}
    return [f for f in forms if f]


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if len(args) != 2:
        print(__doc__)
        return 2
    facts_path, events_path = args
    problems = []
    ev_facts, counts, anomalies, absent = [], [], [], []
    with open(facts_path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except ValueError as e:
                problems.append("facts line %d: not JSON: %s" % (n, e))
                continue
            if "event_type" in obj:
                ev_facts.append(obj)
            elif "count_event_type" in obj:
                counts.append(obj)
            elif "anomaly" in obj:
                anomalies.append(obj)
            elif "absent_text" in obj:
                absent.append(obj)
            else:
                problems.append("facts line %d: unknown kind" % n)
    with open(events_path, "rb") as f:
        raw = f.read()
    events, errors = evlib.parse_events(raw.decode("utf-8", "replace"))
    problems += ["output " + e for e in errors[:3]]
    if not events:
        problems.append("no events in the output")

    # Facts with the most keys first, so a loose fact cannot take the
    # event a strict one needs; then the best remaining candidate.
    used = set()
    order = sorted(range(len(ev_facts)), key=lambda i: -len(ev_facts[i]))
    for i in order:
        fact = ev_facts[i]
        cands = [j for j, ev in enumerate(events) if j not in used and
                 ev.get("event_type") == fact["event_type"]]
        best = None
        for j in cands:
            mm = mismatches(fact, events[j])
            if best is None or len(mm) < len(best[1]):
                best = (j, mm)
            if not mm:
                break
        if best is None:
            problems.append("no %s" % describe(fact))
            continue
        if best[1]:
            problems.append("%s: no event matches; closest differs in:" %
                            describe(fact))
            problems += ["    " + m for m in best[1]]
            continue
        used.add(best[0])

    for c in counts:
        t, want = c["count_event_type"], c.get("count")
        got = sum(1 for ev in events if ev.get("event_type") == t)
        if got != want:
            problems.append("%s events: %d, want %s" % (t, got, want))

    anom_events = [ev for ev in events if ev.get("event_type") == "anomaly"]
    for a in anomalies:
        name, want = a["anomaly"], a.get("count")
        got = sum(1 for ev in anom_events if anomaly_matches(ev, name))
        if got != want:
            problems.append("anomaly %s: %d events, want %s" %
                            (name, got, want))

    for a in absent:
        s = a["absent_text"]
        for form in text_forms(s):
            if form.encode("utf-8") in raw:
                problems.append("text %r appears in the output" % form)
                break

    for p in problems:
        print("    " + p)
    if not problems:
        print("    %d events, %d counts, %d anomaly counts, %d absent texts "
              "match" % (len(ev_facts), len(counts), len(anomalies),
                         len(absent)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
