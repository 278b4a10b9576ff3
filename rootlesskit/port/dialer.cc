// SPDX-License-Identifier: Apache-2.0
// dialer.cc — the helper that opens sockets in the child's network namespace
//
// Theory of operation. Upstream runs a server in the child that dials for the parent and
// passes the connected socket back. We get the same without code in the child: a helper
// process, forked by the parent before it starts any thread, joins the child's user and
// network namespaces (the parent owns that user namespace, so it may) and answers requests on
// a SOCK_SEQPACKET pair with a socket (SCM_RIGHTS) or an errno. A socket belongs to the netns
// it was created in, so the parent can finish the connect() in its own event loop: the helper
// only creates, binds and starts the connect, and never waits on the network.
// With transparency, the socket gets IP_TRANSPARENT and SO_MARK and binds the client's
// address (policy_route.cc explains the routing); if any of that fails the helper falls back
// to a plain socket, as upstream does.

#include "rootlesskit/port/dialer.h"

#include "common/fd_pass.h"
#include "common/ns.h"
#include "rootlesskit/port/policy_route.h"
#include "rootlesskit/process.h"

#include <arpa/inet.h>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

namespace rlk::port {
namespace {

enum class Op : uint8_t { dial = 1, forget_rule = 2 };

struct Wire {
    Op op;
    DialRequest req;
};

struct WireReply {
    int32_t err;
    uint8_t transparent;
};

// Whether `addr` is an address of this netns (a bind to it with port 0 works).
bool is_local(const sockaddr_storage& addr) {
    common::UniqueFd s(socket(addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    sockaddr_storage a = addr;
    reinterpret_cast<sockaddr_in*>(&a)->sin_port = 0; // same offset in sockaddr_in6
    return s && bind(s.get(), reinterpret_cast<const sockaddr*>(&a), sockaddr_len(a)) == 0;
}

uint16_t port_of(const sockaddr_storage& ss) {
    return ntohs(reinterpret_cast<const sockaddr_in*>(&ss)->sin_port);
}

uint8_t ipproto_of(const DialRequest& r) {
    return r.udp ? IPPROTO_UDP : IPPROTO_TCP;
}

// Makes `fd` a transparent socket bound to the client; `mark`: also SO_MARK (TCP to a local
// server, whose accepted socket inherits it). False if the kernel refused any step.
bool make_transparent(int fd, const DialRequest& r, bool mark) {
    int one = 1;
    uint32_t m = transparent_mark;
    bool v6 = r.target.ss_family == AF_INET6;
    return setsockopt(fd, v6 ? SOL_IPV6 : SOL_IP, v6 ? IPV6_TRANSPARENT : IP_TRANSPARENT, &one,
                      sizeof one) == 0 &&
           (!mark || setsockopt(fd, SOL_SOCKET, SO_MARK, &m, sizeof m) == 0) &&
           bind(fd, reinterpret_cast<const sockaddr*>(&r.source), sockaddr_len(r.source)) == 0;
}

// A plain or transparent socket with connect() started. Returns the fd or -errno.
int open_socket(const DialRequest& r, bool transparent, Dialed& out) {
    int type = (r.udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC;
    common::UniqueFd fd(socket(r.target.ss_family, type, 0));
    if (!fd)
        return -errno;
    if (transparent && r.source.ss_family == r.target.ss_family) {
        // TCP to a local server: the mark (O(1), no rule). Otherwise a rule per flow.
        bool by_mark = !r.udp && is_local(r.target);
        bool ok = (by_mark || r.allow_rule) && make_transparent(fd.get(), r, by_mark);
        if (ok && !by_mark)
            ok =
                flow_rule(true, ipproto_of(r), r.source, port_of(r.target), transparent_table) == 0;
        if (ok) {
            out.transparent = true;
            out.rule = !by_mark;
        } else {
            fd = common::UniqueFd(socket(r.target.ss_family, type, 0)); // start over, plain
            if (!fd)
                return -errno;
        }
    }
    if (r.udp)
        (void)setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &udp_socket_buffer,
                         sizeof udp_socket_buffer);
    // A transparent UDP socket stays unconnected: a server on a wildcard address answers from
    // the address its route picks (for our local route, the client's own), not the one we
    // sent to, and a connected socket would not take that reply.
    if (out.transparent && r.udp)
        return fd.release();
    if (connect(fd.get(), reinterpret_cast<const sockaddr*>(&r.target), sockaddr_len(r.target)) !=
            0 &&
        errno != EINPROGRESS)
        return -errno;
    return fd.release();
}

[[noreturn]] void helper_main(int sock, bool transparent) {
    // First message: 0 when transparency is ready, else why not (an errno; -1: not asked).
    int32_t ready =
        transparent ? setup_transparent_routing(transparent_mark, transparent_table) : -1;
    transparent = ready == 0;
    (void)send(sock, &ready, sizeof ready, MSG_NOSIGNAL);
    for (;;) {
        Wire w;
        ssize_t n = recv(sock, &w, sizeof w, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n != static_cast<ssize_t>(sizeof w))
            _exit(0);
        if (w.op == Op::forget_rule) {
            (void)flow_rule(false, ipproto_of(w.req), w.req.source, port_of(w.req.target),
                            transparent_table);
            continue; // no reply
        }
        Dialed d;
        int fd = open_socket(w.req, transparent && w.req.transparent, d);
        WireReply rep{fd < 0 ? -fd : 0, static_cast<uint8_t>(d.transparent | (d.rule << 1))};
        std::span<const std::byte> payload(reinterpret_cast<const std::byte*>(&rep), sizeof rep);
        if (fd < 0) {
            (void)send(sock, &rep, sizeof rep, MSG_NOSIGNAL);
            continue;
        }
        (void)common::send_fd(sock, fd, payload);
        close(fd);
    }
}

} // namespace

bool make_sockaddr(const std::string& ip, uint16_t port, sockaddr_storage& ss, socklen_t& len,
                   int family_hint) {
    memset(&ss, 0, sizeof ss);
    bool v6 = ip.empty() ? family_hint == AF_INET6 : ip.find(':') != std::string::npos;
    if (v6) {
        auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(port);
        len = sizeof *a;
        return ip.empty() || inet_pton(AF_INET6, ip.c_str(), &a->sin6_addr) == 1;
    }
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_port = htons(port);
    len = sizeof *a;
    return ip.empty() || inet_pton(AF_INET, ip.c_str(), &a->sin_addr) == 1;
}

socklen_t sockaddr_len(const sockaddr_storage& ss) noexcept {
    return ss.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
}

void unmap_v4(sockaddr_storage& ss) noexcept {
    if (ss.ss_family != AF_INET6)
        return;
    sockaddr_in6 a6;
    memcpy(&a6, &ss, sizeof a6);
    if (!IN6_IS_ADDR_V4MAPPED(&a6.sin6_addr))
        return;
    sockaddr_in a4{};
    a4.sin_family = AF_INET;
    a4.sin_port = a6.sin6_port;
    memcpy(&a4.sin_addr, a6.sin6_addr.s6_addr + 12, 4);
    memset(&ss, 0, sizeof ss);
    memcpy(&ss, &a4, sizeof a4);
}

bool is_loopback(const sockaddr_storage& ss) noexcept {
    if (ss.ss_family == AF_INET) {
        sockaddr_in a;
        memcpy(&a, &ss, sizeof a);
        uint32_t h = ntohl(a.sin_addr.s_addr);
        return (h >> 24) == 127 || h == 0;
    }
    sockaddr_in6 a;
    memcpy(&a, &ss, sizeof a);
    return IN6_IS_ADDR_LOOPBACK(&a.sin6_addr) || IN6_IS_ADDR_UNSPECIFIED(&a.sin6_addr);
}

NetnsDialer::NetnsDialer(pid_t child, const std::string& netns_path, bool transparent) {
    common::FdPair sp = common::socketpair_cloexec(SOCK_SEQPACKET);
    common::UniqueFd userns = common::ns::open_by_pid(child, "user");
    common::UniqueFd netns = netns_path.empty() ? common::ns::open_by_pid(child, "net")
                                                : common::ns::open_path(netns_path);
    pid_t parent = getpid();
    pid_ = fork();
    if (pid_ < 0)
        common::throw_errno("fork");
    if (pid_ == 0) {
        if (!die_with_parent(parent) || setns(userns.get(), CLONE_NEWUSER) != 0 ||
            setns(netns.get(), CLONE_NEWNET) != 0)
            _exit(1);
        unblock_signals();
        sp.first.reset();
        helper_main(sp.second.get(), transparent);
    }
    sock_ = std::move(sp.first);
    int32_t ready = -1;
    ssize_t n;
    do
        n = recv(sock_.get(), &ready, sizeof ready, 0);
    while (n < 0 && errno == EINTR);
    if (n != static_cast<ssize_t>(sizeof ready))
        throw std::runtime_error(
            "port/builtin: the helper in the child's network namespace failed");
    transparent_ready_ = ready == 0;
    transparent_error_ = ready > 0 ? ready : 0;
}

NetnsDialer::~NetnsDialer() {
    sock_.reset(); // the helper exits on EOF
    if (pid_ > 0) {
        kill(pid_, SIGKILL);
        while (waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
        }
    }
}

common::Result<Dialed> NetnsDialer::dial(const DialRequest& req) noexcept {
    std::lock_guard<std::mutex> lock(mu_);
    Wire w{Op::dial, req};
    if (send(sock_.get(), &w, sizeof w, MSG_NOSIGNAL) != static_cast<ssize_t>(sizeof w))
        return common::Errno{EPIPE};
    WireReply rep{};
    size_t len = 0;
    std::span<std::byte> buf(reinterpret_cast<std::byte*>(&rep), sizeof rep);
    common::Result<common::UniqueFd> r = common::recv_fd(sock_.get(), buf, &len);
    if (r)
        return Dialed{std::move(*r), (rep.transparent & 1) != 0, (rep.transparent & 2) != 0};
    if (len == sizeof rep && rep.err != 0)
        return common::Errno{rep.err};
    if (r.error().value == EMSGSIZE) // the fd arrived but we had no slot for it
        return common::Errno{EMFILE};
    return common::Errno{EPIPE};
}

void NetnsDialer::forget_rule(const DialRequest& req) noexcept {
    std::lock_guard<std::mutex> lock(mu_);
    Wire w{Op::forget_rule, req};
    (void)send(sock_.get(), &w, sizeof w, MSG_NOSIGNAL);
}

} // namespace rlk::port
