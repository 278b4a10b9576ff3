// SPDX-License-Identifier: Apache-2.0
// api.cc — the slirp4netns API socket: add/list/remove_hostfwd over JSON on a Unix socket
//
// Theory of operation: one request per connection, as slirp4netns: the client writes a JSON
// object (a trailing newline is fine), we answer with compact JSON without a newline, then shut
// the connection down. Unlike slirp4netns (one blocking read that freezes the network), clients
// are non-blocking: a request is answered as soon as the bytes read parse as JSON, at EOF, or
// after api_timeout_ms, so an idle client never stalls traffic. Requests of 4096 bytes or more
// get "too large message". Replies are byte-exact (docs/compat/slirp4netns.md §4.2), including the
// unwrapped
// {"entries":[…]} list and the port quirks of §4.3 ((int) of a double, then truncated to 16 bits).
// A missing proto is an error reply here (slirp4netns crashes). Each connection and request is
// logged on stderr with slirp4netns' lines ("apifd event", "api_handler: got request: …").
// Bounds: api_max_clients at once (a new client evicts the oldest, which gets its answer);
// out of fds, the listener leaves epoll until the next tick instead of waking us in a loop.
// Forward slots are reused and the list shrinks on removal; their number is capped (Limits).

#include "slirpnet/api.h"

#include "common/error.h"
#include "common/log.h"
#include "common/unix_sock.h"

#include <arpa/inet.h>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace slirp {

namespace {

using nlohmann::json;

std::string err(const char* desc) {
    return std::string("{\"error\":{\"desc\":\"bad request: ") + desc + "\"}}";
}

/// parson's json_object_get_number: the number, or 0 for anything else; then C's (int) cast.
int get_int(const json& args, const char* key) {
    auto it = args.find(key);
    if (it == args.end() || !it->is_number())
        return 0;
    double d = it->get<double>();
    if (!(d > -2147483648.0 && d < 2147483648.0))
        return 0;
    return static_cast<int>(d);
}

/// Missing or "" → `dflt`; an IPv4 string → it; an IPv6 string → it when `v6` (our
/// extension: the original refuses every non-IPv4 address); anything else → nullopt.
std::optional<Addr> get_addr(const json& args, const char* key, Addr dflt, bool v6) {
    auto it = args.find(key);
    if (it == args.end() || !it->is_string())
        return it == args.end() ? std::optional<Addr>(dflt) : std::nullopt;
    const std::string& s = it->get_ref<const std::string&>();
    if (s.empty())
        return dflt;
    in_addr a{};
    if (inet_pton(AF_INET, s.c_str(), &a) == 1)
        return Addr::of4(ntohl(a.s_addr));
    in6_addr a6{};
    if (v6 && inet_pton(AF_INET6, s.c_str(), &a6) == 1 && !Addr::of6(a6).is4())
        return Addr::of6(a6);
    return std::nullopt;
}

std::string ip_str(const Addr& a) {
    char b[INET6_ADDRSTRLEN];
    if (a.is4()) {
        in_addr x{htonl(a.v4())};
        inet_ntop(AF_INET, &x, b, sizeof(b));
    } else {
        in6_addr x = a.in6();
        inet_ntop(AF_INET6, &x, b, sizeof(b));
    }
    return b;
}

common::UniqueFd bind_forward(const Addr& addr, int port, bool udp) {
    SockAddr sa = SockAddr::make(addr, static_cast<uint16_t>(port)); // §4.3: 70000 → 4464
    common::UniqueFd fd(
        socket(sa.family(), (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd)
        return fd;
    int one = 1;
    (void)setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (sa.family() == AF_INET6) // "::" takes IPv6 clients only: the guest side is IPv6
        (void)setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    if (bind(fd.get(), sa.sa(), sa.len) != 0 || (!udp && listen(fd.get(), SOMAXCONN) != 0))
        fd.reset();
    return fd;
}

std::string add_hostfwd(Stack& st, const json& req) {
    static const json empty = json::object();
    auto ai = req.find("arguments");
    const json& args = (ai != req.end() && ai->is_object()) ? *ai : empty;
    auto pi = args.find("proto");
    if (pi == args.end() || !pi->is_string() || (*pi != "tcp" && *pi != "udp"))
        return err("add_hostfwd: bad arguments.proto");
    bool udp = *pi == "udp";
    auto host_addr = get_addr(args, "host_addr", Addr::of4(0), st.cfg.ipv6);
    if (!host_addr)
        return err("add_hostfwd: bad arguments.host_addr");
    bool v6 = !host_addr->is4();
    int host_port = get_int(args, "host_port");
    if (host_port == 0)
        return err("add_hostfwd: bad arguments.host_port");
    // IPv6: no guest_addr means the guest's SLAAC address, whatever it is when a client comes
    auto guest_addr = get_addr(args, "guest_addr", v6 ? Addr{} : Addr::of4(st.cfg.guest), v6);
    if (!guest_addr || guest_addr->is4() == v6)
        return err("add_hostfwd: bad arguments.guest_addr");
    int guest_port = get_int(args, "guest_port");
    if (guest_port == 0)
        return err("add_hostfwd: bad arguments.guest_port");
    // a free slot first: epoll tags hold the index, and the list stays as long as what is live
    size_t idx = 0, live = 0;
    while (idx < st.forwards.size() && st.forwards[idx].fd)
        ++idx;
    for (const Forward& f : st.forwards)
        live += f.fd ? 1 : 0;
    if (live >= st.lim.forwards)
        return err("add_hostfwd: slirp_add_hostfwd failed");
    Forward fw;
    fw.fd = bind_forward(*host_addr, host_port, udp);
    if (!fw.fd)
        return err("add_hostfwd: slirp_add_hostfwd failed");
    if (!watch(st, fw.fd.get(), EPOLLIN,
               make_tag(udp ? Tag::fwd_udp : Tag::fwd_tcp, static_cast<uint32_t>(idx))))
        return err("add_hostfwd: slirp_add_hostfwd failed");
    fw.id = st.next_forward_id++;
    fw.udp = udp;
    fw.host_addr = *host_addr;
    fw.host_port = host_port;
    fw.guest_addr = *guest_addr;
    fw.guest_port = guest_port;
    int id = fw.id;
    if (idx == st.forwards.size())
        st.forwards.push_back(std::move(fw));
    else
        st.forwards[idx] = std::move(fw);
    return common::strprintf("{\"return\":{\"id\":%d}}", id);
}

std::string list_hostfwd(const Stack& st) {
    std::string s = "{\"entries\":[";
    bool first = true;
    for (const Forward& f : st.forwards) {
        if (!f.fd)
            continue;
        if (!first)
            s += ',';
        first = false;
        s += common::strprintf(
            "{\"id\":%d,\"proto\":\"%s\",\"host_addr\":\"%s\",\"host_port\":%d,"
            "\"guest_addr\":\"%s\",\"guest_port\":%d}",
            f.id, f.udp ? "udp" : "tcp", ip_str(f.host_addr).c_str(), f.host_port,
            ip_str(!f.guest_addr.is4() && f.guest_addr.is_unspecified6() ? guest_addr6(st)
                                                                         : f.guest_addr)
                .c_str(),
            f.guest_port);
    }
    return s + "]}";
}

std::string remove_hostfwd(Stack& st, const json& req) {
    auto ai = req.find("arguments");
    if (ai == req.end() || !ai->is_object())
        return err("remove_hostfwd: bad arguments.id");
    auto ii = ai->find("id");
    if (ii == ai->end() || !ii->is_number())
        return err("remove_hostfwd: bad arguments.id");
    int id = get_int(*ai, "id"); // out of int range (1e300): no forward has it
    for (Forward& f : st.forwards) {
        if (f.id == id && f.fd) {
            udp::drop_forward(st, f.fd.get()); // flows replying through it end with it
            f = Forward{}; // closing the socket takes it out of epoll; the slot is reused
            while (!st.forwards.empty() && !st.forwards.back().fd)
                st.forwards.pop_back();
            return "{\"return\":{}}";
        }
    }
    return err("remove_hostfwd: bad arguments.id");
}

} // namespace

std::string api_handle(Stack& st, std::string_view request) noexcept try {
    if (request.size() >= api_max_request)
        return err("too large message");
    json req = json::parse(request, nullptr, false);
    if (req.is_discarded())
        return err("cannot parse JSON");
    if (!req.is_object())
        return err("json_object() failed");
    auto ei = req.find("execute");
    if (ei == req.end() || !ei->is_string())
        return err("no execute found");
    const std::string& ex = ei->get_ref<const std::string&>();
    if (ex == "add_hostfwd")
        return add_hostfwd(st, req);
    if (ex == "list_hostfwd")
        return list_hostfwd(st);
    if (ex == "remove_hostfwd")
        return remove_hostfwd(st, req);
    return err("unknown execute");
} catch (...) {
    return "{\"error\":{\"desc\":\"internal error\"}}";
}

Api::Api(Stack& st, std::string path) : st_(st), path_(std::move(path)) {
    if (path_.size() > common::unix_sock::max_path)
        throw common::UsageError("the specified API socket path is too long (>= 108)");
    listen_ = common::unix_sock::listen(path_, SOMAXCONN, SOCK_NONBLOCK, "api_socket");
    clients_.resize(api_max_clients);
}

Api::~Api() = default;

void Api::unlink_path() noexcept {
    (void)::unlink(path_.c_str());
}

void Api::on_listen() noexcept {
    for (int batch = 0; batch < 64; ++batch) {
        common::UniqueFd c(accept4(listen_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
        if (!c) {
            if (out_of_fds(errno))
                pause();
            return;
        }
        common::log::info("apifd event");
        size_t i = 0, oldest = 0;
        while (i < clients_.size() && clients_[i].fd) {
            if (clients_[i].deadline < clients_[oldest].deadline)
                oldest = i;
            ++i;
        }
        if (i == clients_.size()) {
            // all slots taken: the client that has had one longest gets its answer now (to
            // what it has sent so far), so idle or trickling clients cannot lock a new one out
            on_client(static_cast<uint32_t>(oldest), 0);
            if (clients_[oldest].fd)
                finish(clients_[oldest]);
            i = oldest;
        }
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLRDHUP;
        ev.data.u64 = make_tag(Tag::api_conn, static_cast<uint32_t>(i));
        if (epoll_ctl(st_.epoll.get(), EPOLL_CTL_ADD, c.get(), &ev) != 0)
            continue;
        clients_[i].fd = std::move(c);
        clients_[i].buf.clear();
        clients_[i].deadline = monotonic_ms() + api_timeout_ms;
    }
}

void Api::finish(Client& c) noexcept {
    // slirp4netns' api_handler() logs every request on stderr; callers keep that log.
    if (c.buf.size() >= api_max_request)
        common::log::error("api_handler: too large message (>= %zu bytes)\napi_handler: rc=-1",
                           api_max_request);
    else
        common::log::info("api_handler: got request: %s", c.buf.c_str());
    std::string reply = api_handle(st_, c.buf);
    (void)send(c.fd.get(), reply.data(), reply.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    (void)shutdown(c.fd.get(), SHUT_RDWR);
    c.fd.reset();
    c.buf.clear();
}

void Api::on_client(uint32_t idx, uint32_t /*events*/) noexcept {
    if (idx >= clients_.size() || !clients_[idx].fd)
        return;
    Client& c = clients_[idx];
    char buf[api_max_request];
    while (true) {
        ssize_t n = recv(c.fd.get(), buf, sizeof(buf), MSG_DONTWAIT);
        if (n > 0) {
            c.buf.append(buf, static_cast<size_t>(n));
            if (c.buf.size() >= api_max_request)
                return finish(c);
            continue;
        }
        if (n == 0 || (errno != EAGAIN && errno != EINTR))
            return finish(c); // EOF: answer whatever arrived
        break;
    }
    if (!c.buf.empty() && nlohmann::json::accept(c.buf))
        finish(c);
}

void Api::pause() noexcept {
    // out of fds: level-triggered, the pending connection would wake us forever; the listener
    // leaves the epoll set until the next tick (timer() puts it back)
    epoll_event ev{};
    if (epoll_ctl(st_.epoll.get(), EPOLL_CTL_MOD, listen_.get(), &ev) == 0)
        paused_ = true;
}

void Api::timer() noexcept {
    if (paused_) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = make_tag(Tag::api_listen, 0);
        if (epoll_ctl(st_.epoll.get(), EPOLL_CTL_MOD, listen_.get(), &ev) == 0)
            paused_ = false;
    }
    uint64_t now = monotonic_ms();
    for (Client& c : clients_)
        if (c.fd && now >= c.deadline)
            finish(c);
}

} // namespace slirp
