// SPDX-License-Identifier: Apache-2.0
// seccomp_filter.h — --enable-seccomp: a libseccomp deny list (seccomp_rules.def), as
// slirp4netns 1.2 (not "seccomp.h": slirpnet/ is on the include path and would shadow libseccomp's
// header)
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace slirp::seccomp {

/// The deny list, in seccomp_rules.def order (31 names).
const std::vector<std::string_view>& deny_list();

/// What install() did, for the stdout/stderr lines (pure, so tests can check the wording).
struct Report {
    std::vector<std::string> blocked; ///< added to the filter
    std::vector<std::string> unknown; ///< not defined in libseccomp for this arch
    std::vector<std::string> failed;  ///< seccomp_rule_add failed
};

/// "seccomp: The following syscalls are blocked: a b c" (stdout).
std::string blocked_line(const Report& r);
/// The stderr warning lines (0–2 of them).
std::vector<std::string> warning_lines(const Report& r);

/// Builds the filter (default ALLOW; KILL_PROCESS if the kernel has it, else KILL; the native
/// arch plus its compat archs), prints the lines above and loads it. Throws on seccomp_load
/// failure ("seccomp: seccomp_load(): …"). Irreversible.
Report install();

} // namespace slirp::seccomp
