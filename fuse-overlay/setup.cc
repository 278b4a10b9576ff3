// SPDX-License-Identifier: Apache-2.0
// setup.cc — cold-path mount preparation: resolve and open layers, workdir, overflow ids, and
// the upper root's stat-override xattr for xattr_permissions=N
#include "fuse-overlay/cli.h"
#include "fuse-overlay/copyup.h"
#include "fuse-overlay/session.h"
#include "fuse-overlay/xattr.h"

#include <array>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
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

// Reads `name` from a layer root into upstream's 64-byte buffer (a longer value reads as ERANGE).
Result<std::string> root_value(const Layer& layer, const char* name) {
    std::array<char, 64> buf{};
    Result<size_t> n = layer.getxattr("", name, buf.data(), buf.size());
    if (!n)
        return n.error();
    return std::string(buf.data(), *n);
}

// xattr_permissions=N (1 or 2) as 1.16's main() applies it to the upper layer (§2.5): N=1 keeps
// owners and modes in security.fuseoverlayfs.override_stat, N=2 in user.containers.override_stat,
// or in user.fuseoverlayfs.override_stat when the upper root already carries that older name
// (and not the new one). An upper root without the xattr gets it initialised: the value of the
// first lower root that has one (N=2 looks for the containers name, then the fuseoverlayfs one;
// an empty value does not count), else "0:0:555". Any failure stops the mount, as upstream's
// error(EXIT_FAILURE, ...) does; lower roots that cannot be read count as not having it.
void init_upper_override(std::vector<Layer>& layers, int n) {
    Layer& up = layers.front();
    OverrideMode mode = n == 1 ? OverrideMode::privileged : OverrideMode::containers;
    const char* name = override_xattr_name(mode);
    Result<std::string> have = root_value(up, name);
    if (!have && have.error().value == ENODATA && n == 2) {
        Result<std::string> old = root_value(up, override_xattr_name(OverrideMode::user));
        if (old) {
            mode = OverrideMode::user;
            name = override_xattr_name(mode);
            have = std::move(old);
        }
    }
    up.set_override_mode(mode);
    if (have)
        return;
    if (have.error().value != ENODATA)
        common::throw_error(have.error().value, "read xattr `%s` from upperdir", name);

    std::string value;
    for (size_t i = 1; i < layers.size() && value.empty(); ++i) {
        Result<std::string> v = root_value(layers[i], name);
        if (n == 2 && !v && v.error().value == ENODATA)
            v = root_value(layers[i], override_xattr_name(OverrideMode::user));
        if (v)
            value = std::move(*v);
    }
    const char* what = "fsetxattr mode to upper layer";
    if (value.empty()) { // if the mode is missing, upstream sets a standard value
        value = format_stat_override(StatOverride{0, 0, 0555, 0, 0});
        what = nullptr;
    }
    if (Result<void> r = up.setxattr("", name, value); !r) {
        if (what != nullptr)
            common::throw_error(r.error().value, "%s", what);
        common::throw_error(r.error().value, "write xattr `%s` to upperdir", name);
    }
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
        layers.emplace_back(up, 0, true);
    }
    for (const std::string& l : opts.lowerdirs) {
        std::string p = real_path(l);
        if (p.empty()) {
            std::string pre =
                "cannot resolve path " + l + "\ncannot load store (null) at " + l + "\n";
            throw CliError("cannot read lower dirs: " + std::string(std::strerror(ENOENT)), pre);
        }
        layers.emplace_back(p, static_cast<unsigned>(layers.size()), false);
    }
    for (Layer& layer : layers)
        layer.set_override_mode(detect_override(layer));
    if (has_upper && opts.xattr_permissions != 0)
        init_upper_override(layers, opts.xattr_permissions);
    // <workdir>/work is created when missing and emptied (leftovers of an interrupted copy-up or
    // of files deleted while open), as upstream does at mount, after the layers are checked.
    if (has_upper)
        prepare_workdir(opts.workdir);
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
