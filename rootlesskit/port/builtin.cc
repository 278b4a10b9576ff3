// SPDX-License-Identifier: Apache-2.0
// builtin.cc — --port-driver=builtin: TCP and UDP, tcp/tcp4/tcp6/udp/udp4/udp6 as upstream
//
// Theory of operation. The parent owns the listeners (so a setcap'd rootlesskit can bind low
// ports), a helper in the child's netns opens the sockets towards the server (dialer.cc),
// and relay threads move the bytes (relay.cc, relay_udp.cc): one per CPU (up to relay_pool_max)
// share every TCP listener; UDP ports have a loop of their own, started with the first one, at
// nice `udp_relay_nice`. UDP has no flow control: a relay that runs as soon as a datagram
// arrives forwards each one at once into the server's socket buffer (208 KiB by default), which
// overflows whenever the server waits for a CPU; a relay that yields to the programs it serves
// lets datagrams wait in its own 4 MiB buffer instead and moves fuller batches per wake
// (bench/ports.sh, 2 CPUs, 2 Gbit/s offered: loss 25-39 % -> 1-6 %, relay CPU -35 %). It
// changes nothing on an idle CPU. Protos keep Go's meaning:
// "tcp"/"udp" on a wildcard (or empty) parent IP listen dual-stack, the 4/6 forms are strict.
// With --source-ip-transparent (default true, as upstream v3) the server sees the client's
// address for TCP and UDP, IPv4 and IPv6, unless the client is on loopback; without the
// kernel's support the relay falls back to plain sockets (README, "Client source IP").

#include "rootlesskit/port/builtin.h"

#include "common/error.h"
#include "rootlesskit/logging.h"
#include "rootlesskit/process.h"

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <fstream>
#include <netinet/in.h>
#include <stdexcept>
#include <sys/resource.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

namespace rlk::port {
namespace {

constexpr size_t fds_per_conn = 6; // client, inner, two pipes
constexpr size_t fd_reserve = 256; // API clients, helpers, UDP flows
constexpr size_t conns_ceiling = 16384;
constexpr int listen_backlog = 4096; // the kernel caps it at net.core.somaxconn

bool is_v6(const std::string& ip) {
    return ip.find(':') != std::string::npos;
}

std::string join_host_port(const std::string& ip, long long port) {
    return (is_v6(ip) ? "[" + ip + "]" : ip) + ":" + std::to_string(port);
}

int unprivileged_port_start() {
    std::ifstream f("/proc/sys/net/ipv4/ip_unprivileged_port_start");
    int v = 1024;
    f >> v;
    return v;
}

} // namespace

std::string dial_target(const PortSpec& spec) {
    if (!spec.child_ip.empty())
        return spec.child_ip;
    // upstream 2.3.2+: a specific loopback parent address is dialled as is (127.0.0.2, ::1)
    if (spec.parent_ip.rfind("127.", 0) == 0 || spec.parent_ip == "::1")
        return spec.parent_ip;
    return spec.proto == "tcp6" || spec.proto == "udp6" ? "::1" : "127.0.0.1";
}

size_t max_conns_for(size_t nofile) noexcept {
    size_t n = nofile > fd_reserve ? (nofile - fd_reserve) / fds_per_conn : 0;
    return std::clamp<size_t>(n, 16, conns_ceiling);
}

common::UniqueFd open_listener(const PortSpec& spec) {
    bool udp = spec.proto.rfind("udp", 0) == 0;
    char suffix = spec.proto.back();
    std::string ip = spec.parent_ip;
    bool wildcard = ip.empty() || ip == "0.0.0.0" || ip == "::";
    // Go's net.Listen: "tcp"/"udp" on a wildcard address is dual-stack; the 4/6 forms are strict.
    int family = suffix == '4'               ? AF_INET
                 : suffix == '6' || wildcard ? AF_INET6
                 : is_v6(ip)                 ? AF_INET6
                                             : AF_INET;
    std::string what =
        "listen " + spec.proto + " " + join_host_port(spec.parent_ip, spec.parent_port);
    if (family == AF_INET6 && !is_v6(ip) && !wildcard)
        throw std::runtime_error(what + ": address " + ip + ": non-IPv6 address");
    if (family == AF_INET && is_v6(ip))
        throw std::runtime_error(what + ": address " + ip + ": non-IPv4 address");
    sockaddr_storage ss;
    socklen_t len = 0;
    make_sockaddr(wildcard ? "" : ip, static_cast<uint16_t>(spec.parent_port), ss, len, family);
    int type = (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC | SOCK_NONBLOCK;
    common::UniqueFd l(socket(family, type, 0));
    if (!l)
        throw std::runtime_error(what + ": socket: " + go_errno(errno));
    int one = 1, v6only = suffix == '6' ? 1 : 0;
    if (!udp)
        (void)setsockopt(l.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    else
        (void)setsockopt(l.get(), SOL_SOCKET, SO_RCVBUF, &udp_socket_buffer,
                         sizeof udp_socket_buffer);
    if (family == AF_INET6)
        (void)setsockopt(l.get(), IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only);
    if (bind(l.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0) {
        int e = errno;
        std::string msg = what + ": bind: " + go_errno(e);
        int start = unprivileged_port_start();
        if ((e == EACCES || e == EPERM) && spec.parent_port < start)
            msg = "cannot expose privileged port " + std::to_string(spec.parent_port) +
                  ", you can add 'net.ipv4.ip_unprivileged_port_start=" +
                  std::to_string(spec.parent_port) + "' to /etc/sysctl.conf (currently " +
                  std::to_string(start) +
                  "), or set CAP_NET_BIND_SERVICE on rootlesskit binary, or choose a larger "
                  "port number (>= " +
                  std::to_string(start) + "): " + msg;
        throw std::runtime_error(msg);
    }
    if (!udp && listen(l.get(), listen_backlog) != 0)
        throw std::runtime_error(what + ": listen: " + go_errno(errno));
    return l;
}

BuiltinPortDriver::BuiltinPortDriver(pid_t child, const std::string& netns_path,
                                     bool source_ip_transparent)
    : transparent_(source_ip_transparent) {
    dialer_ = std::make_unique<NetnsDialer>(child, netns_path, source_ip_transparent);
    if (source_ip_transparent && !dialer_->transparent_ready())
        log::warn("source IP transparent: falling back to non-transparent mode, client source IPs "
                  "will not be preserved: policy routing: " +
                  go_errno(dialer_->transparent_error()));
    RelayLimits limits;
    rlimit rl{};
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
        limits.max_conns = max_conns_for(rl.rlim_cur == RLIM_INFINITY ? SIZE_MAX : rl.rlim_cur);
    unsigned n = std::clamp(std::thread::hardware_concurrency(), 1u, relay_pool_max);
    limits.max_conns = std::max<size_t>(1, limits.max_conns / n);
    limits.max_transparent_rules = std::max<size_t>(1, limits.max_transparent_rules / (n + 1));
    limits_ = limits;
    for (unsigned i = 0; i < n; ++i)
        relays_.push_back(new_relay(limits));
}

BuiltinPortDriver::~BuiltinPortDriver() {
    relays_.clear(); // stops the loops and closes every connection first
    udp_relay_.reset();
    dialer_.reset();
}

std::unique_ptr<Relay> BuiltinPortDriver::new_relay(const RelayLimits& limits) {
    NetnsDialer* d = dialer_.get();
    return std::make_unique<Relay>([d](const DialRequest& r) { return d->dial(r); },
                                   [d](const DialRequest& r) { d->forget_rule(r); }, limits);
}

nlohmann::ordered_json BuiltinPortDriver::info() const {
    nlohmann::ordered_json j;
    j["driver"] = "builtin";
    j["protos"] = {"tcp", "tcp4", "tcp6", "udp", "udp4", "udp6"};
    return j;
}

PortStatus BuiltinPortDriver::add(const PortSpec& spec) {
    std::lock_guard<std::mutex> lock(mu_);
    validate_port_spec(spec, ports_);
    static const char* const protos[] = {"tcp", "tcp4", "tcp6", "udp", "udp4", "udp6"};
    if (std::find(std::begin(protos), std::end(protos), spec.proto) == std::end(protos))
        throw std::runtime_error("unsupported port protocol " + spec.proto);
    common::UniqueFd l = open_listener(spec);
    DialRequest req;
    req.udp = spec.proto[0] == 'u';
    req.transparent = transparent_ && dialer_->transparent_ready();
    socklen_t len = 0;
    std::string target = dial_target(spec);
    if (!make_sockaddr(target, static_cast<uint16_t>(spec.child_port), req.target, len))
        throw std::runtime_error("invalid IP: " + target);
    PortStatus st{next_id_++, spec};
    if (req.udp) {
        if (!udp_relay_) {
            RelayLimits limits = limits_;
            limits.nice = udp_relay_nice;
            udp_relay_ = new_relay(limits);
        }
        udp_relay_->add(st.id, std::move(l), req);
        ports_[st.id] = st;
        return st;
    }
    std::vector<common::UniqueFd> dups; // every loop accepts on the one listener
    for (size_t i = 1; i < relays_.size(); ++i) {
        dups.emplace_back(fcntl(l.get(), F_DUPFD_CLOEXEC, 0));
        if (!dups.back())
            throw std::runtime_error("listen: dup: " + go_errno(errno));
    }
    try {
        relays_[0]->add(st.id, std::move(l), req);
        for (size_t i = 0; i < dups.size(); ++i)
            relays_[i + 1]->add(st.id, std::move(dups[i]), req);
    } catch (...) {
        for (std::unique_ptr<Relay>& r : relays_)
            r->remove(st.id);
        throw;
    }
    ports_[st.id] = st;
    return st;
}

std::vector<PortStatus> BuiltinPortDriver::list() {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<PortStatus> out;
    for (auto& [id, st] : ports_)
        out.push_back(st);
    return out;
}

void BuiltinPortDriver::remove(int id) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = ports_.find(id);
    if (it == ports_.end())
        throw std::runtime_error("unknown id: " + std::to_string(id));
    bool udp = it->second.spec.proto[0] == 'u';
    ports_.erase(it);
    if (udp) {
        udp_relay_->remove(id);
        return;
    }
    for (std::unique_ptr<Relay>& r : relays_)
        r->remove(id);
}

} // namespace rlk::port
