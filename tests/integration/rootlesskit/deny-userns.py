#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# deny-userns.py CMD ARGS... — exec CMD under a seccomp filter that fails the creation of a user
# namespace with EACCES, as AppArmor does under kernel.apparmor_restrict_unprivileged_userns=1:
# clone and unshare with CLONE_NEWUSER get EACCES, clone3 gets ENOSYS (its flags are out of
# reach of a filter) so that callers fall back to clone. x86_64 only; exits 77 elsewhere.
import ctypes
import os
import platform
import struct
import sys

if platform.machine() != "x86_64":
    sys.exit(77)

AUDIT_ARCH_X86_64 = 0xC000003E
NR_CLONE, NR_UNSHARE, NR_CLONE3 = 56, 272, 435
CLONE_NEWUSER = 0x10000000
EACCES, ENOSYS = 13, 38
LD_ABS_W, JEQ, JSET, RET = 0x20, 0x15, 0x45, 0x06
ALLOW, ERRNO = 0x7FFF0000, 0x00050000


def ins(code, jt, jf, k):
    return struct.pack("HBBI", code, jt, jf, k)


prog = [
    ins(LD_ABS_W, 0, 0, 4),                # 0: arch
    ins(JEQ, 0, 7, AUDIT_ARCH_X86_64),     # 1: another arch -> 9 (allow)
    ins(LD_ABS_W, 0, 0, 0),                # 2: syscall number
    ins(JEQ, 6, 0, NR_CLONE3),             # 3: -> 10 (ENOSYS)
    ins(JEQ, 1, 0, NR_CLONE),              # 4: -> 6
    ins(JEQ, 0, 3, NR_UNSHARE),            # 5: anything else -> 9
    ins(LD_ABS_W, 0, 0, 16),               # 6: args[0], low half (the flags)
    ins(JSET, 0, 1, CLONE_NEWUSER),        # 7: no CLONE_NEWUSER -> 9
    ins(RET, 0, 0, ERRNO | EACCES),        # 8
    ins(RET, 0, 0, ALLOW),                 # 9
    ins(RET, 0, 0, ERRNO | ENOSYS),        # 10
]
buf = ctypes.create_string_buffer(b"".join(prog))


class SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


fprog = SockFprog(len(prog), ctypes.addressof(buf))
libc = ctypes.CDLL(None, use_errno=True)
PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2
if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 or \
        libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
    sys.exit("deny-userns: seccomp: " + os.strerror(ctypes.get_errno()))
os.execvp(sys.argv[1], sys.argv[1:])
