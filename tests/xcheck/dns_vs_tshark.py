#!/usr/bin/env python3
"""dns_vs_tshark.py - compare spanlog's DNS events with tshark and Zeek.

For every DNS capture in ../shared/pcaps (or the files given as arguments)
this runs `spanlog -r FILE --workers 1` and
`tshark -n -r FILE -T fields -e dns.id -e dns.qry.name ...`, and checks:

  q-miss   every query tshark decodes, as (id, qname, qtype), is a
           transaction spanlog logged with its query seen;
  r-miss   every response tshark decodes with a question, as (id, qname,
           qtype, rcode), is a transaction spanlog logged as answered;
  r-extra  every answered spanlog event's (id, rcode) is a response tshark
           saw (catches records made from bytes that are not DNS);
  facts    the per-rcode response counts and the query (name, type,
           transport) set in ../shared/pcaps/*/tshark-facts.jsonl agree;
  zeek     where a Zeek dns.log baseline belongs to the capture (see
           zeek/MAPPING.tsv), each (query, qtype) Zeek logged is one
           spanlog logged, and the rcodes agree.

Names are compared case-insensitively; tshark's "<Root>" is ".".  Known,
explained differences are listed in KNOWN below and reported as notes.
Prints one PASS/FAIL line per file and "N passed, N failed"; exit 1 on any
failure, 77 when spanlog, tshark or the corpus is missing.
"""
import glob
import json
import os
import subprocess
import sys
from collections import Counter

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED = os.path.normpath(os.path.join(ROOT, "..", "shared", "pcaps"))
SPANLOG = os.environ.get("SPANLOG", os.path.join(ROOT, "spanlog"))

# IANA RR TYPE names, as spanlog writes them (sensor/output_json_dns.c).
TYPES = {
    "A": 1, "NS": 2, "MD": 3, "MF": 4, "CNAME": 5, "SOA": 6, "MB": 7, "MG": 8,
    "MR": 9, "NULL": 10, "WKS": 11, "PTR": 12, "HINFO": 13, "MINFO": 14,
    "MX": 15, "TXT": 16, "RP": 17, "AFSDB": 18, "X25": 19, "ISDN": 20,
    "RT": 21, "NSAP": 22, "NSAP-PTR": 23, "SIG": 24, "KEY": 25, "PX": 26,
    "GPOS": 27, "AAAA": 28, "LOC": 29, "NXT": 30, "EID": 31, "NIMLOC": 32,
    "SRV": 33, "ATMA": 34, "NAPTR": 35, "KX": 36, "CERT": 37, "A6": 38,
    "DNAME": 39, "SINK": 40, "OPT": 41, "APL": 42, "DS": 43, "SSHFP": 44,
    "IPSECKEY": 45, "RRSIG": 46, "NSEC": 47, "DNSKEY": 48, "DHCID": 49,
    "NSEC3": 50, "NSEC3PARAM": 51, "TLSA": 52, "SMIMEA": 53, "HIP": 55,
    "NINFO": 56, "RKEY": 57, "TALINK": 58, "CDS": 59, "CDNSKEY": 60,
    "OPENPGPKEY": 61, "CSYNC": 62, "ZONEMD": 63, "SVCB": 64, "HTTPS": 65,
    "SPF": 99, "UINFO": 100, "UID": 101, "GID": 102, "UNSPEC": 103,
    "NID": 104, "L32": 105, "L64": 106, "LP": 107, "EUI48": 108,
    "EUI64": 109, "TKEY": 249, "TSIG": 250, "IXFR": 251, "AXFR": 252,
    "MAILB": 253, "MAILA": 254, "ANY": 255, "URI": 256, "CAA": 257,
    "AVC": 258, "DOA": 259, "AMTRELAY": 260, "TA": 32768, "DLV": 32769,
}
RCODES = {
    "NOERROR": 0, "FORMERR": 1, "SERVFAIL": 2, "NXDOMAIN": 3, "NOTIMP": 4,
    "REFUSED": 5, "YXDOMAIN": 6, "YXRRSET": 7, "NXRRSET": 8, "NOTAUTH": 9,
    "NOTZONE": 10, "DSOTYPENI": 11,
}

# Differences we understand; (file suffix, check) -> why.
KNOWN = {
    ("dns/dns-invalid-names.pcap", "q-miss"):
        "the qname is a pointer to itself; tshark logs the query with the "
        "name '<Name contains a pointer that loops>', spanlog refuses the "
        "message (anomaly dns.bad_compression_pointer)",
    ("dns/dns-invalid-names.pcap", "facts"):
        "same looping pointer, as recorded in tshark-facts.jsonl",
}


def norm(name):
    if name in ("<Root>", ""):
        return "." if name else ""
    return name.lower().rstrip(".") or "."


def rrtype_num(v):
    if isinstance(v, int):
        return v
    return TYPES.get(v, -1)


def rcode_num(v):
    if v in RCODES:
        return RCODES[v]
    if isinstance(v, str) and v.startswith("unknown-"):
        return int(v[8:])
    return -1


def run_spanlog(path):
    p = subprocess.run([SPANLOG, "-r", path, "--workers", "1"],
                       capture_output=True, text=True, errors="replace")
    evs = []
    for line in p.stdout.splitlines():
        try:
            e = json.loads(line)
        except ValueError:
            continue
        if e.get("event_type") == "dns":
            evs.append(e)
    return p.returncode, evs


AGG = "\x1f"


def run_tshark(path):
    """Returns (queries, responses, ambiguous frames) from tshark."""
    fields = ["dns.id", "dns.qry.name", "dns.qry.type", "dns.flags.rcode",
              "dns.flags.response", "dns.count.queries", "tcp.srcport",
              "dns.count.zones"]
    # mDNS is its own protocol in tshark, with the same dns.* fields.
    cmd = ["tshark", "-n", "-r", path, "-Y", "dns or mdns", "-T", "fields",
           "-E", "aggregator=" + AGG, "-E", "occurrence=a"]
    for f in fields:
        cmd += ["-e", f]
    p = subprocess.run(cmd, capture_output=True, text=True, errors="replace")
    queries, responses, ambiguous = [], [], 0
    for line in p.stdout.splitlines():
        cols = line.split("\t")
        cols += [""] * (len(fields) - len(cols))
        ids = [c for c in cols[0].split(AGG) if c]
        resp = [c for c in cols[4].split(AGG) if c]
        # UPDATE (RFC 2136) calls the question section "zone".
        qd = [c for c in cols[5].split(AGG) if c] or \
            [c for c in cols[7].split(AGG) if c]
        names = cols[1].split(AGG) if cols[1] else []
        types = cols[2].split(AGG) if cols[2] else []
        rcodes = [c for c in cols[3].split(AGG) if c]
        tcp = cols[6] != ""
        if not ids or len(ids) != len(resp) or len(ids) != len(qd):
            ambiguous += 1
            continue
        # Walk the messages of this frame; each takes qdcount names.
        ni = 0
        ri = 0
        for k, mid in enumerate(ids):
            n_q = int(qd[k]) if qd[k].isdigit() else 0
            mine = list(zip(names[ni:ni + n_q], types[ni:ni + n_q]))
            ni += n_q
            is_resp = resp[k] in ("1", "True", "true")
            rc = None
            if is_resp:
                if ri < len(rcodes):
                    rc = int(rcodes[ri])
                ri += 1
            key_id = int(mid, 16) if mid.startswith("0x") else int(mid)
            first = mine[0] if mine else None
            item = (key_id, norm(first[0]) if first else None,
                    int(first[1]) if first and first[1].isdigit() else None,
                    rc, tcp)
            (responses if is_resp else queries).append(item)
    return queries, responses, ambiguous


def load_facts():
    facts = {}
    for f in glob.glob(os.path.join(SHARED, "*", "tshark-facts.jsonl")):
        top = os.path.basename(os.path.dirname(f))
        with open(f) as fh:
            for line in fh:
                try:
                    o = json.loads(line)
                except ValueError:
                    continue
                if "dns" in o:
                    facts[os.path.join(SHARED, top, o["name"])] = o["dns"]
    return facts


def load_zeek():
    """trace path -> list of dns.log paths from MAPPING.tsv."""
    m = {}
    mp = os.path.join(SHARED, "zeek", "MAPPING.tsv")
    if not os.path.exists(mp):
        return m
    with open(mp) as fh:
        for line in fh:
            cols = line.rstrip("\n").split("\t")
            if len(cols) != 2 or not cols[0].startswith("scripts.base.protocols.dns"):
                continue
            traces = cols[1].split()
            if len(traces) != 1:
                continue	# a log mixing several traces cannot be split
            logs = glob.glob(os.path.join(SHARED, "zeek", "Baseline", cols[0], "dns*.log"))
            if logs:
                m.setdefault(os.path.join(SHARED, "zeek", "Traces", traces[0]), []).extend(logs)
    return m


def zeek_rows(path):
    rows, fields = [], []
    with open(path, errors="replace") as fh:
        for line in fh:
            line = line.rstrip("\n")
            if line.startswith("#fields"):
                fields = line.split("\t")[1:]
                continue
            if line.startswith("#") or not fields:
                continue
            rows.append(dict(zip(fields, line.split("\t"))))
    return rows


def default_files():
    pats = ["zeek/Traces/dns*.pcap", "zeek/Traces/dns/*.pcap",
            "zeek/Traces/dnssec/*.pcap", "arkime/pcap/dns-*.pcap",
            "ndpi/pcap/dns_fragmented.pcap"]
    out = []
    for p in pats:
        out += sorted(glob.glob(os.path.join(SHARED, p)))
    return out


def check(path, facts, zeek):
    problems, notes = [], []
    rel = os.path.relpath(path, SHARED)
    rc, evs = run_spanlog(path)
    if rc != 0:
        problems.append("spanlog exit status %d" % rc)
    tq, tr, amb = run_tshark(path)
    if amb:
        notes.append("%d tshark frame(s) with unpairable fields skipped" % amb)

    sq = set()		# (id, name, type) of transactions whose query was seen
    sr = set()		# (id, name, type, rcode) of answered transactions
    sr_idrc = Counter()
    s_rcodes = Counter()
    s_qfacts = set()
    for e in evs:
        d = e["dns"]
        name = norm(d.get("rrname", "")) if "rrname" in d else None
        t = rrtype_num(d["rrtype"]) if "rrtype" in d else None
        if d.get("query_seen", True):
            sq.add((d["id"], name, t))
            s_qfacts.add((name, t, d["transport"]))
        if d["answered"]:
            rcn = rcode_num(d["rcode"])
            sr.add((d["id"], name, t, rcn))
            sr_idrc[(d["id"], rcn)] += 1
            s_rcodes[rcn] += 1

    def fail(kind, msg):
        why = next((v for (suf, k), v in KNOWN.items()
                    if k == kind and rel.endswith(suf)), None)
        if why:
            notes.append("%s (known: %s)" % (msg, why))
        else:
            problems.append(msg)

    miss = sorted({q[:3] for q in tq if q[1] is not None} - sq, key=str)
    if miss:
        fail("q-miss", "%d tshark queries not logged, e.g. %s" % (len(miss), miss[:3]))
    tr_keys = {r[:4] for r in tr if r[1] is not None}
    miss = sorted(tr_keys - sr, key=str)
    if miss:
        fail("r-miss", "%d tshark responses not logged, e.g. %s" % (len(miss), miss[:3]))
    t_idrc = {(r[0], r[3]) for r in tr}
    extra = sorted(k for k in sr_idrc if k not in t_idrc)
    if extra:
        fail("r-extra", "%d answered events tshark has no response for, e.g. %s"
             % (len(extra), extra[:3]))

    f = facts.get(path)
    if f:
        fr = Counter({int(k): v for k, v in f.get("response_rcodes", {}).items()})
        if fr != s_rcodes:
            fail("facts", "rcode counts differ: facts %s, spanlog %s"
                 % (dict(fr), dict(s_rcodes)))
        if not f.get("queries_truncated"):
            fq = {(norm(q["name"]), int(q["type"]), q["transport"])
                  for q in f.get("queries", []) if q["type"].isdigit()}
            miss = sorted(fq - s_qfacts, key=str)
            if miss:
                fail("facts", "%d fact queries not logged, e.g. %s" % (len(miss), miss[:3]))

    for log in zeek.get(path, []):
        zq, zrc = set(), Counter()
        for row in zeek_rows(log):
            q = row.get("query", "-")
            qt = row.get("qtype", "-")
            if q not in ("-", "") and qt.isdigit():
                zq.add((norm(q if q != "<root>" else "."), int(qt)))
            if row.get("rcode", "-").isdigit():
                zrc[int(row["rcode"])] += 1
        s_names = {(k[1], k[2]) for k in sq} | {(k[1], k[2]) for k in sr}
        miss = sorted(zq - s_names, key=str)
        if miss:
            fail("zeek", "%s: %d (query, qtype) not logged, e.g. %s"
                 % (os.path.basename(log), len(miss), miss[:3]))
        for rcv, cnt in zrc.items():
            if s_rcodes[rcv] < cnt:
                fail("zeek", "%s: rcode %d: zeek %d, spanlog %d"
                     % (os.path.basename(log), rcv, cnt, s_rcodes[rcv]))

    summary = "%d events, tshark %d queries / %d responses" % (len(evs), len(tq), len(tr))
    return problems, notes, summary


def main():
    if not os.access(SPANLOG, os.X_OK):
        print("SKIP: %s not built" % SPANLOG)
        return 77
    if subprocess.run(["which", "tshark"], capture_output=True).returncode != 0:
        print("SKIP: tshark not installed")
        return 77
    files = sys.argv[1:] or default_files()
    if not files:
        print("SKIP: no captures under %s" % SHARED)
        return 77
    files = [os.path.abspath(f) for f in files]
    facts, zeek = load_facts(), load_zeek()
    npass = nfail = 0
    for f in files:
        problems, notes, summary = check(f, facts, zeek)
        name = os.path.relpath(f, SHARED) if f.startswith(SHARED) else f
        if problems:
            nfail += 1
            print("FAIL %s (%s)" % (name, summary))
            for p in problems:
                print("     %s" % p)
        else:
            npass += 1
            print("PASS %s (%s)" % (name, summary))
        for n in notes:
            print("     note: %s" % n)
    print("%d passed, %d failed" % (npass, nfail))
    return 1 if nfail else 0


if __name__ == "__main__":
    sys.exit(main())
