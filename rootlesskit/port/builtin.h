// SPDX-License-Identifier: Apache-2.0
// builtin.h — --port-driver=builtin: host listeners relayed into the child's netns
#pragma once

#include "rootlesskit/port/dialer.h"
#include "rootlesskit/port/driver.h"
#include "rootlesskit/port/relay.h"

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <sys/types.h>

namespace rlk::port {

class BuiltinPortDriver final : public PortDriver {
public:
    /// Starts the helper that opens sockets inside the child's network namespace
    /// (`netns_path`, or the child's own when empty) and the relay thread. Call before any
    /// other thread exists (it forks). `source_ip_transparent`: keep clients' addresses.
    BuiltinPortDriver(pid_t child, const std::string& netns_path, bool source_ip_transparent);
    ~BuiltinPortDriver() override;
    nlohmann::ordered_json info() const override;
    PortStatus add(const PortSpec& spec) override;
    std::vector<PortStatus> list() override;
    void remove(int id) override;

private:
    std::mutex mu_; ///< guards ports_ and next_id_
    bool transparent_;
    std::unique_ptr<NetnsDialer> dialer_;
    std::unique_ptr<Relay> new_relay(const RelayLimits& limits);
    RelayLimits limits_; ///< of each loop
    /// One loop per CPU (at most relay_pool_max) serves every TCP port; UDP ports have their own
    /// loop at udp_relay_nice, made with the first. Declared after dialer_: they stop before it.
    std::vector<std::unique_ptr<Relay>> relays_;
    std::unique_ptr<Relay> udp_relay_;
    int next_id_ = 1;
    std::map<int, PortStatus> ports_;
};

/// The address a forward dials inside the namespace (childIP, the loopback parent IP, or
/// 127.0.0.1 / ::1). Exposed for tests.
std::string dial_target(const PortSpec& spec);

/// The socket a spec listens on, bound (and listening for TCP), non-blocking; throws with
/// Go's "listen tcp 127.0.0.1:8080: bind: address already in use" wording.
common::UniqueFd open_listener(const PortSpec& spec);

/// TCP relay loops of one driver, at most (one per CPU up to this).
inline constexpr unsigned relay_pool_max = 4;

/// Niceness of the UDP relay loop: it yields the CPU to the servers it feeds (builtin.cc).
inline constexpr int udp_relay_nice = 10;

/// Connections the relay takes for a given fd limit (each costs two sockets and two pipes).
size_t max_conns_for(size_t nofile) noexcept;

} // namespace rlk::port
