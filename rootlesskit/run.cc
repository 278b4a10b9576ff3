// SPDX-License-Identifier: Apache-2.0
// run.cc — rootlesskit's top level: flags, help/version, then the parent or the child role

#include "rootlesskit/run.h"

#include "common/error.h"
#include "rootlesskit/child.h"
#include "rootlesskit/cli.h"
#include "rootlesskit/logging.h"
#include "rootlesskit/parent.h"
#include "rootlesskit/process.h"

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <sys/stat.h>

namespace rlk {
namespace {

// Upstream's default for --lxc-user-nic-binary: the first of these that exists.
std::string lxc_user_nic_default() {
    for (const char* p :
         {"/usr/libexec/lxc/lxc-user-nic", "/usr/lib/x86_64-linux-gnu/lxc/lxc-user-nic",
          "/usr/lib/aarch64-linux-gnu/lxc/lxc-user-nic", "/usr/lib/lxc/lxc-user-nic"}) {
        struct stat st {};
        if (stat(p, &st) == 0)
            return p;
    }
    return "";
}

void out(const std::string& s) {
    (void)!fwrite(s.data(), 1, s.size(), stdout);
    fflush(stdout);
}

} // namespace

int main(int argc, char** argv) {
    bool child = getenv(pipe_fd_env) && *getenv(pipe_fd_env);
    log::set_id(child ? "child " : "parent");
    try {
        std::vector<std::string> args(argv + 1, argv + argc);
        Options o;
        try {
            o = parse_cli(args);
        } catch (const common::UsageError& e) {
            out("Incorrect Usage. " + std::string(e.what()) + "\n\n" +
                help_text(lxc_user_nic_default()));
            throw;
        }
        if (o.lxc_user_nic_binary.empty())
            o.lxc_user_nic_binary = lxc_user_nic_default();
        log::set_debug(o.debug);
        if (o.help) {
            out(help_text(lxc_user_nic_default()));
            return 0;
        }
        if (o.version) {
            out(version_text());
            return 0;
        }
        if (!o.print_semver.empty()) {
            out(print_semver(o.print_semver));
            return 0;
        }
        if (o.command.empty())
            throw std::runtime_error("no command specified");
        return child ? run_child(o) : run_parent(o);
    } catch (const ExitError& e) {
        log::error_line(e.what());
        return e.code();
    } catch (const std::exception& e) {
        log::error_line(e.what());
        return 1;
    }
}

} // namespace rlk
