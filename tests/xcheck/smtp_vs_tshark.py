#!/usr/bin/env python3
"""smtp_vs_tshark.py - compare spanlog's SMTP events with tshark and Zeek.

For every SMTP capture in ../shared/pcaps (zeek/Traces/smtp*.pcap,
zeek/Traces/smtp/, zeek/Traces/tls/smtp-starttls.pcap, arkime's smtp-*,
ndpi's smtp*, or the files given as arguments) this runs
`spanlog -r FILE --workers 1 --no-ndpi --no-progress -c CFG` (CFG only turns
the reassembly depth limit off) and checks, against the capture's entry in
../shared/pcaps/*/tshark-facts.jsonl (tshark 4.0.17's SMTP fields, and the
messages rebuilt from the streams and read with Python's email package):

  mail_from   the MAIL FROM addresses, as a multiset;
  rcpt_to     the RCPT TO addresses, as a multiset (spanlog keeps 32 per
              transaction and counts the rest: kept + dropped must equal
              tshark's count, and every kept one must be tshark's);
  subject     the decoded Subject of every message (whitespace runs
              squeezed: Python and spanlog unfold differently);
  from        the address in each message's From header;
  attachment  the attachment file names, as a multiset;

and, where a Zeek baseline belongs to the capture (zeek/MAPPING.tsv,
scripts.base.protocols.smtp.*), against Zeek's smtp.log (mailfrom, rcptto,
subject when Zeek's is plain text: Zeek does not decode RFC 2047) and
files.log (file names).

Known, explained differences are listed in KNOWN and printed as notes; they
do not fail the file.  Prints one PASS/FAIL line per file and
"N passed, N failed"; exit 1 on any failure, 77 when spanlog or the corpus
is missing.  SPANLOG in the environment overrides the binary (default
./spanlog at the repository root).
"""
import glob
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED = os.path.normpath(os.path.join(ROOT, "..", "shared", "pcaps"))
SPANLOG = os.environ.get("SPANLOG", os.path.join(ROOT, "spanlog"))

RCPT_KEEP = 32          # sensor/ev_smtp.h EV_SMTP_MAX_RCPT

# (file suffix, check) -> why the difference is expected.
KNOWN = {
    ("smtp-subject-multi-nospace.pcap", "subject"):
        "the client sent its whole session in one segment before the "
        "server's greeting; tshark-facts rebuilt no message from it, spanlog "
        "reads the message (DATA before any server byte counts as accepted)",
    ("smtp-subject-multi-nospace.pcap", "from"): "as for subject",
    ("smtp-subject-windows.pcap", "subject"): "as for smtp-subject-multi-"
        "nospace: tshark-facts rebuilt no message",
    ("smtp-subject-windows.pcap", "from"): "as for subject",
    ("smtp-bdat-cmd-chunk-size-overflow.pcap", "subject"):
        "the server refused the BDAT (521 syntax); tshark-facts' rebuild "
        "still counts a message, Zeek logs none and neither does spanlog",
    ("smtp-bdat-cmd-chunk-size-overflow2.pcap", "subject"): "as for "
        "smtp-bdat-cmd-chunk-size-overflow",
    ("smtp-bdat-cmd-negative-chunk-size.pcap", "subject"): "as for "
        "smtp-bdat-cmd-chunk-size-overflow",
}

# spanlog keeps 1023 bytes of a subject and 255 of a file name
# (EV_SMTP_SUBJECT_MAX - 1, EV_SMTP_FILE_MAX - 1); when it says it cut one,
# the other side's value is cut the same way before comparing.
SUBJECT_KEEP = 1023
FILE_KEEP = 255


def cut_utf8(s, n):
    b = s.encode("utf-8", "surrogateescape")
    if len(b) <= n:
        return s
    b = b[:n]
    while b and (b[-1] & 0xc0) == 0x80:
        b = b[:-1]
    if b and b[-1] >= 0xc0:
        b = b[:-1]
    return b.decode("utf-8", "surrogateescape")


def known(path, check):
    for (suffix, c), why in KNOWN.items():
        if c == check and path.endswith(suffix):
            return why
    return None


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


ANGLE = re.compile(r"<([^<>]*)>")


def addr_of(s):
    """The address in "FROM: <a@b> SIZE=1", "Name <a@b>" or "a@b"."""
    if s is None:
        return ""
    s = s.strip()
    m = ANGLE.search(s)
    if m:
        return m.group(1).strip()
    s = re.sub(r"^(FROM|TO)\s*:\s*", "", s, flags=re.I)
    return s.split()[0] if s.split() else ""


def squeeze(s):
    return " ".join((s or "").split())


def spanlog_smtp(path, cfg):
    rc, out, err = run([SPANLOG, "-r", path, "--workers", "1", "--no-ndpi",
                        "--no-progress", "-c", cfg])
    if rc != 0:
        return None, "spanlog exit %d: %s" % (rc, err.strip()[-300:])
    evs = []
    for line in out.splitlines():
        try:
            ev = json.loads(line)
        except ValueError:
            return None, "spanlog wrote a line that is not JSON"
        if ev.get("event_type") == "smtp":
            evs.append(ev)
    return evs, None


def load_facts():
    facts = {}
    for fn in glob.glob(os.path.join(SHARED, "*", "tshark-facts.jsonl")):
        top = os.path.basename(os.path.dirname(fn))
        with open(fn, encoding="utf-8") as f:
            for line in f:
                o = json.loads(line)
                facts[os.path.join(SHARED, top, o["name"])] = o
    return facts


def load_zeek():
    """capture path -> (smtp.log rows, files.log names) from the baselines."""
    out = {}
    mp = os.path.join(SHARED, "zeek", "MAPPING.tsv")
    if not os.path.exists(mp):
        return out
    with open(mp, encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 2 or not parts[0].startswith(
                    "scripts.base.protocols.smtp."):
                continue
            base = os.path.join(SHARED, "zeek", "Baseline", parts[0])
            trace = os.path.join(SHARED, "zeek", "Traces", parts[1])
            slog = os.path.join(base, "smtp.log")
            if not os.path.exists(slog) or trace in out:
                continue
            # Baselines whose test changes the analysis are not used.
            if parts[0].endswith(("address-limits", "disable-analyzer",
                                  "mime-header-size-limit")):
                continue
            rows = read_zeek_log(slog)
            names = []
            flog = os.path.join(base, "files.log")
            if os.path.exists(flog):
                names = [r.get("filename", "-") for r in read_zeek_log(flog)]
            out[trace] = (rows, [n for n in names if n not in ("-", "")])
    return out


def read_zeek_log(path):
    fields, rows = None, []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("#fields"):
                fields = line.split("\t")[1:]
            elif line.startswith("#") or not fields:
                continue
            else:
                rows.append(dict(zip(fields, line.split("\t"))))
    return rows


def zeek_unescape(s):
    return re.sub(r"\\x([0-9a-fA-F]{2})", lambda m: chr(int(m.group(1), 16)), s)


def captures(args):
    if args:
        return [os.path.abspath(a) for a in args]
    pats = ["zeek/Traces/smtp*.pcap", "zeek/Traces/smtp/*", "zeek/Traces/tls/smtp*",
            "arkime/pcap/smtp-*", "ndpi/pcap/smtp*"]
    out = []
    for p in pats:
        out += [f for f in glob.glob(os.path.join(SHARED, p))
                if re.search(r"\.(pcap|pcapng)(\.gz)?$", f)]
    return sorted(set(out))


def compare(path, evs, fact, zeek):
    """Returns (failures, notes), lists of strings."""
    fails, notes = [], []

    def check(name, ok, detail):
        if ok:
            return
        why = known(path, name)
        if why:
            notes.append("%s differs (known: %s): %s" % (name, why, detail))
        else:
            fails.append("%s: %s" % (name, detail))

    ours_mf = Counter(e["smtp"].get("mail_from", "") for e in evs
                      if "mail_from" in e["smtp"])
    ours_rc = Counter()
    dropped = 0
    for e in evs:
        for r in e["smtp"].get("rcpt_to", []):
            ours_rc[r] += 1
        dropped += e["smtp"].get("rcpt_to_dropped", 0)
    # Messages cut by a gap or by the end of the capture are left out of
    # the message checks (tshark-facts only rebuilds complete ones).
    msgs = [e for e in evs if "email" in e and not e["smtp"].get("gap")
            and not e["smtp"].get("incomplete")]
    cut_fields = set()
    for e in evs:
        cut_fields |= set(e["smtp"].get("truncated_fields", []))
        if any(a.get("filename_truncated") for a in
               e.get("email", {}).get("attachment", [])):
            cut_fields.add("filename")
    for e in evs:
        if "email" in e and e not in msgs:
            notes.append("message left out (gap or incomplete)")
    ours_subj = Counter(squeeze(e["email"].get("subject", "")) for e in msgs)
    ours_from = Counter(e["email"]["from"]["address"] for e in msgs
                        if "from" in e["email"])
    ours_att = Counter(a["filename"] for e in msgs
                       for a in e["email"].get("attachment", []))

    s = (fact or {}).get("smtp")
    if s is not None:
        t_mf = Counter(addr_of(x) for x in s.get("mail_from", []))
        t_rc = Counter(addr_of(x) for x in s.get("rcpt_to", []))
        check("mail_from", t_mf == ours_mf,
              "tshark %s spanlog %s" % (dict(t_mf), dict(ours_mf)))
        if dropped:
            ok = sum(t_rc.values()) == sum(ours_rc.values()) + dropped and \
                not (ours_rc - t_rc)
        else:
            ok = t_rc == ours_rc
        check("rcpt_to", ok, "tshark %d %s.. spanlog %d (+%d dropped) %s.." % (
            sum(t_rc.values()), sorted(t_rc)[:3], sum(ours_rc.values()),
            dropped, sorted(ours_rc)[:3]))
        t_msgs = s.get("messages", [])
        t_subj = Counter(
            squeeze(cut_utf8(m.get("subject", ""), SUBJECT_KEEP)
                    if "subject" in cut_fields else m.get("subject", ""))
            for m in t_msgs)
        check("subject", t_subj == ours_subj,
              "tshark %s spanlog %s" % (dict(t_subj), dict(ours_subj)))
        t_from = Counter(addr_of(m["from"]) for m in t_msgs if m.get("from"))
        check("from", t_from == ours_from,
              "tshark %s spanlog %s" % (dict(t_from), dict(ours_from)))
        t_att = Counter((cut_utf8(a["filename"], FILE_KEEP)
                         if "filename" in cut_fields else a["filename"])
                        for m in t_msgs
                        for a in m.get("attachments", []) if a.get("filename"))
        check("attachment", t_att == ours_att,
              "tshark %s spanlog %s" % (
                  {k[:40]: v for k, v in t_att.items()},
                  {k[:40]: v for k, v in ours_att.items()}))
    if zeek is not None:
        rows, names = zeek
        z_mf = Counter(r["mailfrom"] for r in rows
                       if r.get("mailfrom", "-") not in ("-", ""))
        o_mf = Counter(m for m in ours_mf.elements() if m)
        check("zeek_mailfrom", z_mf == o_mf,
              "zeek %s spanlog %s" % (dict(z_mf), dict(o_mf)))
        z_rc = Counter()
        for r in rows:
            if r.get("rcptto", "-") not in ("-", "(empty)"):
                for x in r["rcptto"].split(","):
                    z_rc[x] += 1
        if not dropped:
            check("zeek_rcptto", set(z_rc) == set(ours_rc),
                  "zeek %s spanlog %s" % (sorted(z_rc)[:5], sorted(ours_rc)[:5]))
        z_subj = Counter(squeeze(zeek_unescape(r["subject"])) for r in rows
                         if r.get("subject", "-") not in ("-", "(empty)")
                         and "=?" not in r["subject"])
        ours_plain = Counter(x for x in ours_subj.elements() if x)
        check("zeek_subject", not (z_subj - ours_plain),
              "zeek %s spanlog %s" % (dict(z_subj), dict(ours_plain)))
        z_names = Counter(zeek_unescape(n) for n in names)
        check("zeek_files", set(z_names) <= set(ours_att),
              "zeek %s spanlog %s" % (dict(z_names), dict(ours_att)))
    return fails, notes


def main(argv):
    if not os.access(SPANLOG, os.X_OK):
        print("SKIP: %s not built" % SPANLOG)
        return 77
    if not os.path.isdir(SHARED):
        print("SKIP: %s missing" % SHARED)
        return 77
    facts = load_facts()
    zeek = load_zeek()
    passed = failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        cfg = os.path.join(tmp, "xcheck.yaml")
        with open(cfg, "w") as f:
            f.write("reassembly:\n  depth_kb: 0\n")
        for path in captures(argv[1:]):
            rel = os.path.relpath(path, SHARED)
            real = materialize(path, tmp)
            evs, err = spanlog_smtp(real, cfg)
            if err:
                print("FAIL %s: %s" % (rel, err))
                failed += 1
                continue
            fact = facts.get(path)
            fails, notes = compare(path, evs, fact, zeek.get(path))
            src = []
            if fact and fact.get("smtp") is not None:
                src.append("tshark")
            if path in zeek:
                src.append("zeek")
            for n in notes:
                print("  note %s: %s" % (rel, n))
            if fails:
                failed += 1
                print("FAIL %s (%d events; vs %s)" % (rel, len(evs),
                                                     "+".join(src) or "-"))
                for x in fails:
                    print("    " + x[:600])
            else:
                passed += 1
                print("PASS %s (%d events; vs %s)" % (rel, len(evs),
                                                     "+".join(src) or "-"))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
