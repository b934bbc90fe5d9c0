#!/usr/bin/env python3
"""manyflows.py OUT N - a capture with N flows all active at its end.

For the memory-per-active-flow figure of `make bench`: N/2 TCP connections
(handshake, one HTTP request and response, no close) and N/2 DNS exchanges
over UDP, all inside 20 seconds of capture time, so no flow times out
before the end and every one has been classified by nDPI (and so has freed
its nDPI state).  Deterministic; standard library only.
"""
import struct
import sys


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def ip4(src, dst, proto, payload):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0, 0x4000,
                    64, proto, 0, src, dst)
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload


def tcp(sp, dp, seq, ack, flags, data=b""):
    return struct.pack("!HHIIBBHHH", sp, dp, seq, ack, 0x50, flags, 65535,
                       0, 0) + data


def udp(sp, dp, data):
    return struct.pack("!HHHH", sp, dp, 8 + len(data), 0) + data


def main():
    out, n = sys.argv[1], int(sys.argv[2])
    f = open(out, "wb")
    f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    eth = b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00"
    t = 1704067200 * 1000000
    step = 20 * 1000000 // max(n, 1)

    def rec(frame):
        nonlocal t
        f.write(struct.pack("<IIII", t // 1000000, t % 1000000, len(frame),
                            len(frame)))
        f.write(frame)
        t += max(step // 6, 1)

    req = b"GET /index.html HTTP/1.1\r\nHost: www.example.com\r\nUser-Agent: bench\r\n\r\n"
    resp = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5\r\n\r\nhello"
    for i in range(n):
        cli = struct.pack("!BBH", 10, 1 + (i >> 16) % 200, i & 0xFFFF)
        srv = struct.pack("!BBBB", 10, 250, (i >> 8) & 0xFF, 1 + (i % 250))
        sp = 1024 + (i % 60000)
        if i % 2 == 0:
            a, b = 1000, 5000
            rec(eth + ip4(cli, srv, 6, tcp(sp, 80, a, 0, 0x02)))
            rec(eth + ip4(srv, cli, 6, tcp(80, sp, b, a + 1, 0x12)))
            rec(eth + ip4(cli, srv, 6, tcp(sp, 80, a + 1, b + 1, 0x10)))
            rec(eth + ip4(cli, srv, 6, tcp(sp, 80, a + 1, b + 1, 0x18, req)))
            rec(eth + ip4(srv, cli, 6, tcp(80, sp, b + 1, a + 1 + len(req), 0x18, resp)))
        else:
            qid = i & 0xFFFF
            q = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + \
                b"\x03www\x07example\x03com\x00" + struct.pack("!HH", 1, 1)
            r = struct.pack("!HHHHHH", qid, 0x8180, 1, 1, 0, 0) + \
                b"\x03www\x07example\x03com\x00" + struct.pack("!HH", 1, 1) + \
                b"\xc0\x0c" + struct.pack("!HHIH4s", 1, 1, 300, 4, srv)
            rec(eth + ip4(cli, srv, 17, udp(sp, 53, q)))
            rec(eth + ip4(srv, cli, 17, udp(53, sp, r)))
    f.close()


main()
