#!/usr/bin/env python3
"""
tests/redis/run.py - integration tests of the Redis streams output (issue 5).

Starts real redis-server processes on 127.0.0.1 (free ports, own temp dir,
stopped by pid), runs ./spanlog with -o FILE and --redis together, and
compares the event_ids of the JSON-lines output with what XLEN/XRANGE find
in Redis.  Expected values come from the JSON file of the same run and from
Redis itself, never from spanlog's own counters (except check 4, which is
about the counter being right).

  tests/redis/run.py [SPANLOG]     (default ./spanlog)

Prints PASS/FAIL per check, then "N passed, N failed".  Exit 0/1; 77 when
redis-server (or openssl, for TLS) is not installed.
"""
import json
import os
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SPANLOG = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.join(ROOT, "spanlog")
PCAP = "/work/shared/pcaps/zeek/Traces/modbus/modbusBig.pcap"
PCAP2 = "/work/shared/pcaps/icsnpp-dnp3/traces/dnp3_example.pcap"

passed = 0
failed = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print("PASS %s" % name)
    else:
        failed += 1
        print("FAIL %s %s" % (name, detail))
    sys.stdout.flush()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


# ---------------------------------------------------------------- RESP

class Resp:
    def __init__(self, port, user=None, password=None, tls=None):
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        if tls:
            s = tls.wrap_socket(s, server_hostname="127.0.0.1")
        self.s = s
        self.buf = b""
        if password:
            r = self.cmd("AUTH", user, password) if user else self.cmd("AUTH", password)
            if isinstance(r, Exception):
                raise r

    def close(self):
        self.s.close()

    def _line(self):
        while b"\r\n" not in self.buf:
            d = self.s.recv(65536)
            if not d:
                raise EOFError
            self.buf += d
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _n(self, n):
        while len(self.buf) < n + 2:
            d = self.s.recv(65536)
            if not d:
                raise EOFError
            self.buf += d
        v, self.buf = self.buf[:n], self.buf[n + 2:]
        return v

    def reply(self):
        line = self._line()
        t, rest = line[:1], line[1:]
        if t == b"+":
            return rest.decode()
        if t == b"-":
            return RuntimeError(rest.decode())
        if t == b":":
            return int(rest)
        if t == b"$":
            n = int(rest)
            return None if n < 0 else self._n(n)
        if t == b"*":
            n = int(rest)
            return None if n < 0 else [self.reply() for _ in range(n)]
        raise ValueError(line)

    def cmd(self, *args):
        out = b"*%d\r\n" % len(args)
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out += b"$%d\r\n%s\r\n" % (len(a), a)
        self.s.sendall(out)
        return self.reply()

    def keys(self, pat):
        cur, res = "0", []
        while True:
            r = self.cmd("SCAN", cur, "MATCH", pat, "COUNT", 1000)
            cur = r[0].decode()
            res += [k.decode() for k in r[1]]
            if cur == "0":
                return sorted(res)

    def entries(self, key):
        """All entries of a stream: list of dicts (bytes -> bytes)."""
        res, start = [], "-"
        while True:
            r = self.cmd("XRANGE", key, start, "+", "COUNT", 1000)
            if isinstance(r, Exception):
                raise r
            if start != "-":
                r = r[1:]
            if not r:
                return res
            for eid, fields in r:
                res.append(dict(zip(fields[0::2], fields[1::2])))
            start = r[-1][0].decode()


# -------------------------------------------------------------- redis

class Redis:
    def __init__(self, tmp, name, port=None, extra=(), persist=False):
        self.dir = os.path.join(tmp, name)
        os.makedirs(self.dir, exist_ok=True)
        self.port = port or free_port()
        self.extra = list(extra)
        self.persist = persist
        self.proc = None

    def start(self):
        args = ["redis-server", "--bind", "127.0.0.1", "--dir", self.dir,
                "--save", "", "--daemonize", "no",
                "--logfile", os.path.join(self.dir, "redis.log")]
        if "--tls-port" not in self.extra:
            args += ["--port", str(self.port)]
        if self.persist:
            args += ["--appendonly", "yes", "--appendfsync", "always"]
        args += self.extra
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                time.sleep(0.05)
                return
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError("redis-server exited: see %s" % self.dir)
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, sig)
            self.proc.wait(timeout=20)
        self.proc = None

    def client(self, **kw):
        return Resp(self.port, **kw)


# ------------------------------------------------------------ spanlog

def write_cfg(path, redis_keys):
    with open(path, "w") as f:
        f.write("redis:\n")
        for k, v in redis_keys.items():
            if isinstance(v, dict):
                f.write("  %s:\n" % k)
                for k2, v2 in v.items():
                    f.write("    %s: %s\n" % (k2, v2))
            else:
                f.write("  %s: %s\n" % (k, v))


def spanlog(args, stdin=None, timeout=120):
    t0 = time.time()
    p = subprocess.run([SPANLOG, "--workers", "1", "--no-progress"] + args,
                       stdin=stdin, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=timeout)
    return p.returncode, p.stderr.decode(errors="replace"), time.time() - t0


def load_jsonl(path):
    ev = []
    with open(path) as f:
        for line in f:
            ev.append(json.loads(line))
    return ev


def final_stats(events):
    st = [e for e in events if e["event_type"] == "stats" and e["stats"]["final"]]
    return st[-1]["stats"] if st else None


def ids_by_type(events):
    d = {}
    for e in events:
        d.setdefault(e["event_type"], set()).add(e["event_id"])
    return d


def redis_ids(cli, prefix):
    """{type: (set of event_ids, n entries)} from <prefix>:<type> streams."""
    d = {}
    for k in cli.keys(prefix + ":*"):
        t = k[len(prefix) + 1:]
        if ":" in t:
            continue
        ents = cli.entries(k)
        d[t] = (set(json.loads(e[b"event"])["event_id"] for e in ents), len(ents), ents)
    return d


def all_ids(d):
    s = set()
    for v in d.values():
        s |= v[0]
    return s


def empty_pcap(path):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))


def slow_feed(pcap, proc_stdin, seconds):
    """Writes a pcap into a pipe over 'seconds', packet by packet."""
    with open(pcap, "rb") as f:
        data = f.read()
    hdr, off, recs = data[:24], 24, []
    while off + 16 <= len(data):
        incl = struct.unpack("<I", data[off + 8:off + 12])[0]
        recs.append(data[off:off + 16 + incl])
        off += 16 + incl
    chunks = 40
    per = (len(recs) + chunks - 1) // chunks
    try:
        proc_stdin.write(hdr)
        for i in range(chunks):
            proc_stdin.write(b"".join(recs[i * per:(i + 1) * per]))
            proc_stdin.flush()
            time.sleep(seconds / chunks)
        proc_stdin.close()
    except BrokenPipeError:
        pass


# -------------------------------------------------------------- checks

def t1_all_events(tmp):
    r = Redis(tmp, "r1")
    r.start()
    try:
        out = os.path.join(tmp, "t1.jsonl")
        rc, err, _ = spanlog(["-r", PCAP, "-r", PCAP2, "-o", out, "--sensor", "t1",
                              "--redis", "redis://127.0.0.1:%d/0" % r.port])
        check("1a spanlog exits 0", rc == 0, err)
        ev = load_jsonl(out)
        want = ids_by_type(ev)
        cli = r.client()
        got = redis_ids(cli, "spanlog:t1")
        check("1b one stream per event type", sorted(got) == sorted(want),
              "%s vs %s" % (sorted(got), sorted(want)))
        ok = all(got.get(t, (set(), 0))[0] == ids for t, ids in want.items())
        check("1c every event_id in its own stream", ok)
        n = sum(v[1] for v in got.values())
        check("1d no duplicates on a clean run (%d entries)" % n, n == len(ev),
              "%d entries for %d events" % (n, len(ev)))
        lines = {}
        with open(out, "rb") as f:
            for line in f:
                lines[json.loads(line)["event_id"]] = line.rstrip(b"\n")
        same = all(e[b"event"] == lines.get(json.loads(e[b"event"])["event_id"])
                   for v in got.values() for e in v[2])
        check("1e' each entry's event field is the JSON line, byte for byte", same)
        e0 = got["modbus"][2][0]
        j = json.loads(e0[b"event"])
        check("1e entry fields: event, type, ts",
              e0.get(b"type") == b"modbus" and e0.get(b"ts", b"").decode() == j["timestamp"])
        # trimming and per-device streams, same pcap, another prefix
        cfg = os.path.join(tmp, "t1.yaml")
        write_cfg(cfg, {"prefix": "spanlog:trim", "maxlen": 300, "maxlen_device": 200,
                        "device_streams": "true"})
        out2 = os.path.join(tmp, "t1b.jsonl")
        rc, err, _ = spanlog(["-c", cfg, "-r", PCAP, "-o", out2,
                              "--redis", "redis://127.0.0.1:%d/0" % r.port])
        ev2 = load_jsonl(out2)
        nmod = sum(1 for e in ev2 if e["event_type"] == "modbus")
        xl = cli.cmd("XLEN", "spanlog:trim:modbus")
        # MAXLEN ~ trims whole radix nodes (stream-node-max-entries 100)
        check("1f MAXLEN ~ 300 honoured (%d events -> XLEN %d)" % (nmod, xl),
              nmod > 1000 and 300 <= xl <= 400)
        devkeys = cli.keys("spanlog:trim:device:*")
        exp = {}
        for e in ev2:
            if e["event_type"] in ("modbus", "dnp3"):
                exp[e["dest_ip"]] = exp.get(e["dest_ip"], 0) + 1
            elif e["event_type"] == "device":
                exp[e["device"]["ip"]] = exp.get(e["device"]["ip"], 0) + 1
        check("1g per-device streams named after the devices",
              sorted(devkeys) == sorted("spanlog:trim:device:" + ip for ip in exp),
              "%s vs %s" % (devkeys, sorted(exp)))
        okd = all(200 <= cli.cmd("XLEN", "spanlog:trim:device:" + ip) <= 300
                  if n > 300 else cli.cmd("XLEN", "spanlog:trim:device:" + ip) == n
                  for ip, n in exp.items())
        check("1h device streams trimmed to MAXLEN ~ 200", okd)
        cli.close()
    finally:
        r.stop()


def t2_kill_midrun(tmp):
    r = Redis(tmp, "r2", persist=True)
    r.start()
    spool = os.path.join(tmp, "spool2")
    out = os.path.join(tmp, "t2.jsonl")
    cfg = os.path.join(tmp, "t2.yaml")
    write_cfg(cfg, {"timeout_ms": 300, "queue_events": 64, "drain_timeout_ms": 10000})
    try:
        p = subprocess.Popen([SPANLOG, "--workers", "1", "--no-progress", "-c", cfg,
                              "-r", "-", "-o", out, "--sensor", "t2",
                              "--redis", "redis://127.0.0.1:%d" % r.port,
                              "--spool", spool],
                             stdin=subprocess.PIPE, stderr=subprocess.PIPE)
        feeder = threading.Thread(target=slow_feed, args=(PCAP, p.stdin, 4.0))
        feeder.start()
        time.sleep(1.2)
        r.stop(signal.SIGKILL)
        down_at = time.time()
        time.sleep(1.5)
        r.start()
        feeder.join()
        p.stdin = None  # the feeder closed it
        err = p.stderr.read().decode(errors="replace")
        p.wait(timeout=60)
        check("2a spanlog exits 0", p.returncode == 0, err)
        ev = load_jsonl(out)
        st = final_stats(ev)
        cli = r.client()
        got = all_ids(redis_ids(cli, "spanlog:t2"))
        want = set(e["event_id"] for e in ev)
        missing = want - got
        check("2b redis was really down mid-run (events spooled: %d, reconnects: %d)"
              % (st["redis"]["spooled"], st["redis"]["reconnects"]),
              st["redis"]["reconnects"] >= 1 and st["redis"]["spooled"] > 0, str(st["redis"]))
        check("2c after replay no event_id missing (%d events)" % len(want),
              not missing and len(want) > 1000, "%d missing" % len(missing))
        check("2d spool empty at the end",
              not [f for f in os.listdir(spool) if f.endswith(".spl")])
        cli.close()
    finally:
        r.stop()


def t3_never_up(tmp):
    port = free_port()
    spool = os.path.join(tmp, "spool3")
    out = os.path.join(tmp, "t3.jsonl")
    cfg = os.path.join(tmp, "t3.yaml")
    write_cfg(cfg, {"drain_timeout_ms": 1500, "timeout_ms": 300})
    rc, err, dt = spanlog(["-c", cfg, "-r", PCAP, "-o", out, "--sensor", "t3",
                           "--redis", "redis://127.0.0.1:%d" % port, "--spool", spool])
    check("3a redis never up: spanlog still exits, in bounded time (%.1fs)" % dt,
          rc == 0 and dt < 15, err)
    ev = load_jsonl(out)
    st = final_stats(ev)["redis"]
    check("3b everything spooled, nothing dropped",
          st["published"] == 0 and st["dropped"] == 0 and st["spool_events"] >= len(ev) - 1,
          str(st))
    r = Redis(tmp, "r3", port=port)
    r.start()
    try:
        empty = os.path.join(tmp, "empty.pcap")
        empty_pcap(empty)
        out2 = os.path.join(tmp, "t3b.jsonl")
        rc, err, _ = spanlog(["-c", cfg, "-r", empty, "-o", out2, "--sensor", "t3",
                              "--redis", "redis://127.0.0.1:%d" % port, "--spool", spool])
        check("3c second run exits 0", rc == 0, err)
        cli = r.client()
        got = all_ids(redis_ids(cli, "spanlog:t3"))
        want = set(e["event_id"] for e in ev) | set(e["event_id"] for e in load_jsonl(out2))
        check("3d spool of the first run drained: every event_id present (%d)" % len(want),
              want <= got, "%d missing" % len(want - got))
        check("3e spool directory empty",
              not [f for f in os.listdir(spool) if f.endswith(".spl")])
        cli.close()
    finally:
        r.stop()


def t4_cap(tmp):
    port = free_port()
    spool = os.path.join(tmp, "spool4")
    out = os.path.join(tmp, "t4.jsonl")
    cfg = os.path.join(tmp, "t4.yaml")
    write_cfg(cfg, {"drain_timeout_ms": 500, "timeout_ms": 200, "spool_max_mb": 1,
                    "queue_events": 32})
    rc, err, _ = spanlog(["-c", cfg, "-r", PCAP, "-o", out, "--sensor", "t4",
                          "--redis", "redis://127.0.0.1:%d" % port, "--spool", spool])
    ev = load_jsonl(out)
    st = final_stats(ev)["redis"]
    size = sum(os.path.getsize(os.path.join(spool, f)) for f in os.listdir(spool))
    check("4a spool within its cap (%d bytes on disk)" % size, size <= 1 << 20 and rc == 0, err)
    r = Redis(tmp, "r4", port=port)
    r.start()
    try:
        empty = os.path.join(tmp, "empty4.pcap")
        empty_pcap(empty)
        out2 = os.path.join(tmp, "t4b.jsonl")
        rc, err, _ = spanlog(["-c", cfg, "-r", empty, "-o", out2, "--sensor", "t4",
                              "--redis", "redis://127.0.0.1:%d" % port, "--spool", spool])
        st2 = final_stats(load_jsonl(out2))["redis"]
        check("4b' replay run exits 0", rc == 0, err)
        cli = r.client()
        got = all_ids(redis_ids(cli, "spanlog:t4"))
        want = set(e["event_id"] for e in ev)
        missing = len(want - got)
        check("4b cap hit: stats drop count %d == missing events %d (of %d)"
              % (st["dropped"] + st2["dropped"], missing, len(want)),
              missing > 0 and missing == st["dropped"] + st2["dropped"], str(st))
        # the oldest were dropped: everything missing is older than what arrived
        order = [e["event_id"] for e in ev]
        last_missing = max(i for i, x in enumerate(order) if x not in got)
        first_kept = min(i for i, x in enumerate(order) if x in got)
        check("4c the oldest events were the ones dropped",
              last_missing < first_kept + 64, "last missing %d, first kept %d"
              % (last_missing, first_kept))
        cli.close()
    finally:
        r.stop()


def t5_acl(tmp):
    acl_src = os.path.join(ROOT, "deploy", "redis", "users.acl")
    acl = os.path.join(tmp, "users.acl")
    with open(acl_src) as f:
        text = f.read()
    text = text.replace("CHANGE_ME_SPANLOG_PASSWORD", "sp-pass-1").replace(
        "CHANGE_ME_SOC_PASSWORD", "soc-pass-1")
    with open(acl, "w") as f:
        f.write(text)
    r = Redis(tmp, "r5", extra=["--aclfile", acl])
    r.start()
    try:
        w = r.client(user="spanlog", password="sp-pass-1")
        e1 = w.cmd("XADD", "other:stream", "*", "a", "b")
        e2 = w.cmd("SET", "spanlog:x", "1")
        e3 = w.cmd("XRANGE", "spanlog:x", "-", "+")
        ok = w.cmd("XADD", "spanlog:acltest", "*", "a", "b")
        check("5a spanlog user: XADD outside spanlog:* refused",
              isinstance(e1, Exception) and "NOPERM" in str(e1), repr(e1))
        check("5b spanlog user: no SET, no XRANGE",
              isinstance(e2, Exception) and isinstance(e3, Exception))
        check("5c spanlog user: XADD to spanlog:* allowed", isinstance(ok, bytes))
        w.close()
        soc = r.client(user="soc", password="soc-pass-1")
        e4 = soc.cmd("XADD", "spanlog:acltest", "*", "a", "b")
        check("5d soc user cannot XADD", isinstance(e4, Exception))
        anon = Resp(r.port)
        e5 = anon.cmd("XLEN", "spanlog:acltest")
        check("5e default user is off", isinstance(e5, Exception))
        anon.close()
        pw = os.path.join(tmp, "pw")
        with open(pw, "w") as f:
            f.write("sp-pass-1\n")
        os.chmod(pw, 0o600)
        cfg = os.path.join(tmp, "t5.yaml")
        write_cfg(cfg, {"password_file": pw})
        out = os.path.join(tmp, "t5.jsonl")
        rc, err, _ = spanlog(["-c", cfg, "-r", PCAP2, "-o", out, "--sensor", "t5",
                              "--redis", "redis://spanlog@127.0.0.1:%d/0" % r.port])
        ev = load_jsonl(out)
        got = all_ids(redis_ids_acl(soc, "spanlog:t5"))
        check("5f sensor works as the spanlog user (password from a file): %d events"
              % len(ev), rc == 0 and got == set(e["event_id"] for e in ev), err)
        cfg2 = os.path.join(tmp, "t5b.yaml")
        write_cfg(cfg2, {"prefix": "other", "drain_timeout_ms": 300,
                         "password_env": "T5_PW"})
        env = dict(os.environ, T5_PW="sp-pass-1")
        p = subprocess.run([SPANLOG, "--workers", "1", "-c", cfg2, "-r", PCAP2, "-o",
                            os.path.join(tmp, "t5b.jsonl"),
                            "--redis", "redis://spanlog@127.0.0.1:%d" % r.port],
                           env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=60)
        err = p.stderr.decode(errors="replace")
        check("5g prefix outside spanlog:* -> NOPERM reported, nothing written",
              "NOPERM" in err and final_stats(load_jsonl(os.path.join(tmp, "t5b.jsonl")))
              ["redis"]["published"] == 0, err)
        soc.close()
    finally:
        r.stop()


def redis_ids_acl(cli, prefix):
    """Like redis_ids, for a user without SCAN: known type names."""
    d = {}
    for t in ("flow", "stats", "modbus", "dnp3", "device", "asset", "alert",
              "anomaly", "dns", "http", "smtp"):
        if cli.cmd("XLEN", prefix + ":" + t) > 0:
            ents = cli.entries(prefix + ":" + t)
            d[t] = (set(json.loads(e[b"event"])["event_id"] for e in ents), len(ents), ents)
    return d


def openssl(*args, cwd):
    subprocess.run(["openssl"] + list(args), cwd=cwd, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def make_ca(d, name):
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=%s" % name, "-keyout", name + ".key", "-out", name + ".crt", cwd=d)


def make_cert(d, ca, name, san):
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=%s" % name,
            "-keyout", name + ".key", "-out", name + ".csr", cwd=d)
    with open(os.path.join(d, name + ".ext"), "w") as f:
        f.write("subjectAltName=%s\n" % san)
    openssl("x509", "-req", "-in", name + ".csr", "-CA", ca + ".crt", "-CAkey", ca + ".key",
            "-CAcreateserial", "-days", "2", "-out", name + ".crt",
            "-extfile", name + ".ext", cwd=d)


def t6_tls(tmp):
    if not shutil.which("openssl"):
        print("SKIP 6 TLS: no openssl")
        return
    d = os.path.join(tmp, "pki")
    os.makedirs(d)
    make_ca(d, "ca")
    make_ca(d, "otherca")
    make_cert(d, "ca", "server", "IP:127.0.0.1")
    make_cert(d, "ca", "client", "DNS:spanlog")
    make_cert(d, "otherca", "badserver", "IP:127.0.0.1")
    make_cert(d, "ca", "wrongname", "DNS:redis.example.org")
    p = lambda n: os.path.join(d, n)
    port = free_port()
    r = Redis(tmp, "r6", port=port, extra=[
        "--port", "0", "--tls-port", str(port), "--tls-cert-file", p("server.crt"),
        "--tls-key-file", p("server.key"), "--tls-ca-cert-file", p("ca.crt"),
        "--tls-auth-clients", "yes"])
    try:
        r.start()
    except RuntimeError as e:
        check("6 redis-server with TLS starts (built with TLS?)", False, str(e))
        return
    ctx = ssl.create_default_context(cafile=p("ca.crt"))
    ctx.load_cert_chain(p("client.crt"), p("client.key"))
    try:
        cfg = os.path.join(tmp, "t6.yaml")
        write_cfg(cfg, {"tls": {"ca_file": p("ca.crt"), "cert_file": p("client.crt"),
                                "key_file": p("client.key")}})
        out = os.path.join(tmp, "t6.jsonl")
        rc, err, _ = spanlog(["-c", cfg, "-r", PCAP2, "-o", out, "--sensor", "t6",
                              "--redis", "rediss://127.0.0.1:%d" % port])
        ev = load_jsonl(out)
        cli = Resp(port, tls=ctx)
        got = all_ids(redis_ids(cli, "spanlog:t6"))
        check("6a rediss:// with a test CA and client certificate: all %d events" % len(ev),
              rc == 0 and got == set(e["event_id"] for e in ev) and len(ev) > 10, err)
        cli.close()
    finally:
        r.stop()
    # wrong server certificate: signed by another CA
    r = Redis(tmp, "r6b", port=port, extra=[
        "--port", "0", "--tls-port", str(port), "--tls-cert-file", p("badserver.crt"),
        "--tls-key-file", p("badserver.key"), "--tls-ca-cert-file", p("ca.crt"),
        "--tls-auth-clients", "no"])
    r.start()
    try:
        spool = os.path.join(tmp, "spool6")
        cfg = os.path.join(tmp, "t6b.yaml")
        write_cfg(cfg, {"drain_timeout_ms": 1000, "tls": {"ca_file": p("ca.crt")}})
        out = os.path.join(tmp, "t6b.jsonl")
        rc, err, dt = spanlog(["-c", cfg, "-r", PCAP2, "-o", out, "--sensor", "t6b",
                               "--redis", "rediss://127.0.0.1:%d" % port, "--spool", spool])
        st = final_stats(load_jsonl(out))["redis"]
        check("6b wrong server certificate refused with a clear error",
              "certificate" in err and "refused" in err, err)
        check("6c ... and the events were spooled, none published",
              st["published"] == 0 and st["spool_events"] > 10 and rc == 0, str(st))
    finally:
        r.stop()
    # right CA, wrong name: the certificate is for redis.example.org only
    r = Redis(tmp, "r6c", port=port, extra=[
        "--port", "0", "--tls-port", str(port), "--tls-cert-file", p("wrongname.crt"),
        "--tls-key-file", p("wrongname.key"), "--tls-ca-cert-file", p("ca.crt"),
        "--tls-auth-clients", "no"])
    r.start()
    try:
        cfg = os.path.join(tmp, "t6c.yaml")
        write_cfg(cfg, {"drain_timeout_ms": 500, "tls": {"ca_file": p("ca.crt")}})
        out = os.path.join(tmp, "t6c.jsonl")
        rc, err, dt = spanlog(["-c", cfg, "-r", PCAP2, "-o", out, "--sensor", "t6c",
                               "--redis", "rediss://127.0.0.1:%d" % port,
                               "--spool", os.path.join(tmp, "spool6c")])
        st = final_stats(load_jsonl(out))["redis"]
        check("6d certificate for another host name refused (IP mismatch)",
              "mismatch" in err and st["published"] == 0, err)
    finally:
        r.stop()


def t7_hung(tmp):
    """Redis accepts connections but never answers (SIGSTOP): bounded exit."""
    r = Redis(tmp, "r7")
    r.start()
    spool = os.path.join(tmp, "spool7")
    cfg = os.path.join(tmp, "t7.yaml")
    write_cfg(cfg, {"drain_timeout_ms": 1000, "timeout_ms": 500})
    try:
        os.kill(r.proc.pid, signal.SIGSTOP)
        out = os.path.join(tmp, "t7.jsonl")
        rc, err, dt = spanlog(["-c", cfg, "-r", PCAP2, "-o", out, "--sensor", "t7",
                               "--redis", "redis://127.0.0.1:%d" % r.port, "--spool", spool])
        ev = load_jsonl(out)
        st = final_stats(ev)["redis"]
        check("7a hung redis (SIGSTOP): spanlog exits in bounded time (%.1fs)" % dt,
              rc == 0 and dt < 15, err)
        check("7b ... nothing published, nothing dropped, all spooled",
              st["published"] == 0 and st["dropped"] == 0 and st["spool_events"] >= len(ev) - 1,
              str(st))
        os.kill(r.proc.pid, signal.SIGCONT)
        empty = os.path.join(tmp, "empty7.pcap")
        empty_pcap(empty)
        rc, err, _ = spanlog(["-c", cfg, "-r", empty, "-o", os.path.join(tmp, "t7b.jsonl"),
                              "--sensor", "t7", "--redis", "redis://127.0.0.1:%d" % r.port,
                              "--spool", spool])
        cli = r.client()
        got = all_ids(redis_ids(cli, "spanlog:t7"))
        want = set(e["event_id"] for e in ev)
        check("7c after SIGCONT the next run delivers every event_id",
              want <= got, "%d missing" % len(want - got))
        cli.close()
    finally:
        if r.proc:
            os.kill(r.proc.pid, signal.SIGCONT)
        r.stop()


def main():
    if not shutil.which("redis-server"):
        print("redis-server not installed")
        return 77
    if not os.access(SPANLOG, os.X_OK):
        print("no spanlog binary at %s" % SPANLOG)
        return 1
    tmp = tempfile.mkdtemp(prefix="spanlog-redis-")
    only = os.environ.get("ONLY", "")
    try:
        for name, fn in (("1", t1_all_events), ("2", t2_kill_midrun), ("3", t3_never_up),
                         ("4", t4_cap), ("5", t5_acl), ("6", t6_tls), ("7", t7_hung)):
            if only and name not in only.split(","):
                continue
            try:
                fn(tmp)
            except Exception as e:  # a crash in a check is a failure
                check("%s (%s)" % (name, fn.__name__), False, "exception: %r" % e)
    finally:
        if not os.environ.get("KEEP"):
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print("kept", tmp)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
