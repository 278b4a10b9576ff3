// SPDX-License-Identifier: Apache-2.0
// setup.cc — cold-path mount preparation: resolve and open layers, workdir, overflow ids
#include "fuse-overlay/cli.h"
#include "fuse-overlay/copyup.h"
#include "fuse-overlay/session.h"

#include <array>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

namespace ovl {
namespace {

std::string real_path(const std::string& p) {
    char buf[PATH_MAX];
    if (realpath(p.c_str(), buf) == nullptr)
        return {};
    return buf;
}

uint32_t read_overflow(const char* file) {
    // Unmapped ids show as the kernel's overflow id (§2.9); 65534 if /proc cannot tell us.
    common::UniqueFd fd(open(file, O_RDONLY | O_CLOEXEC));
    char buf[32] = {};
    if (!fd || read(fd.get(), buf, sizeof buf - 1) <= 0)
        return 65534;
    return static_cast<uint32_t>(std::strtoul(buf, nullptr, 10));
}

OverrideMode detect_override(const Layer& layer) {
    static constexpr std::array<OverrideMode, 3> order = {
        OverrideMode::privileged, OverrideMode::containers, OverrideMode::user};
    for (OverrideMode m : order)
        if (layer.getxattr("", override_xattr_name(m), nullptr, 0))
            return m;
    return OverrideMode::none;
}

} // namespace

std::unique_ptr<Overlay> open_overlay(OverlayOptions opts) {
    std::vector<Layer> layers;
    bool has_upper = !opts.upperdir.empty();
    if (has_upper) {
        std::string up = real_path(opts.upperdir);
        if (up.empty())
            throw CliError(common::strprintf("cannot retrieve path for %s: %s",
                                             opts.upperdir.c_str(), std::strerror(errno)));
        // <workdir>/work is created when missing and emptied (leftovers of an interrupted
        // copy-up or of files deleted while open), as upstream does at mount.
        prepare_workdir(opts.workdir);
        layers.emplace_back(up, 0, true);
    }
    for (const std::string& l : opts.lowerdirs) {
        std::string p = real_path(l);
        if (p.empty()) {
            std::string pre = "cannot resolve path " + l + "\ncannot load store (null) at " + l + "\n";
            throw CliError("cannot read lower dirs: " + std::string(std::strerror(ENOENT)), pre);
        }
        layers.emplace_back(p, static_cast<unsigned>(layers.size()), false);
    }
    for (Layer& layer : layers)
        layer.set_override_mode(detect_override(layer));
    if (has_upper && opts.xattr_permissions != 0 &&
        layers.front().override_mode() == OverrideMode::none)
        layers.front().set_override_mode(opts.xattr_permissions == 1 ? OverrideMode::privileged
                                                                     : OverrideMode::containers);
    std::string work = has_upper ? opts.workdir + "/work" : std::string();
    auto ov = std::make_unique<Overlay>(std::move(opts), std::move(layers), has_upper);
    if (has_upper) {
        ov->work_fd.reset(open(work.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        if (!ov->work_fd)
            common::throw_errno("cannot open %s", work.c_str());
    }
    ov->overflow_uid = read_overflow("/proc/sys/kernel/overflowuid");
    ov->overflow_gid = read_overflow("/proc/sys/kernel/overflowgid");
    return ov;
}

} // namespace ovl
