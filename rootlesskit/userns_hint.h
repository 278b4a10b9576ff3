// SPDX-License-Identifier: Apache-2.0
// userns_hint.h — why creating the user namespace failed, when the host can tell us
#pragma once

#include <optional>
#include <string>

namespace rlk {

/// The hint upstream logs (as two warnings) when starting the child failed with `err`: for
/// EACCES with `restrict_value` (the contents of
/// /proc/sys/kernel/apparmor_restrict_unprivileged_userns) equal to 1, the AppArmor profile
/// that lets `self_exe` create user namespaces. Empty otherwise. Pure, for tests.
std::optional<std::string> apparmor_userns_hint(int err, const std::string& restrict_value,
                                                const std::string& self_exe);

/// Logs the hint above for the running binary, reading the sysctl; does nothing without one.
void warn_on_child_start_failure(int err);

} // namespace rlk
