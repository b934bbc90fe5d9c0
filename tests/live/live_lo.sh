#!/usr/bin/env bash
#
# live_lo.sh BIN - live capture on the loopback interface.
#
# Starts `BIN -i lo --workers 2` (two handles in one PACKET_FANOUT group),
# sends 12 UDP datagrams and one TCP connection to 127.0.0.1 only, stops
# spanlog with SIGTERM and checks: exit status 0, a final stats event, the
# UDP flows with the datagram counts we sent, the TCP flow closed cleanly
# (state SF), the pcap_stats drop counters present, and that SIGHUP saves
# the state file at once.  Needs root (packet
# sockets); prints SKIP otherwise.  Exit 0 pass, 1 fail, 77 skip.

set -u
BIN=${1:?usage: live_lo.sh SPANLOG_BINARY}
if [ "$(id -u)" != 0 ]; then
	echo "SKIP live_lo: needs root for a packet socket"
	exit 77
fi
if ! ip link show lo >/dev/null 2>&1; then
	echo "SKIP live_lo: no loopback interface"
	exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# A port nobody else uses now: the filter keeps other loopback traffic out.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$BIN" -i lo --workers 2 --stats-interval 1 --no-progress \
	--state "$tmp/state" \
	-f "host 127.0.0.1 and (port $port or port $((port + 1)))" \
	-o "$tmp/out.json" 2>"$tmp/err" &
pid=$!
sleep 1.5

python3 - "$port" <<'PY'
import socket, sys, threading
port = int(sys.argv[1])
# TCP: a listener on port+1, one connection, a request and a reply, close.
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port + 1))
srv.listen(1)
def serve():
    c, _ = srv.accept()
    c.recv(100)
    c.sendall(b"pong\n")
    c.close()
t = threading.Thread(target=serve)
t.start()
c = socket.create_connection(("127.0.0.1", port + 1))
c.sendall(b"ping\n")
c.recv(100)
c.close()
t.join()
srv.close()
# UDP: 12 datagrams from one socket to port (nobody listens: ICMP errors)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(12):
    u.sendto(b"datagram %d" % i, ("127.0.0.1", port))
PY
sleep 2.5
# SIGHUP saves the state file now (ot.state_save_min is 5 minutes)
[ -e "$tmp/state" ] && state_before=yes || state_before=no
kill -HUP "$pid"
for _ in 1 2 3 4 5 6 7 8 9 10; do
	[ -s "$tmp/state" ] && break
	sleep 0.2
done
cp "$tmp/state" "$tmp/state_head" 2>/dev/null || : >"$tmp/state_head"
kill -TERM "$pid"
wait "$pid"
rc=$?

python3 - "$tmp/out.json" "$port" "$rc" "$tmp/err" "$state_before" "$tmp/state_head" <<'PY'
import json, sys
path, port, rc, errf = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
state_before, state_head = sys.argv[5], open(sys.argv[6]).read()
ok = True
def check(what, cond):
    global ok
    print(("PASS " if cond else "FAIL ") + what)
    ok = ok and cond
ev = [json.loads(l) for l in open(path)]
check("exit status 0 after SIGTERM (got %d)" % rc, rc == 0)
udp = [e for e in ev if e["event_type"] == "flow" and e.get("proto") == "UDP"
       and e.get("dest_port") == port]
check("one UDP flow to the port", len(udp) == 1)
if udp:
    check("12 datagrams to the server", udp[0]["flow"]["pkts_toserver"] == 12)
tcp = [e for e in ev if e["event_type"] == "flow" and e.get("proto") == "TCP"
       and e.get("dest_port") == port + 1]
check("one TCP flow", len(tcp) == 1)
if tcp:
    check("TCP state SF (got %s)" % tcp[0]["flow"]["state"], tcp[0]["flow"]["state"] == "SF")
    check("TCP payload 5+5", tcp[0]["flow"]["payload_bytes_toserver"] == 5 and
          tcp[0]["flow"]["payload_bytes_toclient"] == 5)
stats = [e for e in ev if e["event_type"] == "stats"]
check("periodic and final stats", len(stats) >= 2 and stats[-1]["stats"]["final"])
if stats:
    cap = stats[-1]["stats"]["capture"]
    check("drop counters reported", "kernel_drops" in cap and "if_drops" in cap)
check("final stats line on stderr", "packets" in open(errf).read())
check("no state file before SIGHUP", state_before == "no")
lines = state_head.splitlines()
check("SIGHUP saved the state file (%d lines)" % len(lines),
      "spanlog-state 1" in lines and any(l.startswith("end lines=")
                                         for l in lines[-1:]))
sys.exit(0 if ok else 1)
PY
