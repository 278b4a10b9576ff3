// SPDX-License-Identifier: Apache-2.0
// cli.h — fuse-overlayfs' command line turned into OverlayOptions, with upstream's wording
#pragma once

#include "common/error.h"
#include "fuse-overlay/options.h"

#include <string>
#include <string_view>
#include <vector>

namespace ovl {

/// A command-line error. what() is the line main() prints after "fuse-overlayfs: "; preamble()
/// holds lines upstream prints raw before it (libfuse's "fuse: invalid parameter…", warnings).
class CliError : public common::UsageError {
public:
    CliError(const std::string& message, std::string preamble = {})
        : common::UsageError(message), preamble_(std::move(preamble)) {}
    const std::string& preamble() const noexcept { return preamble_; }

private:
    std::string preamble_;
};

/// Parses argv (argv[0] excluded) the way fuse-overlayfs 1.16 does; `euid_root` selects the
/// injected defaults. Throws CliError. Makes no system calls.
OverlayOptions parse_cli(const std::vector<std::string>& args, bool euid_root);

/// Every `-o` key we parse ourselves ("lowerdir", "squash_to_root", ...), for --help checks.
std::vector<std::string_view> option_keys();

/// Splits one `-o` group the libfuse way: ',' separates, "\," "\\" and "\NNN" (octal) unescape.
std::vector<std::string> split_option_group(std::string_view group);
/// Splits a lowerdir value on ':'; "\:" is a literal colon, "\\" a backslash; empty entries vanish.
std::vector<std::string> split_lowerdirs(std::string_view value);

} // namespace ovl
