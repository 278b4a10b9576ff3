// SPDX-License-Identifier: Apache-2.0
// args.cc — whole-string parsers for numbers, addresses, CIDRs and MACs
#include "common/args.h"

#include <arpa/inet.h>
#include <charconv>
#include <cstring>

namespace common::args {

std::optional<uint64_t> parse_uint(std::string_view s, uint64_t min, uint64_t max) {
    if (s.empty() || s.front() < '0' || s.front() > '9')
        return std::nullopt;
    uint64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 10);
    if (ec != std::errc() || p != s.data() + s.size() || v < min || v > max)
        return std::nullopt;
    return v;
}

std::optional<int64_t> parse_int(std::string_view s, int64_t min, int64_t max) {
    if (s.empty() || (s.front() != '-' && (s.front() < '0' || s.front() > '9')))
        return std::nullopt;
    int64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 10);
    if (ec != std::errc() || p != s.data() + s.size() || v < min || v > max)
        return std::nullopt;
    return v;
}

std::optional<in_addr> parse_ipv4(std::string_view s) {
    if (s.size() > INET_ADDRSTRLEN)
        return std::nullopt;
    std::string z(s);
    in_addr a{};
    if (::inet_pton(AF_INET, z.c_str(), &a) != 1)
        return std::nullopt;
    return a;
}

std::optional<in6_addr> parse_ipv6(std::string_view s) {
    if (s.size() > INET6_ADDRSTRLEN)
        return std::nullopt;
    std::string z(s);
    in6_addr a{};
    if (::inet_pton(AF_INET6, z.c_str(), &a) != 1)
        return std::nullopt;
    return a;
}

namespace {

std::optional<std::pair<std::string_view, unsigned>> split_prefix(std::string_view s,
                                                                   unsigned max) {
    size_t slash = s.find('/');
    if (slash == std::string_view::npos)
        return std::nullopt;
    std::optional<uint64_t> p = parse_uint(s.substr(slash + 1), 0, max);
    if (!p)
        return std::nullopt;
    return std::make_pair(s.substr(0, slash), static_cast<unsigned>(*p));
}

} // namespace

std::optional<Cidr4> parse_cidr4(std::string_view s) {
    auto parts = split_prefix(s, 32);
    if (!parts)
        return std::nullopt;
    std::optional<in_addr> a = parse_ipv4(parts->first);
    if (!a)
        return std::nullopt;
    return Cidr4{*a, parts->second};
}

std::optional<Cidr6> parse_cidr6(std::string_view s) {
    auto parts = split_prefix(s, 128);
    if (!parts)
        return std::nullopt;
    std::optional<in6_addr> a = parse_ipv6(parts->first);
    if (!a)
        return std::nullopt;
    return Cidr6{*a, parts->second};
}

std::optional<Mac> parse_mac(std::string_view s) {
    if (s.size() != 17)
        return std::nullopt;
    Mac m{};
    for (size_t i = 0; i < 6; i++) {
        if (i > 0 && s[i * 3 - 1] != ':')
            return std::nullopt;
        std::string_view pair = s.substr(i * 3, 2);
        auto [p, ec] = std::from_chars(pair.data(), pair.data() + 2, m[i], 16);
        if (ec != std::errc() || p != pair.data() + 2)
            return std::nullopt;
    }
    return m;
}

std::optional<bool> parse_bool(std::string_view s) {
    std::string l;
    for (char c : s)
        l += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    if (l == "true" || l == "1" || l == "yes" || l == "on")
        return true;
    if (l == "false" || l == "0" || l == "no" || l == "off")
        return false;
    return std::nullopt;
}

std::string format_ipv4(in_addr a) {
    char buf[INET_ADDRSTRLEN];
    return ::inet_ntop(AF_INET, &a, buf, sizeof buf);
}

std::string format_ipv6(const in6_addr& a) {
    char buf[INET6_ADDRSTRLEN];
    return ::inet_ntop(AF_INET6, &a, buf, sizeof buf);
}

std::string format_mac(const Mac& m) {
    return strprintf("%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

uint32_t to_host(in_addr a) { return ntohl(a.s_addr); }
in_addr from_host(uint32_t a) { return in_addr{htonl(a)}; }
uint32_t mask4(unsigned prefix) {
    return prefix == 0 ? 0 : prefix >= 32 ? 0xffffffffu : ~((1u << (32 - prefix)) - 1);
}

} // namespace common::args
