// SPDX-License-Identifier: Apache-2.0
// splice_pump.cc — one direction of a relayed TCP connection, moved with splice(2)
//
// Theory of operation. Data goes source socket → pipe → destination socket without passing
// through user space. The pipe is only filled when it is empty, so EAGAIN from the first
// splice always means "source has nothing" and EAGAIN from the second "destination is full".
// End of stream is passed on with shutdown(SHUT_WR) once the pipe is drained (half-close, as
// upstream's CloseWrite). Linux splices TCP and Unix stream sockets both ways; any other
// failure ends the connection.

#include "rootlesskit/port/splice_pump.h"

#include <cerrno>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace rlk::port {

bool open_half(SpliceHalf& h) noexcept {
    int p[2];
    if (pipe2(p, O_CLOEXEC | O_NONBLOCK) != 0)
        return false;
    h.pipe_r.reset(p[0]);
    h.pipe_w.reset(p[1]);
    return true;
}

PumpResult pump(int src, int dst, SpliceHalf& h) noexcept {
    constexpr unsigned flags = SPLICE_F_MOVE | SPLICE_F_NONBLOCK;
    int fills = 0; // pipefuls taken from the source in this call
    for (;;) {
        if (h.pending > 0) {
            ssize_t n = splice(h.pipe_r.get(), nullptr, dst, nullptr, h.pending, flags);
            if (n > 0) {
                h.pending -= static_cast<size_t>(n);
                continue;
            }
            if (n < 0 && errno == EINTR)
                continue;
            return n < 0 && errno == EAGAIN ? PumpResult::again : PumpResult::error;
        }
        if (h.src_eof)
            break;
        ssize_t n = splice(src, nullptr, h.pipe_w.get(), nullptr, h.chunk, flags);
        if (n > 0) {
            h.pending = static_cast<size_t>(n);
            // A bulk flow gets a bigger pipe: one that filled it, or had more right after a
            // drain. (A pipe holds 16 buffers, and one TCP fragment may take a buffer, so a
            // busy source often stops well short of 64 KiB.)
            if ((static_cast<size_t>(n) == h.chunk || ++fills >= 2) && !h.grown) {
                h.grown = true;
                int sz = fcntl(h.pipe_w.get(), F_SETPIPE_SZ, bulk_pipe_size);
                if (sz > 0)
                    h.chunk = static_cast<size_t>(sz);
            }
            continue;
        }
        if (n == 0) {
            h.src_eof = true;
            continue;
        }
        if (errno == EINTR)
            continue;
        return errno == EAGAIN ? PumpResult::again : PumpResult::error;
    }
    if (!h.dst_shut) {
        (void)shutdown(dst, SHUT_WR);
        h.dst_shut = true;
    }
    return PumpResult::done;
}

} // namespace rlk::port
