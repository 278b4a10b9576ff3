// SPDX-License-Identifier: Apache-2.0
// none.cc — --net=none: a network namespace with only loopback (brought up by the child)

#include "rootlesskit/net/none.h"

namespace rlk::net {

NetworkInfo NoneDriver::configure(pid_t, const std::string&) {
    return {};
}
nlohmann::ordered_json NoneDriver::info() const {
    return {{"driver", "none"}};
}
void NoneDriver::cleanup() {}

} // namespace rlk::net
