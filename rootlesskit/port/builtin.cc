// SPDX-License-Identifier: Apache-2.0
// builtin.cc — TCP port forwarding from host listeners into the child's network namespace
//
// Theory of operation. Upstream runs a child-side server that dials for the parent and passes
// the connected socket back. We get the same without code in the child: a helper process,
// forked by the parent before it starts any thread, joins the child's user and network
// namespaces (the parent owns that user namespace, so it may) and answers "dial" requests on a
// SOCK_SEQPACKET pair with the connected socket (SCM_RIGHTS) or an error text. The parent owns
// the listeners (so setcap'd rootlesskit can bind low ports) and relays each connection with
// one thread copying both ways, with half-close. UDP is not implemented: info() advertises only
// tcp, tcp4 and tcp6, so clients such as dockerd skip UDP ports.

#include "rootlesskit/port/builtin.h"

#include "common/error.h"
#include "common/fd_pass.h"
#include "rootlesskit/process.h"

#include <arpa/inet.h>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdexcept>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace rlk::port {
namespace {

// Largest request/reply on the helper channel.
constexpr size_t helper_msg_max = 512;

bool is_v6(const std::string& ip) {
    return ip.find(':') != std::string::npos;
}

// sockaddr for ip:port; false if ip does not parse.
bool make_addr(const std::string& ip, uint16_t port, sockaddr_storage& ss, socklen_t& len) {
    memset(&ss, 0, sizeof ss);
    if (is_v6(ip)) {
        auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(port);
        len = sizeof *a;
        return ip.empty() || inet_pton(AF_INET6, ip.c_str(), &a->sin6_addr) == 1;
    }
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_port = htons(port);
    len = sizeof *a;
    return ip.empty() || inet_pton(AF_INET, ip.c_str(), &a->sin_addr) == 1;
}

std::string join_host_port(const std::string& ip, long long port) {
    return (is_v6(ip) ? "[" + ip + "]" : ip) + ":" + std::to_string(port);
}

// The helper: dial requests "ip port" → the connected fd, or "error text" without an fd.
[[noreturn]] void helper_main(int sock) {
    char buf[helper_msg_max];
    for (;;) {
        ssize_t n = recv(sock, buf, sizeof buf - 1, 0);
        if (n <= 0)
            _exit(0);
        buf[n] = '\0';
        char ip[128] = {};
        unsigned port = 0;
        if (sscanf(buf, "%127s %u", ip, &port) != 2) {
            (void)send(sock, "bad request", 11, 0);
            continue;
        }
        sockaddr_storage ss;
        socklen_t len = 0;
        std::string sip = ip;
        make_addr(sip, static_cast<uint16_t>(port), ss, len);
        int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
            std::string e =
                "dial tcp " + join_host_port(sip, port) + ": connect: " + go_errno(errno);
            (void)send(sock, e.data(), e.size(), 0);
            if (fd >= 0)
                close(fd);
            continue;
        }
        const std::byte ok[2] = {std::byte{'o'}, std::byte{'k'}};
        (void)common::send_fd(sock, fd, ok);
        close(fd);
    }
}

// Copies both ways until both directions are closed.
void relay(int a, int b) {
    char buf[65536];
    bool a_open = true, b_open = true;
    while (a_open || b_open) {
        pollfd p[2] = {{a, static_cast<short>(a_open ? POLLIN : 0), 0},
                       {b, static_cast<short>(b_open ? POLLIN : 0), 0}};
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        for (int i = 0; i < 2; ++i) {
            if (!p[i].revents)
                continue;
            int from = i == 0 ? a : b, to = i == 0 ? b : a;
            ssize_t n = read(from, buf, sizeof buf);
            if (n <= 0) {
                (void)shutdown(to, SHUT_WR);
                (i == 0 ? a_open : b_open) = false;
                continue;
            }
            for (ssize_t off = 0; off < n;) {
                ssize_t w = send(to, buf + off, static_cast<size_t>(n - off), MSG_NOSIGNAL);
                if (w <= 0)
                    return;
                off += w;
            }
        }
    }
}

} // namespace

struct BuiltinPortDriver::Forward {
    PortStatus status;
    common::UniqueFd listener;
    std::thread acceptor;
};

std::string dial_target(const PortSpec& spec) {
    if (!spec.child_ip.empty())
        return spec.child_ip;
    // upstream 2.3.2+: a specific loopback parent address is dialled as is (127.0.0.2, ::1)
    if (spec.parent_ip.rfind("127.", 0) == 0 || spec.parent_ip == "::1")
        return spec.parent_ip;
    return spec.proto == "tcp6" ? "::1" : "127.0.0.1";
}

BuiltinPortDriver::BuiltinPortDriver(pid_t child, const std::string& netns_path) {
    common::FdPair sp = common::socketpair_cloexec(SOCK_SEQPACKET);
    common::UniqueFd userns = common::UniqueFd(
        open(("/proc/" + std::to_string(child) + "/ns/user").c_str(), O_RDONLY | O_CLOEXEC));
    std::string np = netns_path.empty() ? "/proc/" + std::to_string(child) + "/ns/net" : netns_path;
    common::UniqueFd netns(open(np.c_str(), O_RDONLY | O_CLOEXEC));
    if (!userns || !netns)
        common::throw_errno("port/builtin: opening the namespaces of %d", child);
    pid_t parent = getpid();
    helper_pid_ = fork();
    if (helper_pid_ < 0)
        common::throw_errno("fork");
    if (helper_pid_ == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent || setns(userns.get(), CLONE_NEWUSER) != 0 ||
            setns(netns.get(), CLONE_NEWNET) != 0)
            _exit(1);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, nullptr);
        helper_main(sp.second.get());
    }
    helper_ = std::move(sp.first);
}

BuiltinPortDriver::~BuiltinPortDriver() {
    std::vector<int> ids;
    {
        std::lock_guard<std::mutex> lock(mu_);
        for (auto& [id, f] : ports_)
            ids.push_back(id);
    }
    for (int id : ids)
        remove(id);
    helper_.reset();
    if (helper_pid_ > 0) {
        kill(helper_pid_, SIGKILL);
        (void)waitpid(helper_pid_, nullptr, 0);
    }
}

nlohmann::ordered_json BuiltinPortDriver::info() const {
    nlohmann::ordered_json j;
    j["driver"] = "builtin";
    j["protos"] = {"tcp", "tcp4", "tcp6"};
    return j;
}

common::UniqueFd BuiltinPortDriver::dial(const std::string&, const std::string& ip,
                                         long long port) {
    std::lock_guard<std::mutex> lock(helper_mu_);
    std::string req = ip + " " + std::to_string(port);
    if (send(helper_.get(), req.data(), req.size(), MSG_NOSIGNAL) < 0)
        throw std::runtime_error("port/builtin: helper is gone");
    std::byte buf[helper_msg_max];
    size_t len = 0;
    common::Result<common::UniqueFd> r = common::recv_fd(helper_.get(), buf, &len);
    if (r)
        return std::move(*r);
    if (len == 0)
        throw std::runtime_error("port/builtin: helper is gone");
    throw std::runtime_error(std::string(reinterpret_cast<const char*>(buf), len));
}

PortStatus BuiltinPortDriver::add(const PortSpec& spec) {
    std::lock_guard<std::mutex> lock(mu_);
    std::map<int, PortStatus> existing;
    for (auto& [id, f] : ports_)
        existing[id] = f->status;
    validate_port_spec(spec, existing);
    if (spec.proto != "tcp" && spec.proto != "tcp4" && spec.proto != "tcp6")
        throw std::runtime_error("unsupported port protocol " + spec.proto);
    // Go's net.Listen: "tcp" on a wildcard address is dual-stack; tcp4/tcp6 are strict.
    std::string ip = spec.parent_ip;
    bool wildcard = ip.empty() || ip == "0.0.0.0" || ip == "::";
    int family = spec.proto == "tcp4"                                        ? AF_INET
                 : spec.proto == "tcp6" || (spec.proto == "tcp" && wildcard) ? AF_INET6
                 : is_v6(ip)                                                 ? AF_INET6
                                                                             : AF_INET;
    std::string bind_ip = wildcard ? (family == AF_INET6 ? "::" : "0.0.0.0") : ip;
    sockaddr_storage ss;
    socklen_t len = 0;
    make_addr(bind_ip, static_cast<uint16_t>(spec.parent_port), ss, len);
    std::string what =
        "listen " + spec.proto + " " + join_host_port(spec.parent_ip, spec.parent_port);
    common::UniqueFd l(socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!l)
        throw std::runtime_error(what + ": socket: " + go_errno(errno));
    int one = 1, v6only = spec.proto == "tcp6" ? 1 : 0;
    setsockopt(l.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (family == AF_INET6)
        setsockopt(l.get(), IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only);
    if (bind(l.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0) {
        int e = errno;
        std::string msg = what + ": bind: " + go_errno(e);
        if (e == EACCES && spec.parent_port < 1024)
            msg = "cannot expose privileged port " + std::to_string(spec.parent_port) +
                  ", you can add 'net.ipv4.ip_unprivileged_port_start=" +
                  std::to_string(spec.parent_port) +
                  "' to /etc/sysctl.conf (currently 1024), or set CAP_NET_BIND_SERVICE on "
                  "rootlesskit "
                  "binary, or choose a larger port number (>= 1024): " +
                  msg;
        throw std::runtime_error(msg);
    }
    if (listen(l.get(), 128) != 0)
        throw std::runtime_error(what + ": listen: " + go_errno(errno));
    auto f = std::make_unique<Forward>();
    f->status = PortStatus{next_id_++, spec};
    f->listener = std::move(l);
    int lfd = f->listener.get();
    std::string target = dial_target(spec);
    long long port = spec.child_port;
    f->acceptor = std::thread([this, lfd, target, port, proto = spec.proto] {
        for (;;) {
            int c = accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
            if (c < 0) {
                if (errno == EINTR || errno == ECONNABORTED)
                    continue;
                return; // shut down by remove()
            }
            std::thread([this, c, target, port, proto] {
                common::UniqueFd client(c);
                try {
                    common::UniqueFd inner = dial(proto, target, port);
                    relay(client.get(), inner.get());
                } catch (const std::exception&) {
                    // the client sees the connection close, as with upstream
                }
            }).detach();
        }
    });
    PortStatus st = f->status;
    ports_[st.id] = std::move(f);
    return st;
}

std::vector<PortStatus> BuiltinPortDriver::list() {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<PortStatus> out;
    for (auto& [id, f] : ports_)
        out.push_back(f->status);
    return out;
}

void BuiltinPortDriver::remove(int id) {
    std::unique_ptr<Forward> f;
    {
        std::lock_guard<std::mutex> lock(mu_);
        auto it = ports_.find(id);
        if (it == ports_.end())
            throw std::runtime_error("unknown id: " + std::to_string(id));
        f = std::move(it->second);
        ports_.erase(it);
    }
    (void)shutdown(f->listener.get(), SHUT_RDWR); // wakes accept()
    if (f->acceptor.joinable())
        f->acceptor.join();
}

} // namespace rlk::port
