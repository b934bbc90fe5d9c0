#!/usr/bin/env bash
#
# bench.sh - spanlog's speed and memory next to tcpdump and ndpiReader.
#
#   scripts/bench.sh                      uses (or builds) build/bench/mixed.pcap
#   BENCH_PCAP=/path/file.pcap scripts/bench.sh
#
# The capture: BENCH_PCAP when given, else build/bench/mixed.pcap, written
# once by `pcapgen bench` (BENCH_SIZE_MB MiB, default 1024, seed 1, so
# every run measures the same bytes) and reused afterwards.  Packet and byte
# counts come from capinfos.  Each tool reads the whole file once, after a
# warm-up read (cat > /dev/null) so all start from the page cache, under
# /usr/bin/time -v (wall time, peak RSS):
#
#   tcpdump -n -r FILE -w /dev/null
#   ndpiReader -i FILE                    (its summary is checked: every packet)
#   spanlog -r FILE -o /dev/null --workers 1
#   spanlog -r FILE -o /dev/null --workers N     N = nproc
#
# Then one more, unmeasured, spanlog run keeps only the final stats event,
# for the number of flows active at the peak (when spanlog reports it) and
# the memory per active flow.  No network; nothing random.

set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

BIN=${SPANLOG:-$ROOT/spanlog}
NPROC=$(nproc 2>/dev/null || echo 2)
SIZE_MB=${BENCH_SIZE_MB:-1024}
DIR=$ROOT/build/bench
TIME=/usr/bin/time

die() { echo "bench.sh: $*" >&2; exit 1; }

[ -x "$BIN" ] || die "$BIN not found; run make first"
[ -x "$TIME" ] || die "$TIME not found; run scripts/install-deps.sh (package time)"
for t in tcpdump ndpiReader capinfos editcap python3; do
	command -v "$t" >/dev/null || die "$t not found; run scripts/install-deps.sh"
done
mkdir -p "$DIR"

if [ -n "${BENCH_PCAP:-}" ]; then
	PCAP=$BENCH_PCAP
	[ -r "$PCAP" ] || die "cannot read BENCH_PCAP=$PCAP"
else
	PCAP=$DIR/mixed.pcap
	if [ ! -s "$PCAP" ]; then
		GEN=${PCAPGEN:-$ROOT/build/tools/pcapgen}
		[ -x "$GEN" ] || die "$GEN not found; run make first"
		need_kb=$((SIZE_MB * 1024 + 65536))
		free_kb=$(df -Pk "$DIR" | awk 'NR == 2 { print $4 }')
		[ "$free_kb" -ge "$need_kb" ] ||
			die "need $((need_kb / 1024)) MiB free in $DIR, have $((free_kb / 1024)) MiB"
		echo "bench.sh: writing $PCAP ($SIZE_MB MiB, seed 1) ..."
		"$GEN" bench "$PCAP.part" "$SIZE_MB" 1
		mv "$PCAP.part" "$PCAP"
	fi
fi

# Packets and bytes of the file, once.
read -r PKTS BYTES < <(capinfos -T -M -r -c -d "$PCAP" 2>/dev/null | awk -F'\t' '{ print $2, $3 }')
if [ -z "${PKTS:-}" ] || [ "$PKTS" -le 0 ]; then
	die "capinfos could not count $PCAP"
fi
FILE_BYTES=$(stat -c %s "$PCAP")

RES=$DIR/results.tsv
: >"$RES"

# measure NAME CMD...: warm the cache, run once under time -v.
measure()
{
	local name=$1 tf=$DIR/time.txt out=$DIR/out.txt err=$DIR/err.txt
	shift
	cat "$PCAP" >/dev/null
	echo "bench.sh: $name ..." >&2
	if ! "$TIME" -v -o "$tf" "$@" >"$out" 2>"$err"; then
		echo "bench.sh: $name failed:" >&2
		tail -n 5 "$err" >&2
		printf '%s\tfail\tfail\n' "$name" >>"$RES"
		return 0
	fi
	local wall rss
	wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { print $2 }' "$tf")
	rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$tf")
	printf '%s\t%s\t%s\n' "$name" "$wall" "$rss" >>"$RES"
}

measure "tcpdump -r FILE -w /dev/null" tcpdump -n -r "$PCAP" -w /dev/null
measure "ndpiReader -i FILE" ndpiReader -i "$PCAP"
# ndpiReader's summary says how many packets it saw: it must be the file.
ND_PKTS=$(grep -oE 'of [0-9]+ packets total' "$DIR/out.txt" | grep -oE '[0-9]+' || true)
measure "spanlog flow-only, 1 worker" "$BIN" -r "$PCAP" -o /dev/null --workers 1 --no-dissect
measure "spanlog --workers 1" "$BIN" -r "$PCAP" -o /dev/null --workers 1
measure "spanlog --workers $NPROC" "$BIN" -r "$PCAP" -o /dev/null --workers "$NPROC"

# Idle footprint: the same binary on the first 1000 packets.
editcap -r "$PCAP" "$DIR/small.pcap" 1-1000 >/dev/null 2>&1
"$TIME" -v -o "$DIR/time.txt" "$BIN" -r "$DIR/small.pcap" -o /dev/null --workers 1 2>/dev/null || true
IDLE_RSS=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$DIR/time.txt")

# The final stats event (not timed).
echo "bench.sh: spanlog stats pass ..." >&2
"$BIN" -r "$PCAP" -o - --workers 1 2>/dev/null |
	grep -E '"event_type": ?"stats"' | tail -n 1 >"$DIR/stats.json" || true

python3 - "$RES" "$PKTS" "$BYTES" "$FILE_BYTES" "$PCAP" "${ND_PKTS:-}" \
    "${IDLE_RSS:-0}" "$DIR/stats.json" "$NPROC" <<'EOF'
import json
import sys

res, pkts, nbytes, fbytes, pcap, nd_pkts, idle_rss, stats_p, nproc = sys.argv[1:]
pkts, nbytes, fbytes, idle_rss = int(pkts), int(nbytes), int(fbytes), int(idle_rss)


def secs(s):
    parts = [float(x) for x in s.split(":")]
    t = 0.0
    for p in parts:
        t = t * 60 + p
    return t


rows = []
with open(res) as f:
    for line in f:
        name, wall, rss = line.rstrip("\n").split("\t")
        if wall == "fail":
            rows.append((name, None, None))
        else:
            rows.append((name, secs(wall), int(rss)))

print()
print("capture: %s" % pcap)
print("         %d packets, %d bytes of packet data (%.2f GB file)" %
      (pkts, nbytes, fbytes / 1e9))
print()
print("%-30s %9s %12s %9s %13s" % ("", "wall s", "packets/s", "Gbit/s",
                                    "peak RSS MiB"))
rate = {}
for name, wall, rss in rows:
    if wall is None:
        print("%-30s %9s" % (name, "FAILED"))
        continue
    w = max(wall, 0.01)
    rate[name] = pkts / w
    print("%-30s %9.2f %12.0f %9.3f %13.1f" % (
        name, wall, pkts / w, nbytes * 8 / w / 1e9, rss / 1024))
if nd_pkts and int(nd_pkts) != pkts:
    print("note: ndpiReader reports %s packets, the file has %d" %
          (nd_pkts, pkts))

print()
s1 = rate.get("spanlog --workers 1")
sn = rate.get("spanlog --workers %s" % nproc)
nd = rate.get("ndpiReader -i FILE")
td = rate.get("tcpdump -r FILE -w /dev/null")
s0 = rate.get("spanlog flow-only, 1 worker")
for label, a, b in (("spanlog flow-only 1 worker / ndpiReader", s0, nd),
                    ("spanlog 1 worker / ndpiReader", s1, nd),
                    ("full dissection / flow-only (1 worker)", s1, s0),
                    ("spanlog %s workers / ndpiReader" % nproc, sn, nd),
                    ("spanlog 1 worker / tcpdump", s1, td),
                    ("spanlog %s workers / tcpdump" % nproc, sn, td),
                    ("spanlog %s workers / 1 worker" % nproc, sn, s1)):
    if a and b:
        print("speed ratio %-34s %6.2fx" % (label, a / b))

stats = {}
try:
    with open(stats_p) as f:
        ev = json.loads(f.read() or "{}")
        stats = ev.get("stats") or {}
except (OSError, ValueError):
    pass


def find(d, path=()):
    """(path, value) of every number in a nested dict."""
    for k, v in d.items():
        if isinstance(v, dict):
            yield from find(v, path + (k,))
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            yield path + (k,), v


nums = dict(find(stats))
seen = nums.get(("capture", "packets"), nums.get(("packets",)))
if seen is not None and seen != pkts:
    print("note: spanlog's stats count %s packets, the file has %d" %
          (seen, pkts))
peak = None
for path, v in nums.items():
    text = ".".join(path).lower()
    if "flow" in text and "peak" in text and "mem" not in text:
        peak = (".".join(path), v)
        break
print()
rss1 = dict((n, r) for n, w, r in rows if r).get("spanlog --workers 1")
if idle_rss:
    print("spanlog idle RSS (first 1000 packets): %.1f MiB" % (idle_rss / 1024))
if peak and peak[1] > 0:
    print("flows active at peak (stats %s): %d" % peak)
    if rss1:
        print("peak RSS per active flow, 1 worker: %.0f bytes "
              "(%.0f bytes above the idle footprint)" % (
                  rss1 * 1024 / peak[1],
                  max(0, rss1 - idle_rss) * 1024 / peak[1]))
elif stats:
    print("spanlog's final stats event has no flows-at-peak figure; "
          "flows total: %s" % nums.get(("flows", "total"),
                                        nums.get(("flows_total",), "?")))
else:
    print("no final stats event from spanlog")
EOF

# ---- memory per active flow: N flows all still open at the end ----------
MF=$DIR/manyflows.pcap
MF_N=${BENCH_FLOWS:-200000}
[ -s "$MF" ] || python3 "$ROOT/scripts/manyflows.py" "$MF" "$MF_N"
python3 "$ROOT/scripts/manyflows.py" "$DIR/fewflows.pcap" 1000
"$TIME" -v -o "$DIR/t_few.txt" "$BIN" -r "$DIR/fewflows.pcap" -o /dev/null --workers 1 --max-flows 400000 2>/dev/null
"$TIME" -v -o "$DIR/t_many.txt" "$BIN" -r "$MF" -o "$DIR/mf.json" --workers 1 --max-flows 400000 2>/dev/null
few=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$DIR/t_few.txt")
many=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$DIR/t_many.txt")
peak=$(tail -n 1 "$DIR/mf.json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["stats"]["flows"]["active_peak"])')
echo
echo "memory per active flow: $peak flows open at once (scripts/manyflows.py)"
echo "  RSS with 1000 flows: $((few / 1024)) MiB, with $peak flows: $((many / 1024)) MiB"
echo "  => $(( (many - few) * 1024 / (peak - 1000) )) bytes per additional active flow (target < 1024)"

# ---- OT transactions/s ----------------------------------------------------
OT=$DIR/ot.pcap
if [ ! -s "$OT" ]; then
	"$ROOT/build/tools/otgen" bench "$OT" "${BENCH_OT_MB:-512}" 1 2>"$DIR/otgen.log"
fi
"$TIME" -v -o "$DIR/t_ot.txt" "$BIN" -r "$OT" -o /dev/null --workers 1 2>/dev/null
otw=$(awk -F': ' '/Elapsed \(wall clock\)/ { print $2 }' "$DIR/t_ot.txt")
python3 - "$OT.facts" "$otw" <<'PY'
import json, sys
facts = json.load(open(sys.argv[1]))
w = 0.0
for p in sys.argv[2].split(":"):
    w = w * 60 + float(p)
n = facts["modbus_transactions"] + facts["dnp3_transactions"]
print()
print("OT capture: %d Modbus + %d DNP3 transactions" % (
    facts["modbus_transactions"], facts["dnp3_transactions"]))
print("spanlog 1 worker: %.2f s, %.0f transactions/s" % (w, n / max(w, 0.01)))
PY

# ---- Redis publishing -----------------------------------------------------
if command -v redis-server >/dev/null && [ -x "$ROOT/scripts/bench_redis.sh" ]; then
	echo
	"$ROOT/scripts/bench_redis.sh" || echo "bench_redis.sh failed"
fi
