// SPDX-License-Identifier: Apache-2.0
// server.cc — HTTP/1.1 over a Unix socket: accept loop, per-connection threads, the routes

#include "rootlesskit/api/server.h"

#include "common/error.h"
#include "rootlesskit/options.h"
#include "rootlesskit/unix_io.h"

#include <cerrno>
#include <cstring>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace rlk::api {
namespace {

// A client that sends nothing for this long is dropped (Go has no default; we bound threads).
constexpr int idle_timeout_s = 60;

Response json_error(const std::string& message) {
    // Go's handler calls WriteHeader before setting Content-Type, so the type is sniffed.
    Response r;
    r.status = 400;
    r.content_type = "text/plain; charset=utf-8";
    r.sniffed = true;
    r.body = go_json(nlohmann::ordered_json{{"message", message}}) + "\n";
    return r;
}

void serve_conn(common::UniqueFd fd, std::shared_ptr<const Info> info) {
    timeval tv{idle_timeout_s, 0};
    setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::string buf;
    char chunk[8192];
    for (;;) {
        Request req;
        size_t used = 0;
        ParseStatus st = parse_request(buf, req, used);
        if (st == ParseStatus::bad) {
            // Go: "400 Bad Request" in plain text, then the connection is closed.
            (void)write_all(fd.get(), "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; "
                                     "charset=utf-8\r\nConnection: close\r\n\r\n400 Bad Request");
            return;
        }
        if (st == ParseStatus::complete) {
            buf.erase(0, used);
            Response r = route(*info, req);
            r.close = !req.keep_alive;
            if (!write_all(fd.get(), format_response(r, http_date())) || r.close)
                return;
            continue;
        }
        ssize_t n = recv(fd.get(), chunk, sizeof chunk, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        buf.append(chunk, static_cast<size_t>(n));
    }
}

Response json_reply(int status, const std::string& body) {
    Response r;
    r.status = status;
    r.content_type = "application/json";
    r.body = body;
    return r;
}

// GET|POST /v1/ports and DELETE /v1/ports/{id} (upstream router.go).
Response route_ports(port::PortDriver& d, const Request& req, bool collection) {
    try {
        if (collection && req.method == "GET") {
            std::vector<port::PortStatus> all = d.list();
            if (all.empty())
                return json_reply(200, "null"); // Go marshals a nil slice
            nlohmann::ordered_json a = nlohmann::ordered_json::array();
            for (const port::PortStatus& st : all)
                a.push_back(port::to_json(st));
            return json_reply(200, go_json(a));
        }
        if (collection) {
            port::PortSpec spec = port::spec_from_json(req.body);
            return json_reply(201, go_json(port::to_json(d.add(spec))));
        }
        std::string id = req.path.substr(std::string("/v1/ports/").size());
        bool digits = !id.empty() && id.size() < 10 &&
                      id.find_first_not_of("0123456789") == std::string::npos;
        if (!digits)
            return json_error("bad id " + id + ": strconv.Atoi: parsing \"" + id +
                              "\": invalid syntax");
        d.remove(std::stoi(id));
        Response r;
        return r;
    } catch (const std::exception& e) {
        return json_error(e.what());
    }
}

} // namespace

std::string info_body(const Info& info) {
    nlohmann::ordered_json j;
    j["apiVersion"] = api_version;
    j["version"] = version;
    j["stateDir"] = info.state_dir;
    j["childPID"] = info.child_pid;
    if (!info.network_driver.is_null())
        j["networkDriver"] = info.network_driver;
    if (info.ports)
        j["portDriver"] = info.ports->info();
    return go_json(j);
}

Response route(const Info& info, const Request& req) {
    const std::string& p = req.path;
    auto method_not_allowed = [] {
        Response r;
        r.status = 405;
        return r;
    };
    if (p == "/v1/info") {
        if (req.method != "GET")
            return method_not_allowed();
        Response r;
        r.content_type = "application/json";
        r.body = info_body(info);
        return r;
    }
    bool ports = p == "/v1/ports";
    bool port_id =
        p.rfind("/v1/ports/", 0) == 0 && p.size() > 10 && p.find('/', 10) == std::string::npos;
    if (ports && req.method != "GET" && req.method != "POST")
        return method_not_allowed();
    if (port_id && req.method != "DELETE")
        return method_not_allowed();
    if ((ports || port_id) && !info.ports)
        return json_error("no PortDriver is available");
    if (ports || port_id)
        return route_ports(*info.ports, req, ports);
    Response r;
    r.status = 404;
    r.content_type = "text/plain; charset=utf-8";
    r.nosniff = true;
    r.body = "404 page not found\n";
    return r;
}

Server::Server(const std::string& path, Info info)
    : info_(std::make_shared<const Info>(std::move(info))) {
    (void)unlink(path.c_str());
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path)
        throw common::SysError(ENAMETOOLONG, "listen unix " + path);
    memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    listen_fd_.reset(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!listen_fd_)
        common::throw_errno("socket");
    if (bind(listen_fd_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        listen(listen_fd_.get(), 64) != 0)
        common::throw_errno("listen unix %s", path.c_str());
    stop_fd_.reset(eventfd(0, EFD_CLOEXEC));
    if (!stop_fd_)
        common::throw_errno("eventfd");
    thread_ = std::thread([this] { loop(); });
}

Server::~Server() {
    stop();
}

void Server::stop() {
    if (!thread_.joinable())
        return;
    uint64_t one = 1;
    (void)!write(stop_fd_.get(), &one, sizeof one);
    thread_.join();
}

void Server::loop() {
    for (;;) {
        pollfd p[2] = {{listen_fd_.get(), POLLIN, 0}, {stop_fd_.get(), POLLIN, 0}};
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        if (p[1].revents)
            return;
        common::UniqueFd c(accept4(listen_fd_.get(), nullptr, nullptr, SOCK_CLOEXEC));
        if (!c)
            continue;
        // Connections outlive nothing they borrow: they hold their own reference to the info.
        std::thread(serve_conn, std::move(c), info_).detach();
    }
}

} // namespace rlk::api
