// SPDX-License-Identifier: Apache-2.0
// builtin.h — --port-driver=builtin (TCP): host listeners relaying into the child's netns
#pragma once

#include "common/unique_fd.h"
#include "rootlesskit/port/driver.h"

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <sys/types.h>
#include <thread>

namespace rlk::port {

class BuiltinPortDriver final : public PortDriver {
public:
    /// Starts the helper that opens connections inside the child's network namespace
    /// (`netns_path`, or the child's own when empty). Call before any thread exists.
    BuiltinPortDriver(pid_t child, const std::string& netns_path);
    ~BuiltinPortDriver() override;
    nlohmann::ordered_json info() const override;
    PortStatus add(const PortSpec& spec) override;
    std::vector<PortStatus> list() override;
    void remove(int id) override;

private:
    struct Forward;
    common::UniqueFd dial(const std::string& proto, const std::string& ip, long long port);
    std::mutex mu_;        ///< guards ports_ and next_id_; taken before helper_mu_
    std::mutex helper_mu_; ///< one request at a time on helper_
    common::UniqueFd helper_;
    pid_t helper_pid_ = -1;
    int next_id_ = 1;
    std::map<int, std::unique_ptr<Forward>> ports_;
};

/// The address a forward dials inside the namespace (childIP, the loopback parent IP, or
/// 127.0.0.1 / ::1). Exposed for tests.
std::string dial_target(const PortSpec& spec);

} // namespace rlk::port
