#!/usr/bin/env bash
#
# demo.sh - run spanlog on a small capture and show what it found.
#
#   scripts/demo.sh            (make demo builds first)
#
# The capture: pcaps/demo/*.pcap when the repository bundles one; otherwise
# made here, deterministically, by the project's own generator: 2 MiB of
# mixed HTTP, DNS, Modbus/TCP and DNP3 traffic (`pcapgen bench`, seed 1)
# plus a few of its golden cases (VLAN and QinQ tags, IPv6, ICMP, IP
# fragments, a TCP overlap with different data) - all read as one capture.
# Events go to build/demo/events.jsonl; the summary (flows per protocol, top
# talkers, anomalies, a few events) is printed by tests/lib/summarize.py.
# Then the learned baseline on the generated scenario of tests/scenario:
# the alerts of its attack day and `spanlog baseline diff`.

set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

BIN=${SPANLOG:-$ROOT/spanlog}
GEN=${PCAPGEN:-$ROOT/build/tools/pcapgen}
DIR=$ROOT/build/demo

die() { echo "demo.sh: $*" >&2; exit 1; }

[ -x "$BIN" ] || die "$BIN not found; run make first"
command -v python3 >/dev/null || die "python3 not found; run scripts/install-deps.sh"
mkdir -p "$DIR"

caps=()
for f in pcaps/demo/*.pcap pcaps/demo/*.pcapng; do
	[ -f "$f" ] && caps+=("$f")
done
if [ "${#caps[@]}" -eq 0 ]; then
	[ -x "$GEN" ] || die "$GEN not found; run make first"
	if [ ! -s "$DIR/mixed.pcap" ]; then
		"$GEN" bench "$DIR/mixed.pcap.part" 2 1 2>/dev/null
		mv "$DIR/mixed.pcap.part" "$DIR/mixed.pcap"
	fi
	rm -rf "$DIR/golden"
	mkdir -p "$DIR/golden"
	"$GEN" golden "$DIR/golden" >/dev/null
	caps=("$DIR/mixed.pcap")
	for c in vlan qinq ipv6 icmp ipv4_frag tcp_overlap_diff; do
		[ -f "$DIR/golden/$c.pcap" ] && caps+=("$DIR/golden/$c.pcap")
	done
fi

args=()
for f in "${caps[@]}"; do args+=(-r "$f"); done

echo "== spanlog ${args[*]#"$ROOT"/} -o build/demo/events.jsonl --sensor demo"
echo
rm -f "$DIR/events.jsonl"	# -o appends, as Suricata does
"$BIN" "${args[@]}" -o "$DIR/events.jsonl" --sensor demo
echo
python3 "$ROOT/tests/lib/summarize.py" "$DIR/events.jsonl" --examples 3
# What an OT engineer reads first: the device log and the alerts.
python3 - "$DIR/events.jsonl" <<'PY'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
print("\nDevice log (what the PLCs and RTUs would have written)")
for e in ev:
    if e["event_type"] == "device":
        d = e["device"]
        print("  %s %-15s %-24s by %-12s %s -> %s" % (
            e["timestamp"][11:23], d.get("ip", ""), d.get("action", ""),
            d.get("by", ""), d.get("detail", "")[:60], d.get("result", "")))
print("\nAlerts")
for e in ev:
    if e["event_type"] == "alert":
        a = e["alert"]
        print("  [sev %s] %s (x%s)\n      %s" % (a.get("severity"), a.get("signature"),
              a.get("count", 1), a.get("message", "")))
PY
echo
echo "All events: $DIR/events.jsonl ($(wc -l <"$DIR/events.jsonl") lines)"

# The learned baseline: a plant learning for a week, a quiet second week,
# then an attack day (tests/scenario/README.md), all generated here.
SCEN=${SCENGEN:-$ROOT/build/tools/scengen}
if [ -x "$SCEN" ]; then
	S=$DIR/scenario
	rm -rf "$S"
	mkdir -p "$S"
	"$SCEN" "$S/pcaps" >/dev/null
	printf 'ot:\n  zones_file: %s\n' "$ROOT/tests/scenario/zones.yaml" >"$S/spanlog.yaml"
	echo
	echo "== The learned baseline (tests/scenario): a week of learning, a quiet week, an attack day"
	for phase in "learn1 learn2" normal attack; do
		args=()
		for p in $phase; do args+=(-r "$S/pcaps/$p.pcap"); done
		name=${phase%% *}
		"$BIN" "${args[@]}" -c "$S/spanlog.yaml" --state "$S/state" \
		    -o "$S/$name.jsonl" --sensor demo --no-progress 2>/dev/null
		n=$(grep '"event_type":"alert"' "$S/$name.jsonl" | grep -c '"update":false' || true)
		echo "  ${phase// /+}: $(wc -l <"$S/$name.jsonl") events, $n alerts"
	done
	echo
	echo "Alerts of the attack day"
	python3 - "$S/attack.jsonl" <<'PY'
import json, sys
rows = []
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["event_type"] == "alert" and not e["alert"].get("update"):
        rows.append(e)
# written as they were raised (several workers interleave): show by time
for e in sorted(rows, key=lambda e: (e["timestamp"], e["alert"]["signature"])):
    a = e["alert"]
    print("  %s [sev %s] %s\n      %s" % (e["timestamp"][11:19],
          a.get("severity"), a.get("signature"), a.get("message", "")))
PY
	echo
	echo "== spanlog baseline diff --state build/demo/scenario/state"
	"$BIN" baseline diff --state "$S/state" | sed 's/^/  /' || true
	echo
	echo "Accept a change with: spanlog baseline accept EDGE --state build/demo/scenario/state"
fi
