#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# netserver.py MODE PROTO HOST PORT — a test server for the port suites, one process, many clients.
#   MODE peer: TCP answers "peer=<client address>\n" and closes; UDP answers "<data> peer=<addr>".
#   MODE echo: TCP echoes every byte back until the client closes; UDP echoes each datagram.
import selectors
import socket
import sys

mode, proto, host, port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
fam = socket.AF_INET6 if ":" in host else socket.AF_INET
if proto == "udp":
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind((host, port))
    while True:
        d, a = s.recvfrom(65535)
        s.sendto(d + (" peer=%s" % a[0]).encode() if mode == "peer" else d, a)
s = socket.socket(fam, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((host, port))
s.listen(4096)
s.setblocking(False)
sel = selectors.DefaultSelector()
sel.register(s, selectors.EVENT_READ)
while True:
    for key, _ in sel.select():
        if key.fileobj is s:
            try:
                c, a = s.accept()
            except OSError:
                continue
            if mode == "peer":
                c.sendall(("peer=%s\n" % a[0]).encode())
                c.close()
                continue
            c.setblocking(False)
            sel.register(c, selectors.EVENT_READ)
            continue
        c = key.fileobj
        try:
            d = c.recv(65536)
        except OSError:
            d = b""
        if d:
            try:
                c.send(d)
            except OSError:
                pass
        else:
            sel.unregister(c)
            c.close()
