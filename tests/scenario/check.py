#!/usr/bin/env python3
"""check.py - the OT baseline scenario (issue 6, "Done means").

    tests/scenario/check.py --spanlog BIN --gen build/tools/scengen --work DIR

build/tools/scengen writes a plant's traffic: week 1 (learning, in two
halves), week 2 (normal), and an attack day with injected events (a)-(i),
and expected_alerts.tsv, the alerts the attack day must raise, written from
the generator's scenario definition (see tests/scenario/README.md).  This
script runs spanlog over them with a state file and checks:

  learn       week 1: no alert at all; the baseline is still learning
  normal      week 2 (enforcing): ZERO alerts; `baseline diff` is empty
  attack      the set of first reports of the attack day is exactly the
              expected set, each (signature, src, dest) exactly once
  workers     the same with --workers 2
  persist     week 1 read in two runs (a restart half-way) gives the same
              `baseline show` as one run, and the attack day then the same
              alerts; the attack day read in two runs (restart at 09:00)
              gives the same alerts as one run
  cli         baseline diff/accept/accept-all/enforce, assets [--json]
              and their errors

Prints PASS/FAIL lines and "N passed, N failed".
"""
import argparse
import json
import os
import shutil
import subprocess
import sys

npass = 0
nfail = 0


def result(ok, name, detail=""):
    global npass, nfail
    if ok:
        npass += 1
        print("PASS scenario/%s" % name)
    else:
        nfail += 1
        print("FAIL scenario/%s" % name)
        for line in str(detail).splitlines()[:25]:
            print("    " + line)


def run(cmd, timeout=900):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout)
    return p.returncode, p.stdout.decode("utf-8", "replace"), \
        p.stderr.decode("utf-8", "replace")


def alerts(path):
    """First reports (not updates) as a list of (signature, src, dest)."""
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            ev = json.loads(line)
            if ev.get("event_type") != "alert":
                continue
            a = ev["alert"]
            if a.get("update"):
                continue
            out.append((a["signature"], a.get("src", {}).get("ip", ""),
                        a.get("dest", {}).get("ip", "")))
    return out


def counts(lst):
    c = {}
    for x in lst:
        c[x] = c.get(x, 0) + 1
    return c


def fmt(c):
    return "\n".join("%s %s -> %s  x%d" % (k[0], k[1], k[2], v)
                     for k, v in sorted(c.items()))


class Runner:
    def __init__(self, a):
        self.bin = a.spanlog
        self.work = a.work
        self.gen = a.gen_dir
        self.conf = os.path.join(a.work, "spanlog.yaml")
        with open(self.conf, "w") as f:
            f.write("ot:\n  zones_file: %s\n" % a.zones)

    def pcap(self, name):
        return os.path.join(self.gen, name)

    def spanlog(self, name, pcaps, state, workers=1):
        out = os.path.join(self.work, name + ".jsonl")
        cmd = [self.bin, "-c", self.conf, "--state", state, "-o", out,
               "--workers", str(workers), "--no-progress"]
        for p in pcaps:
            cmd += ["-r", self.pcap(p)]
        rc, _, err = run(cmd)
        if rc != 0:
            result(False, name + "/run", "exit %d\n%s" % (rc, err))
            return None
        return out

    def cli(self, state, *args):
        return run([self.bin] + list(args) + ["--state", state])

    def copy(self, src, dst):
        dst = os.path.join(self.work, dst)
        shutil.copyfile(src, dst)
        return dst


def expected(gen_dir):
    exp = []
    with open(os.path.join(gen_dir, "expected_alerts.tsv")) as f:
        for i, line in enumerate(f):
            line = line.rstrip("\n")
            if i == 0 or not line:
                continue
            sig, src, dst = line.split("\t")
            exp.append((sig, src, dst))
    return exp


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--spanlog", required=True)
    ap.add_argument("--gen", required=True, help="build/tools/scengen")
    ap.add_argument("--work", required=True)
    ap.add_argument("--zones", default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "zones.yaml"))
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    a.gen_dir = os.path.join(a.work, "pcaps")
    rc, _, err = run([a.gen, a.gen_dir])
    if rc != 0:
        result(False, "generate", err)
        return finish()
    r = Runner(a)
    exp = counts(expected(a.gen_dir))
    result(all(v == 1 for v in exp.values()) and len(exp) >= 8,
           "expected-file", fmt(exp))

    # Week 1: learning, one run.
    s1 = os.path.join(a.work, "s1.state")
    out = r.spanlog("learn", ["learn1.pcap", "learn2.pcap"], s1)
    if out:
        got = alerts(out)
        result(not got, "learn/no-alerts", fmt(counts(got)))
    rc, show1, err = r.cli(s1, "baseline", "show")
    result(rc == 0 and "mode: learning" in show1, "learn/mode-learning",
           show1[:300] + err)

    # Week 2: enforcing and quiet.
    s2 = r.copy(s1, "s2.state")
    out = r.spanlog("normal", ["normal.pcap"], s2)
    if out:
        got = alerts(out)
        result(not got, "normal/zero-alerts", fmt(counts(got)))
    rc, show2, err = r.cli(s2, "baseline", "show")
    result(rc == 0 and "mode: enforcing" in show2, "normal/mode-enforcing",
           show2[:300] + err)
    rc, diff, err = r.cli(s2, "baseline", "diff")
    result(rc == 0 and "nothing new" in diff, "normal/diff-empty",
           "exit %d\n%s%s" % (rc, diff, err))
    # The polled edges were learned as polled.
    result(show2.count("polled (") >= 4, "normal/polled-edges", show2)

    # Attack day.
    s3 = r.copy(s2, "s3.state")
    out = r.spanlog("attack", ["attack.pcap"], s3)
    got_attack = counts(alerts(out)) if out else {}
    result(got_attack == exp, "attack/expected-alerts",
           "got:\n%s\nwant:\n%s" % (fmt(got_attack), fmt(exp)))
    for k in sorted(exp):
        result(got_attack.get(k, 0) == 1, "attack/%s:%s>%s" % k,
               "x%d" % got_attack.get(k, 0))

    s3w = r.copy(s2, "s3w.state")
    out = r.spanlog("attack-w2", ["attack.pcap"], s3w, workers=2)
    got = counts(alerts(out)) if out else {}
    result(got == exp, "workers2/expected-alerts",
           "got:\n%s\nwant:\n%s" % (fmt(got), fmt(exp)))

    # Persistence: week 1 in two runs.
    p = os.path.join(a.work, "p.state")
    o1 = r.spanlog("persist-learn1", ["learn1.pcap"], p)
    rc, mid, _ = r.cli(p, "baseline", "show")
    result(rc == 0 and "mode: learning" in mid, "persist/mode-after-half")
    o2 = r.spanlog("persist-learn2", ["learn2.pcap"], p)
    rc, showp, _ = r.cli(p, "baseline", "show")
    # Equal but for event counts: the connection open at the restart is
    # written once per run (as Zeek would after a restart).
    result(o1 is not None and o2 is not None and
           no_counts(showp) == no_counts(show1),
           "persist/show-equal", diff_text(no_counts(show1), no_counts(showp)))
    out = r.spanlog("persist-normal", ["normal.pcap"], p)
    result(out is not None and not alerts(out), "persist/normal-zero-alerts")
    p2 = r.copy(p, "p2.state")
    out = r.spanlog("persist-attack", ["attack.pcap"], p)
    got = counts(alerts(out)) if out else {}
    result(got == exp, "persist/attack-alerts",
           "got:\n%s\nwant:\n%s" % (fmt(got), fmt(exp)))
    # The attack day in two runs, restart at 09:00.
    split = os.path.join(a.work, "attack")
    if shutil.which("editcap"):
        import calendar
        t9 = str(calendar.timegm((2026, 1, 19, 9, 0, 0)))
        rc1, _, e1 = run(["editcap", "-B", t9, r.pcap("attack.pcap"),
                          split + "-am.pcap"])
        rc2, _, e2 = run(["editcap", "-A", t9, r.pcap("attack.pcap"),
                          split + "-pm.pcap"])
        if rc1 or rc2:
            result(False, "persist/split", e1 + e2)
        else:
            oa = r.spanlog("attack-am", [split + "-am.pcap"], p2)
            ob = r.spanlog("attack-pm", [split + "-pm.pcap"], p2)
            got = counts((alerts(oa) if oa else []) +
                         (alerts(ob) if ob else []))
            result(got == exp, "persist/attack-restart-0900",
                   "got:\n%s\nwant:\n%s" % (fmt(got), fmt(exp)))
    else:
        print("SKIP scenario/persist/split: editcap not installed")

    # CLI on the state after the attack.
    rc, diff, err = r.cli(s3, "baseline", "diff")
    new_edge = "10.10.1.12>10.10.2.20:tcp/502"
    result(rc == 1 and new_edge in diff and "10.10.0.66" in diff and
           "public:tcp/443" in diff, "cli/diff-lists-new", diff + err)
    rc, _, err = r.cli(s3, "baseline", "accept", "1.2.3.4>5.6.7.8:tcp/1")
    result(rc == 1 and "no edge" in err, "cli/accept-unknown", err)
    rc, _, err = r.cli(s3, "baseline", "accept", "nonsense")
    result(rc == 1 and "neither" in err, "cli/accept-bad-syntax", err)
    rc, out_txt, err = r.cli(s3, "baseline", "accept", new_edge)
    result(rc == 0 and "accepted" in out_txt, "cli/accept-edge", err)
    rc, diff2, _ = r.cli(s3, "baseline", "diff")
    result(new_edge not in diff2 and "device  10.10.1.12 " not in diff2,
           "cli/accepted-gone-from-diff", diff2)
    # Replaying the attack day on that state: nothing about the accepted
    # edge or its new device.
    s4 = r.copy(s3, "s4.state")
    out = r.spanlog("attack-accepted", ["attack.pcap"], s4)
    got = counts(alerts(out)) if out else {}
    result(not any(k[1] == "10.10.1.12" for k in got),
           "cli/accepted-edge-silent", fmt(got))
    rc, txt, err = r.cli(s4, "baseline", "accept-all")
    result(rc == 0 and txt.startswith("accepted "), "cli/accept-all",
           txt + err)
    s5 = r.copy(s4, "s5.state")
    out = r.spanlog("attack-all-accepted", ["attack.pcap"], s5)
    got = counts(alerts(out)) if out else {}
    always = {k: v for k, v in exp.items()
              if not k[0].startswith("ot.baseline.new_")}
    result(got == always, "cli/after-accept-all-only-always-on",
           "got:\n%s\nwant:\n%s" % (fmt(got), fmt(always)))

    # enforce: a fresh state that learned one half-week is enforcing after.
    s6 = os.path.join(a.work, "s6.state")
    r.spanlog("enforce-learn", ["learn1.pcap"], s6)
    rc, txt, err = r.cli(s6, "baseline", "enforce")
    rc2, show6, _ = r.cli(s6, "baseline", "show")
    result(rc == 0 and "mode: enforcing" in show6, "cli/enforce",
           txt + err + show6[:200])

    # assets
    rc, tab, err = r.cli(s2, "assets")
    result(rc == 0 and "10.10.2.20" in tab and "10.10.3.31" in tab and
           "45.33.32.156" not in tab, "cli/assets-table", tab + err)
    rc, js, err = r.cli(s2, "assets", "--json")
    ok = rc == 0
    ips = set()
    try:
        for line in js.splitlines():
            ev = json.loads(line)
            ok = ok and ev.get("event_type") == "asset"
            for ip in ev.get("asset", {}).get("ips", []):
                ips.add(ip)
    except ValueError as e:
        ok = False
        err += str(e)
    want_ips = {"10.10.0.100", "10.10.0.53", "10.10.1.10", "10.10.1.11",
                "10.10.1.50", "10.10.2.20", "10.10.2.21", "10.10.3.30",
                "10.10.3.31"}
    result(ok and want_ips <= ips, "cli/assets-json",
           "missing %s\n%s" % (sorted(want_ips - ips), err))
    rc, _, err = run([a.spanlog, "baseline", "show", "--state",
                      os.path.join(a.work, "missing.state")])
    result(rc == 1 and "no state file" in err, "cli/missing-state", err)
    bad = os.path.join(a.work, "bad.state")
    with open(s2) as f, open(bad, "w") as g:
        lines = f.read().splitlines()
        g.write("\n".join(lines[:len(lines) // 2]) + "\n")
    rc, _, err = r.cli(bad, "baseline", "show")
    result(rc == 1 and "cut short" in err, "cli/truncated-state", err)
    out = os.path.join(a.work, "bad-run.jsonl")
    rc, _, err = run([a.spanlog, "-r", r.pcap("attack.pcap"), "--state", bad,
                      "-o", out, "--no-progress"])
    result(rc == 1 and "bad.state" in err, "cli/sensor-refuses-bad-state",
           err)
    return finish()


def no_counts(text):
    import re
    return re.sub(r"events [0-9]+", "events N", text)


def diff_text(a, b):
    import difflib
    return "\n".join(list(difflib.unified_diff(
        a.splitlines(), b.splitlines(), lineterm=""))[:30])


def finish():
    print("%d passed, %d failed" % (npass, nfail))
    return 1 if nfail else 0


if __name__ == "__main__":
    sys.exit(main())
