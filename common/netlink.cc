// SPDX-License-Identifier: Apache-2.0
// netlink.cc — RTNETLINK requests (link, address, route) with NLM_F_ACK and decoded errors
//
// Every request is one message built in a fixed buffer and acknowledged by the kernel; an
// nlmsgerr with a negative error becomes SysError with that errno. The NLMSG_*/RTA_* macros are
// confined to this file (docs/style.md B2).
#include "common/netlink.h"

#include <arpa/inet.h>
#include <cstring>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h> // before the linux/ headers: they skip their IFF_* enum when it is there
#include <sys/socket.h>

namespace common {

namespace {

constexpr size_t max_request = 512;

// One netlink request: header, family-specific struct, then attributes.
class Message {
public:
    Message(uint16_t type, uint16_t flags) {
        hdr()->nlmsg_type = type;
        hdr()->nlmsg_flags = static_cast<uint16_t>(NLM_F_REQUEST | NLM_F_ACK | flags);
        hdr()->nlmsg_len = NLMSG_LENGTH(0);
    }
    nlmsghdr* hdr() { return reinterpret_cast<nlmsghdr*>(buf_); }
    template <class T> T* body() {
        hdr()->nlmsg_len = NLMSG_LENGTH(sizeof(T));
        return reinterpret_cast<T*>(NLMSG_DATA(hdr()));
    }
    void attr(uint16_t type, const void* data, size_t len) {
        size_t at = NLMSG_ALIGN(hdr()->nlmsg_len);
        size_t total = RTA_LENGTH(len);
        if (at + RTA_ALIGN(total) > sizeof buf_)
            bug("netlink request too large");
        auto* rta = reinterpret_cast<rtattr*>(buf_ + at);
        rta->rta_type = type;
        rta->rta_len = static_cast<unsigned short>(total);
        std::memcpy(RTA_DATA(rta), data, len);
        hdr()->nlmsg_len = static_cast<uint32_t>(at + RTA_ALIGN(total));
    }

private:
    alignas(nlmsghdr) char buf_[max_request] = {};
};

} // namespace

Netlink::Netlink() {
    int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0)
        throw_errno("netlink: socket");
    fd_.reset(fd);
    sockaddr_nl local{};
    local.nl_family = AF_NETLINK;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) < 0)
        throw_errno("netlink: bind");
}

int Netlink::ifindex(const std::string& ifname) {
    unsigned idx = ::if_nametoindex(ifname.c_str());
    if (idx == 0)
        throw_errno("netlink: no such interface %s", ifname.c_str());
    return static_cast<int>(idx);
}

void Netlink::request(void* raw, const char* what) {
    auto* h = static_cast<nlmsghdr*>(raw);
    h->nlmsg_seq = ++seq_;
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    ssize_t n;
    do {
        n = ::sendto(fd_.get(), h, h->nlmsg_len, 0, reinterpret_cast<sockaddr*>(&kernel),
                     sizeof kernel);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        throw_errno("netlink: %s", what);
    alignas(nlmsghdr) char reply[4096];
    for (;;) {
        do {
            n = ::recv(fd_.get(), reply, sizeof reply, 0);
        } while (n < 0 && errno == EINTR);
        if (n < 0)
            throw_errno("netlink: %s", what);
        size_t left = static_cast<size_t>(n);
        for (auto* r = reinterpret_cast<nlmsghdr*>(reply); NLMSG_OK(r, left);
             r = NLMSG_NEXT(r, left)) {
            if (r->nlmsg_seq != seq_ || r->nlmsg_type != NLMSG_ERROR)
                continue;
            auto* err = static_cast<nlmsgerr*>(NLMSG_DATA(r));
            if (err->error == 0)
                return;
            throw_error(-err->error, "netlink: %s", what);
        }
    }
}

void Netlink::set_up(int ifindex, bool up) {
    Message m(RTM_NEWLINK, 0);
    auto* ifi = m.body<ifinfomsg>();
    ifi->ifi_family = AF_UNSPEC;
    ifi->ifi_index = ifindex;
    ifi->ifi_change = IFF_UP;
    ifi->ifi_flags = up ? IFF_UP : 0;
    request(m.hdr(), up ? "set link up" : "set link down");
}

void Netlink::set_mtu(int ifindex, uint32_t mtu) {
    Message m(RTM_NEWLINK, 0);
    auto* ifi = m.body<ifinfomsg>();
    ifi->ifi_family = AF_UNSPEC;
    ifi->ifi_index = ifindex;
    m.attr(IFLA_MTU, &mtu, sizeof mtu);
    request(m.hdr(), "set MTU");
}

void Netlink::set_mac(int ifindex, const Mac& mac) {
    Message m(RTM_NEWLINK, 0);
    auto* ifi = m.body<ifinfomsg>();
    ifi->ifi_family = AF_UNSPEC;
    ifi->ifi_index = ifindex;
    m.attr(IFLA_ADDRESS, mac.data(), mac.size());
    request(m.hdr(), "set MAC address");
}

void Netlink::add_addr4(int ifindex, in_addr addr, unsigned prefix) {
    Message m(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
    auto* ifa = m.body<ifaddrmsg>();
    ifa->ifa_family = AF_INET;
    ifa->ifa_prefixlen = static_cast<unsigned char>(prefix);
    ifa->ifa_index = static_cast<unsigned>(ifindex);
    m.attr(IFA_LOCAL, &addr, sizeof addr);
    m.attr(IFA_ADDRESS, &addr, sizeof addr);
    if (prefix < 31) {
        uint32_t mask = prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix);
        in_addr brd{htonl(ntohl(addr.s_addr) | ~mask)};
        m.attr(IFA_BROADCAST, &brd, sizeof brd);
    }
    request(m.hdr(), "add IPv4 address");
}

void Netlink::add_addr6(int ifindex, const in6_addr& addr, unsigned prefix) {
    Message m(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
    auto* ifa = m.body<ifaddrmsg>();
    ifa->ifa_family = AF_INET6;
    ifa->ifa_prefixlen = static_cast<unsigned char>(prefix);
    ifa->ifa_index = static_cast<unsigned>(ifindex);
    ifa->ifa_flags = IFA_F_NODAD;
    m.attr(IFA_LOCAL, &addr, sizeof addr);
    m.attr(IFA_ADDRESS, &addr, sizeof addr);
    request(m.hdr(), "add IPv6 address");
}

namespace {

// RTM_NEWROUTE for a default route of `family` via `gateway` (len bytes) out of `ifindex`.
Message default_route(int ifindex, unsigned char family, const void* gateway, size_t len) {
    Message m(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
    auto* rt = m.body<rtmsg>();
    rt->rtm_family = family;
    rt->rtm_table = RT_TABLE_MAIN;
    rt->rtm_protocol = RTPROT_BOOT;
    rt->rtm_scope = RT_SCOPE_UNIVERSE;
    rt->rtm_type = RTN_UNICAST;
    m.attr(RTA_GATEWAY, gateway, len);
    uint32_t oif = static_cast<uint32_t>(ifindex);
    m.attr(RTA_OIF, &oif, sizeof oif);
    return m;
}

} // namespace

void Netlink::add_default_route4(int ifindex, in_addr gateway) {
    Message m = default_route(ifindex, AF_INET, &gateway, sizeof gateway);
    request(m.hdr(), "add default route");
}

void Netlink::add_default_route6(int ifindex, const in6_addr& gateway) {
    Message m = default_route(ifindex, AF_INET6, &gateway, sizeof gateway);
    request(m.hdr(), "add IPv6 default route");
}

} // namespace common
