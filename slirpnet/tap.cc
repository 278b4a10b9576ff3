// SPDX-License-Identifier: Apache-2.0
// tap.cc — the TAP device: open/attach in the target netns, configure it, frame output
#include "slirpnet/tap.h"

#include "common/error.h"
#include "common/netlink.h"
#include "common/tun.h"

#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

namespace slirp::tap {

common::UniqueFd open(const std::string& name) {
    const char* env = std::getenv("SLIRPNET_VNET");
    return common::open_tap(name, env == nullptr || std::strcmp(env, "0") != 0);
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

bool has_vnet_hdr(int fd) noexcept {
    ifreq ifr{};
    if (ioctl(fd, TUNGETIFF, &ifr) != 0)
        return false;
    if ((ifr.ifr_flags & IFF_VNET_HDR) == 0)
        return false;
    int sz = 0; // we speak the 10-byte header; a caller's tapfd may have been set otherwise
    if (ioctl(fd, TUNGETVNETHDRSZ, &sz) == 0 && sz != static_cast<int>(sizeof(VirtioNetHdr))) {
        sz = sizeof(VirtioNetHdr);
        if (ioctl(fd, TUNSETVNETHDRSZ, &sz) != 0)
            return false;
    }
    return true;
}

bool enable_offload(int fd) noexcept {
    return ioctl(fd, TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6) == 0;
}

void disable_offload(int fd) noexcept {
    (void)ioctl(fd, TUNSETOFFLOAD, 0);
}

namespace {

void write_frame(int fd, const iovec* iov, int cnt, uint64_t* dropped) noexcept {
    ssize_t n;
    do
        n = writev(fd, iov, cnt);
    while (n < 0 && errno == EINTR);
    if (n < 0 && dropped != nullptr)
        ++*dropped;
}

} // namespace

void TapSink::send(std::span<const std::byte> frame) noexcept {
    static const VirtioNetHdr none{}; // no offload: checksums complete, no GSO
    send_vnet(frame, none);
}

void TapSink::send_vnet(std::span<const std::byte> frame, const VirtioNetHdr& h) noexcept {
    iovec iov[2] = {{const_cast<VirtioNetHdr*>(&h), sizeof(h)},
                    {const_cast<std::byte*>(frame.data()), frame.size()}};
    if (vnet_)
        write_frame(fd_, iov, 2, dropped);
    else if (h.flags == 0 && h.gso_type == vnet_gso_none)
        write_frame(fd_, iov + 1, 1, dropped);
    else
        FrameSink::send_vnet(frame, h); // software checksum and segmentation
}

} // namespace slirp::tap
