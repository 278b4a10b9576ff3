// SPDX-License-Identifier: Apache-2.0
// userns_hint.cc — the AppArmor hint for EACCES on user-namespace creation (upstream's
// warnOnChildStartFailure, RootlessKit v2.1+): Ubuntu 24.04 and later set
// kernel.apparmor_restrict_unprivileged_userns=1, and clone(CLONE_NEWUSER) then fails with EACCES
// for any binary without a profile granting "userns".

#include "rootlesskit/userns_hint.h"

#include "rootlesskit/logging.h"

#include <cerrno>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace rlk {

std::optional<std::string> apparmor_userns_hint(int err, const std::string& restrict_value,
                                                const std::string& self_exe) {
    if (err != EACCES)
        return std::nullopt;
    std::string v = restrict_value;
    while (!v.empty() && (v.back() == '\n' || v.back() == ' '))
        v.pop_back();
    if (v != "1")
        return std::nullopt;
    // The profile file is named after the binary's path, "/" turned into "." (as apparmor's
    // own profiles are: usr.bin.foo).
    std::string name = self_exe.substr(self_exe.rfind('/', 0) == 0 ? 1 : 0);
    for (char& c : name)
        if (c == '/')
            c = '.';
    std::ostringstream s;
    s << "Hint: try running the following commands:\n\n\n"
      << "########## BEGIN ##########\n"
      << "cat <<EOT | sudo tee \"/etc/apparmor.d/" << name << "\"\n"
      << "# ref: https://ubuntu.com/blog/ubuntu-23-10-restricted-unprivileged-user-namespaces\n"
      << "abi <abi/4.0>,\n"
      << "include <tunables/global>\n\n"
      << self_exe << " flags=(unconfined) {\n"
      << "  userns,\n\n"
      << "  # Site-specific additions and overrides. See local/README for details.\n"
      << "  include if exists <local/" << name << ">\n"
      << "}\n"
      << "EOT\n"
      << "sudo systemctl restart apparmor.service\n"
      << "########## END ##########\n\n";
    return s.str();
}

void warn_on_child_start_failure(int err) {
    if (err != EACCES)
        return;
    std::ifstream f("/proc/sys/kernel/apparmor_restrict_unprivileged_userns");
    if (!f)
        return;
    std::string value((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    std::string self = "/usr/local/bin/rootlesskit"; // upstream's guess when the path is unknown
    char buf[4096];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n > 0)
        self.assign(buf, static_cast<size_t>(n));
    std::optional<std::string> hint = apparmor_userns_hint(err, value, self);
    if (!hint)
        return;
    log::warn("This error might have happened because "
              "/proc/sys/kernel/apparmor_restrict_unprivileged_userns is set to 1");
    log::warn(*hint);
}

} // namespace rlk
