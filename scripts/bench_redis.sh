#!/usr/bin/env bash
#
# bench_redis.sh - events/s spanlog publishes into a local Redis, next to
# redis-benchmark's pipelined XADD on the same server.
#
#   scripts/bench_redis.sh     (SPANLOG=path, BENCH_PCAP=file, BENCH_SIZE_MB=300)
#
# One redis-server on 127.0.0.1 (a free port, its own temp dir, no
# persistence, stopped by pid at the end).  Three numbers:
#
#   redis-benchmark  redis-benchmark -P 50 -n 1000000 XADD with a field
#                    as large as the average spanlog event (the JSON line of
#                    the capture closest to the mean size), so both send
#                    about the same bytes per entry.
#   (each best of BENCH_ROUNDS=3: the box may be shared)
#   publisher        spanlog's publisher alone: a spool filled by a run with
#                    Redis down is replayed
#                    by a run on an empty capture; events / wall time.
#                    The capture: BENCH_PCAP, else `pcapgen bench` (seed 1).
#   end to end       spanlog -r the same captures with --redis: events / wall
#                    time (bounded by packet processing, not by Redis).
#
# Target (issue 5): publisher >= 50% of redis-benchmark's rate.

set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${SPANLOG:-$ROOT/spanlog}
SIZE=${BENCH_SIZE_MB:-300}
GEN=$ROOT/build/tools/pcapgen
ROUNDS=${BENCH_ROUNDS:-3}

command -v redis-server >/dev/null || { echo "redis-server not installed"; exit 77; }
command -v redis-benchmark >/dev/null || { echo "redis-benchmark not installed"; exit 77; }
[ -x "$BIN" ] || { echo "no spanlog at $BIN (make spanlog)"; exit 1; }

TMP=$(mktemp -d /tmp/spanlog-bench-redis.XXXXXX)
RPID=
cleanup() {
	if [ -n "$RPID" ]; then kill "$RPID" 2>/dev/null || true; wait "$RPID" 2>/dev/null || true; fi
	rm -rf "$TMP"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
down=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

start_redis() {
	redis-server --bind 127.0.0.1 --port "$port" --dir "$TMP" --save '' \
	    --appendonly no --logfile "$TMP/redis.log" --daemonize no &
	RPID=$!
	for _ in $(seq 100); do
		redis-cli -p "$port" ping >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	echo "redis-server did not start"; exit 1
}

now() { date +%s.%N; }

if [ -n "${BENCH_PCAP:-}" ]; then
	PCAP=$BENCH_PCAP
else
	[ -x "$GEN" ] || make -C "$ROOT" build/tools/pcapgen >/dev/null
	PCAP=$TMP/bench.pcap
	"$GEN" bench "$PCAP" "$SIZE" 1 >/dev/null
fi
args=(-r "$PCAP")

# one pass without Redis for the JSON (payload size, event count)
"$BIN" --workers 1 --no-progress "${args[@]}" -o "$TMP/one.jsonl" 2>/dev/null
payload=$(python3 -c '
import sys
lines = open(sys.argv[1], "rb").read().split(b"\n")[:-1]
mean = sum(map(len, lines)) / len(lines)
print(min(lines, key=lambda l: abs(len(l) - mean)).decode())' "$TMP/one.jsonl")
echo "payload: an event of the mean size over $(wc -l < "$TMP/one.jsonl") events, ${#payload} bytes"

start_redis

best() { tr ' ' '\n' | sort -g | tail -1; }

# 1. redis-benchmark (best of ROUNDS)
rbs=
for _ in $(seq "$ROUNDS"); do
	out=$(redis-benchmark -h 127.0.0.1 -p "$port" -P 50 -n 1000000 -c 50 -q \
	    XADD bench:stream MAXLEN '~' 1000000 '*' event "$payload" type modbus \
	    ts 2013-10-16T23:55:44.641998Z 2>/dev/null | tr '\r' '\n' |
	    grep -i 'requests per second' | tail -1)
	rbs="$rbs $(echo "$out" | sed -E 's/.*: ([0-9.]+) requests per second.*/\1/')"
	redis-cli -p "$port" del bench:stream >/dev/null
done
rb=$(echo $rbs | best)

# 2. the publisher: fill a spool with Redis unreachable, then replay it
printf 'redis:\n  drain_timeout_ms: 0\n  timeout_ms: 200\n  queue_events: 16\n' > "$TMP/down.yaml"
"$BIN" --workers 1 --no-progress -c "$TMP/down.yaml" "${args[@]}" -o /dev/null --sensor bench \
    --redis "redis://127.0.0.1:$down" --spool "$TMP/spool.full" 2>/dev/null
printf '' > "$TMP/empty.pcap"
python3 -c 'import struct,sys; open(sys.argv[1],"wb").write(struct.pack("<IHHiIII",0xa1b2c3d4,2,4,0,0,65535,1))' "$TMP/empty.pcap"
pubs=
for _ in $(seq "$ROUNDS"); do
	rm -rf "$TMP/spool"
	cp -r "$TMP/spool.full" "$TMP/spool"
	redis-cli -p "$port" flushall >/dev/null
	t0=$(now)
	"$BIN" --workers 1 --no-progress -r "$TMP/empty.pcap" -o /dev/null --sensor bench \
	    --redis "redis://127.0.0.1:$port" --spool "$TMP/spool" 2> "$TMP/replay.err"
	t1=$(now)
	replayed=$(sed -nE 's/.*\(([0-9]+) replayed\).*/\1/p' "$TMP/replay.err" | tail -1)
	pubs="$pubs $(python3 -c "print(int($replayed / ($t1 - $t0)))")"
done
pub=$(echo $pubs | best)
xl=$(redis-cli -p "$port" xlen spanlog:bench:flow)
redis-cli -p "$port" flushall >/dev/null

# 3. end to end
t0=$(now)
"$BIN" --workers 1 --no-progress "${args[@]}" -o /dev/null --sensor e2e \
    --redis "redis://127.0.0.1:$port" 2> "$TMP/e2e.err"
t1=$(now)
e2en=$(sed -nE 's/spanlog: redis: ([0-9]+) published.*/\1/p' "$TMP/e2e.err" | tail -1)
e2e=$(python3 -c "print(int($e2en / ($t1 - $t0)))")

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores; best of $ROUNDS rounds"
echo "redis-benchmark -P 50 XADD : ${rb} XADD/s   (rounds:$rbs)"
echo "spanlog publisher (replay) : ${pub} events/s (rounds:$pubs; ${replayed} events; flow stream XLEN ${xl})"
echo "spanlog end to end (pcap)  : ${e2e} events/s (${e2en} events)"
python3 -c "r = $pub / $rb; print('ratio publisher / redis-benchmark: %.2f (target >= 0.50) %s' % (r, 'OK' if r >= 0.5 else 'BELOW TARGET'))"
