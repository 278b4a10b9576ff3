// SPDX-License-Identifier: Apache-2.0
// slirp4netns.cc — port forwarding by slirp4netns' JSON API (add_hostfwd / remove_hostfwd, §5.3)
//
// One connection per request: the JSON request and a newline, shutdown(SHUT_WR), then the
// whole reply. slirp4netns owns the listening sockets; there is no child-side component.

#include "rootlesskit/port/slirp4netns.h"

#include "common/unique_fd.h"
#include "common/unix_sock.h"
#include "rootlesskit/cli.h"
#include "rootlesskit/process.h"
#include "rootlesskit/unix_io.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace rlk::port {

nlohmann::ordered_json add_hostfwd_request(const PortSpec& spec,
                                           const std::string& default_child_ip) {
    std::string proto;
    if (spec.proto == "tcp" || spec.proto == "tcp4")
        proto = "tcp";
    else if (spec.proto == "udp" || spec.proto == "udp4")
        proto = "udp";
    else
        throw std::runtime_error("unsupported protocol " + go_quote(spec.proto));
    std::string guest = default_child_ip;
    if (!spec.child_ip.empty()) {
        in_addr a{};
        if (inet_pton(AF_INET, spec.child_ip.c_str(), &a) != 1)
            throw std::runtime_error("unsupported IP (v6?): " + spec.child_ip);
        guest = spec.child_ip;
    }
    nlohmann::ordered_json args;
    args["proto"] = proto;
    args["host_addr"] = spec.parent_ip;
    args["host_port"] = spec.parent_port;
    args["guest_addr"] = guest;
    args["guest_port"] = spec.child_port;
    nlohmann::ordered_json req;
    req["execute"] = "add_hostfwd";
    req["arguments"] = args;
    return req;
}

std::string reply_error_text(const nlohmann::json& error) {
    // Go prints a map[string]interface{} with sorted keys: map[desc:…]
    std::string s = "reply.Error: map[";
    bool first = true;
    if (error.is_object()) {
        for (auto it = error.begin(); it != error.end(); ++it) {
            s += (first ? "" : " ") + it.key() + ":" +
                 (it.value().is_string() ? it.value().get<std::string>() : it.value().dump());
            first = false;
        }
    }
    return s + "]";
}

Slirp4netnsPortDriver::Slirp4netnsPortDriver(std::string api_socket, std::string child_ip,
                                             std::string name)
    : socket_(std::move(api_socket)), child_ip_(std::move(child_ip)), name_(std::move(name)) {}

nlohmann::ordered_json Slirp4netnsPortDriver::info() const {
    nlohmann::ordered_json j;
    j["driver"] = name_;
    j["protos"] = {"tcp", "tcp4", "udp", "udp4"};
    j["disallowLoopbackChildIP"] = true;
    return j;
}

nlohmann::json Slirp4netnsPortDriver::call(const nlohmann::json& request) {
    common::Result<common::UniqueFd> fd = common::unix_sock::dial(socket_);
    if (!fd && fd.error().value == ENAMETOOLONG)
        throw std::runtime_error("dial unix " + socket_ + ": " + go_errno(ENAMETOOLONG));
    if (!fd)
        throw std::runtime_error("dial unix " + socket_ +
                                 ": connect: " + go_errno(fd.error().value));
    if (common::Result<void> w = write_all(fd->get(), request.dump() + "\n"); !w)
        throw std::runtime_error("write unix " + socket_ + ": " + go_errno(w.error().value));
    (void)shutdown(fd->get(), SHUT_WR);
    std::string reply = read_to_eof(fd->get());
    nlohmann::json j = nlohmann::json::parse(reply, nullptr, false);
    if (j.is_discarded() || !j.is_object())
        throw std::runtime_error("unexpected reply from slirp4netns: " + go_quote(reply));
    if (j.contains("error") && !j["error"].is_null())
        throw std::runtime_error(reply_error_text(j["error"]));
    return j;
}

PortStatus Slirp4netnsPortDriver::add(const PortSpec& spec) {
    std::lock_guard<std::mutex> lock(mu_);
    validate_port_spec(spec, ports_);
    nlohmann::json reply = call(add_hostfwd_request(spec, child_ip_));
    if (!reply.contains("return") || !reply["return"].contains("id") ||
        !reply["return"]["id"].is_number_integer())
        throw std::runtime_error("unexpected reply from slirp4netns: " + reply.dump());
    PortStatus st{reply["return"]["id"].get<int>(), spec};
    ports_[st.id] = st;
    return st;
}

std::vector<PortStatus> Slirp4netnsPortDriver::list() {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<PortStatus> out;
    for (const auto& [id, st] : ports_)
        out.push_back(st);
    return out;
}

void Slirp4netnsPortDriver::remove(int id) {
    std::lock_guard<std::mutex> lock(mu_);
    nlohmann::json req = {{"execute", "remove_hostfwd"}, {"arguments", {{"id", id}}}};
    (void)call(req);
    ports_.erase(id);
}

} // namespace rlk::port
