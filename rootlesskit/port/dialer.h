// SPDX-License-Identifier: Apache-2.0
// dialer.h — a helper process inside the child's network namespace that opens sockets there
#pragma once

#include "common/error.h"
#include "common/unique_fd.h"

#include <mutex>
#include <sys/socket.h>
#include <sys/types.h>

namespace rlk::port {

/// Receive buffer asked for each UDP socket of a forward (the kernel caps it at
/// net.core.rmem_max): at 2 Gbit/s of 1400-byte datagrams the default 208 KiB holds about a
/// millisecond, so one late wake-up of the relay would drop a burst.
inline constexpr int udp_socket_buffer = 4 << 20;

/// The fwmark and routing table of source-IP transparency (upstream uses 100 for both).
inline constexpr uint32_t transparent_mark = 100;
inline constexpr uint32_t transparent_table = 100;

/// One request to the helper. `source` is the client's address (family AF_UNSPEC: none).
struct DialRequest {
    bool udp = false;
    bool transparent = false; ///< bind to `source` with IP_TRANSPARENT
    bool allow_rule = false;  ///< a per-flow routing rule may be added (UDP, non-local TCP)
    sockaddr_storage target{};
    sockaddr_storage source{};
};

/// What the helper answered: a socket whose connect() is under way (TCP) or done (UDP; a
/// transparent UDP socket is bound but not connected: send with sendto(target)).
struct Dialed {
    common::UniqueFd fd;
    bool transparent = false; ///< the socket is bound to the client's address
    bool rule = false;        ///< a per-flow rule was added: forget_rule() when the flow ends
};

/// Forked before the parent starts any thread; joins the child's user and network namespaces and
/// answers requests on a SOCK_SEQPACKET pair. It never waits on the network: sockets are
/// non-blocking and come back with connect() in progress, so one unresponsive address cannot
/// stall the others.
class NetnsDialer {
public:
    /// `netns_path` empty: the child's own netns. `transparent`: set up the policy routing of
    /// source-IP transparency (netlink, no iptables) once at start. Throws SysError.
    NetnsDialer(pid_t child, const std::string& netns_path, bool transparent);
    ~NetnsDialer();
    NetnsDialer(const NetnsDialer&) = delete;
    NetnsDialer& operator=(const NetnsDialer&) = delete;

    /// A socket in the namespace: errno of socket()/connect() on failure. Thread-safe.
    common::Result<Dialed> dial(const DialRequest& req) noexcept;
    /// Drops the routing rule a transparent dial of `req` added. Thread-safe.
    void forget_rule(const DialRequest& req) noexcept;
    /// Whether the transparency routing is in place (false: dials are never transparent).
    bool transparent_ready() const noexcept { return transparent_ready_; }
    /// Why the routing could not be set up (an errno), or 0.
    int transparent_error() const noexcept { return transparent_error_; }

private:
    std::mutex mu_; ///< one request at a time on sock_
    common::UniqueFd sock_;
    pid_t pid_ = -1;
    bool transparent_ready_ = false;
    int transparent_error_ = 0;
};

/// sockaddr for ip:port (an empty ip is the wildcard of `family_hint`); false if ip is bad.
bool make_sockaddr(const std::string& ip, uint16_t port, sockaddr_storage& ss, socklen_t& len,
                   int family_hint = AF_INET);
/// Length of a sockaddr of the given family.
socklen_t sockaddr_len(const sockaddr_storage& ss) noexcept;
/// A v4-mapped IPv6 address turned into AF_INET; others unchanged.
void unmap_v4(sockaddr_storage& ss) noexcept;
/// Loopback (127/8, ::1) or unspecified.
bool is_loopback(const sockaddr_storage& ss) noexcept;

} // namespace rlk::port
