// SPDX-License-Identifier: Apache-2.0
// dns.cc — the host resolver behind the DNS addresses: first (IPv4) nameserver of resolv.conf
//
// Theory of operation: DNS is not proxied; it is UDP/TCP NAT from DNS:53 to the resolver
// (translate_out in nat.cc), so this file only finds the resolver. Like libslirp: lines
// "nameserver<blanks><addr>[%scope]", the first IPv4 one wins, search/options ignored
// (fd00::3 takes the first nameserver of either family, nat.cc). The file is re-read when its
// (dev, ino, size, mtime) changes, checked at most once a second, so a resolv.conf rewritten
// by NetworkManager takes effect. Loopback resolvers work (127.0.0.53).

#include "slirpnet/stack/stack.h"

#include <arpa/inet.h>
#include <cstdio>
#include <string>
#include <sys/stat.h>

namespace slirp::dns {

namespace {

/// Calls fn(address text) for each `nameserver` line of resolv.conf, in order, until fn returns
/// true; returns whether one did.
template <typename Fn> bool for_each_nameserver(std::string_view text, Fn fn) {
    size_t pos = 0;
    while (pos < text.size()) {
        size_t eol = text.find('\n', pos);
        std::string_view line = text.substr(pos, eol == std::string_view::npos ? eol : eol - pos);
        pos = eol == std::string_view::npos ? text.size() : eol + 1;
        constexpr std::string_view kw = "nameserver";
        if (line.substr(0, kw.size()) != kw || line.size() == kw.size() ||
            (line[kw.size()] != ' ' && line[kw.size()] != '\t'))
            continue;
        line.remove_prefix(kw.size());
        while (!line.empty() && (line.front() == ' ' || line.front() == '\t'))
            line.remove_prefix(1);
        size_t end = line.find_first_of(" \t\r%#;");
        if (fn(std::string(line.substr(0, end))))
            return true;
    }
    return false;
}

} // namespace

uint32_t parse_resolv_conf(std::string_view text) noexcept {
    uint32_t found = 0;
    for_each_nameserver(text, [&](const std::string& addr) {
        in_addr a{};
        if (inet_pton(AF_INET, addr.c_str(), &a) != 1)
            return false;
        found = ntohl(a.s_addr);
        return true;
    });
    return found;
}

bool parse_resolv_conf_any(std::string_view text, Addr& out) noexcept {
    return for_each_nameserver(text, [&](const std::string& addr) {
        in_addr a{};
        in6_addr a6{};
        if (inet_pton(AF_INET, addr.c_str(), &a) == 1) {
            out = Addr::of4(ntohl(a.s_addr));
            return true;
        }
        if (inet_pton(AF_INET6, addr.c_str(), &a6) == 1) {
            out = Addr::of6(a6);
            if (out.is4()) // ::ffff:a.b.c.d written out: an IPv4 server
                return true;
            if (!out.is_link_local6()) // a link-local one would need its scope id: skipped
                return true;
        }
        return false;
    });
}

void refresh(Stack& st) noexcept {
    const char* path = st.cfg.resolv_conf;
    if (path == nullptr)
        return;
    static struct stat last {};
    static uint64_t checked_ms = 0;
    if (checked_ms != 0 && st.now_ms - checked_ms < 1000)
        return;
    checked_ms = st.now_ms == 0 ? 1 : st.now_ms;
    struct stat s {};
    if (stat(path, &s) != 0)
        return;
    if (s.st_dev == last.st_dev && s.st_ino == last.st_ino && s.st_size == last.st_size &&
        s.st_mtim.tv_sec == last.st_mtim.tv_sec && s.st_mtim.tv_nsec == last.st_mtim.tv_nsec)
        return;
    last = s;
    FILE* f = std::fopen(path, "re");
    if (f == nullptr)
        return;
    char buf[8192];
    size_t n = std::fread(buf, 1, sizeof(buf), f);
    std::fclose(f);
    st.cfg.dns_server = parse_resolv_conf(std::string_view(buf, n));
    st.cfg.has_dns_server_any =
        parse_resolv_conf_any(std::string_view(buf, n), st.cfg.dns_server_any);
}

} // namespace slirp::dns
