// SPDX-License-Identifier: Apache-2.0
// vnet_test.cc — virtio_net_hdr offload: checksum completion, partial checksums from the guest,
// software GSO of super-frames, TCP super-frames toward an offloading sink, the fast checksum
#include "frames.h"

#include <arpa/inet.h>
#include <catch2/catch.hpp>
#include <poll.h>
#include <random>
#include <sys/socket.h>
#include <unistd.h>

using namespace slirp;
using namespace slirp::test;

namespace {

constexpr uint32_t gw = 0x0a000202;

/// The byte-at-a-time RFC 1071 sum the fast one must equal.
uint32_t ref_sum(std::span<const std::byte> d, uint32_t acc) {
    uint64_t s = acc;
    for (size_t i = 0; i < d.size(); i += 2) {
        uint32_t hi = static_cast<uint32_t>(d[i]) << 8;
        uint32_t lo = i + 1 < d.size() ? static_cast<uint32_t>(d[i + 1]) : 0;
        s += hi | lo;
    }
    return csum::fold(static_cast<uint32_t>((s & 0xffffffff) + (s >> 32)));
}

/// A guest TCP segment (Ethernet frame); `partial` leaves the checksum as the guest's kernel
/// does with offload on: the folded pseudo-header sum.
Bytes tcp_frame(uint32_t dst, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
                uint8_t flags, const Bytes& data, bool partial, uint16_t id = 1) {
    Bytes b = tcp_seg_any(Addr::of4(guest_ip), Addr::of4(dst), sport, dport, seq, ack, flags, data);
    if (partial) {
        Be16 c = Be16::from_host(csum::fold(csum::pseudo4(guest_ip, dst, IPPROTO_TCP, b.size())));
        std::memcpy(b.data() + 16, &c, 2);
    }
    Bytes f = ipv4_frame(guest_ip, dst, IPPROTO_TCP, b);
    Be16 idb = Be16::from_host(id);
    std::memcpy(f.data() + 14 + 4, &idb, 2);
    // the ID changed: redo the IP header checksum
    std::memset(f.data() + 14 + 10, 0, 2);
    Be16 ipc = Be16::from_host(csum::finish(std::span(f).subspan(14, 20)));
    std::memcpy(f.data() + 14 + 10, &ipc, 2);
    return f;
}

Bytes with_vnet(const VirtioNetHdr& h, const Bytes& frame) {
    Bytes b;
    put(b, h);
    b.insert(b.end(), frame.begin(), frame.end());
    return b;
}

VirtioNetHdr partial_tcp() {
    VirtioNetHdr h{};
    h.flags = vnet_needs_csum;
    h.csum_start = 34;
    h.csum_offset = 16;
    return h;
}

Bytes pattern(size_t n) {
    Bytes b(n);
    for (size_t i = 0; i < n; ++i)
        b[i] = static_cast<std::byte>((i * 7 + i / 251) & 0xff);
    return b;
}

/// Checks a plain frame to the guest: IPv4 + TCP with correct checksums; returns the TCP header.
TcpHeader check_tcp(const Bytes& f, Bytes* payload = nullptr) {
    auto p = parse_ip(f);
    REQUIRE(p);
    REQUIRE(p->ip.proto == IPPROTO_TCP);
    CHECK(csum::finish(std::span(f).subspan(14, 20)) == 0);
    CHECK(p->ip.total_len.host() + 14u == f.size());
    CHECK(csum::finish(p->l4.rest(), csum::pseudo4(p->ip.src.host(), p->ip.dst.host(), IPPROTO_TCP,
                                                   p->l4.remaining())) == 0);
    auto h = p->l4.peek<TcpHeader>();
    REQUIRE(h);
    if (payload != nullptr) {
        auto rest = p->l4.rest().subspan(size_t{static_cast<uint8_t>(h->off >> 4)} * 4);
        payload->insert(payload->end(), rest.begin(), rest.end());
    }
    return *h;
}

} // namespace

TEST_CASE("csum::sum16 equals the byte-wise RFC 1071 sum at every length and alignment") {
    std::mt19937 rng(42);
    Bytes buf(3000);
    for (auto& b : buf)
        b = static_cast<std::byte>(rng());
    for (size_t start : {0u, 1u, 2u, 3u, 5u}) {
        for (size_t len : {0u, 1u, 2u, 3u, 4u, 7u, 31u, 32u, 33u, 63u, 64u, 65u, 1499u, 2990u}) {
            auto s = std::span(buf).subspan(start, len);
            for (uint32_t acc : {0u, 0x1234u, 0xfffffu, 0xfffffff0u}) {
                INFO("start " << start << " len " << len << " acc " << acc);
                CHECK(csum::fold(csum::sum16(s, acc)) == ref_sum(s, acc));
            }
        }
    }
}

TEST_CASE("vnet::complete_csum fills in a partial UDP checksum") {
    Bytes payload = bytes_of("hello, partial checksum!");
    Bytes l4 = udp_seg(guest_ip, gw, 5000, 53, payload);
    Bytes full = ipv4_frame(guest_ip, gw, IPPROTO_UDP, l4);
    Bytes part = full;
    Be16 ps = Be16::from_host(csum::fold(csum::pseudo4(guest_ip, gw, IPPROTO_UDP, l4.size())));
    std::memcpy(part.data() + 34 + 6, &ps, 2);
    REQUIRE(part != full);
    VirtioNetHdr h{};
    h.flags = vnet_needs_csum;
    h.csum_start = 34;
    h.csum_offset = 6;
    REQUIRE(vnet::complete_csum(part, h));
    CHECK(part == full);

    h.csum_offset = static_cast<uint16_t>(part.size()); // field beyond the frame
    CHECK_FALSE(vnet::complete_csum(part, h));
}

TEST_CASE("vnet::input: a partial TCP checksum is trusted, a bad plain one is not") {
    int srv = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    uint16_t port = bind_loopback(srv);
    REQUIRE(port != 0);
    REQUIRE(listen(srv, 4) == 0);
    TestStack t;
    // Without NEEDS_CSUM the partial sum is a bad checksum: dropped as malformed.
    Bytes syn = tcp_frame(gw, 40000, port, 1000, 0, tcp_syn, {}, true);
    t.st.cnt = Counters{};
    Bytes plain = with_vnet(VirtioNetHdr{}, syn);
    vnet::input(t.st, plain);
    CHECK(t.st.cnt.malformed == 1);
    CHECK(tcp::active(t.st) == 0);
    // With it, the SYN opens a connection.
    Bytes b = with_vnet(partial_tcp(), syn);
    vnet::input(t.st, b);
    CHECK(t.st.cnt.malformed == 1);
    CHECK(tcp::active(t.st) == 1);
    CHECK_FALSE(t.st.rx_csum_trusted); // only for the frame being handled
    // A header shorter than virtio_net_hdr is malformed.
    Bytes tiny(4);
    vnet::input(t.st, tiny);
    CHECK(t.st.cnt.malformed == 2);
    close(srv);
}

TEST_CASE("vnet::input completes a partial UDP checksum before the UDP handler sees it") {
    int srv = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    uint16_t port = bind_loopback(srv);
    REQUIRE(port != 0);
    TestStack t;
    Bytes payload = bytes_of("ping");
    Bytes l4 = udp_seg(guest_ip, gw, 5000, port, payload);
    Be16 ps = Be16::from_host(csum::fold(csum::pseudo4(guest_ip, gw, IPPROTO_UDP, l4.size())));
    std::memcpy(l4.data() + 6, &ps, 2);
    VirtioNetHdr h{};
    h.flags = vnet_needs_csum;
    h.csum_start = 34;
    h.csum_offset = 6;
    Bytes b = with_vnet(h, ipv4_frame(guest_ip, gw, IPPROTO_UDP, l4));
    vnet::input(t.st, b);
    CHECK(t.st.cnt.malformed == 0);
    pollfd p{srv, POLLIN, 0};
    REQUIRE(poll(&p, 1, 2000) == 1);
    char got[16];
    CHECK(recv(srv, got, sizeof(got), 0) == 4);
    CHECK(std::string_view(got, 4) == "ping");
    close(srv);
}

TEST_CASE("vnet::segment cuts a TCPv4 super-frame into MSS frames with full checksums") {
    Bytes data = pattern(3500);
    Bytes f = tcp_frame(gw, 40000, 80, 5000, 77, tcp_ack | tcp_psh | tcp_fin, data, true, 100);
    VirtioNetHdr h = partial_tcp();
    h.gso_type = vnet_gso_tcpv4;
    h.gso_size = 1000;
    h.hdr_len = 54;
    CaptureSink out;
    REQUIRE(vnet::segment(f, h, out));
    REQUIRE(out.frames.size() == 4);
    Bytes joined;
    for (size_t i = 0; i < 4; ++i) {
        INFO("segment " << i);
        TcpHeader th = check_tcp(out.frames[i], &joined);
        CHECK(th.seq.host() == 5000 + 1000 * i);
        CHECK(th.ack.host() == 77);
        uint8_t want = i == 3 ? (tcp_ack | tcp_psh | tcp_fin) : tcp_ack;
        CHECK(th.flags == want);
        auto p = parse_ip(out.frames[i]);
        CHECK(p->ip.id.host() == 100 + i);
        CHECK(out.frames[i].size() == 54 + (i == 3 ? 500u : 1000u));
    }
    CHECK(joined == data);

    // Not GSO, partial checksum: completed, one frame.
    CaptureSink one;
    REQUIRE(
        vnet::segment(tcp_frame(gw, 1, 2, 3, 4, tcp_ack, pattern(99), true), partial_tcp(), one));
    REQUIRE(one.frames.size() == 1);
    check_tcp(one.frames[0]);
    // Unknown GSO types and truncated frames are refused.
    VirtioNetHdr bad = h;
    bad.gso_type = vnet_gso_udp;
    CHECK_FALSE(vnet::segment(f, bad, one));
    CHECK_FALSE(vnet::segment(std::span(f).first(40), h, one));
}

TEST_CASE("TCP toward an offloading sink: partial checksums and GSO super-frames") {
    int srv = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    uint16_t port = bind_loopback(srv);
    REQUIRE(port != 0);
    REQUIRE(listen(srv, 4) == 0);
    OffloadSink sink;
    Config cfg = Config::from_cidr(0x0a000200, 24);
    cfg.resolv_conf = nullptr;
    Stack st(cfg, sink);
    // SYN with MSS 1000 and window scaling 7
    Bytes opts{std::byte{2}, std::byte{4}, std::byte{0x03}, std::byte{0xe8},
               std::byte{1}, std::byte{3}, std::byte{3},    std::byte{7}};
    ether::input(st, ipv4_frame(guest_ip, gw, IPPROTO_TCP,
                                tcp_seg_any(Addr::of4(guest_ip), Addr::of4(gw), 40001, port, 1000,
                                            0, tcp_syn, {}, 65535, opts)));
    for (int i = 0; i < 40 && sink.frames.empty(); ++i)
        poll_once(st, 50);
    REQUIRE(sink.frames.size() == 1);
    CHECK(sink.frames[0].first.flags == 0); // control segments: full checksum, no metadata
    TcpHeader synack = check_tcp(sink.frames[0].second);
    REQUIRE(synack.flags == (tcp_syn | tcp_ack));
    uint32_t next = synack.seq.host() + 1;
    sink.frames.clear();
    // ACK with a 256 KiB window (65535 << 7 would do too; 2048 << 7 keeps it exact)
    Bytes ack = tcp_frame(gw, 40001, port, 1001, next, tcp_ack, {}, false);
    Be16 w = Be16::from_host(2048);
    std::memcpy(ack.data() + 34 + 14, &w, 2);
    std::memset(ack.data() + 34 + 16, 0, 2);
    Be16 c = Be16::from_host(
        csum::finish(std::span(ack).subspan(34), csum::pseudo4(guest_ip, gw, IPPROTO_TCP, 20)));
    std::memcpy(ack.data() + 34 + 16, &c, 2);
    ether::input(st, ack);
    pollfd p{srv, POLLIN, 0};
    REQUIRE(poll(&p, 1, 2000) == 1);
    int peer = accept4(srv, nullptr, nullptr, SOCK_CLOEXEC);
    REQUIRE(peer >= 0);

    Bytes data = pattern(100'000);
    REQUIRE(send(peer, data.data(), data.size(), 0) == static_cast<ssize_t>(data.size()));
    Bytes got;
    std::vector<Bytes> segs;
    for (int i = 0; i < 40 && got.size() < data.size(); ++i) {
        poll_once(st, 50);
        for (auto& [h, f] : sink.frames) {
            REQUIRE(h.flags == vnet_needs_csum);
            CHECK(h.csum_start == 34);
            CHECK(h.csum_offset == 16);
            auto ip = parse_ip(f);
            REQUIRE(ip);
            size_t payload = ip->ip.total_len.host() - 40u;
            CHECK(payload <= 65495);
            if (payload > 1000) {
                CHECK(h.gso_type == vnet_gso_tcpv4);
                CHECK(h.gso_size == 1000);
                CHECK(h.hdr_len == 54);
            } else {
                CHECK(h.gso_type == vnet_gso_none);
            }
            CaptureSink cut;
            REQUIRE(vnet::segment(f, h, cut));
            for (const Bytes& s : cut.frames) {
                check_tcp(s, &got);
                segs.push_back(s);
            }
        }
        sink.frames.clear();
    }
    CHECK(got.size() == data.size());
    CHECK(got == data);
    CHECK(segs.size() == 100); // 100 segments of 1000 bytes, however they were grouped
    close(peer);
    close(srv);
}
