// SPDX-License-Identifier: Apache-2.0
// routes.cc — the API's routes and the /v1/info body, as upstream pkg/api/router answers them

#include "rootlesskit/api/server.h"

#include "rootlesskit/options.h"

namespace rlk::api {
namespace {

Response json_error(const std::string& message) {
    // Go's handler calls WriteHeader before setting Content-Type, so the type is sniffed.
    Response r;
    r.status = 400;
    r.content_type = "text/plain; charset=utf-8";
    r.sniffed = true;
    r.body = go_json(nlohmann::ordered_json{{"message", message}}) + "\n";
    return r;
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

bool needs_port_driver(const Info& info, const Request& req) {
    return info.ports && req.path.rfind("/v1/ports", 0) == 0;
}

} // namespace rlk::api
