// SPDX-License-Identifier: Apache-2.0
// slirp_frames.cc — slirpnet end to end: guest frames (plain or behind a virtio_net_hdr)
// through Ethernet, ARP, IPv4, ICMP, UDP, DHCP, DNS and TCP, interleaved with what a host peer
// does, against a fresh Stack per input.
//
// Entry points: slirp::ether::input, slirp::vnet::input, slirp::poll_once, slirp::timer_tick,
// slirp::api_handle (add_hostfwd, for connections and datagrams the host starts).
//
// Input: one config byte (bit 0 vnet tap, 1 no host loopback, 2 no DNS, 4 /16 plan, 5-6 MTU),
// then records of [op][len][len bytes]. Besides raw frames, ops build well-formed TCP segments
// with sequence numbers tracked from what the stack sent, so that multi-segment exchanges reach
// ESTABLISHED and the data, window and close paths.
#include "common/error.h"
#include "fuzz/isolate.h"
#include "fuzz/slirp_guest.h"
#include "slirpnet/api.h"

#include <cstddef>
#include <cstdint>

using namespace slirp;
using namespace slirp::test;

namespace {

fuzz::FakeHost* host = nullptr;

enum Op : uint8_t {
    op_frame,      ///< a raw Ethernet frame
    op_vnet,       ///< a virtio_net_hdr + frame, as an IFF_VNET_HDR tap reads it
    op_poll,       ///< host-socket events
    op_tick,       ///< time passes (byte: 100 ms units)
    op_tcp,        ///< a TCP segment with tracked sequence numbers
    op_udp,        ///< a UDP datagram with a correct checksum
    op_icmp,       ///< an ICMP echo request
    op_host_write, ///< a host peer sends the payload
    op_host_close, ///< a host peer closes (byte 0 bit 0: with RST)
    op_host_udp,   ///< the fake host answers the last UDP sender
    op_fwd,        ///< a host forward: add it, connect to it, or send a datagram to it
    op_count
};

constexpr size_t n_conns = 4;

struct Conn {
    uint32_t seq = 0;  ///< guest's next sequence number
    uint32_t rcv = 0;  ///< next sequence number expected from the stack
    uint16_t peer = 0; ///< the stack's port in its last segment (a forward's SYN comes from one)
    uint32_t peer_addr = 0;
};

struct Run {
    fuzz::Harness h;
    Conn conns[n_conns];
    const Config& cfg() const { return h.st->cfg; }

    explicit Run(uint8_t cfg_bits) : h(*host, cfg_bits) {
        for (size_t i = 0; i < n_conns; ++i)
            conns[i].seq = 1000 + static_cast<uint32_t>(i) * 0x1000000u;
    }

    /// Learns the stack's sequence numbers from what it sent; drops the frames.
    void observe() {
        for (const Bytes& f : h.sink.frames) {
            auto p = parse_ip(f);
            if (!p || p->ip.proto != IPPROTO_TCP)
                continue;
            auto t = p->l4.pull<TcpHeader>();
            if (!t)
                continue;
            uint16_t dport = t->dport.host();
            if (dport < 40000 || dport >= 40000 + n_conns)
                continue;
            size_t off = size_t{static_cast<uint8_t>(t->off >> 4)} * 4;
            size_t len = p->l4.remaining() + sizeof(TcpHeader) >= off
                             ? p->l4.remaining() + sizeof(TcpHeader) - off
                             : 0;
            uint32_t end = t->seq.host() + static_cast<uint32_t>(len) +
                           ((t->flags & (tcp_syn | tcp_fin)) ? 1u : 0u);
            conns[dport - 40000].rcv = end;
            conns[dport - 40000].peer = t->sport.host();
            conns[dport - 40000].peer_addr = p->ip.src.host();
        }
        h.sink.frames.clear();
        host->drain();
    }

    void frame(std::span<const std::byte> d) { ether::input(*h.st, d); }

    void vnet_frame(std::span<const std::byte> d) {
        Bytes b(d.begin(), d.end()); // vnet::input completes checksums in place
        vnet::input(*h.st, b);
    }

    /// [flags][sel][win:2][seqd][ackd][optlen] opts payload
    void tcp(std::span<const std::byte> d) {
        if (d.size() < 7)
            return;
        auto u8 = [&](size_t i) { return static_cast<uint8_t>(d[i]); };
        uint8_t flags = u8(0), sel = u8(1);
        Conn& c = conns[sel & 3];
        uint32_t dst = (sel & 0x20) ? cfg().dns : cfg().gw;
        uint16_t dport = (sel & 0x04) ? static_cast<uint16_t>(host->tcp_port + 1) // closed
                                      : host->tcp_port;
        if (sel & 0x40)
            dport = 53;
        if ((sel & 0x10) && c.peer != 0) { // answer the stack's own SYN (a host forward)
            dport = c.peer;
            dst = c.peer_addr;
        }
        uint32_t seq = c.seq + static_cast<uint32_t>(static_cast<int8_t>(u8(4)));
        uint32_t ack = c.rcv + static_cast<uint32_t>(static_cast<int8_t>(u8(5)));
        if (sel & 0x08) // an out-of-window sequence number
            seq += 0x40000000u;
        size_t optlen = std::min<size_t>(u8(6) & 0x3f, 40);
        optlen = std::min(optlen, d.size() - 7);
        Bytes opts(d.begin() + 7, d.begin() + 7 + static_cast<long>(optlen));
        while (opts.size() % 4 != 0)
            opts.push_back(std::byte{1}); // NOP
        Bytes payload(d.begin() + 7 + static_cast<long>(optlen), d.end());

        TcpHeader t{};
        t.sport = Be16::from_host(static_cast<uint16_t>(40000 + (sel & 3)));
        t.dport = Be16::from_host(dport);
        t.seq = Be32::from_host(seq);
        t.ack = Be32::from_host(ack);
        t.off = static_cast<uint8_t>(((20 + opts.size()) / 4) << 4);
        t.flags = flags;
        t.win = Be16::from_host(static_cast<uint16_t>((u8(2) << 8) | u8(3)));
        Bytes b;
        put(b, t);
        b.insert(b.end(), opts.begin(), opts.end());
        b.insert(b.end(), payload.begin(), payload.end());
        Be16 cs = Be16::from_host(
            csum::finish(b, csum::pseudo4(cfg().guest, dst, IPPROTO_TCP, b.size())));
        std::memcpy(b.data() + 16, &cs, 2);
        Bytes f = ipv4_frame(cfg().guest, dst, IPPROTO_TCP, b);
        if (h.sink.vnet && (sel & 0x80)) { // as a vnet tap hands it over: checksum left partial
            VirtioNetHdr vh{};
            vh.flags = vnet_needs_csum;
            vh.csum_start = 14 + 20;
            vh.csum_offset = 16;
            Bytes v(sizeof vh);
            std::memcpy(v.data(), &vh, sizeof vh);
            v.insert(v.end(), f.begin(), f.end());
            vnet::input(*h.st, v);
        } else {
            frame(f);
        }
        if ((sel & 0x0c) == 0 && seq == c.seq)
            c.seq +=
                static_cast<uint32_t>(payload.size()) + ((flags & (tcp_syn | tcp_fin)) ? 1u : 0u);
    }

    /// [sel][sport:2][dport:2] payload
    void udp(std::span<const std::byte> d) {
        if (d.size() < 5)
            return;
        uint8_t sel = static_cast<uint8_t>(d[0]);
        uint16_t sport =
            static_cast<uint16_t>((static_cast<uint8_t>(d[1]) << 8) | static_cast<uint8_t>(d[2]));
        uint16_t dport =
            static_cast<uint16_t>((static_cast<uint8_t>(d[3]) << 8) | static_cast<uint8_t>(d[4]));
        uint32_t src = cfg().guest, dst = cfg().gw;
        switch (sel & 3) {
        case 0:
            dport = host->udp_port;
            break; // the fake host
        case 1:
            dst = cfg().dns;
            dport = 53;
            break; // DNS
        case 2:
            src = 0;
            dst = 0xffffffff;
            sport = 68;
            dport = 67;
            break; // DHCP
        default:
            break; // as given, to the gateway
        }
        Bytes payload(d.begin() + 5, d.end());
        frame(ipv4_frame(src, dst, IPPROTO_UDP, udp_seg(src, dst, sport, dport, payload)));
    }

    /// [id:2] payload
    void icmp(std::span<const std::byte> d) {
        if (d.size() < 2)
            return;
        uint16_t id =
            static_cast<uint16_t>((static_cast<uint8_t>(d[0]) << 8) | static_cast<uint8_t>(d[1]));
        Bytes payload(d.begin() + 2, d.end());
        frame(ipv4_frame(cfg().guest, cfg().gw, IPPROTO_ICMP, icmp_echo(id, 1, payload)));
    }

    void host_write(std::span<const std::byte> d) {
        host->accept_all();
        if (d.empty() || host->peers.empty())
            return;
        auto& p = host->peers[static_cast<uint8_t>(d[0]) % host->peers.size()];
        if (p)
            (void)send(p.get(), d.data() + 1, d.size() - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
    }

    void host_close(std::span<const std::byte> d) {
        host->accept_all();
        if (d.empty() || host->peers.empty())
            return;
        uint8_t b = static_cast<uint8_t>(d[0]);
        auto& p = host->peers[(b >> 2) % host->peers.size()];
        if (!p)
            return;
        if (b & 1) { // RST
            linger l{1, 0};
            setsockopt(p.get(), SOL_SOCKET, SO_LINGER, &l, sizeof l);
            p.reset();
        } else if (b & 2) {
            shutdown(p.get(), SHUT_WR);
        } else {
            p.reset();
        }
    }

    /// [action][idx] payload: 0 add a TCP forward 127.0.0.1:(20000+idx) → guest:(40000+idx),
    /// 1 the same for UDP, 2 connect to the TCP forward, 3 send payload to the UDP forward,
    /// 4 remove a forward by id idx.
    void fwd(std::span<const std::byte> d) {
        if (d.size() < 2)
            return;
        uint8_t action = static_cast<uint8_t>(d[0]) % 5;
        unsigned idx = static_cast<uint8_t>(d[1]) % n_conns;
        uint16_t hport = static_cast<uint16_t>(20000 + idx);
        if (action <= 1) {
            std::string req = common::strprintf(
                "{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"%s\",\"host_addr\":"
                "\"127.0.0.1\",\"host_port\":%u,\"guest_port\":%u}}",
                action == 0 ? "tcp" : "udp", hport, 40000 + idx);
            (void)api_handle(*h.st, req);
        } else if (action == 4) {
            (void)api_handle(*h.st,
                             common::strprintf("{\"execute\":\"remove_hostfwd\",\"arguments\":"
                                               "{\"id\":%u}}",
                                               idx + 1));
        } else {
            sockaddr_in a{};
            a.sin_family = AF_INET;
            a.sin_port = htons(hport);
            a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            int type = action == 2 ? SOCK_STREAM : SOCK_DGRAM;
            common::UniqueFd fd(socket(AF_INET, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
            if (!fd)
                return;
            if (action == 2) {
                (void)connect(fd.get(), reinterpret_cast<const sockaddr*>(&a), sizeof a);
                if (host->peers.size() < 16)
                    host->peers.push_back(std::move(fd)); // host_write/host_close act on it
            } else {
                (void)sendto(fd.get(), d.data() + 2, d.size() - 2, 0,
                             reinterpret_cast<const sockaddr*>(&a), sizeof a);
            }
        }
        h.poll();
    }

    void host_udp(std::span<const std::byte> d) {
        host->drain();
        if (!host->udp_peer_known)
            return;
        (void)sendto(host->udp.get(), d.data(), d.size(), MSG_DONTWAIT,
                     reinterpret_cast<const sockaddr*>(&host->udp_peer), sizeof host->udp_peer);
    }
};

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    fuzz::isolate_network();
    host = new fuzz::FakeHost();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1)
        return 0;
    std::span<const std::byte> in(reinterpret_cast<const std::byte*>(data), size);
    Run r(data[0]);
    size_t pos = 1;
    for (int n = 0; n < 64 && pos + 3 <= size; ++n) {
        uint8_t op = data[pos] % op_count;
        size_t len = (size_t{data[pos + 1]} << 8) | data[pos + 2];
        pos += 3;
        len = std::min(len, size - pos);
        auto d = in.subspan(pos, len);
        pos += len;
        switch (op) {
        case op_frame:
            r.frame(d);
            break;
        case op_vnet:
            r.vnet_frame(d);
            break;
        case op_poll:
            r.h.poll();
            break;
        case op_tick:
            r.h.tick(d.empty() ? 100 : uint64_t{static_cast<uint8_t>(d[0])} * 1000);
            break;
        case op_tcp:
            r.tcp(d);
            break;
        case op_udp:
            r.udp(d);
            break;
        case op_icmp:
            r.icmp(d);
            break;
        case op_host_write:
            r.host_write(d);
            r.h.poll();
            break;
        case op_host_close:
            r.host_close(d);
            r.h.poll();
            break;
        case op_host_udp:
            r.host_udp(d);
            r.h.poll();
            break;
        case op_fwd:
            r.fwd(d);
            break;
        default:
            break;
        }
        r.observe();
    }
    r.h.poll();
    r.observe();
    host->reset();
    return 0;
}
