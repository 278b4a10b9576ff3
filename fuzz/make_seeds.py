#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# make_seeds.py — writes the seed corpora fuzz/corpus/<target>/ (small, valid inputs of each
# target's input format; see the header comment of each fuzz/<target>.cc). Rerun after changing
# a format; the fuzzers grow their own corpora in a scratch directory, never here.
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
GUEST_MAC = bytes.fromhex("0ed418d938fb")
GW_MAC = bytes.fromhex("52550a000202")


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ip4(a):
    return bytes(int(x) for x in a.split("."))


def eth(etype, dst=b"\xff" * 6):
    return dst + GUEST_MAC + struct.pack("!H", etype)


def ipv4(src, dst, proto, l4):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 1, 0, 64, proto, 0, ip4(src), ip4(dst))
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return eth(0x0800, GW_MAC) + h + l4


def udp(src, dst, sport, dport, payload):
    h = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    ph = ip4(src) + ip4(dst) + struct.pack("!BBH", 0, 17, len(h))
    c = csum(ph + h) or 0xFFFF
    return h[:6] + struct.pack("!H", c) + h[8:]


def arp_request(target):
    return eth(0x0806) + struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, GUEST_MAC,
                                     ip4("10.0.2.100"), b"\0" * 6, ip4(target))


def dhcp(msgtype, extra=b"", ciaddr="0.0.0.0"):
    h = struct.pack("!BBBBIHH4s4s4s4s16s64s128sI", 1, 1, 6, 0, 0x1234, 0, 0x8000, ip4(ciaddr),
                    b"\0" * 4, b"\0" * 4, b"\0" * 4, GUEST_MAC + b"\0" * 10, b"", b"", 0x63825363)
    return h + bytes([53, 1, msgtype]) + extra + bytes([55, 3, 1, 3, 6, 255])


def dns_query(name="example.com"):
    q = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"
    return struct.pack("!HHHHHH", 0x4242, 0x0100, 1, 0, 0, 0) + q + struct.pack("!HH", 1, 1)


def rec(op, data=b""):
    return bytes([op]) + struct.pack("!H", len(data)) + data


# slirp_frames ops (slirp_frames.cc): frame vnet poll tick tcp udp icmp host_write host_close host_udp
FRAME, VNET, POLL, TICK, TCP, UDP, ICMP, HWRITE, HCLOSE, HUDP, FWD = range(11)
MSS_WS = bytes([2, 4, 0x05, 0xB4, 1, 3, 3, 7])


def tcp(flags, sel=0, win=0xFFFF, seqd=0, ackd=0, opts=b"", payload=b""):
    return rec(TCP, struct.pack("!BBHbbB", flags, sel, win, seqd, ackd, len(opts)) + opts + payload)


SYN, ACK, PSH, FIN, RST = 0x02, 0x10, 0x08, 0x01, 0x04


def tcp_session(sel=0, data=b"hello", host_data=b"world"):
    return (tcp(SYN, sel, opts=MSS_WS) + rec(POLL) + tcp(ACK, sel) + tcp(ACK | PSH, sel, payload=data)
            + rec(POLL) + rec(HWRITE, b"\0" + host_data) + tcp(ACK, sel) + rec(HCLOSE, b"\x02")
            + tcp(ACK, sel) + tcp(FIN | ACK, sel) + rec(POLL) + rec(TICK, b"\x01"))


def vnet_hdr(flags=0, gso=0, hdr_len=0, gso_size=0, cstart=0, coff=0):
    return struct.pack("<BBHHHH", flags, gso, hdr_len, gso_size, cstart, coff)


seeds = {
    "slirp_frames": {
        "arp": b"\x00" + rec(FRAME, arp_request("10.0.2.2")) + rec(FRAME, arp_request("10.0.2.3")),
        "tcp_session": b"\x00" + tcp_session(),
        "tcp_session_vnet": b"\x01" + tcp_session(0x80),
        "tcp_bulk_mtu576": b"\x20" + tcp(SYN, 1, opts=MSS_WS) + rec(POLL) + tcp(ACK, 1)
        + rec(HWRITE, b"\0" + b"x" * 4000) + tcp(ACK, 1, win=512) + rec(TICK, b"\x02") + rec(POLL)
        + tcp(ACK, 1) + rec(HCLOSE, b"\x01") + tcp(ACK, 1),
        "tcp_closed_port": b"\x00" + tcp(SYN, 0x04, opts=MSS_WS) + rec(POLL) + rec(TICK, b"\x05"),
        "tcp_gso_big": b"\x41" + tcp(SYN, 2, opts=MSS_WS) + rec(POLL) + tcp(ACK, 2)
        + rec(HWRITE, b"\0" + b"y" * 20000) + tcp(ACK, 2) + rec(POLL) + tcp(ACK, 2),
        "udp_host_reply": b"\x00" + rec(UDP, b"\x00\x9c\x40\x00\x00ping") + rec(POLL)
        + rec(HUDP, b"pong") + rec(TICK, b"\x3c"),
        "dns": b"\x00" + rec(UDP, b"\x01\x9c\x41\x00\x35" + dns_query()) + rec(POLL) + rec(HUDP, dns_query()),
        "dhcp": b"\x00" + rec(UDP, b"\x02\x00\x44\x00\x43" + dhcp(1)),
        "icmp_echo": b"\x00" + rec(ICMP, b"\x12\x34abcdefgh") + rec(POLL) + rec(TICK, b"\x01"),
        "vnet_udp_partial": b"\x01" + rec(VNET, vnet_hdr(1, 0, 0, 0, 34, 6)
                                          + ipv4("10.0.2.100", "10.0.2.2", 17, struct.pack("!HHHH", 5000, 53, 12, 0) + b"abcd")),
        "fwd_tcp_inbound": b"\x00" + rec(FWD, b"\x00\x01") + rec(FWD, b"\x02\x01") + rec(POLL)
        + tcp(SYN | ACK, 0x11, opts=MSS_WS) + rec(POLL) + rec(HWRITE, b"\x00GET /") + rec(POLL)
        + tcp(ACK | PSH, 0x11, payload=b"HTTP/1.0 200 OK\r\n\r\n") + rec(POLL) + tcp(FIN | ACK, 0x11)
        + rec(FWD, b"\x04\x00"),
        "fwd_udp_inbound": b"\x00" + rec(FWD, b"\x01\x02") + rec(FWD, b"\x03\x02hello") + rec(POLL)
        + rec(UDP, b"\x03\x9c\x42\x00\x00reply") + rec(TICK, b"\x78"),
        "raw_udp_to_gw": b"\x02" + rec(FRAME, ipv4("10.0.2.100", "10.0.2.2", 17, udp("10.0.2.100", "10.0.2.2", 5000, 9, b"x"))),
    },
    "slirp_dhcp": {
        "discover_request": b"\x00" + struct.pack("!H", len(dhcp(1))) + dhcp(1)
        + struct.pack("!H", len(dhcp(3, bytes([50, 4]) + ip4("10.0.2.15") + bytes([54, 4]) + ip4("10.0.2.2"))))
        + dhcp(3, bytes([50, 4]) + ip4("10.0.2.15") + bytes([54, 4]) + ip4("10.0.2.2")),
        "renew": b"\x80" + struct.pack("!H", len(dhcp(1))) + dhcp(1)
        + struct.pack("!H", len(dhcp(3, ciaddr="10.0.2.15"))) + dhcp(3, ciaddr="10.0.2.15"),
        "release_inform": b"\x00" + struct.pack("!H", len(dhcp(7))) + dhcp(7) + struct.pack("!H", len(dhcp(8))) + dhcp(8),
    },
    "slirp_api": {
        "add_list_remove": b'{"execute": "add_hostfwd", "arguments": {"proto": "tcp", "host_addr": "127.0.0.1", "host_port": 18080, "guest_port": 80}}\0'
        b'{"execute": "list_hostfwd"}\0{"execute": "remove_hostfwd", "arguments": {"id": 1}}\0{"execute": "list_hostfwd"}',
        "udp": b'{"execute": "add_hostfwd", "arguments": {"proto": "udp", "host_port": 15353, "guest_addr": "10.0.2.100", "guest_port": 53}}',
        "bad": b'{"execute": "nope"}\0{"execute": "add_hostfwd", "arguments": {"proto": "sctp"}}\0[1,2]\0{"execute": "remove_hostfwd", "arguments": {"id": 1e300}}',
    },
    "slirp_resolv": {
        "plain": b"# comment\nsearch example.com\nnameserver 192.168.1.1\nnameserver 8.8.8.8\n",
        "v6_first": b"nameserver ::1\nnameserver 10.0.0.53\noptions edns0\n",
        "tabs": b"nameserver\t1.2.3.4 # trailing\n",
    },
    "rlk_http": {
        "get_info": b"GET /v1/info HTTP/1.1\r\nHost: rootlesskit\r\n\r\n",
        "post_ports": b'POST /v1/ports HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 64\r\n\r\n'
        b'{"proto":"tcp","parentIP":"127.0.0.1","parentPort":8080,"childPort":80}'[:64],
        "chunked": b'POST /v1/ports HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n'
        b'10\r\n{"proto":"udp","\r\n1f;ext=1\r\nparentPort":5300,"childPort":53}\r\n0\r\nTrailer: x\r\n\r\n',
        "pipelined": b"GET /v1/ports HTTP/1.1\r\nHost: x\r\n\r\nDELETE /v1/ports/1 HTTP/1.1\r\nHost: x\r\n\r\n"
        b"GET http://rootlesskit/v1/info?x=1 HTTP/1.0\r\nConnection: close\r\n\r\n",
    },
    "rlk_portspec": {
        "p_v4": b"\x00127.0.0.1:8080:80/tcp",
        "p_v6_child": b"\x00[::1]:8080:[::1]:80/udp",
        "p_childip": b"\x000.0.0.0:2222:10.0.2.100:22/tcp",
        # invalid UTF-8 in the child IP: validation must refuse it before anything writes JSON
        "p_bad_utf8": b"\x000.2.0.0:2222:10.0.2.1" + b"\0" * 29 + b"\xff" + b"\0" * 9 + b"00:22/tcp",
        "json": b'\x01{"proto":"tcp","parentIP":"0.0.0.0","parentPort":8080,"childPort":80,"childIP":"127.0.0.1"}',
        "json_case": b'\x01{"Proto":"sctp","PARENTPORT":1.0,"childport":65536,"extra":[1]}',
    },
    "rlk_msg": {
        "two": b"".join(struct.pack("<I", len(j)) + j for j in (
            b'{"Name":"ChildInitUserNSCompleted"}',
            b'{"Name":"ParentInitNetworkDriverCompleted","Dev":"tap0","IP":"10.0.2.100","Netmask":24,"Gateway":"10.0.2.2","DNS":["10.0.2.3"],"MTU":65520}')),
        "short": struct.pack("<I", 100) + b'{"Name":',
    },
    "rlk_idmap": {
        "subuid": b"\x00tuser:100000:65536\n1000:200000:1000\nother:1:2\n\n#x\n",
        "getsubids": b"\x010: tuser 100000 65536\n1: tuser 300000 10\n",
        "uid_map": b"\x02         0       1000          1\n         1     100000      65536\n",
    },
    "ovl_cli": {
        "basic": b"\x00-o\0lowerdir=/l1:/l2,upperdir=/u,workdir=/w\0/mnt",
        "user_maps": b"\x00-o\0lowerdir=/a\\:b:/c,upperdir=/u,workdir=/w,uidmapping=0:1000:1:1:100000:65536,"
        b"gidmapping=0:1000:1,squash_to_uid=5,xattr_permissions=2,threaded=1,fsync=0\0-f\0/mnt",
        "root_flags": b"\x01-o\0lowerdir=/l,ro,noatime,context=\"x\",timeout=1.5,static_nlink,noacl\0-d\0/mnt",
        "help": b"\x00--help",
    },
    "ovl_parsers": {
        "override": b"\x000:0:0755",
        "override_dev": b"\x001000:1000:0644:char-1-3",
        "override_typed": b"\x0065534:65534:040755",
        "idmap": b"\x010:100000:65536:65536:1:1",
        "idmap_empty_tokens": b"\x01:0:1:1::1000:0:1",
    },
    "ovl_xattrs": {
        "opaque": b"\x00" + bytes([1, 0, 1]) + b"y",
        "redirect_metacopy": b"\x00" + bytes([2, 3, 0]) + bytes([2, 2, 2]) + b"/g",
        "override": b"\x01" + bytes([2, 5, 8]) + b"0:0:0755" + bytes([1, 5, 9]) + b"1:2:040700",
        "origin": b"\x02" + bytes([2, 4, 1]) + b"f" + bytes([5, 4, 1]) + b"g" + bytes([2, 6, 10]) + b"5:5:0100644",
    },
}

for target, files in seeds.items():
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    for name, data in files.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
print("wrote", sum(len(f) for f in seeds.values()), "seeds for", len(seeds), "targets")
