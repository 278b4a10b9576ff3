// SPDX-License-Identifier: Apache-2.0
// netlink.h — the few RTNETLINK requests our tools make inside a namespace
#pragma once

#include "common/error.h"
#include "common/unique_fd.h"

#include <array>
#include <cstdint>
#include <netinet/in.h>
#include <string>

namespace common {

using Mac = std::array<uint8_t, 6>;

/// A NETLINK_ROUTE socket in the caller's current network namespace. Every call sends one
/// request with NLM_F_ACK and throws SysError (kernel errno, "netlink: <what> <ifname>") on
/// failure.
class Netlink {
public:
    Netlink(); ///< Throws SysError.
    /// Interface index by name; throws SysError(ENODEV).
    int ifindex(const std::string& ifname);
    void set_up(int ifindex, bool up);
    void set_mtu(int ifindex, uint32_t mtu);
    void set_mac(int ifindex, const Mac& mac);
    void add_addr4(int ifindex, in_addr addr, unsigned prefix);
    void add_addr6(int ifindex, const in6_addr& addr, unsigned prefix);
    /// Default route via `gateway` on `ifindex`.
    void add_default_route4(int ifindex, in_addr gateway);
    void add_default_route6(int ifindex, const in6_addr& gateway);

private:
    void request(void* msg, const char* what);
    UniqueFd fd_;
    uint32_t seq_ = 0;
};

} // namespace common
