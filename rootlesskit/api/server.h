// SPDX-License-Identifier: Apache-2.0
// server.h — the REST API on <state-dir>/api.sock (upstream pkg/api/router)
#pragma once

#include "common/unique_fd.h"
#include "rootlesskit/api/http.h"
#include "rootlesskit/port/driver.h"

#include <atomic>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <sys/types.h>
#include <thread>

namespace rlk::api {

/// What GET /v1/info reports.
struct Info {
    std::string state_dir;
    pid_t child_pid = 0;
    nlohmann::ordered_json network_driver; ///< null: no networkDriver key (--net=host)
    /// The port driver, or null (none, implicit): then the ports routes answer 400.
    std::shared_ptr<port::PortDriver> ports;
};

/// The body of GET /v1/info, byte-compatible with the Go server.
std::string info_body(const Info& info);

/// Routes one request: /v1/info, /v1/ports, /v1/ports/{id}; 404 and 405 as gorilla/mux does.
Response route(const Info& info, const Request& req);

/// Listens on `path` (removed first) and serves on a background thread until stop().
class Server {
public:
    Server(const std::string& path, Info info); ///< Throws SysError.
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;
    void stop();

private:
    void loop();
    std::shared_ptr<const Info> info_;
    common::UniqueFd listen_fd_;
    common::UniqueFd stop_fd_; ///< eventfd that ends the loop
    std::thread thread_;
};

} // namespace rlk::api
