#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# flood.py HOST PORT N [SECONDS] — opens N TCP connections at once, sends one byte on each and
# waits for its echo; prints how many got it, then closes them all.
import selectors
import socket
import sys
import time

host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
deadline = time.time() + (float(sys.argv[4]) if len(sys.argv) > 4 else 60)
sel = selectors.DefaultSelector()
conns = []
for _ in range(n):
    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    c.setblocking(False)
    c.connect_ex((host, port))
    conns.append(c)
    sel.register(c, selectors.EVENT_WRITE, "connecting")
ok = 0
pending = n
while pending and time.time() < deadline:
    for key, _ in sel.select(timeout=1):
        c = key.fileobj
        if key.data == "connecting":
            if c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) != 0:
                sel.unregister(c)
                pending -= 1
                continue
            try:
                c.send(b"x")
            except OSError:
                sel.unregister(c)
                pending -= 1
                continue
            sel.modify(c, selectors.EVENT_READ, "waiting")
        else:
            try:
                d = c.recv(1)
            except OSError:
                d = b""
            if d == b"x":
                ok += 1
            sel.unregister(c)
            pending -= 1
print(ok)
for c in conns:
    c.close()
