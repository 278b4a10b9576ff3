// SPDX-License-Identifier: Apache-2.0
// udp_send.h — sending a batch of datagrams to one address with UDP GSO where the kernel takes it
#pragma once

#include <cstddef>
#include <cstdint>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>

namespace rlk::port {

/// Datagrams per recvmmsg()/sendmmsg(); each slot holds the largest datagram. 16 measured
/// better than 32 at 2 Gbit/s (docs/architecture.md, `port/`).
inline constexpr unsigned udp_batch = 16;
inline constexpr size_t dgram_max = 65536;
/// Segments and payload bytes of one UDP_SEGMENT message (the kernel's UDP_MAX_SEGMENTS is
/// 64 on older kernels; an IP packet carries at most 64 KiB less headers).
inline constexpr unsigned gso_max_segments = 64;
inline constexpr size_t gso_max_bytes = 63 * 1024;

/// The arrays of one send, filled by the caller (`iov[0..n)`, one datagram each) and reused:
/// nothing is allocated per datagram.
struct DgramSender {
    iovec iov[udp_batch];
    mmsghdr msgs[udp_batch];
    alignas(cmsghdr) unsigned char ctl[udp_batch][CMSG_SPACE(sizeof(uint16_t))];
    /// What the last send() did, for tests: messages given to sendmmsg() that carried
    /// UDP_SEGMENT, and datagrams handed to the kernel.
    unsigned gso_messages = 0;
    unsigned sent = 0;

    /// Sends iov[0..n) in order to `fd` (connected, or to `to` when not null) with one
    /// sendmmsg(): each run of equal-sized datagrams (plus one shorter tail, as the kernel
    /// allows) goes as one message with UDP_SEGMENT while `gso_ok`. When the kernel refuses GSO
    /// (EIO, EINVAL, ENOPROTOOPT on a segmented message) `gso_ok` turns false and the rest goes
    /// one datagram per message. Datagrams the kernel has no room for (EAGAIN, ENOBUFS) are
    /// dropped, as UDP may; another error drops the one datagram. Returns datagrams sent.
    unsigned send(int fd, unsigned n, const sockaddr_storage* to, socklen_t to_len,
                  bool& gso_ok) noexcept;

private:
    /// Builds messages from iov[first..n) into msgs[at..]; returns the message count.
    unsigned build(unsigned at, unsigned first, unsigned n, const sockaddr_storage* to,
                   socklen_t to_len, bool gso) noexcept;
    unsigned first_iov[udp_batch]; ///< msgs[i] starts at iov[first_iov[i]]
};

} // namespace rlk::port
