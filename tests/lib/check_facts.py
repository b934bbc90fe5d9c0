#!/usr/bin/env python3
"""check_facts - compare spanlog's events with a golden case's facts.

Usage: check_facts.py FACTS.jsonl EVENTS.jsonl [--allow-extra-flows]

FACTS is written by tests/gen/pcapgen (golden mode): one line per expected
flow, then {"anomaly": NAME, "count": N} lines.  Rules (see pcapgen.c):
  - a flow fact is matched to a "flow" event by proto, src/dest address and
    port, and vlan (absent = untagged); each event matches one fact at most,
    and every other key present in the fact must equal the event's value;
    keys absent from the fact are not asserted;
  - every flow event must be matched by a fact (pass --allow-extra-flows
    to relax this);
  - an anomaly line means exactly N "anomaly" events with anomaly.event ==
    NAME (N = 0: none); anomalies not listed are not asserted.
Exit 0 when everything matches, 1 otherwise, with the reasons on stdout.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import evlib  # noqa: E402

KEY_FIELDS = ("proto", "src_ip", "src_port", "dest_ip", "dest_port", "vlan")

# fact key -> path in the flow event
FLOW_FIELDS = {
    "pkts_toserver": ("flow", "pkts_toserver"),
    "pkts_toclient": ("flow", "pkts_toclient"),
    "bytes_toserver": ("flow", "bytes_toserver"),
    "bytes_toclient": ("flow", "bytes_toclient"),
    "payload_toserver": ("flow", "payload_bytes_toserver"),
    "payload_toclient": ("flow", "payload_bytes_toclient"),
    "payload_bytes_toserver": ("flow", "payload_bytes_toserver"),
    "payload_bytes_toclient": ("flow", "payload_bytes_toclient"),
    "state": ("flow", "state"),
    "history": ("flow", "history"),
    "missed_bytes": ("flow", "missed_bytes"),
    "reason": ("flow", "reason"),
    "start": ("flow", "start"),
    "end": ("flow", "end"),
    "app_proto": ("app_proto",),
    "community_id": ("community_id",),
    "ndpi_protocol": ("ndpi", "protocol"),
}

MISSING = object()


def lookup(ev, key):
    path = FLOW_FIELDS.get(key)
    if path is None:
        # Unknown key: look for it at the top, then in flow{}, then ndpi{}.
        for p in ((key,), ("flow", key), ("ndpi", key)):
            v = lookup_path(ev, p)
            if v is not MISSING:
                return v
        return MISSING
    return lookup_path(ev, path)


def lookup_path(ev, path):
    v = ev
    for p in path:
        if not isinstance(v, dict) or p not in v:
            return MISSING
        v = v[p]
    return v


def flow_key(obj, reverse=False):
    src = (evlib.norm_ip(obj.get("src_ip")), obj.get("src_port"))
    dst = (evlib.norm_ip(obj.get("dest_ip")), obj.get("dest_port"))
    if reverse:
        src, dst = dst, src
    vlan = obj.get("vlan") or []
    if not isinstance(vlan, list):
        vlan = [vlan]
    return (evlib.norm_proto(obj.get("proto")), src, dst, tuple(vlan))


def fmt_key(k):
    proto, s, d, vlan = k
    v = " vlan %s" % list(vlan) if vlan else ""
    return "%s %s:%s -> %s:%s%s" % (proto, s[0], s[1], d[0], d[1], v)


def mismatches(fact, ev):
    out = []
    for key, want in fact.items():
        if key in KEY_FIELDS:
            continue
        got = lookup(ev, key)
        if got is MISSING:
            out.append("%s: missing in event (want %r)" % (key, want))
        elif got != want:
            out.append("%s: got %r, want %r" % (key, got, want))
    return out


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    allow_extra = "--allow-extra-flows" in sys.argv[1:]
    if len(args) != 2:
        print(__doc__)
        return 2
    facts_path, events_path = args
    problems = []
    flow_facts, anomaly_facts = [], []
    with open(facts_path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except ValueError as e:
                problems.append("facts line %d: not JSON: %s" % (n, e))
                continue
            (anomaly_facts if "anomaly" in obj else flow_facts).append(obj)
    events, errors = evlib.read_events(events_path)
    problems += ["output " + e for e in errors[:3]]
    flows = [e for e in events if e.get("event_type") == "flow"]
    anomalies = [e for e in events if e.get("event_type") == "anomaly"]

    used = set()
    for fact in flow_facts:
        k = flow_key(fact)
        cands = [i for i, ev in enumerate(flows)
                 if i not in used and flow_key(ev) == k]
        if not cands:
            rev = [ev for ev in flows if flow_key(ev) == flow_key(fact, True)]
            hint = " (an event has it with src and dest swapped)" if rev \
                else ""
            problems.append("no flow event for %s%s" % (fmt_key(k), hint))
            continue
        best = None
        for i in cands:
            mm = mismatches(fact, flows[i])
            if best is None or len(mm) < len(best[1]):
                best = (i, mm)
            if not mm:
                break
        used.add(best[0])
        for m in best[1]:
            problems.append("%s: %s" % (fmt_key(k), m))
    if not allow_extra:
        for i, ev in enumerate(flows):
            if i not in used:
                fl = ev.get("flow") or {}
                problems.append("unexpected flow event %s (%s/%s pkts)" % (
                    fmt_key(flow_key(ev)), fl.get("pkts_toserver"),
                    fl.get("pkts_toclient")))

    for fact in anomaly_facts:
        name = fact.get("anomaly")
        want = fact.get("count")
        got = sum(1 for e in anomalies
                  if (e.get("anomaly") or {}).get("event") == name)
        if got != want:
            problems.append("anomaly %s: %d events, want %s" %
                            (name, got, want))

    for p in problems:
        print("    " + p)
    if not problems:
        print("    %d flows, %d anomaly counts match" %
              (len(flow_facts), len(anomaly_facts)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
