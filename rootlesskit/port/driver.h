// SPDX-License-Identifier: Apache-2.0
// driver.h — the parent side of a port driver (upstream pkg/port.Manager)
#pragma once

#include "rootlesskit/port/spec.h"

#include <nlohmann/json.hpp>
#include <vector>

namespace rlk::port {

/// Called from the API threads: implementations lock internally.
class PortDriver {
public:
    virtual ~PortDriver() = default;
    /// The `portDriver` object of GET /v1/info.
    virtual nlohmann::ordered_json info() const = 0;
    /// Validates and adds a forward; throws with upstream's message on failure.
    virtual PortStatus add(const PortSpec& spec) = 0;
    /// The current forwards, by id.
    virtual std::vector<PortStatus> list() = 0;
    /// Removes a forward; throws on failure.
    virtual void remove(int id) = 0;
};

} // namespace rlk::port
