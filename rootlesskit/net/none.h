// SPDX-License-Identifier: Apache-2.0
// none.h — --net=none driver
#pragma once

#include "rootlesskit/net/driver.h"

namespace rlk::net {

class NoneDriver final : public NetworkDriver {
public:
    NetworkInfo configure(pid_t pid, const std::string& detached_netns) override;
    nlohmann::ordered_json info() const override;
    void cleanup() override;
};

} // namespace rlk::net
