// SPDX-License-Identifier: Apache-2.0
// tun.h — opening a TAP device on /dev/net/tun (slirpnet's own tap, rootlesskit's for
// --net=gvisor-tap-vsock)
#pragma once

#include "common/unique_fd.h"

#include <string>

namespace common {

/// TUNSETIFF IFF_TAP|IFF_NO_PI (plus IFF_VNET_HDR when `vnet_hdr`) on /dev/net/tun in the current
/// network namespace: creates `name` or attaches to an existing one. The name is cut to 15
/// characters as slirp4netns' strncpy() cuts it. Throws SysError with slirp4netns' wording
/// ("ioctl(TUNSETIFF): Device or resource busy").
UniqueFd open_tap(const std::string& name, bool vnet_hdr);

} // namespace common
