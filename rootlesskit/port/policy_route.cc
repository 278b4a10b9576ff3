// SPDX-License-Identifier: Apache-2.0
// policy_route.cc — netlink requests for source-IP transparency (no iptables)
//
// Theory of operation. A socket in the child with IP_TRANSPARENT may bind the client's real
// address and connect to the server from it; the server then answers that address, which the
// main table routes out of the TAP device. Upstream marks such connections with iptables
// CONNMARK. We need no iptables: our socket carries SO_MARK, the kernel copies a SYN's mark to
// the accepted socket when net.ipv4.tcp_fwmark_accept=1 (it also governs IPv6), and a
// `fwmark lookup T` rule sends everything so marked to a table whose only route is
// `local default dev lo`. UDP servers answer from an unconnected socket that carries no mark,
// so each transparent UDP flow gets its own rule, matched on the full 4-tuple minus the server
// address (FRA_IP_PROTO and port ranges, Linux 4.17+), removed when the flow ends. The same
// per-flow rule serves TCP to a server that is not local (a container behind a bridge): its
// SYN must not carry the mark, or the mark rule would deliver it locally, and its replies are
// forwarded packets that no mark follows.

#include "rootlesskit/port/policy_route.h"

#include "common/unique_fd.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <linux/fib_rules.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <unistd.h>

namespace rlk::port {
namespace {

constexpr uint32_t rule_priority = 100; // upstream's `priority 100`

// One netlink request built in a fixed buffer; attributes are appended 4-byte aligned.
class NlMsg {
public:
    NlMsg(uint16_t type, uint16_t flags) {
        hdr()->nlmsg_type = type;
        hdr()->nlmsg_flags = static_cast<uint16_t>(NLM_F_REQUEST | NLM_F_ACK | flags);
        len_ = sizeof(nlmsghdr);
    }
    template <class T> void body(const T& v) { append(&v, sizeof v); }
    void attr(uint16_t type, const void* data, size_t n) {
        rtattr a{};
        a.rta_len = static_cast<unsigned short>(sizeof a + n);
        a.rta_type = type;
        append(&a, sizeof a);
        append(data, n);
    }
    template <class T> void attr(uint16_t type, const T& v) { attr(type, &v, sizeof v); }
    int send() noexcept {
        common::UniqueFd fd(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
        if (!fd)
            return errno;
        hdr()->nlmsg_len = static_cast<uint32_t>(len_);
        hdr()->nlmsg_seq = 1;
        if (::send(fd.get(), buf_, len_, 0) < 0)
            return errno;
        alignas(nlmsghdr) char reply[1024];
        ssize_t n = recv(fd.get(), reply, sizeof reply, 0);
        if (n < static_cast<ssize_t>(sizeof(nlmsghdr) + sizeof(nlmsgerr)))
            return n < 0 ? errno : EPROTO;
        nlmsgerr err;
        memcpy(&err, reply + sizeof(nlmsghdr), sizeof err);
        return -err.error;
    }

private:
    nlmsghdr* hdr() { return reinterpret_cast<nlmsghdr*>(buf_); }
    void append(const void* p, size_t n) {
        if (len_ + n + 4 > sizeof buf_)
            return; // cannot happen with our few attributes
        memcpy(buf_ + len_, p, n);
        len_ += (n + 3) & ~size_t{3};
    }
    alignas(nlmsghdr) char buf_[256] = {};
    size_t len_ = 0;
};

int ok_if_exists(int e) {
    return e == EEXIST ? 0 : e;
}

int add_local_default(unsigned char family, uint32_t table) {
    NlMsg m(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
    rtmsg r{};
    r.rtm_family = family;
    r.rtm_table = RT_TABLE_UNSPEC;
    r.rtm_protocol = RTPROT_BOOT;
    r.rtm_scope = RT_SCOPE_HOST;
    r.rtm_type = RTN_LOCAL;
    m.body(r);
    uint32_t lo = if_nametoindex("lo");
    m.attr(RTA_TABLE, table);
    m.attr(RTA_OIF, lo);
    return ok_if_exists(m.send());
}

int add_mark_rule(unsigned char family, uint32_t mark, uint32_t table) {
    NlMsg m(RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL);
    fib_rule_hdr h{};
    h.family = family;
    h.action = FR_ACT_TO_TBL;
    m.body(h);
    m.attr(FRA_PRIORITY, rule_priority);
    m.attr(FRA_FWMARK, mark);
    m.attr(FRA_TABLE, table);
    return ok_if_exists(m.send());
}

} // namespace

int setup_transparent_routing(uint32_t mark, uint32_t table) noexcept {
    // The child brings lo up too, maybe later than we get here: a route needs it up now.
    common::UniqueFd s(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    ifreq ifr{};
    memcpy(ifr.ifr_name, "lo", 3);
    if (!s || ioctl(s.get(), SIOCGIFFLAGS, &ifr) != 0)
        return errno;
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
    if (ioctl(s.get(), SIOCSIFFLAGS, &ifr) != 0)
        return errno;
    for (unsigned char family :
         {static_cast<unsigned char>(AF_INET), static_cast<unsigned char>(AF_INET6)}) {
        if (int e = add_local_default(family, table))
            return e;
        if (int e = add_mark_rule(family, mark, table))
            return e;
    }
    common::UniqueFd f(open("/proc/sys/net/ipv4/tcp_fwmark_accept", O_WRONLY | O_CLOEXEC));
    if (!f || write(f.get(), "1", 1) != 1)
        return errno ? errno : EIO;
    return 0;
}

int flow_rule(bool add, uint8_t ipproto, const sockaddr_storage& client, uint16_t server_port,
              uint32_t table) noexcept {
    NlMsg m(add ? RTM_NEWRULE : RTM_DELRULE, add ? NLM_F_CREATE : 0);
    fib_rule_hdr h{};
    h.family = static_cast<unsigned char>(client.ss_family);
    h.action = FR_ACT_TO_TBL;
    fib_rule_port_range sport{server_port, server_port};
    fib_rule_port_range dport{};
    if (client.ss_family == AF_INET) {
        sockaddr_in a;
        memcpy(&a, &client, sizeof a);
        h.dst_len = 32;
        m.body(h);
        m.attr(FRA_DST, a.sin_addr);
        dport.start = dport.end = ntohs(a.sin_port);
    } else {
        sockaddr_in6 a;
        memcpy(&a, &client, sizeof a);
        h.dst_len = 128;
        m.body(h);
        m.attr(FRA_DST, a.sin6_addr);
        dport.start = dport.end = ntohs(a.sin6_port);
    }
    m.attr(FRA_PRIORITY, rule_priority);
    m.attr(FRA_TABLE, table);
    m.attr(FRA_IP_PROTO, ipproto);
    m.attr(FRA_SPORT_RANGE, sport);
    m.attr(FRA_DPORT_RANGE, dport);
    int e = m.send();
    return add ? ok_if_exists(e) : (e == ENOENT ? 0 : e);
}

} // namespace rlk::port
