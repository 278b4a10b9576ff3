// SPDX-License-Identifier: Apache-2.0
// pasta.h — --net=pasta driver
#pragma once

#include "rootlesskit/net/driver.h"

namespace rlk::net {

class PastaDriver final : public NetworkDriver {
public:
    PastaDriver(NetPlan plan, bool implicit_ports);
    ~PastaDriver() override;
    NetworkInfo configure(pid_t pid, const std::string& detached_netns) override;
    nlohmann::ordered_json info() const override;
    void cleanup() override;

private:
    NetPlan plan_;
    bool implicit_ports_;
    NetworkInfo info_;
};

/// The pasta argv for a plan (exposed for tests).
std::vector<std::string> pasta_argv(const NetPlan& plan, pid_t pid,
                                    const std::string& detached_netns, bool implicit_ports,
                                    bool host_lo_to_ns_lo);

} // namespace rlk::net
