#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# slow-api-clients.py SOCKET REQUEST REPLY_PREFIX TRICKLE — the hostile-client check of both API
# servers (rootlesskit/hostile.bats, slirpnet/hostile.bats): 200 clients connect to the Unix
# socket SOCKET; for six seconds half of them send nothing and the other half one more byte of
# TRICKLE each second, while once a second a new client sends REQUEST and reads the reply to end
# of file. Prints "worst S" (the slowest answer, in seconds); exits 1 if a reply does not start
# with REPLY_PREFIX or the worst answer took 1 s or more.
import socket
import sys
import time

path = sys.argv[1]
request, prefix, trickle = (a.encode() for a in sys.argv[2:5])
idle = []
for i in range(200):
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    s.setblocking(False)
    idle.append(s)
worst = 0.0
for rnd in range(6):
    for s in idle[1::2]:
        try:
            s.send(trickle[rnd % len(trickle):][:1])
        except OSError:
            pass  # a server may close slow clients; that is allowed
    t0 = time.monotonic()
    c = socket.socket(socket.AF_UNIX)
    c.settimeout(5)
    c.connect(path)
    c.sendall(request)
    reply = b""
    while True:
        b = c.recv(4096)
        if not b:
            break
        reply += b
    c.close()
    dt = time.monotonic() - t0
    worst = max(worst, dt)
    if not reply.startswith(prefix):
        print("bad reply:", reply[:80])
        sys.exit(1)
    time.sleep(max(0, 1 - dt))
print("worst %.3f" % worst)
sys.exit(0 if worst < 1.0 else 1)
