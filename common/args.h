// SPDX-License-Identifier: Apache-2.0
// args.h — typed parsers for command-line values; they throw UsageError with the caller's wording
#pragma once

#include "common/error.h"
#include "common/netlink.h"

#include <cstdint>
#include <netinet/in.h>
#include <optional>
#include <string>
#include <string_view>

namespace common::args {

/// Whole-string unsigned decimal in [min, max]; nullopt otherwise (no sign, no spaces, no suffix).
std::optional<uint64_t> parse_uint(std::string_view s, uint64_t min, uint64_t max);
/// Whole-string signed decimal in [min, max].
std::optional<int64_t> parse_int(std::string_view s, int64_t min, int64_t max);
/// Dotted-quad IPv4 (inet_pton rules).
std::optional<in_addr> parse_ipv4(std::string_view s);
std::optional<in6_addr> parse_ipv6(std::string_view s);

struct Cidr4 {
    in_addr addr; ///< as written (may have host bits)
    unsigned prefix;
};
/// "a.b.c.d/n" with n in 0..32.
std::optional<Cidr4> parse_cidr4(std::string_view s);
struct Cidr6 {
    in6_addr addr;
    unsigned prefix;
};
std::optional<Cidr6> parse_cidr6(std::string_view s);

/// "0e:d4:18:d9:38:fb" (exactly 6 hex pairs separated by ':').
std::optional<Mac> parse_mac(std::string_view s);
/// "true/false/1/0/yes/no/on/off" (case-insensitive).
std::optional<bool> parse_bool(std::string_view s);

/// Formats for messages and logs.
std::string format_ipv4(in_addr a);
std::string format_ipv6(const in6_addr& a);
std::string format_mac(const Mac& m);

/// Host-order helpers for address arithmetic.
uint32_t to_host(in_addr a);
in_addr from_host(uint32_t a);
/// Netmask of `prefix` bits in host order (prefix 0..32).
uint32_t mask4(unsigned prefix);

} // namespace common::args
