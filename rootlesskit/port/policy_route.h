// SPDX-License-Identifier: Apache-2.0
// policy_route.h — the routing that delivers replies to transparent sockets, by netlink
#pragma once

#include <cstdint>
#include <sys/socket.h>

namespace rlk::port {

/// In the caller's netns: `local default dev lo table T` (IPv4 and IPv6), `fwmark M lookup T`
/// rules, and net.ipv4.tcp_fwmark_accept=1. Returns 0 or the first errno that stopped it
/// (EEXIST counts as success).
int setup_transparent_routing(uint32_t mark, uint32_t table) noexcept;

/// Adds or deletes `to CLIENT ipproto PROTO sport SERVER_PORT dport CLIENT_PORT lookup T`: the
/// server's replies to one transparent flow stay local (UDP; TCP to a server that is not local,
/// such as a container behind a bridge). Returns 0 or an errno.
int flow_rule(bool add, uint8_t ipproto, const sockaddr_storage& client, uint16_t server_port,
              uint32_t table) noexcept;

} // namespace rlk::port
