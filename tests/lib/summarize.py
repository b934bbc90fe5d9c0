#!/usr/bin/env python3
"""summarize - a readable summary of spanlog's JSON-lines output.

Usage: summarize.py EVENTS.jsonl [--examples N]

Prints: events per type; flows per application / nDPI protocol; flows per
TCP state; top talkers by bytes; anomalies by name; the final stats; then
a few events pretty-printed (one flow per protocol, one event of each other
type).
"""

import collections
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import evlib  # noqa: E402


def human(n):
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return ("%d %s" % (n, unit)) if unit == "B" else \
                ("%.1f %s" % (n, unit))
        n /= 1024.0
    return str(n)


def table(title, rows, headers):
    print(title)
    if not rows:
        print("  (none)\n")
        return
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows))
              for i, h in enumerate(headers)]
    fmt = "  " + "  ".join("%%-%ds" % w if i == 0 else "%%%ds" % w
                           for i, w in enumerate(widths))
    print(fmt % tuple(headers))
    for r in rows:
        print(fmt % tuple(r))
    print()


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    examples = 3
    if "--examples" in sys.argv:
        examples = int(sys.argv[sys.argv.index("--examples") + 1])
        args = [a for a in args if a != str(examples)]
    if len(args) != 1:
        print(__doc__)
        return 2
    events, errors = evlib.read_events(args[0])
    for e in errors[:3]:
        print("warning: " + e)

    by_type = collections.Counter(e.get("event_type") for e in events)
    flows = [e for e in events if e.get("event_type") == "flow"]
    table("Events by type", sorted(by_type.items(), key=lambda x: -x[1]),
          ("event_type", "count"))

    proto = collections.defaultdict(lambda: [0, 0, 0])
    for f in flows:
        nd = f.get("ndpi") or {}
        name = nd.get("protocol") or "-"
        if nd.get("master_protocol"):
            name = "%s.%s" % (nd["master_protocol"], name)
        key = (f.get("app_proto") or "-", name, f.get("proto") or "?")
        fl = f.get("flow") or {}
        proto[key][0] += 1
        proto[key][1] += (fl.get("pkts_toserver") or 0) + \
            (fl.get("pkts_toclient") or 0)
        proto[key][2] += (fl.get("bytes_toserver") or 0) + \
            (fl.get("bytes_toclient") or 0)
    rows = [(k[0], k[1], k[2], v[0], v[1], human(v[2]))
            for k, v in sorted(proto.items(), key=lambda x: -x[1][0])]
    table("Flows by application (app_proto = spanlog's dissector, "
          "ndpi = nDPI's verdict)", rows,
          ("app_proto", "ndpi", "proto", "flows", "packets", "bytes"))

    states = collections.Counter((f.get("flow") or {}).get("state") or "-"
                                 for f in flows if f.get("proto") == "TCP")
    reasons = collections.Counter((f.get("flow") or {}).get("reason") or "-"
                                  for f in flows)
    table("TCP flows by state", sorted(states.items(), key=lambda x: -x[1]),
          ("state", "flows"))
    table("Flows by end reason", sorted(reasons.items(), key=lambda x: -x[1]),
          ("reason", "flows"))

    talk = collections.defaultdict(lambda: [0, 0, 0])
    for f in flows:
        fl = f.get("flow") or {}
        for ip, sent in ((f.get("src_ip"), "bytes_toserver"),
                         (f.get("dest_ip"), "bytes_toclient")):
            talk[ip][0] += 1
            talk[ip][1] += fl.get(sent) or 0
        talk[f.get("src_ip")][2] += 1
    rows = [(ip, human(v[1]), v[0], v[2]) for ip, v in
            sorted(talk.items(), key=lambda x: -x[1][1])[:10]]
    table("Top talkers (bytes sent)", rows,
          ("address", "sent", "flows", "as client"))

    anomalies = collections.Counter()
    for e in events:
        if e.get("event_type") == "anomaly":
            a = e.get("anomaly") or {}
            anomalies[a.get("event") or a.get("type") or "?"] += 1
    table("Anomalies", sorted(anomalies.items(), key=lambda x: -x[1]),
          ("anomaly.event", "count"))

    stats = [e for e in events if e.get("event_type") == "stats"]
    if stats:
        print("Final stats")
        print(json.dumps(stats[-1].get("stats"), indent=2))
        print()

    if examples > 0:
        print("Example events")
        shown = set()
        n = 0
        for f in flows:
            p = (f.get("ndpi") or {}).get("protocol") or f.get("app_proto")
            if p in shown or n >= examples:
                continue
            shown.add(p)
            n += 1
            print(json.dumps(f, indent=2))
        other = set()
        for e in events:
            t = e.get("event_type")
            if t in ("flow", "stats") or t in other:
                continue
            other.add(t)
            print(json.dumps(e, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
