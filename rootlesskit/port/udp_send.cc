// SPDX-License-Identifier: Apache-2.0
// udp_send.cc — one sendmmsg() per run of a client's datagrams, segmented by the kernel (GSO)
//
// Why: at 2 Gbit/s of 1400-byte datagrams the relay's cost is the per-datagram trip through
// the IP stack. With UDP_SEGMENT (Linux 4.18+) a run of equal-sized datagrams crosses the stack
// once and is cut into datagrams at the device (or, on loopback, before delivery to a socket
// that did not ask for GRO), so the receiver still sees the datagrams one by one, same sizes,
// same order. The kernel refuses GSO in some set-ups (no checksum offload on the route: EIO;
// SO_NO_CHECK or a segment above the path MTU: EINVAL; no support: ENOPROTOOPT); the caller's
// per-flow flag then remembers to send plainly. See docs/architecture.md (`port/`).

#include "rootlesskit/port/udp_send.h"

#include <cerrno>
#include <cstring>
#include <netinet/udp.h>

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif

namespace rlk::port {

unsigned DgramSender::build(unsigned at, unsigned first, unsigned n, const sockaddr_storage* to,
                            socklen_t to_len, bool gso) noexcept {
    unsigned m = at;
    for (unsigned i = first; i < n; ++m) {
        size_t seg = iov[i].iov_len;
        unsigned j = i + 1;
        if (gso && seg > 0) {
            size_t bytes = seg;
            while (j < n && j - i < gso_max_segments && bytes + iov[j].iov_len <= gso_max_bytes &&
                   iov[j].iov_len <= seg && iov[j].iov_len > 0) {
                bytes += iov[j].iov_len;
                ++j;
                if (iov[j - 1].iov_len < seg)
                    break; // a shorter datagram can only be the last segment
            }
        }
        msghdr& h = msgs[m].msg_hdr;
        h = msghdr{};
        h.msg_iov = &iov[i];
        h.msg_iovlen = j - i;
        if (to) {
            h.msg_name = const_cast<sockaddr_storage*>(to);
            h.msg_namelen = to_len;
        }
        if (j - i > 1) {
            h.msg_control = ctl[m];
            h.msg_controllen = sizeof ctl[m];
            cmsghdr* c = CMSG_FIRSTHDR(&h);
            c->cmsg_level = SOL_UDP;
            c->cmsg_type = UDP_SEGMENT;
            c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
            uint16_t s = static_cast<uint16_t>(seg);
            std::memcpy(CMSG_DATA(c), &s, sizeof s);
            ++gso_messages;
        }
        first_iov[m] = i;
        i = j;
    }
    return m - at;
}

unsigned DgramSender::send(int fd, unsigned n, const sockaddr_storage* to, socklen_t to_len,
                           bool& gso_ok) noexcept {
    gso_messages = 0;
    sent = 0;
    unsigned count = build(0, 0, n, to, to_len, gso_ok);
    unsigned done = 0; // messages finished (sent or dropped)
    bool retried = false;
    while (done < count) {
        int r = sendmmsg(fd, &msgs[done], count - done, MSG_DONTWAIT);
        if (r > 0) {
            for (unsigned k = done; k < done + static_cast<unsigned>(r); ++k)
                sent += static_cast<unsigned>(msgs[k].msg_hdr.msg_iovlen);
            done += static_cast<unsigned>(r);
            continue;
        }
        if (r < 0 && errno == EINTR)
            continue;
        int e = r < 0 ? errno : EAGAIN;
        if (e == ECONNREFUSED && !retried) { // an earlier ICMP error, reported (and cleared) now
            retried = true;
            continue;
        }
        bool segmented = msgs[done].msg_hdr.msg_iovlen > 1;
        if (segmented && (e == EIO || e == EINVAL || e == ENOPROTOOPT)) {
            // the rest again, one datagram per message: they fit, as every message held one
            // datagram or more
            gso_ok = false;
            count = done + build(done, first_iov[done], n, to, to_len, false);
            continue;
        }
        if (e == EAGAIN || e == EWOULDBLOCK || e == ENOBUFS)
            break; // no room: the rest is dropped
        ++done;    // this one cannot go (EMSGSIZE...)
    }
    return sent;
}

} // namespace rlk::port
