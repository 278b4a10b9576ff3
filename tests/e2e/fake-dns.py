#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# fake-dns.py ADDR PORT ANSWER_IPV4 — a loopback DNS server for the e2e suites: every A query
# gets ANSWER_IPV4, every other type an empty NOERROR answer. Lets a container resolve a name
# through slirp's forwarder without any query leaving this machine.
import socket
import struct
import sys

addr, port, answer = sys.argv[1], int(sys.argv[2]), socket.inet_aton(sys.argv[3])
family = socket.AF_INET6 if ":" in addr else socket.AF_INET
sock = socket.socket(family, socket.SOCK_DGRAM)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sock.bind((addr, port))
while True:
    query, peer = sock.recvfrom(4096)
    if len(query) < 12:
        continue
    qid, _flags, qdcount = struct.unpack("!HHH", query[:6])
    end = 12
    while end < len(query) and query[end] != 0:
        end += query[end] + 1
    end += 5  # the root label, QTYPE and QCLASS
    if qdcount != 1 or end > len(query):
        continue
    question = query[12:end]
    qtype = struct.unpack("!H", question[-4:-2])[0]
    records = b""
    if qtype == 1:
        records = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + answer
    header = struct.pack("!HHHHHH", qid, 0x8180, 1, 1 if records else 0, 0, 0)
    sock.sendto(header + question + records, peer)
