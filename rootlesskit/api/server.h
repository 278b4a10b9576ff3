// SPDX-License-Identifier: Apache-2.0
// server.h — the REST API on <state-dir>/api.sock (upstream pkg/api/router)
#pragma once

#include "rootlesskit/api/http.h"
#include "rootlesskit/port/driver.h"

#include <atomic>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <sys/types.h>

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

/// True when answering `req` calls the port driver (which may block: it runs off the loop).
bool needs_port_driver(const Info& info, const Request& req);

// clang-format off
/// Bounds of the server; each has a plan at the cap (server.cc).
struct ServerLimits {
    size_t max_clients = 256;           ///< open connections; a new one evicts the oldest waiting
    uint64_t request_timeout_ms = 30000; ///< to receive a whole request, and again to send its reply
    uint64_t backoff_min_ms = 10;       ///< first pause of accept() after EMFILE/ENFILE/ENOMEM
    uint64_t backoff_max_ms = 1000;     ///< longest pause
};
// clang-format on

/// Counters, for tests and the debug log.
struct ServerStats {
    std::atomic<uint64_t> accepted{0}, evicted{0}, timed_out{0}, backoffs{0}, refused{0};
};

/// Listens on `path` (removed first) and serves on one event-loop thread, with one worker
/// thread for the port driver's calls, until stop().
class Server {
public:
    /// Throws SysError (socket, epoll) or std::system_error (threads).
    Server(const std::string& path, Info info, ServerLimits limits = {});
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;
    /// Closes every connection and joins the threads (a driver call in progress finishes).
    void stop() noexcept;
    const ServerStats& stats() const noexcept;

    class Loop;

private:
    std::unique_ptr<Loop> loop_;
};

} // namespace rlk::api
