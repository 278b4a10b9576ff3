// SPDX-License-Identifier: Apache-2.0
// relay_internal.h — the loop's objects, shared by relay.cc (TCP) and relay_udp.cc
#pragma once

#include "rootlesskit/port/relay.h"
#include "rootlesskit/port/udp_send.h"

#include <cstring>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <vector>

namespace rlk::port {

/// What an epoll event or a timer points at.
struct Relay::Tag {
    enum Kind : uint8_t { wake, tcp_listener, udp_listener, conn, flow, dial_timer, resume };
    Kind kind;
    void* obj;
};

/// A UDP client address as a hash key (family, 16 address bytes, port), no allocation.
struct FlowKey {
    std::array<uint8_t, 16> addr{};
    uint16_t port = 0;
    uint8_t family = 0;
    bool operator==(const FlowKey&) const = default;
    static FlowKey of(const sockaddr_storage& ss) noexcept;
};

struct FlowKeyHash {
    size_t operator()(const FlowKey& k) const noexcept {
        uint64_t a, b;
        std::memcpy(&a, k.addr.data(), 8);
        std::memcpy(&b, k.addr.data() + 8, 8);
        return std::hash<uint64_t>{}(a * 0x9E3779B97F4A7C15ull ^ b ^ (uint64_t{k.port} << 8) ^
                                     k.family);
    }
};

struct Relay::Conn {
    Port* port = nullptr;
    common::UniqueFd client, inner;
    SpliceHalf up, down; ///< client → inner, inner → client
    Tag client_tag{Tag::conn, this}, inner_tag{Tag::conn, this}, timer_tag{Tag::dial_timer, this};
    std::multimap<uint64_t, Tag*>::iterator timer;
    bool timer_armed = false;
    bool dialing = true;
    bool rule = false; ///< a routing rule to drop when the connection ends
    DialRequest req;   ///< what was dialled (for the rule)
    bool dead = false;
};

struct Relay::Flow {
    Port* port = nullptr;
    common::UniqueFd inner;
    sockaddr_storage client{}; ///< as the listener saw it (what replies are sent to)
    DialRequest req;           ///< what was dialled (to drop its rule)
    bool transparent = false;
    bool rule = false; ///< a routing rule to drop when the flow ends
    uint64_t last = 0;
    FlowKey key;
    Tag tag{Tag::flow, this};
    bool dead = false;
    bool gso_ok = true; ///< the kernel took UDP_SEGMENT on `inner` (or has not refused it yet)
};

struct Relay::Port {
    int id = 0;
    bool udp = false;
    common::UniqueFd listener;
    DialRequest target;
    Tag tag;
    Tag resume_tag{Tag::resume, this};
    AcceptBackoff backoff;
    bool paused = false;
    bool gso_ok = true; ///< the kernel took UDP_SEGMENT on `listener` (UDP; replies)
    std::multimap<uint64_t, Tag*>::iterator resume_it;
    std::unordered_map<Conn*, std::unique_ptr<Conn>> conns;
    std::unordered_map<FlowKey, std::unique_ptr<Flow>, FlowKeyHash> flows;
    Port(int i, bool u, const RelayLimits& l)
        : id(i), udp(u), tag{u ? Tag::udp_listener : Tag::tcp_listener, this},
          backoff(l.backoff_min_ms, l.backoff_max_ms) {}
};

/// The UDP batch arrays and buffers: allocated once per relay, never per datagram.
struct Relay::UdpBatch {
    std::vector<char> buf = std::vector<char>(udp_batch * dgram_max);
    mmsghdr in[udp_batch];
    iovec in_iov[udp_batch];
    sockaddr_storage from[udp_batch];
    DgramSender out;  ///< client → server: runs of one flow, segmented by the kernel
    DgramSender back; ///< server → client, through the port's listener, likewise
    /// Points every receive slot at its buffer and address again.
    void arm() noexcept {
        for (unsigned i = 0; i < udp_batch; ++i) {
            in_iov[i] = {buf.data() + i * dgram_max, dgram_max};
            in[i].msg_hdr = msghdr{};
            in[i].msg_hdr.msg_iov = &in_iov[i];
            in[i].msg_hdr.msg_iovlen = 1;
            in[i].msg_hdr.msg_name = &from[i];
            in[i].msg_hdr.msg_namelen = sizeof from[i];
        }
    }
};

} // namespace rlk::port
