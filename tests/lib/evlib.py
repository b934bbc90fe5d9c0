"""evlib - small shared helpers for the spanlog test scripts (stdlib only).

Reading JSON-lines events, running spanlog with a timeout, spotting
sanitizer reports, normalising addresses, listing and unpacking the
third-party captures in ../shared/pcaps, and reading a capture's link types
straight from its file header (no libpcap, no tshark).
"""

import gzip
import ipaddress
import json
import os
import re
import shutil
import struct
import subprocess

SUMMARY_RE = re.compile(r"^(\d+) passed, (\d+) failed$")

# Lines a sanitizer or the C runtime prints when something went wrong.
SANITIZER_RE = re.compile(
    r"(ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|"
    r"ERROR: UndefinedBehaviorSanitizer|SUMMARY: \w+Sanitizer|"
    r"stack smashing detected|double free|free\(\): invalid|malloc\(\): )")

PROTO_NAMES = {1: "ICMP", 6: "TCP", 17: "UDP", 58: "IPv6-ICMP"}

CAPTURE_SUFFIXES = (".pcap", ".pcapng", ".pcap.gz", ".pcapng.gz")


def norm_ip(s):
    """Canonical text of an address, so tshark's and spanlog's spellings
    compare equal; anything that does not parse is returned as is."""
    if s is None:
        return None
    try:
        return str(ipaddress.ip_address(str(s)))
    except ValueError:
        return str(s)


def norm_proto(p):
    if isinstance(p, int):
        return PROTO_NAMES.get(p, str(p))
    s = str(p)
    if s.isdigit():
        return PROTO_NAMES.get(int(s), s)
    up = s.upper()
    for name in PROTO_NAMES.values():
        if up == name.upper():
            return name
    return s


def parse_events(text):
    """(events, errors): every non-empty line must be one JSON object."""
    events, errors = [], []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            ev = json.loads(line)
        except ValueError as e:
            errors.append("line %d: not JSON (%s): %.120s" % (n, e, line))
            continue
        if not isinstance(ev, dict):
            errors.append("line %d: not a JSON object" % n)
            continue
        events.append(ev)
    return events, errors


def read_events(path):
    with open(path, "r", encoding="utf-8", errors="replace") as f:
        return parse_events(f.read())


def run(argv, timeout=600, env=None, stdout_path=None):
    """Run argv; returns (rc, stdout_text, stderr_text).  rc is negative for
    a signal, and 'timeout' (a string) when it ran too long."""
    out_f = open(stdout_path, "wb") if stdout_path else None
    try:
        p = subprocess.run(argv, stdin=subprocess.DEVNULL,
                           stdout=out_f if out_f else subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=timeout, env=env)
    except subprocess.TimeoutExpired as e:
        err = e.stderr.decode("utf-8", "replace") if e.stderr else ""
        return "timeout", "", err
    finally:
        if out_f:
            out_f.close()
    out = "" if out_f else p.stdout.decode("utf-8", "replace")
    return p.returncode, out, p.stderr.decode("utf-8", "replace")


def sanitizer_report(stderr):
    """First line of a sanitizer report in stderr, or None."""
    for line in stderr.splitlines():
        if SANITIZER_RE.search(line):
            return line.strip()
    return None


def describe_rc(rc):
    if rc == "timeout":
        return "timed out"
    if isinstance(rc, int) and rc < 0:
        return "killed by signal %d" % -rc
    return "exit %s" % rc


def shared_dir(repo_root):
    return os.path.normpath(os.path.join(repo_root, "..", "shared", "pcaps"))


def list_captures(top):
    """Every capture file under top, sorted, as paths."""
    found = []
    for d, dirs, files in os.walk(top):
        dirs.sort()
        for f in sorted(files):
            if f.endswith(CAPTURE_SUFFIXES):
                found.append(os.path.join(d, f))
    return found


def materialize(path, workdir):
    """libpcap does not read gzip: return a path spanlog can open, unpacking
    *.gz files into workdir (named after their place under the corpus)."""
    if not path.endswith(".gz"):
        return path
    os.makedirs(workdir, exist_ok=True)
    flat = re.sub(r"[^A-Za-z0-9._-]", "_", os.path.abspath(path))[-150:]
    dst = os.path.join(workdir, flat[:-3])
    if not os.path.exists(dst):
        tmp = dst + ".part%d" % os.getpid()
        with gzip.open(path, "rb") as src, open(tmp, "wb") as out:
            shutil.copyfileobj(src, out)
        os.replace(tmp, dst)
    return dst


def link_types(path):
    """Set of LINKTYPE_* values of a pcap or pcapng file (gzip allowed);
    empty when the header cannot be read."""
    opener = gzip.open if path.endswith(".gz") else open
    types = set()
    try:
        with opener(path, "rb") as f:
            head = f.read(24)
            if len(head) < 24:
                return types
            magic = head[:4]
            if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
                types.add(struct.unpack("<I", head[20:24])[0] & 0xffff)
                return types
            if magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
                types.add(struct.unpack(">I", head[20:24])[0] & 0xffff)
                return types
            if magic != b"\x0a\x0d\x0d\x0a":
                return types
            data = head + f.read()
    except (OSError, EOFError):
        return types
    # pcapng: walk the blocks; the byte order is set by each section header.
    off, endian = 0, "<"
    while off + 12 <= len(data):
        btype_raw = data[off:off + 4]
        if btype_raw == b"\x0a\x0d\x0d\x0a":
            bom = data[off + 8:off + 12]
            endian = "<" if bom == b"\x4d\x3c\x2b\x1a" else ">"
        btype, blen = struct.unpack(endian + "II", data[off:off + 8])
        if blen < 12 or off + blen > len(data):
            break
        if btype == 1 and blen >= 16:
            types.add(struct.unpack(endian + "H", data[off + 8:off + 10])[0])
        off += blen
    return types


# Link types issue 2 asks spanlog to read: Ethernet, Linux cooked v1/v2,
# raw IP (LINKTYPE_RAW and the IPv4/IPv6-only variants).
REQUIRED_LINK_TYPES = {1: "EN10MB", 113: "LINUX_SLL", 276: "LINUX_SLL2",
                       101: "RAW", 228: "IPV4", 229: "IPV6"}
LINK_TYPE_NAMES = dict(REQUIRED_LINK_TYPES)
LINK_TYPE_NAMES.update({0: "NULL", 108: "LOOP", 105: "IEEE802_11",
                        127: "IEEE802_11_RADIOTAP", 9: "PPP", 50: "PPP_HDLC",
                        239: "NFLOG", 12: "RAW(12)", 14: "RAW(14)"})


def link_type_name(t):
    return LINK_TYPE_NAMES.get(t, "linktype %d" % t)


def flow_key_pair(ev):
    """(proto, frozenset of the two (addr, port) endpoints) of an event."""
    a = (norm_ip(ev.get("src_ip")), ev.get("src_port"))
    b = (norm_ip(ev.get("dest_ip")), ev.get("dest_port"))
    return norm_proto(ev.get("proto")), frozenset((a, b))
