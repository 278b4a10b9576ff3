// SPDX-License-Identifier: Apache-2.0
// dhcp6.cc — stateless DHCPv6: an Information-request gets the DNS server fd00::3
//
// Theory of operation (libslirp's dhcpv6.c, RFC 8415 §18.2.6, RFC 3646): no addresses are
// assigned (SLAAC does that, ndp.cc). An Information-request (type 11) to port 547 gets a
// Reply (type 7) with the same transaction id, the client's Client Identifier option copied
// back, and, when its Option Request option asks for DNS servers (23), fd00::3, from
// fd00::2:547 to the client's address and port. Like libslirp: no Server Identifier, and other
// message types (Solicit, Request, …) are ignored. Options are walked with bounds; a truncated
// option drops the message (counted as malformed). --disable-dns: no DNS option.

#include "slirpnet/stack/stack.h"

#include <netinet/in.h>

namespace slirp::dhcp6 {

namespace {
// clang-format off
constexpr uint8_t  msg_reply = 7, msg_info_request = 11;
constexpr uint16_t opt_client_id = 1, opt_oro = 6, opt_dns_servers = 23;
constexpr size_t   max_client_id = 130; ///< RFC 8415 §11.1: a DUID is at most 128 octets + type
// clang-format on

uint16_t get16(std::span<const std::byte> b, size_t i) noexcept {
    return static_cast<uint16_t>((uint16_t(b[i]) << 8) | uint16_t(b[i + 1]));
}
} // namespace

void input(Stack& st, const IpInfo& ip, uint16_t sport, PacketView p) noexcept {
    auto m = p.rest();
    if (m.size() < 4) {
        ++st.cnt.malformed;
        return;
    }
    if (static_cast<uint8_t>(m[0]) != msg_info_request) {
        ++st.cnt.unsupported;
        return;
    }
    std::span<const std::byte> client_id;
    bool want_dns = false;
    for (size_t i = 4; i < m.size();) {
        if (m.size() - i < 4) {
            ++st.cnt.malformed;
            return;
        }
        uint16_t code = get16(m, i), len = get16(m, i + 2);
        if (m.size() - i - 4 < len) {
            ++st.cnt.malformed;
            return;
        }
        auto val = m.subspan(i + 4, len);
        if (code == opt_client_id && len <= max_client_id)
            client_id = val;
        if (code == opt_oro)
            for (size_t k = 0; k + 1 < val.size(); k += 2)
                want_dns = want_dns || get16(val, k) == opt_dns_servers;
        i += 4 + size_t{len};
    }
    FrameBuf& f = st.out;
    f.reset();
    f.append(m.first(4)); // type, then the transaction id
    f.mutable_data()[0] = std::byte{msg_reply};
    auto put16 = [&f](uint16_t v) { f.append_struct(Be16::from_host(v)); };
    if (!client_id.empty()) {
        put16(opt_client_id);
        put16(static_cast<uint16_t>(client_id.size()));
        f.append(client_id);
    }
    if (want_dns && !st.cfg.disable_dns) {
        put16(opt_dns_servers);
        put16(16);
        f.append(std::as_bytes(std::span<const uint8_t>(st.cfg.dns6.b.data(), 16)));
    }
    udp::send_built(st, st.cfg.gw6, 547, ip.src, sport);
}

} // namespace slirp::dhcp6
