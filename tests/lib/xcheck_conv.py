#!/usr/bin/env python3
"""xcheck_conv - cross-check spanlog's TCP/UDP flows against tshark.

For each capture: `tshark -n -r FILE -q -z conv,tcp -z conv,udp` (plus a few
per-packet fields in the same pass, used for IP fragments and encapsulations) is parsed
into conversations {(proto, unordered addr:port pair): frames and bytes per
direction}; spanlog's "flow" events are aggregated the same way (VLANs and
repeated flows of one pair are summed, as tshark's table has no VLAN
column).  The set of conversations and every frame/byte count per direction
must agree.  tshark prints byte counts of 10,000 and more rounded down to
kB/MB/GB ("349 kB" = 349000..349999, Wireshark's format_size()); spanlog's
exact count must then fall inside that interval.  The rules and their exceptions are in tests/xcheck/README.md;
every exception used is printed with its reason.

Each capture is one test: prints PASS/FAIL/SKIP lines and ends with
"N passed, N failed".  tshark's output is cached by file content.
"""

import argparse
import concurrent.futures
import hashlib
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import evlib  # noqa: E402

FIELDS = ["ip.flags.mf", "ip.frag_offset", "ipv6.fraghdr.offset",
          "ip.src", "ip.dst", "ipv6.src", "ipv6.dst", "ip.proto",
          "ipv6.fraghdr.nxt", "frame.protocols", "tcp.srcport",
          "tcp.dstport", "udp.srcport", "udp.dstport", "ip.id",
          "ipv6.fraghdr.ident", "frame.len"]

# Layers below IP that issue 2 asks spanlog to decode (tshark's names).
# A frame whose IP sits under anything else (PPPoE, MPLS, ...) is out of
# scope: its conversation is left out of the comparison, with a note.
SCOPE_LAYERS = {"eth", "ethertype", "vlan", "ieee8021ad", "sll", "raw",
                "null", "loop", "fcs"}

ROW_RE = re.compile(
    r"^(\S+):(\d+)\s+<->\s+(\S+):(\d+)\s+"
    r"(\d+)\s+(\d+)\s+(bytes|[kMGTPE]B)\s+"
    r"(\d+)\s+(\d+)\s+(bytes|[kMGTPE]B)\s+"
    r"(\d+)\s+(\d+)\s+(bytes|[kMGTPE]B)\s+")

SI = ["", "k", "M", "G", "T", "P", "E"]

# tshark's words for a capture that ends in the middle of a record.
TSHARK_DAMAGED_RE = re.compile(r"cut short|appears to be damaged|corrupt",
                               re.I)


def tshark_version():
    try:
        out = subprocess.run(["tshark", "-v"], capture_output=True,
                             text=True).stdout
    except OSError:
        return None
    return out.splitlines()[0] if out else None


def tshark_output(cap, cache_dir, version):
    """(stdout, stderr) of the tshark pass, cached by content + version."""
    h = hashlib.sha256((version + " ".join(FIELDS)).encode())
    with open(cap, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    key = h.hexdigest()[:32]
    out_p = os.path.join(cache_dir, key + ".out")
    err_p = os.path.join(cache_dir, key + ".err")
    if os.path.exists(out_p) and os.path.exists(err_p):
        with open(out_p, encoding="utf-8", errors="replace") as f:
            out = f.read()
        with open(err_p, encoding="utf-8", errors="replace") as f:
            return out, f.read()
    argv = ["tshark", "-n", "-r", cap, "-T", "fields", "-E", "occurrence=f"]
    for fl in FIELDS:
        argv += ["-e", fl]
    argv += ["-z", "conv,tcp", "-z", "conv,udp"]
    p = subprocess.run(argv, capture_output=True, stdin=subprocess.DEVNULL)
    out = p.stdout.decode("utf-8", "replace")
    err = "\n".join(l for l in p.stderr.decode("utf-8", "replace").splitlines()
                    if not l.startswith("Running as user"))
    if "Conversations" in out:
        os.makedirs(cache_dir, exist_ok=True)
        for path, text in ((out_p, out), (err_p, err)):
            tmp = path + ".%d" % os.getpid()
            with open(tmp, "w", encoding="utf-8") as f:
                f.write(text)
            os.replace(tmp, path)
    return out, err


def parse_tshark(out):
    """(convs, frags, out_of_scope, error).

    convs: {(proto, (epA, epB)) with the endpoints sorted:
            {"frames": {(src_ep, dst_ep): n},
             "bytes": {(src_ep, dst_ep): (low, high)}}}
    frags: {(proto, src, dst, ident): {"lens": [frame.len of fragments that
            tshark put in no conversation], "conv": (key, (src_ep, dst_ep))
            of the frame that completed the datagram, or None}}
    out_of_scope: {conv key: set of layer names}."""
    convs = {}
    frags = {}
    scope = {}
    proto = None
    in_fields = True
    seen_tables = set()
    for line in out.splitlines():
        if line.startswith("===="):
            in_fields = False
            continue
        if in_fields:
            p = line.split("\t")
            p += [""] * (len(FIELDS) - len(p))
            mf, off, off6 = p[0], p[1], p[2]
            layers = p[9].split(":")
            below = []
            for layer in layers:
                if layer in ("ip", "ipv6"):
                    break
                below.append(layer)
            odd = [x for x in below if x not in SCOPE_LAYERS]
            if odd and len(below) < len(layers):
                a = evlib.norm_ip(p[3] or p[5])
                b = evlib.norm_ip(p[4] or p[6])
                for pname, sp, dp in (("TCP", p[10], p[11]),
                                      ("UDP", p[12], p[13])):
                    if sp and dp:
                        k = (pname, tuple(sorted(((a, int(sp)),
                                                  (b, int(dp))), key=str)))
                        scope.setdefault(k, set()).update(odd)
            if mf in ("1", "True") or off not in ("", "0") or off6 != "":
                a = evlib.norm_ip(p[3] or p[5])
                b = evlib.norm_ip(p[4] or p[6])
                num = p[7] or p[8]
                try:
                    pname = evlib.norm_proto(int(num))
                except ValueError:
                    pname = "?"
                dg = frags.setdefault((pname, a, b, p[14] or p[15]),
                                      {"lens": [], "conv": None})
                sp, dp = (p[10], p[11]) if pname == "TCP" else (p[12], p[13])
                if sp and dp and pname in ("TCP", "UDP"):
                    ea, eb = (a, int(sp)), (b, int(dp))
                    dg["conv"] = ((pname, tuple(sorted((ea, eb), key=str))),
                                  (ea, eb))
                else:
                    dg["lens"].append(int(p[16] or 0))
            continue
        m = re.match(r"^(TCP|UDP) Conversations", line)
        if m:
            proto = m.group(1)
            seen_tables.add(proto)
            continue
        m = ROW_RE.match(line)
        if not m or proto is None:
            continue
        ea = (evlib.norm_ip(m.group(1)), int(m.group(2)))
        eb = (evlib.norm_ip(m.group(3)), int(m.group(4)))
        k = (proto, tuple(sorted((ea, eb), key=str)))
        c = convs.setdefault(k, {"frames": {}, "bytes": {}, "rows": 0})
        c["rows"] += 1
        # "<-" is B to A, "->" is A to B (A = left column).
        for (src, dst), fr, by, unit in (((eb, ea), m.group(5), m.group(6),
                                          m.group(7)),
                                         ((ea, eb), m.group(8), m.group(9),
                                          m.group(10))):
            d = (src, dst)
            c["frames"][d] = c["frames"].get(d, 0) + int(fr)
            # Bytes as an interval: "349 kB" is 349000..349999.
            mult = 1000 ** SI.index(unit[0]) if unit != "bytes" else 1
            lo = int(by) * mult
            plo, phi = c["bytes"].get(d, (0, 0))
            c["bytes"][d] = (plo + lo, phi + lo + mult - 1)
    err = None
    if seen_tables != {"TCP", "UDP"}:
        err = "tshark printed no TCP/UDP conversation tables"
    return convs, frags, scope, err


def aggregate_spanlog(events):
    convs = {}
    for ev in events:
        if ev.get("event_type") != "flow":
            continue
        proto = evlib.norm_proto(ev.get("proto"))
        if proto not in ("TCP", "UDP"):
            continue
        fl = ev.get("flow") or {}
        s = (evlib.norm_ip(ev.get("src_ip")), ev.get("src_port"))
        d = (evlib.norm_ip(ev.get("dest_ip")), ev.get("dest_port"))
        k = (proto, tuple(sorted((s, d), key=str)))
        c = convs.setdefault(k, {"frames": {}, "bytes": {}, "rows": 0})
        c["rows"] += 1
        for (a, b), pk, by in (((s, d), "pkts_toserver", "bytes_toserver"),
                               ((d, s), "pkts_toclient", "bytes_toclient")):
            c["frames"][(a, b)] = c["frames"].get((a, b), 0) + \
                int(fl.get(pk) or 0)
            c["bytes"][(a, b)] = c["bytes"].get((a, b), 0) + \
                int(fl.get(by) or 0)
    return convs


def fmt_key(k):
    proto, (a, b) = k
    return "%s %s:%s <-> %s:%s" % (proto, a[0], a[1], b[0], b[1])


def compare(ts, sp):
    """List of differences (strings)."""
    diffs = []
    for k in sorted(set(ts) - set(sp), key=str):
        t = ts[k]
        diffs.append("only in tshark: %s (%d frames)" %
                     (fmt_key(k), sum(t["frames"].values())))
    for k in sorted(set(sp) - set(ts), key=str):
        s = sp[k]
        diffs.append("only in spanlog: %s (%d frames in %d flow events)" %
                     (fmt_key(k), sum(s["frames"].values()), s["rows"]))
    for k in sorted(set(ts) & set(sp), key=str):
        t, s = ts[k], sp[k]
        ends = k[1]
        for d in ((ends[0], ends[1]), (ends[1], ends[0])):
            tf, sf = t["frames"].get(d, 0), s["frames"].get(d, 0)
            (lo, hi), sb = t["bytes"].get(d, (0, 0)), s["bytes"].get(d, 0)
            what = "%s, %s:%s -> %s:%s" % (k[0], d[0][0], d[0][1],
                                           d[1][0], d[1][1])
            if tf != sf:
                diffs.append("%s: frames tshark %d, spanlog %d" %
                             (what, tf, sf))
            if not lo <= sb <= hi:
                shown = str(lo) if lo == hi else "%d..%d (rounded by tshark)" \
                    % (lo, hi)
                diffs.append("%s: bytes tshark %s, spanlog %d" %
                             (what, shown, sb))
        tt = sum(t["frames"].values())
        st = sum(s["frames"].values())
        if tt != st:
            diffs.append("%s: total frames tshark %d, spanlog %d" %
                         (fmt_key(k), tt, st))
    return diffs


def load_exceptions(path):
    """{relative path: reason} from tests/xcheck/exceptions.txt."""
    ex = {}
    if not path or not os.path.exists(path):
        return ex
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            parts = line.split("\t", 1)
            if len(parts) != 2 or not parts[1].strip():
                raise SystemExit("%s: need 'path<TAB>reason': %r" %
                                 (path, line))
            ex[parts[0].strip()] = parts[1].strip()
    return ex


def check_one(path, opts, version, exceptions):
    """(status, name, message): status PASS, FAIL or SKIP."""
    rel = os.path.relpath(path, opts.shared)
    name = "%s%s" % (opts.prefix, rel)
    if rel in exceptions:
        return "SKIP", name, "listed exception: " + exceptions[rel]
    cap = evlib.materialize(path, opts.work)
    types = evlib.link_types(path)
    out, terr = tshark_output(cap, opts.cache, version)
    ts, frags, scope, perr = parse_tshark(out)
    if perr:
        return "FAIL", name, "%s (tshark stderr: %.200s)" % (perr, terr)
    tshark_damaged = bool(TSHARK_DAMAGED_RE.search(terr))

    argv = [opts.spanlog, "-r", cap, "-o", "-"] + opts.extra
    rc, sout, serr = evlib.run(argv, timeout=opts.timeout)
    san = evlib.sanitizer_report(serr)
    if san:
        return "FAIL", name, "sanitizer: " + san
    unsupported = types and not (types & set(evlib.REQUIRED_LINK_TYPES))
    if rc == 2 and unsupported:
        return "SKIP", name, (
            "link type %s is outside the set issue 2 requires (Ethernet, "
            "SLL, SLL2, raw IP) and spanlog refused it: %s" %
            (", ".join(evlib.link_type_name(t) for t in sorted(types)),
             serr.strip().splitlines()[-1] if serr.strip() else "no message"))
    if rc == 2 and tshark_damaged:
        pass    # both see a cut-short file: compare what came before
    elif rc != 0:
        last = serr.strip().splitlines()[-1] if serr.strip() else ""
        return "FAIL", name, "spanlog %s: %.300s" % (evlib.describe_rc(rc),
                                                    last)
    events, jerr = evlib.parse_events(sout)
    if jerr:
        return "FAIL", name, "bad output: " + jerr[0]
    sp = aggregate_spanlog(events)

    notes = []
    if frags:
        # tshark counts a reassembled datagram once, in the row of the frame
        # that completed it; spanlog counts every fragment frame.  Add the
        # other fragments' frames to tshark's row.
        # Fragments of a datagram that never completes are in no row on
        # either side (spanlog too counts a fragment only once its datagram
        # is whole), so they need nothing.
        added = 0
        for dg in frags.values():
            if dg["conv"] is None or not dg["lens"]:
                continue
            key, d = dg["conv"]
            c = ts.get(key)
            if c is None:
                continue
            c["frames"][d] = c["frames"].get(d, 0) + len(dg["lens"])
            lo, hi = c["bytes"].get(d, (0, 0))
            c["bytes"][d] = (lo + sum(dg["lens"]), hi + sum(dg["lens"]))
            added += len(dg["lens"])
        if added:
            notes.append("added %d fragment frames to tshark's rows (it "
                         "counts a reassembled datagram only in the frame "
                         "that completed it)" % added)
    if scope:
        names = set()
        for k, layers in scope.items():
            names |= layers
            ts.pop(k, None)
            sp.pop(k, None)
        notes.append("excluded %d conversations carried in %s, an "
                     "encapsulation issue 2 does not ask spanlog to decode"
                     % (len(scope), "/".join(sorted(names))))
    if tshark_damaged:
        notes.append("tshark and spanlog both report the file as cut short")
    diffs = compare(ts, sp)
    note = ("; NOTE: " + "; ".join(notes)) if notes else ""
    if diffs:
        more = "" if len(diffs) <= 8 else "\n    ... %d more" % (len(diffs) - 8)
        return "FAIL", name, "%d differences%s\n    %s%s" % (
            len(diffs), note, "\n    ".join(diffs[:8]), more)
    return "PASS", name, "%d conversations agree%s" % (len(ts), note)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--spanlog", required=True)
    ap.add_argument("--shared", required=True, help="../shared/pcaps")
    ap.add_argument("--cache", required=True, help="tshark output cache")
    ap.add_argument("--work", required=True, help="scratch dir (gunzip)")
    ap.add_argument("--exceptions", default=None)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--timeout", type=int, default=600)
    ap.add_argument("--prefix", default="xcheck/")
    ap.add_argument("--extra", action="append", default=[],
                    help="extra spanlog argument (repeatable)")
    ap.add_argument("files", nargs="*",
                    help="captures (default: all under --shared)")
    opts = ap.parse_args()

    version = tshark_version()
    if not version:
        print("SKIP xcheck: tshark not found")
        print("0 passed, 0 failed")
        return 0
    exceptions = load_exceptions(opts.exceptions)
    files = opts.files or evlib.list_captures(opts.shared)
    counts = {"PASS": 0, "FAIL": 0, "SKIP": 0}
    with concurrent.futures.ThreadPoolExecutor(max(1, opts.jobs)) as ex:
        futs = [(f, ex.submit(check_one, f, opts, version, exceptions))
                for f in files]
        for f, fut in futs:
            try:
                status, name, msg = fut.result()
            except Exception as e:  # a bug here must not hide the rest
                status, name, msg = "FAIL", opts.prefix + \
                    os.path.relpath(f, opts.shared), "checker error: %r" % e
            counts[status] += 1
            print("%s %s: %s" % (status, name, msg), flush=True)
    print("xcheck: %d captures, %d skipped with a reason" %
          (len(files), counts["SKIP"]))
    print("%d passed, %d failed" % (counts["PASS"], counts["FAIL"]))
    return 1 if counts["FAIL"] else 0


if __name__ == "__main__":
    sys.exit(main())
