// SPDX-License-Identifier: Apache-2.0
// tap.cc — the TAP device: open/attach in the target netns, configure it, frame output
#include "slirpnet/tap.h"

#include "common/error.h"
#include "common/netlink.h"

#include <cstring>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <unistd.h>

namespace slirp::tap {

common::UniqueFd open(const std::string& name) {
    common::UniqueFd fd(::open("/dev/net/tun", O_RDWR | O_CLOEXEC));
    if (!fd)
        common::throw_errno("open(\"/dev/net/tun\")");
    ifreq ifr{};
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    // slirp4netns strncpy()s the name: longer names are silently truncated to 15 characters
    std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
    if (ioctl(fd.get(), TUNSETIFF, &ifr) < 0)
        common::throw_errno("ioctl(TUNSETIFF)");
    return fd;
}

void configure(const std::string& name, const Options& o, const Config& c) {
    common::Netlink nl;
    nl.set_up(nl.ifindex("lo"), true);
    std::string ifname = name.substr(0, IFNAMSIZ - 1);
    int idx = nl.ifindex(ifname);
    nl.set_up(idx, true);
    nl.set_mtu(idx, o.mtu);
    if (o.macaddress)
        nl.set_mac(idx, *o.macaddress);
    nl.add_addr4(idx, in_addr{htonl(c.guest)}, c.prefix);
    nl.add_default_route4(idx, in_addr{htonl(c.gw)});
}

void TapSink::send(std::span<const std::byte> frame) noexcept {
    ssize_t n;
    do
        n = write(fd_, frame.data(), frame.size());
    while (n < 0 && errno == EINTR);
    if (n < 0 && dropped != nullptr)
        ++*dropped;
}

} // namespace slirp::tap
