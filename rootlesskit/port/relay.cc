// SPDX-License-Identifier: Apache-2.0
// relay.cc — the builtin port driver's event loop and its TCP connections
//
// Theory of operation. One thread per driver waits in epoll for every listener, connection
// and flow of every forwarded port; nothing is ever done with a thread per client. A TCP
// client is accepted, a socket is asked of the namespace helper (dialer.cc) with connect()
// already started, and the connection waits in the loop for the dial to complete
// (EPOLLOUT, SO_ERROR) or for its deadline. Then both directions are moved with splice()
// (splice_pump.cc), edge-triggered, until both have ended or one fails.
// Limits and their plans: at `max_conns` a new client is accepted and closed at once (the
// client sees its connection end, as when upstream's dial fails) and counted; when accept()
// fails for want of fds or memory, that listener is taken out of epoll for a doubling pause
// (AcceptBackoff) and put back: the loop neither spins nor stops. Objects that die during an
// event batch are freed after it, so a later event of the same batch never touches freed
// memory; removing a port closes its listener, connections and flows on the loop thread.
// UDP is in relay_udp.cc.

#include "rootlesskit/port/relay.h"

#include "rootlesskit/port/relay_internal.h"

#include <cerrno>
#include <csignal>
#include <future>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

namespace rlk::port {
namespace {
constexpr int max_events = 256;      // per epoll_wait
constexpr int accepts_per_wake = 64; // fairness between listeners
} // namespace

FlowKey FlowKey::of(const sockaddr_storage& ss) noexcept {
    FlowKey k;
    k.family = static_cast<uint8_t>(ss.ss_family);
    if (ss.ss_family == AF_INET6) {
        sockaddr_in6 a;
        std::memcpy(&a, &ss, sizeof a);
        std::memcpy(k.addr.data(), &a.sin6_addr, 16);
        k.port = a.sin6_port;
    } else {
        sockaddr_in a;
        std::memcpy(&a, &ss, sizeof a);
        std::memcpy(k.addr.data(), &a.sin_addr, 4);
        k.port = a.sin_port;
    }
    return k;
}

Relay::Relay(DialFn dial, ForgetFn forget, RelayLimits limits)
    : dial_(std::move(dial)), forget_(std::move(forget)), limits_(limits) {
    epfd_.reset(epoll_create1(EPOLL_CLOEXEC));
    wake_fd_.reset(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!epfd_ || !wake_fd_)
        common::throw_errno("port/builtin: epoll");
    wake_tag_ = std::make_unique<Tag>(Tag{Tag::wake, nullptr});
    if (!watch(wake_fd_.get(), EPOLLIN, wake_tag_.get()))
        common::throw_errno("port/builtin: epoll_ctl");
    thread_ = std::thread([this] { run(); });
}

Relay::~Relay() {
    post([this] { stopping_ = true; });
    thread_.join();
    timers_.clear();
    ports_.clear(); // closes every fd; the thread is gone, nothing else refers to them
}

// A TCP listener may be shared by several relays (a pool): each accept wakes one of them.
uint32_t Relay::listener_events(const Port& p) noexcept {
    return p.udp ? EPOLLIN : EPOLLIN | EPOLLEXCLUSIVE;
}

bool Relay::watch(int fd, uint32_t events, Tag* tag) noexcept {
    epoll_event ev{};
    ev.events = events;
    ev.data.ptr = tag;
    return epoll_ctl(epfd_.get(), EPOLL_CTL_ADD, fd, &ev) == 0;
}

void Relay::post(std::function<void()> fn) {
    {
        std::lock_guard<std::mutex> lock(cmd_mu_);
        cmds_.push_back(std::move(fn));
    }
    uint64_t one = 1;
    (void)!write(wake_fd_.get(), &one, sizeof one);
}

// Runs fn on the loop thread and waits for it.
template <class F>
static auto call_on_loop(F&& fn, std::function<void(std::function<void()>)> post) {
    auto task = std::make_shared<std::packaged_task<decltype(fn())()>>(std::forward<F>(fn));
    auto fut = task->get_future();
    post([task] { (*task)(); });
    return fut.get();
}

void Relay::add(int id, common::UniqueFd listener, const DialRequest& target) {
    auto p =
        std::make_shared<std::unique_ptr<Port>>(std::make_unique<Port>(id, target.udp, limits_));
    (*p)->listener = std::move(listener);
    (*p)->target = target;
    // The datagram buffers (1 MiB) only for a loop that serves UDP; made here, where a failure
    // can throw, and handed to the loop with the port.
    auto batch = std::make_shared<std::unique_ptr<UdpBatch>>(
        target.udp ? std::make_unique<UdpBatch>() : nullptr);
    bool ok = call_on_loop(
        [this, p, batch] {
            Port& port = **p;
            if (!watch(port.listener.get(), listener_events(port), &port.tag))
                return false;
            if (*batch && !udp_)
                udp_ = std::move(*batch);
            ports_[port.id] = std::move(*p);
            return true;
        },
        [this](std::function<void()> f) { post(std::move(f)); });
    if (!ok)
        common::throw_errno("port/builtin: epoll_ctl");
}

void Relay::remove(int id) {
    call_on_loop(
        [this, id] {
            auto it = ports_.find(id);
            if (it == ports_.end())
                return 0;
            close_port(*it->second);
            port_graveyard_.push_back(std::move(it->second)); // events of this batch may name it
            ports_.erase(it);
            return 0;
        },
        [this](std::function<void()> f) { post(std::move(f)); });
}

void Relay::adopt(int id, common::UniqueFd client, common::UniqueFd inner) {
    auto pair = std::make_shared<std::pair<common::UniqueFd, common::UniqueFd>>(std::move(client),
                                                                                std::move(inner));
    call_on_loop(
        [this, id, pair] {
            auto it = ports_.find(id);
            if (it == ports_.end())
                return 0;
            auto c = std::make_unique<Conn>();
            c->port = it->second.get();
            c->client = std::move(pair->first);
            c->inner = std::move(pair->second);
            c->dialing = false;
            Conn& conn = *c;
            it->second->conns[&conn] = std::move(c);
            ++conns_;
            if (!open_half(conn.up) || !open_half(conn.down) ||
                !watch(conn.client.get(), EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
                       &conn.client_tag) ||
                !watch(conn.inner.get(), EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
                       &conn.inner_tag)) {
                close_conn(conn);
                return 0;
            }
            on_conn(conn);
            return 0;
        },
        [this](std::function<void()> f) { post(std::move(f)); });
}

size_t Relay::conn_count() {
    return call_on_loop([this] { return conns_; },
                        [this](std::function<void()> f) { post(std::move(f)); });
}

size_t Relay::flow_count() {
    return call_on_loop([this] { return flows_; },
                        [this](std::function<void()> f) { post(std::move(f)); });
}

int Relay::loop_nice() {
    return call_on_loop([] { return getpriority(PRIO_PROCESS, 0); },
                        [this](std::function<void()> f) { post(std::move(f)); });
}

uint64_t Relay::now_ms() const noexcept {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000 + static_cast<uint64_t>(ts.tv_nsec) / 1000000;
}

int Relay::next_timeout() noexcept {
    uint64_t next = UINT64_MAX;
    if (!timers_.empty())
        next = timers_.begin()->first;
    if (flows_ > 0)
        next = std::min(next, next_sweep_);
    if (next == UINT64_MAX)
        return -1;
    uint64_t now = now_ms();
    return next <= now ? 0 : static_cast<int>(std::min<uint64_t>(next - now, 60000));
}

void Relay::run_commands() noexcept {
    uint64_t v;
    (void)!read(wake_fd_.get(), &v, sizeof v);
    std::vector<std::function<void()>> cmds;
    {
        std::lock_guard<std::mutex> lock(cmd_mu_);
        cmds.swap(cmds_);
    }
    for (auto& fn : cmds)
        fn(); // packaged tasks: exceptions land in the waiting caller's future
}

void Relay::run_timers() noexcept {
    uint64_t now = now_ms();
    while (!timers_.empty() && timers_.begin()->first <= now) {
        Tag* t = timers_.begin()->second;
        timers_.erase(timers_.begin());
        if (t->kind == Tag::dial_timer) {
            Conn& c = *static_cast<Conn*>(t->obj);
            c.timer_armed = false;
            ++stats_.dial_timed_out;
            close_conn(c);
        } else if (t->kind == Tag::resume) {
            Port& p = *static_cast<Port*>(t->obj);
            p.paused = false;
            (void)watch(p.listener.get(), listener_events(p), &p.tag);
        }
    }
    if (flows_ > 0 && next_sweep_ <= now)
        sweep_flows();
}

void Relay::run() noexcept {
    // splice() into a socket whose peer is gone raises SIGPIPE at this thread: keep it pending
    // (a thread-directed signal that nobody waits for) instead of letting it kill the process.
    sigset_t pipe_set;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, nullptr);
    // Linux's nice is per thread: PRIO_PROCESS with 0 is the calling thread alone. Raising
    // it needs no privilege; if refused, the loop runs at the process's priority.
    if (limits_.nice != 0)
        (void)setpriority(PRIO_PROCESS, 0, limits_.nice);
    epoll_event evs[max_events];
    while (!stopping_) {
        int n = epoll_wait(epfd_.get(), evs, max_events, next_timeout());
        if (n < 0 && errno != EINTR)
            n = 0; // cannot happen with a valid epoll fd; the timeout keeps us from spinning
        for (int i = 0; i < n; ++i)
            on_event(static_cast<Tag*>(evs[i].data.ptr), evs[i].events);
        run_timers();
        graveyard_.clear();
        flow_graveyard_.clear();
        port_graveyard_.clear();
    }
}

void Relay::on_event(Tag* tag, uint32_t events) noexcept {
    switch (tag->kind) {
    case Tag::wake:
        run_commands();
        break;
    case Tag::tcp_listener:
    case Tag::udp_listener: {
        Port& p = *static_cast<Port*>(tag->obj);
        if (!p.listener) // removed earlier in this batch
            break;
        if (tag->kind == Tag::tcp_listener)
            on_accept(p);
        else
            on_udp_listener(p);
        break;
    }
    case Tag::conn: {
        Conn& c = *static_cast<Conn*>(tag->obj);
        if (c.dead)
            break;
        if (c.dialing) {
            if (tag == &c.inner_tag && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
                on_dialed(c);
        } else {
            on_conn(c);
        }
        break;
    }
    case Tag::flow: {
        Flow& f = *static_cast<Flow*>(tag->obj);
        if (!f.dead)
            on_udp_flow(f);
        break;
    }
    default:
        break;
    }
}

void Relay::pause_listener(Port& p) noexcept {
    ++stats_.backoffs;
    p.paused = true;
    // Out of epoll, not modified: EPOLLEXCLUSIVE registrations cannot be modified.
    (void)epoll_ctl(epfd_.get(), EPOLL_CTL_DEL, p.listener.get(), nullptr);
    p.resume_it = timers_.emplace(now_ms() + p.backoff.next(), &p.resume_tag);
}

void Relay::on_accept(Port& p) noexcept {
    for (int i = 0; i < accepts_per_wake && !p.paused; ++i) {
        sockaddr_storage from{};
        socklen_t len = sizeof from;
        int fd = accept4(p.listener.get(), reinterpret_cast<sockaddr*>(&from), &len,
                         SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            int e = errno;
            if (e == EAGAIN || e == EINTR || e == ECONNABORTED || e == EPROTO)
                return;
            pause_listener(p); // EMFILE, ENFILE, ENOMEM, ENOBUFS, or anything unexpected
            return;
        }
        p.backoff.reset();
        common::UniqueFd client(fd);
        ++stats_.accepted;
        if (conns_ >= limits_.max_conns) {
            ++stats_.refused_at_cap;
            continue; // closed here
        }
        start_conn(p, std::move(client), from);
    }
}

DialRequest Relay::request_for(const Port& p, const sockaddr_storage& from) const noexcept {
    DialRequest req = p.target;
    req.source = from;
    unmap_v4(req.source);
    // Keeping a loopback client's address would make the server answer itself.
    req.transparent =
        req.transparent && !is_loopback(req.source) && req.source.ss_family == req.target.ss_family;
    req.allow_rule = transparent_rules_ < limits_.max_transparent_rules;
    return req;
}

void Relay::start_conn(Port& p, common::UniqueFd client, const sockaddr_storage& from) noexcept {
    DialRequest req = request_for(p, from);
    common::Result<Dialed> d = dial_(req);
    if (!d) {
        ++stats_.dial_failed;
        return; // the client sees its connection close
    }
    if (d->transparent)
        ++stats_.transparent;
    auto c = std::make_unique<Conn>();
    Conn& conn = *c;
    conn.port = &p;
    conn.client = std::move(client);
    conn.inner = std::move(d->fd);
    conn.req = req;
    conn.rule = d->rule;
    if (conn.rule)
        ++transparent_rules_;
    p.conns[&conn] = std::move(c);
    ++conns_;
    if (!open_half(conn.up) || !open_half(conn.down) ||
        !watch(conn.client.get(), EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, &conn.client_tag) ||
        !watch(conn.inner.get(), EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, &conn.inner_tag)) {
        close_conn(conn);
        return;
    }
    conn.timer = timers_.emplace(now_ms() + limits_.dial_timeout_ms, &conn.timer_tag);
    conn.timer_armed = true;
}

void Relay::on_dialed(Conn& c) noexcept {
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(c.inner.get(), SOL_SOCKET, SO_ERROR, &err, &len) != 0)
        err = errno;
    if (err == EINPROGRESS || err == EALREADY)
        return;
    if (err != 0) {
        ++stats_.dial_failed;
        close_conn(c);
        return;
    }
    if (c.timer_armed) {
        timers_.erase(c.timer);
        c.timer_armed = false;
    }
    c.dialing = false;
    on_conn(c);
}

void Relay::on_conn(Conn& c) noexcept {
    PumpResult up = pump(c.client.get(), c.inner.get(), c.up);
    PumpResult down =
        up == PumpResult::error ? PumpResult::error : pump(c.inner.get(), c.client.get(), c.down);
    if (up == PumpResult::error || down == PumpResult::error ||
        (up == PumpResult::done && down == PumpResult::done))
        close_conn(c);
}

void Relay::close_conn(Conn& c) noexcept {
    if (c.dead)
        return;
    c.dead = true;
    if (c.timer_armed) {
        timers_.erase(c.timer);
        c.timer_armed = false;
    }
    if (c.rule) {
        forget_(c.req);
        --transparent_rules_;
    }
    c.client.reset(); // closing the fds takes them out of epoll
    c.inner.reset();
    c.up = SpliceHalf{};
    c.down = SpliceHalf{};
    --conns_;
    auto it = c.port->conns.find(&c);
    if (it != c.port->conns.end()) {
        graveyard_.push_back(std::move(it->second));
        c.port->conns.erase(it);
    }
}

void Relay::close_port(Port& p) noexcept {
    std::vector<Conn*> conns;
    for (auto& [ptr, owned] : p.conns)
        conns.push_back(ptr);
    for (Conn* c : conns)
        close_conn(*c);
    std::vector<Flow*> flows;
    for (auto& [k, f] : p.flows)
        flows.push_back(f.get());
    for (Flow* f : flows)
        close_flow(*f);
    if (p.paused)
        timers_.erase(p.resume_it);
    else // the listener may be a dup shared with other relays: closing it would not unwatch it
        (void)epoll_ctl(epfd_.get(), EPOLL_CTL_DEL, p.listener.get(), nullptr);
    p.listener.reset();
}

} // namespace rlk::port
