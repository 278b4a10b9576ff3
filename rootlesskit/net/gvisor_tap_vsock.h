// SPDX-License-Identifier: Apache-2.0
// gvisor_tap_vsock.h — --net=gvisor-tap-vsock: upstream v3's address plan served by our slirpnet
#pragma once

#include "common/unique_fd.h"
#include "rootlesskit/net/driver.h"

namespace rlk::net {

class GvisorTapVsockDriver final : public NetworkDriver {
public:
    explicit GvisorTapVsockDriver(NetPlan plan) : plan_(std::move(plan)) {}
    ~GvisorTapVsockDriver() override { cleanup(); }
    NetworkInfo configure(pid_t pid, const std::string& detached_netns) override;
    nlohmann::ordered_json info() const override;
    void cleanup() override;

private:
    NetPlan plan_;
    pid_t pid_ = -1;
    NetworkInfo info_;
};

/// The slirpnet argv for a plan, the TAP being fd `tap_fd` and the ready pipe fd `ready_fd`
/// (exposed for tests).
std::vector<std::string> gvisor_tap_vsock_argv(const NetPlan& plan, int ready_fd, int tap_fd);

/// Where slirpnet is looked for when --slirp4netns-binary is not given: beside this executable,
/// then in the package's libexec directory.
std::vector<std::string> slirpnet_candidates();

} // namespace rlk::net
