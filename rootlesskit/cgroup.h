// SPDX-License-Identifier: Apache-2.0
// cgroup.h — --evacuate-cgroup2 (parent side) and mountinfo lookups used by the parent
#pragma once

#include <optional>
#include <string>

namespace rlk {

/// The mount point of the first cgroup2 filesystem in mountinfo text, if any.
std::optional<std::string> find_cgroup2_mount(const std::string& mountinfo);
/// The "0::<path>" group from /proc/self/cgroup text, if any.
std::optional<std::string> find_cgroup2_group(const std::string& proc_cgroup);
/// The optional fields ("shared:1", "") of the mount at "/" in mountinfo text.
std::string root_propagation(const std::string& mountinfo);

/// Moves every process of our cgroup2 group G into G/<name> and enables G's controllers for
/// its children (upstream parent.evacuateCgroup2). Failing to create the group throws; the rest
/// only warns, as upstream.
void evacuate_cgroup2(const std::string& name);

/// Upstream's warning when a non-private propagation is asked for on a non-shared host "/".
void warn_propagation(const std::string& propagation);

} // namespace rlk
