// SPDX-License-Identifier: Apache-2.0
// slirp4netns.h — --port-driver=slirp4netns: forwards through slirp4netns' API socket
#pragma once

#include "rootlesskit/port/driver.h"

#include <map>
#include <mutex>
#include <string>

namespace rlk::port {

class Slirp4netnsPortDriver final : public PortDriver {
public:
    /// `api_socket` is slirp4netns' --api-socket; `child_ip` the namespace address (10.0.2.100);
    /// `name` the driver /v1/info reports: "slirp4netns", or "gvisor-tap-vsock" (slirpnet's API,
    /// which is slirp4netns').
    Slirp4netnsPortDriver(std::string api_socket, std::string child_ip,
                          std::string name = "slirp4netns");
    nlohmann::ordered_json info() const override;
    PortStatus add(const PortSpec& spec) override;
    std::vector<PortStatus> list() override;
    void remove(int id) override;

private:
    nlohmann::json call(const nlohmann::json& request);
    std::string socket_;
    std::string child_ip_;
    std::string name_;
    std::mutex mu_; ///< guards ports_ and serialises API calls (slirp4netns handles one at a time)
    std::map<int, PortStatus> ports_;
};

/// The add_hostfwd request for a spec (exposed for tests). Throws for unsupported specs.
nlohmann::ordered_json add_hostfwd_request(const PortSpec& spec,
                                           const std::string& default_child_ip);
/// The text of a slirp4netns {"error":…} reply, as upstream formats it ("reply.Error:
/// map[desc:…]").
std::string reply_error_text(const nlohmann::json& error);

} // namespace rlk::port
