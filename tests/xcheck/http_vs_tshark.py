#!/usr/bin/env python3
"""http_vs_tshark.py - compare spanlog's HTTP events with tshark and Zeek.

For every HTTP capture in ../shared/pcaps (zeek/Traces/http/**, arkime's
http-* and https-connect, or the files given as arguments) this runs
`spanlog -r FILE --workers 1 --no-ndpi -c CFG` (CFG only turns the
reassembly depth limit off) and

  tshark -n -r FILE -Y http.request  -T fields -e http.request.method
         -e http.host -e http.request.uri
  tshark -n -r FILE -Y http.response -T fields -e http.response.code

and checks, as multisets:

  req      (method, host, uri) of every request tshark decodes is a
           request spanlog logged, and spanlog logged no request tshark
           did not see;
  status   the final status codes (1xx other than 101 left out: spanlog
           keeps those as interim_status) agree;
  facts    the same two against ../shared/pcaps/*/tshark-facts.jsonl
           ("requests" with counts, "response_codes");
  zeek     where Zeek's http.log baseline belongs to the capture
           (zeek/MAPPING.tsv), every (method, host, uri, status) Zeek
           logged is one spanlog logged.

Hosts are compared lower-cased with any ":port" removed (spanlog's
"hostname" has no port; tshark's http.host and Zeek's host keep it).
Known, explained differences are listed in KNOWN and printed as notes; they
do not fail the file.  Prints one PASS/FAIL line per file and "N passed, N
failed"; exit 1 on any failure, 77 when spanlog, tshark or the corpus is
missing.  SPANLOG in the environment overrides the binary (default
./spanlog at the repository root).
"""
import glob
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.parse
from collections import Counter

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED = os.path.normpath(os.path.join(ROOT, "..", "shared", "pcaps"))
SPANLOG = os.environ.get("SPANLOG", os.path.join(ROOT, "spanlog"))

# spanlog keeps at most this many bytes of a URL and a host name
# (sensor/ev_http.h, EV_HTTP_URL_MAX - 1 and EV_HTTP_HOST_MAX - 1); longer
# values from tshark and Zeek are cut the same way before comparing.
URL_KEEP = 1023
HOST_KEEP = 255

# (file suffix, check) -> why the difference is expected.
TS_09 = ("tshark 4.0 does not decode an HTTP/0.9 request (no version); "
         "spanlog logs it with protocol unset and http09, as Zeek does")
TS_GAP = ("a segment is missing inside the response; tshark gives up on "
          "the PDU, spanlog logs it with gap (Zeek logs it too)")
KNOWN = {
    ("261/variant-01-chunk_2pow64_overflow.pcap", "req"):
        "the chunk size overflows 64 bits: spanlog reports app.malformed, "
        "resyncs and logs the request hidden after it, as Zeek does "
        "(its baseline has /smuggled-chunk-2pow64); tshark stops",
    ("261/variant-01-chunk_2pow64_overflow.pcap", "facts"): "same",
    ("261/variant-09-te_obs_fold.pcap", "req"):
        "obs-fold Transfer-Encoding: spanlog ignores the folded line, so "
        "the body has no framing and the smuggled request is logged, as "
        "Zeek's baseline does; tshark does not log it",
    ("261/variant-09-te_obs_fold.pcap", "facts"): "same",
    ("concurrent-range-requests.pcap", "status"): TS_GAP,
    ("concurrent-range-requests.pcap", "facts"): TS_GAP,
    ("content-range-gap.pcap", "status"): TS_GAP,
    ("content-range-gap.pcap", "facts"): TS_GAP,
    ("content-range-gap-skip.pcap", "status"): TS_GAP,
    ("content-range-gap-skip.pcap", "facts"): TS_GAP,
    ("entity_gap.pcap", "status"): TS_GAP,
    ("entity_gap.pcap", "facts"): TS_GAP,
    ("entity_gap2.pcap", "status"): TS_GAP,
    ("entity_gap2.pcap", "facts"): TS_GAP,
    ("connect-with-smtp.pcap", "req"):
        "'CONNECT host:25 / HTTP/1.0': spanlog (like Zeek) keeps every "
        "word before the version as the target, tshark only the first",
    ("connect-with-smtp.pcap", "facts"): "same",
    ("http-bad-request-with-version.pcap", "status"):
        "the client's first bytes are \\xdd\\x00\\x00\\x00 before the "
        "request line: the probe says no, which is final for the flow "
        "(issue 3: no records from non-HTTP bytes); tshark decodes the "
        "server side alone",
    ("http-bad-request-with-version.pcap", "facts"): "same",
    ("http_09.pcap", "req"): TS_09,
    ("no-version.pcap", "req"): TS_09,
    ("no-uri.pcap", "req"):
        "'GET  HTTP/1.1' (no target): spanlog logs an empty url as Zeek "
        "does; tshark takes 'HTTP/1.1' as the URI",
    ("no-uri.pcap", "facts"): "same",
    ("methods.pcap", "req"):
        "a fuzzed request-line corpus: 'OPTIONS HTTP/1.1' has an empty "
        "target for spanlog and Zeek, 'HTTP/1.1' for tshark; lines with "
        "no space after the method or non-token bytes are not HTTP to "
        "the probe, so those connections give no records",
    ("methods.pcap", "status"):
        "the 400/405 answers to request lines the probe refuses (see req)",
    ("methods.pcap", "facts"): "same",
    ("http-inner-transfer-encoding-ossfuzz.pcap", "zeek"):
        "fuzzer output: Zeek resyncs on 'ETA unknown_HTTP_metm/...' inside "
        "a body and logs it; spanlog's resync needs a line ending in "
        "HTTP/x.y after a loss of framing",
    ("methods.pcap", "zeek"):
        "Zeek also logs the 0.9-style lines of refused connections",
    ("query-method.pcap", "req"):
        "tshark 4.0 does not know the QUERY method (Zeek logs it)",
    ("query-method.pcap", "facts"): "same",
    ("query-method-non-standard-port.pcap", "req"):
        "tshark 4.0 does not know the QUERY method (Zeek logs it)",
    ("query-method-non-standard-port.pcap", "facts"): "same",
    ("zeek-image-post-1080-8000-x.pcap", "req"):
        "port 8000: tshark decodes it as SOCKS by port; spanlog finds "
        "HTTP by content (Zeek logs it too)",
    ("zeek-image-post-1080-8000-x.pcap", "status"): "same",
    ("http-tcp-seq-issue.pcap", "req"):
        "the request's first segment comes after its second "
        "(retransmission); tshark's default does not reorder, spanlog's "
        "reassembly does",
    ("http-tcp-seq-issue.pcap", "status"): "same",
}


def known(path, check):
    for (suffix, c), why in KNOWN.items():
        if c == check and path.endswith(suffix):
            return why
    return None


def norm_host(h):
    h = (h or "").strip().lower()
    if h.startswith("["):
        end = h.find("]")
        return h[1:end] if end > 0 else h
    if h.count(":") == 1:
        h = h.split(":", 1)[0]
    return h


def req_key(method, host, uri):
    """(method, host, uri) as compared.  A CONNECT without a Host header
    is compared by its target's host: spanlog's hostname comes from the
    target (RFC 9110 9.3.6), tshark's http.host is only the header."""
    uri = uri or ""
    if method == "CONNECT" and not host:
        host = uri.split(" ")[0]
    return (method, norm_host(host)[:HOST_KEEP], uri[:URL_KEEP])


def run(argv):
    p = subprocess.run(argv, capture_output=True, timeout=600)
    return p.returncode, p.stdout.decode("utf-8", "replace"), \
        p.stderr.decode("utf-8", "replace")


def materialize(path, tmp):
    """spanlog reads plain pcap/pcapng: unpack .gz into tmp."""
    if not path.endswith(".gz"):
        return path
    out = os.path.join(tmp, os.path.basename(path)[:-3])
    with gzip.open(path, "rb") as src, open(out, "wb") as dst:
        shutil.copyfileobj(src, dst)
    return out


def spanlog_http(path, cfg):
    rc, out, err = run([SPANLOG, "-r", path, "--workers", "1", "--no-ndpi",
                        "--no-progress", "-c", cfg])
    if rc != 0:
        return None, "spanlog exit %d: %s" % (rc, err.strip()[-300:])
    reqs, codes, evs = Counter(), Counter(), []
    for line in out.splitlines():
        try:
            ev = json.loads(line)
        except ValueError:
            return None, "spanlog wrote a line that is not JSON"
        if ev.get("event_type") != "http":
            continue
        h = ev.get("http", {})
        evs.append(h)
        if "http_method" in h:
            reqs[req_key(h["http_method"], h.get("hostname"),
                         h.get("url", ""))] += 1
        if "status" in h:
            codes[str(h["status"])] += 1
    return (reqs, codes, evs), None


def tshark_http(path):
    rc, out, err = run(["tshark", "-n", "-r", path, "-Y", "http.request",
                        "-T", "fields", "-e", "http.request.method",
                        "-e", "http.host", "-e", "http.request.uri"])
    if rc != 0 and not out:
        return None, "tshark: " + err.strip()[-200:]
    reqs = Counter()
    for line in out.splitlines():
        f = (line.split("\t") + ["", "", ""])[:3]
        # tshark prints the first value of a repeated field group; methods
        # of several requests in one frame come comma-separated.
        ms, hs, us = f[0].split(","), f[1].split(","), f[2].split(",")
        if len(ms) == len(us) and len(ms) > 1:
            for i, m in enumerate(ms):
                reqs[req_key(m, hs[i] if i < len(hs) else "", us[i])] += 1
        else:
            reqs[req_key(f[0], f[1], f[2])] += 1
    rc, out, err = run(["tshark", "-n", "-r", path, "-Y", "http.response",
                        "-T", "fields", "-e", "http.response.code"])
    codes = Counter()
    for line in out.splitlines():
        for c in line.split(","):
            if c:
                codes[c] += 1
    return (reqs, codes), None


def final_codes(codes):
    return Counter({c: n for c, n in codes.items()
                    if not (c.startswith("1") and c != "101")})


def load_facts():
    facts = {}
    for fn in glob.glob(os.path.join(SHARED, "*", "tshark-facts.jsonl")):
        top = os.path.dirname(fn)
        with open(fn) as f:
            for line in f:
                try:
                    o = json.loads(line)
                except ValueError:
                    continue
                if "http" in o:
                    facts[os.path.normpath(os.path.join(top, o["name"]))] = \
                        o["http"]
    return facts


def load_zeek():
    """capture path -> list of http.log paths (zeek/MAPPING.tsv)."""
    m = {}
    mp = os.path.join(SHARED, "zeek", "MAPPING.tsv")
    if not os.path.exists(mp):
        return m
    with open(mp) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 2 or parts[0].startswith("("):
                continue
            base = os.path.join(SHARED, "zeek", "Baseline", parts[0])
            logs = sorted(glob.glob(os.path.join(base, "http.log*")))
            traces = [t for t in parts[1].split() if "ABSENT" not in t]
            if not logs or len(traces) != 1:
                continue    # several traces in one log: cannot attribute
            p = os.path.normpath(os.path.join(SHARED, "zeek", "Traces",
                                              traces[0]))
            m.setdefault(p, []).extend(logs)
    return m


def read_zeek_log(path):
    rows, fields = [], None
    with open(path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("#fields"):
                fields = line.split("\t")[1:]
                continue
            if not fields and not line.startswith("#"):
                fields = line.split("\t")      # trimmed logs: a bare header
                continue
            if line.startswith("#") or not fields:
                continue
            v = dict(zip(fields, line.split("\t")))
            rows.append(v)
    return rows


def zeek_cols(key, cols):
    """Blanks the parts of (method, host, uri, status) a log lacks."""
    names = ("method", "host", "uri", "status_code")
    return tuple(v if n in cols else "" for n, v in zip(names, key))


def unset(v):
    return v in (None, "-", "(empty)")


def diff(a, b):
    """Items of a not in b, and of b not in a (multisets)."""
    return a - b, b - a


def fmt(c, limit=4):
    items = sorted(c.items(), key=str)[:limit]
    s = ", ".join("%s x%d" % ("/".join(k) if isinstance(k, tuple) else k, n)
                  for k, n in items)
    return s + (" ..." if len(c) > limit else "")


def check_file(path, facts, zeek, tmp):
    real = materialize(path, tmp)
    ours, err = spanlog_http(real, os.path.join(tmp, "spanlog.yaml"))
    if err:
        return False, [err]
    theirs, err = tshark_http(real)
    if err:
        return False, [err]
    reqs, codes, evs = ours
    t_reqs, t_codes = theirs
    problems, notes = [], []

    def report(check, msg):
        why = known(path, check)
        if why:
            notes.append("known %s difference: %s (%s)" % (check, msg, why))
        else:
            problems.append("%s: %s" % (check, msg))

    miss, extra = diff(t_reqs, reqs)
    if miss:
        report("req", "tshark has, spanlog not: " + fmt(miss))
    if extra:
        report("req", "spanlog has, tshark not: " + fmt(extra))
    miss, extra = diff(final_codes(t_codes), final_codes(codes))
    if miss:
        report("status", "tshark has, spanlog not: " + fmt(miss))
    if extra:
        report("status", "spanlog has, tshark not: " + fmt(extra))

    fa = facts.get(os.path.normpath(path))
    if fa is not None:
        f_reqs = Counter()
        for r in fa.get("requests", []):
            f_reqs[req_key(r.get("method", ""), r.get("host"),
                           r.get("uri", ""))] += int(r.get("count", 1))
        if not fa.get("requests_truncated"):
            miss, extra = diff(f_reqs, reqs)
            if miss or extra:
                report("facts", "requests differ: missing %s; extra %s" %
                       (fmt(miss) or "-", fmt(extra) or "-"))
        f_codes = final_codes(Counter({str(k): int(v) for k, v in
                                       fa.get("response_codes", {}).items()}))
        miss, extra = diff(f_codes, final_codes(codes))
        if miss or extra:
            report("facts", "status codes differ: missing %s; extra %s" %
                   (fmt(miss) or "-", fmt(extra) or "-"))

    for log in zeek.get(os.path.normpath(path), []):
        z = Counter()
        rows = read_zeek_log(log)
        # Trimmed baselines (http.log.cut) keep only some columns: compare
        # those only.
        cols = set(rows[0].keys()) if rows else set()
        for r in rows:
            if unset(r.get("method")):
                continue
            # Zeek logs status 0 for "no status line" (HTTP/0.9) and the
            # URI percent-decoded (unescape_URI); spanlog keeps it raw.
            st = r.get("status_code")
            k = req_key(r["method"], "" if unset(r.get("host")) else
                        r["host"], "" if unset(r.get("uri")) else
                        urllib.parse.unquote(r["uri"]))
            z[zeek_cols(k + ("" if unset(st) or st == "0" else st,),
                        cols)] += 1
        o = Counter()
        for h in evs:
            if "http_method" in h:
                k = req_key(h["http_method"], h.get("hostname"),
                            urllib.parse.unquote(h.get("url", "")))
                o[zeek_cols(k + (str(h.get("status", "")),), cols)] += 1
        miss, extra = diff(z, o)
        if miss:
            report("zeek", "%s: Zeek has, spanlog not: %s" %
                   (os.path.basename(os.path.dirname(log)) + "/" +
                    os.path.basename(log), fmt(miss)))
    return not problems, problems + notes


def default_files():
    files = sorted(glob.glob(os.path.join(SHARED, "zeek", "Traces", "http",
                                          "**", "*.pcap*"), recursive=True))
    files += sorted(glob.glob(os.path.join(SHARED, "arkime", "pcap",
                                           "http-*.pcap")))
    files += sorted(glob.glob(os.path.join(SHARED, "arkime", "pcap",
                                           "https-connect.pcap")))
    return files


def main(argv):
    if not os.access(SPANLOG, os.X_OK):
        print("SKIP: no spanlog binary at %s" % SPANLOG)
        return 77
    if shutil.which("tshark") is None:
        print("SKIP: tshark not installed")
        return 77
    files = argv[1:] or default_files()
    if not files:
        print("SKIP: no captures under %s" % SHARED)
        return 77
    facts, zeek = load_facts(), load_zeek()
    passed = failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        # Reassembly depth off: the default (1 MiB per direction) stops
        # dissection of long keep-alive connections (zeek no_crlf.pcap),
        # which is a flow-layer budget, not what is compared here.
        with open(os.path.join(tmp, "spanlog.yaml"), "w") as f:
            f.write("reassembly:\n  depth_kb: 0\n")
        for path in files:
            ok, lines = check_file(os.path.abspath(path), facts, zeek, tmp)
            rel = os.path.relpath(os.path.abspath(path), SHARED) \
                if os.path.abspath(path).startswith(SHARED) else path
            print("%s %s" % ("PASS" if ok else "FAIL", rel))
            for line in lines:
                print("    " + line)
            if ok:
                passed += 1
            else:
                failed += 1
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
