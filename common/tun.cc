// SPDX-License-Identifier: Apache-2.0
// tun.cc — opening a TAP device on /dev/net/tun
#include "common/tun.h"

#include "common/error.h"

#include <cstring>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>

namespace common {

UniqueFd open_tap(const std::string& name, bool vnet_hdr) {
    UniqueFd fd(::open("/dev/net/tun", O_RDWR | O_CLOEXEC));
    if (!fd)
        throw_errno("open(\"/dev/net/tun\")");
    ifreq ifr{};
    ifr.ifr_flags = static_cast<short>(IFF_TAP | IFF_NO_PI | (vnet_hdr ? IFF_VNET_HDR : 0));
    std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
    if (ioctl(fd.get(), TUNSETIFF, &ifr) < 0)
        throw_errno("ioctl(TUNSETIFF)");
    return fd;
}

} // namespace common
