// SPDX-License-Identifier: Apache-2.0
// slirp_guest.h — the in-memory harness of the slirpnet fuzzers: a Stack whose frames go to a
// capturing sink (the way tests/unit/slirpnet drives it), a fake host (a loopback TCP listener
// and a UDP socket the gateway address maps to), and an oracle over every frame sent to the guest
#pragma once

#include "tests/unit/slirpnet/frames.h"

#include "slirpnet/stack/checksum.h"
#include "slirpnet/stack/stack.h"

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

namespace fuzz {

using slirp::test::Bytes;

/// Aborts (a crash libFuzzer reports with the input) when `ok` is false.
inline void check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "fuzz oracle: %s\n", what);
        std::abort();
    }
}

/// Checks one frame the stack sent to the guest: IPv4 header checksum, and the L4 checksum
/// unless `partial` (offload: the guest completes it).
inline void check_frame(std::span<const std::byte> f, bool partial) {
    check(f.size() >= sizeof(slirp::EthHeader), "runt frame to the guest");
    slirp::PacketView p(f);
    auto e = p.pull<slirp::EthHeader>();
    if (e->type.host() != ETHERTYPE_IP)
        return;
    auto rest = p.rest();
    check(rest.size() >= 20, "truncated IPv4 header to the guest");
    size_t ihl = size_t{static_cast<uint8_t>(rest[0]) & 0x0fu} * 4;
    check(ihl >= 20 && ihl <= rest.size(), "bad IHL to the guest");
    check(slirp::csum::finish(rest.first(ihl)) == 0, "bad IPv4 header checksum to the guest");
    size_t total = (size_t{static_cast<uint8_t>(rest[2])} << 8) | static_cast<uint8_t>(rest[3]);
    check(total >= ihl && total <= rest.size(), "IPv4 total length beyond the frame");
    if (partial)
        return;
    uint8_t proto = static_cast<uint8_t>(rest[9]);
    uint32_t src = 0, dst = 0;
    std::memcpy(&src, rest.data() + 12, 4);
    std::memcpy(&dst, rest.data() + 16, 4);
    auto l4 = rest.subspan(ihl, total - ihl);
    if (proto == IPPROTO_TCP || (proto == IPPROTO_UDP && l4.size() >= 8 &&
                                 (l4[6] != std::byte{0} || l4[7] != std::byte{0}))) {
        check(slirp::csum::finish(
                  l4, slirp::csum::pseudo4(ntohl(src), ntohl(dst), proto, l4.size())) == 0,
              "bad TCP/UDP checksum to the guest");
    } else if (proto == IPPROTO_ICMP) {
        check(slirp::csum::finish(l4) == 0, "bad ICMP checksum to the guest");
    }
}

/// The guest end of the tap: collects frames, optionally as an IFF_VNET_HDR tap (offload).
struct GuestSink : slirp::FrameSink {
    bool vnet = false;
    std::vector<Bytes> frames; ///< complete frames (super-frames already segmented)
    void send(std::span<const std::byte> f) noexcept override {
        check_frame(f, false);
        frames.emplace_back(f.begin(), f.end());
    }
    bool offload() const noexcept override { return vnet; }
    void send_vnet(std::span<const std::byte> f, const slirp::VirtioNetHdr& h) noexcept override {
        check_frame(f, (h.flags & slirp::vnet_needs_csum) != 0);
        if (h.flags == 0 && h.gso_type == slirp::vnet_gso_none) {
            send(f);
            return;
        }
        // What the guest kernel does with it: complete the checksum, split the super-frame.
        check(slirp::vnet::segment(f, h, *this), "the stack's own offload frame is unusable");
    }
};

/// The host side: what the gateway address (127.0.0.1 on the host) answers with.
struct FakeHost {
    common::UniqueFd tcp_listen{socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)};
    common::UniqueFd udp{socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)};
    uint16_t tcp_port = 0;
    uint16_t udp_port = 0;
    std::vector<common::UniqueFd> peers; ///< accepted connections of the current input
    sockaddr_in udp_peer{};              ///< last datagram's sender
    bool udp_peer_known = false;

    FakeHost() {
        tcp_port = slirp::test::bind_loopback(tcp_listen.get());
        udp_port = slirp::test::bind_loopback(udp.get());
        check(tcp_port != 0 && udp_port != 0 && listen(tcp_listen.get(), 64) == 0,
              "fake host sockets");
    }
    void accept_all() {
        for (;;) {
            int fd = accept4(tcp_listen.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
            if (fd < 0)
                return;
            if (peers.size() >= 16) { // keep a bounded set; the rest are refused
                close(fd);
                continue;
            }
            peers.emplace_back(fd);
        }
    }
    /// Reads (and discards) whatever arrived; remembers the last UDP sender.
    void drain() {
        char buf[65536];
        for (auto& p : peers)
            while (p && recv(p.get(), buf, sizeof buf, MSG_DONTWAIT) > 0) {
            }
        for (;;) {
            sockaddr_in from{};
            socklen_t l = sizeof from;
            if (recvfrom(udp.get(), buf, sizeof buf, MSG_DONTWAIT,
                         reinterpret_cast<sockaddr*>(&from), &l) < 0)
                break;
            udp_peer = from;
            udp_peer_known = true;
        }
    }
    /// Ends the current input: every connection and datagram goes.
    void reset() {
        accept_all();
        peers.clear();
        drain();
        udp_peer_known = false;
    }
};

/// A fresh Stack per input, on the default 10.0.2.0/24 plan; DNS goes to the fake host's UDP
/// socket, resolv.conf is never read.
struct Harness {
    GuestSink sink;
    std::unique_ptr<slirp::Stack> st;
    uint64_t clock_offset = 0; ///< fake time added to the monotonic clock (timers, expiry)

    Harness(FakeHost& host, uint8_t cfg_bits) {
        slirp::Config c = (cfg_bits & 0x10) ? slirp::Config::from_cidr(0xc0a80000, 16)
                                            : slirp::Config::from_cidr(0x0a000200, 24);
        c.resolv_conf = nullptr;
        c.dns_server = 0x7f000001;
        c.dns_server_port = host.udp_port;
        c.disable_host_loopback = (cfg_bits & 0x02) != 0;
        c.disable_dns = (cfg_bits & 0x04) != 0;
        static constexpr unsigned mtus[4] = {1500, 576, 9000, 65520};
        c.mtu = mtus[(cfg_bits >> 5) & 3];
        sink.vnet = (cfg_bits & 0x01) != 0;
        st = std::make_unique<slirp::Stack>(c, sink);
        st->now_ms = slirp::monotonic_ms();
    }
    /// Lets the stack handle every host-socket event that is ready now.
    void poll() {
        for (int i = 0; i < 8 && slirp::poll_once(*st, 0) > 0; ++i)
            st->now_ms += clock_offset;
        st->now_ms = slirp::monotonic_ms() + clock_offset;
    }
    /// Moves time on by `ms` and runs the periodic work.
    void tick(uint64_t ms) {
        clock_offset += ms;
        st->now_ms = slirp::monotonic_ms() + clock_offset;
        slirp::timer_tick(*st);
    }
};

} // namespace fuzz
