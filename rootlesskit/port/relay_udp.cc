// SPDX-License-Identifier: Apache-2.0
// relay_udp.cc — UDP forwarding in the relay loop: one flow per client address
//
// Theory of operation (libnetwork's UDP proxy, which upstream uses): each client address
// gets a UDP socket connected to the server inside the namespace; datagrams from the client
// go out on it, datagrams on it go back to the client from the listener. A flow ends after
// `udp_idle_ms` without traffic either way (upstream: 90 s), swept once a second. Limits: at
// `max_udp_flows` a new client's datagrams are dropped and counted; only
// `max_transparent_rules` flows (with TCP to non-local servers) keep the client's source IP (each costs a routing rule, and
// the kernel walks rules linearly), the rest are relayed from the namespace's own address.
// ECONNREFUSED on a flow (nothing listening yet) is ignored, as upstream does. One shared
// datagram buffer; nothing is allocated per datagram.

#include "rootlesskit/port/relay.h"

#include "rootlesskit/port/relay_internal.h"

#include <cerrno>
#include <sys/epoll.h>

namespace rlk::port {
namespace {
constexpr int datagrams_per_wake = 64; // fairness between sockets
constexpr uint64_t sweep_every_ms = 1000;
} // namespace

void Relay::on_udp_listener(Port& p) noexcept {
    for (int i = 0; i < datagrams_per_wake; ++i) {
        sockaddr_storage from{};
        socklen_t len = sizeof from;
        ssize_t n = recvfrom(p.listener.get(), dgram_.data(), dgram_.size(), MSG_DONTWAIT,
                             reinterpret_cast<sockaddr*>(&from), &len);
        if (n < 0) {
            if (errno == EINTR || errno == ECONNREFUSED)
                continue;
            return; // EAGAIN, or an error the next datagram will not have
        }
        FlowKey key = FlowKey::of(from);
        auto it = p.flows.find(key);
        Flow* f = it == p.flows.end() ? nullptr : it->second.get();
        if (!f) {
            if (flows_ >= limits_.max_udp_flows) {
                ++stats_.udp_dropped;
                continue;
            }
            DialRequest req = p.target;
            req.source = from;
            unmap_v4(req.source);
            req.transparent = req.transparent && !is_loopback(req.source) &&
                              req.source.ss_family == req.target.ss_family;
            req.allow_rule = transparent_rules_ < limits_.max_transparent_rules;
            common::Result<Dialed> d = dial_(req);
            if (!d) {
                ++stats_.dial_failed;
                continue;
            }
            auto owned = std::make_unique<Flow>();
            f = owned.get();
            f->port = &p;
            f->inner = std::move(d->fd);
            f->client = from;
            f->req = req;
            f->transparent = d->transparent;
            f->rule = d->rule;
            f->key = key;
            if (!watch(f->inner.get(), EPOLLIN, &f->tag)) {
                if (f->rule)
                    forget_(req);
                continue;
            }
            if (f->rule)
                ++transparent_rules_;
            if (f->transparent)
                ++stats_.transparent;
            if (flows_++ == 0)
                next_sweep_ = now_ms() + sweep_every_ms;
            p.flows.emplace(key, std::move(owned));
        }
        f->last = now_ms();
        if (f->transparent)
            (void)sendto(f->inner.get(), dgram_.data(), static_cast<size_t>(n), MSG_DONTWAIT,
                         reinterpret_cast<const sockaddr*>(&f->req.target),
                         sockaddr_len(f->req.target));
        else
            (void)send(f->inner.get(), dgram_.data(), static_cast<size_t>(n), MSG_DONTWAIT);
    }
}

void Relay::on_udp_flow(Flow& f) noexcept {
    for (int i = 0; i < datagrams_per_wake; ++i) {
        ssize_t n = recv(f.inner.get(), dgram_.data(), dgram_.size(), MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR || errno == ECONNREFUSED)
                continue;
            return;
        }
        f.last = now_ms();
        (void)sendto(f.port->listener.get(), dgram_.data(), static_cast<size_t>(n), MSG_DONTWAIT,
                     reinterpret_cast<const sockaddr*>(&f.client), sockaddr_len(f.client));
    }
}

void Relay::close_flow(Flow& f) noexcept {
    if (f.dead)
        return;
    f.dead = true;
    f.inner.reset();
    if (f.rule) {
        forget_(f.req);
        --transparent_rules_;
    }
    --flows_;
    auto it = f.port->flows.find(f.key);
    if (it != f.port->flows.end()) {
        flow_graveyard_.push_back(std::move(it->second));
        f.port->flows.erase(it);
    }
}

void Relay::sweep_flows() noexcept {
    uint64_t now = now_ms();
    next_sweep_ = now + sweep_every_ms;
    std::vector<Flow*> idle;
    for (auto& [id, p] : ports_)
        for (auto& [k, f] : p->flows)
            if (now - f->last >= limits_.udp_idle_ms)
                idle.push_back(f.get());
    for (Flow* f : idle)
        close_flow(*f);
}

} // namespace rlk::port
