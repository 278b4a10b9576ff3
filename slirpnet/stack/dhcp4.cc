// SPDX-License-Identifier: Apache-2.0
// dhcp4.cc — the DHCPv4 server: 16 leases from +15, one day, router and DNS options
//
// Theory of operation: a stateless-looking server with a tiny lease table, like libslirp's
// bootp.c: DISCOVER gets an OFFER of the client's existing lease or the first free slot of the
// pool (+15 … +30); REQUEST gets an ACK for the address it asks for if that is the client's
// lease (or a free pool address), else a NAK. Lease time is 86400 s. Options sent: message
// type, server id (gateway), lease time, subnet mask, router (gateway), DNS (unless
// --disable-dns). Replies go from gateway:67 to 255.255.255.255:68 on the client's MAC.
// No relay agents, no RELEASE/DECLINE bookkeeping, no static leases. RFC 2131, RFC 2132.

#include "slirpnet/stack/stack.h"

#include <cstring>

namespace slirp::dhcp4 {

namespace {

// clang-format off
constexpr uint32_t dhcp_magic      = 0x63825363; ///< RFC 2131 §3
constexpr uint32_t dhcp_lease_secs = 86400;      ///< libslirp's LEASE_TIME
constexpr size_t   dhcp_pool_size  = 16;         ///< libslirp's NB_BOOTP_CLIENTS
constexpr size_t   bootp_min_len   = 300;        ///< RFC 951 minimum message size
enum : uint8_t { discover = 1, offer = 2, request = 3, ack = 5, nak = 6 };
enum : uint8_t { opt_pad = 0, opt_mask = 1, opt_router = 3, opt_dns = 6, opt_req_ip = 50,
                 opt_lease = 51, opt_type = 53, opt_server = 54, opt_end = 255 };
// clang-format on

struct Parsed {
    uint8_t type = 0;
    uint32_t req_ip = 0;
};

Parsed parse_options(std::span<const std::byte> o) noexcept {
    Parsed r;
    size_t i = 0;
    while (i < o.size()) {
        uint8_t code = static_cast<uint8_t>(o[i]);
        if (code == opt_end)
            break;
        if (code == opt_pad) {
            ++i;
            continue;
        }
        if (i + 1 >= o.size())
            break;
        size_t len = static_cast<uint8_t>(o[i + 1]);
        if (i + 2 + len > o.size())
            break;
        auto v = o.subspan(i + 2, len);
        if (code == opt_type && len == 1)
            r.type = static_cast<uint8_t>(v[0]);
        if (code == opt_req_ip && len == 4)
            r.req_ip = (uint32_t{static_cast<uint8_t>(v[0])} << 24) |
                       (uint32_t{static_cast<uint8_t>(v[1])} << 16) |
                       (uint32_t{static_cast<uint8_t>(v[2])} << 8) | static_cast<uint8_t>(v[3]);
        i += 2 + len;
    }
    return r;
}

uint8_t* slot_mac(Stack& st, size_t i) noexcept {
    return st.dhcp_leases.data() + i * 6;
}

/// The pool slot leased to `mac`, else a free one (claimed); -1 when the pool is full.
int lease_for(Stack& st, const uint8_t* mac, bool claim) noexcept {
    static constexpr uint8_t zero[6] = {};
    for (size_t i = 0; i < dhcp_pool_size; ++i)
        if (std::memcmp(slot_mac(st, i), mac, 6) == 0)
            return static_cast<int>(i);
    for (size_t i = 0; i < dhcp_pool_size; ++i)
        if (std::memcmp(slot_mac(st, i), zero, 6) == 0) {
            if (claim)
                std::memcpy(slot_mac(st, i), mac, 6);
            return static_cast<int>(i);
        }
    return -1;
}

void put_opt(FrameBuf& f, uint8_t code, uint32_t v) noexcept {
    std::byte b[6] = {std::byte{code},    std::byte{4},      std::byte(v >> 24),
                      std::byte(v >> 16), std::byte(v >> 8), std::byte(v)};
    f.append(b);
}

} // namespace

void input(Stack& st, PacketView p) noexcept {
    auto req = p.pull<DhcpHeader>();
    if (!req || req->op != 1 || req->htype != 1 || req->hlen != 6 ||
        req->magic.host() != dhcp_magic) {
        ++st.cnt.malformed;
        return;
    }
    Parsed o = parse_options(p.rest());
    uint8_t reply_type;
    int slot = -1;
    if (o.type == discover) {
        slot = lease_for(st, req->chaddr, true);
        reply_type = offer;
    } else if (o.type == request) {
        uint32_t want = o.req_ip != 0 ? o.req_ip : req->ciaddr.host();
        slot = lease_for(st, req->chaddr, true);
        reply_type = ack;
        if (slot < 0 || (want != 0 && want != st.cfg.dhcp_start + static_cast<uint32_t>(slot)))
            reply_type = nak;
    } else {
        return; // RELEASE, DECLINE, INFORM: nothing to do
    }
    if (slot < 0 && reply_type != nak)
        return; // pool exhausted: stay silent, the client retries
    FrameBuf& f = st.out;
    f.reset();
    DhcpHeader r{};
    r.op = 2;
    r.htype = 1;
    r.hlen = 6;
    r.xid = req->xid;
    r.flags = req->flags;
    std::memcpy(r.chaddr, req->chaddr, sizeof(r.chaddr));
    if (reply_type != nak) {
        r.yiaddr = Be32::from_host(st.cfg.dhcp_start + static_cast<uint32_t>(slot));
        r.siaddr = Be32::from_host(st.cfg.gw);
    }
    r.magic = Be32::from_host(dhcp_magic);
    f.append_struct(r);
    std::byte type_opt[3] = {std::byte{opt_type}, std::byte{1}, std::byte{reply_type}};
    f.append(type_opt);
    put_opt(f, opt_server, st.cfg.gw);
    if (reply_type != nak) {
        put_opt(f, opt_lease, dhcp_lease_secs);
        put_opt(f, opt_mask, st.cfg.mask());
        put_opt(f, opt_router, st.cfg.gw);
        if (!st.cfg.disable_dns)
            put_opt(f, opt_dns, st.cfg.dns);
    }
    std::byte end[1] = {std::byte{opt_end}};
    f.append(end);
    static constexpr std::byte zeros[bootp_min_len] = {};
    if (f.size() < bootp_min_len)
        f.append(std::span(zeros, bootp_min_len - f.size()));
    std::memcpy(st.guest_mac.data(), req->chaddr, 6);
    st.guest_mac_known = true;
    udp::send_built(st, Addr::of4(st.cfg.gw), 67, Addr::of4(INADDR_BROADCAST), 68);
}

} // namespace slirp::dhcp4
