// SPDX-License-Identifier: Apache-2.0
// cli.h — argv → Options (Go flag syntax, as urfave/cli parses it) and the --help/--version texts
#pragma once

#include "rootlesskit/options.h"

#include <string>
#include <vector>

namespace rlk {

/// Parses the arguments after argv[0]. Flag syntax errors throw common::UsageError with Go's
/// wording ("flag provided but not defined: -bogus") and show_usage() set. Pure: no syscalls.
Options parse_cli(const std::vector<std::string>& args);

/// The full `rootlesskit --help` text (urfave/cli layout, categories and flags as in v3.0.1).
/// `lxc_user_nic_default` is the --lxc-user-nic-binary default shown in the help.
std::string help_text(const std::string& lxc_user_nic_default = "");

/// Every long flag name ("net", "copy-up", …), for documentation checks.
std::vector<std::string> flag_names();

/// "rootlesskit version X\n".
std::string version_text();

/// The --print-semver=major|minor|patch output ("2\n"); throws UsageError otherwise.
std::string print_semver(const std::string& which);

/// Go's strconv.Quote for the ASCII subset our messages need (`"a\"b"`).
std::string go_quote(const std::string& s);

} // namespace rlk
