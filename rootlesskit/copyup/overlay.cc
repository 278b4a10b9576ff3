// SPDX-License-Identifier: Apache-2.0
// overlay.cc — copy-up by a kernel overlay over the dir itself (docs/compat/rootlesskit.md §6.5)
//
// For each dir D: a tmpfs on a temp dir in /tmp holding upper/ and work/; recursive clones of the
// mounts beneath D (the overlay's lower is D's own filesystem only); an overlay built with the
// new mount API (fsopen/fsconfig/fsmount) with lowerdir=D and userxattr, attached on D with
// move_mount; the clones moved back to the same places in it, with a bind of the state dir
// when it is beneath D (a unix socket in a lower layer cannot be connected to through the
// overlay); the tmpfs path detached (the overlay keeps its own private clone of it). Files keep
// their real paths and types: nothing is a symlink into a hidden copy. A step the kernel refuses
// before D is covered (or while the submounts are put back, after which the overlay is detached
// again) is warned about with the kernel's own message and D is copied up with tmpfs+symlink.

#include "rootlesskit/copyup/overlay.h"

#include "common/unique_fd.h"
#include "rootlesskit/logging.h"
#include "rootlesskit/process.h"
#include "rootlesskit/state_dir.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif

namespace rlk::copyup {
namespace {

struct Refused {
    std::string reason;
};

std::string unescape_mountinfo(const std::string& s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        bool octal =
            s[i] == '\\' && i + 3 < s.size() &&
            std::all_of(s.begin() + static_cast<long>(i) + 1, s.begin() + static_cast<long>(i) + 4,
                        [](char c) { return c >= '0' && c <= '7'; });
        if (octal) {
            out +=
                static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
            i += 3;
        } else {
            out += s[i];
        }
    }
    return out;
}

bool beneath(const std::string& p, const std::string& dir) {
    if (dir == "/")
        return p.size() > 1 && p[0] == '/';
    return p.size() > dir.size() + 1 && p.compare(0, dir.size(), dir) == 0 && p[dir.size()] == '/';
}

std::string read_text(const std::string& path) {
    std::ifstream f(path);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

// Everything the kernel logged on an fs context (non-blocking reads until ENODATA).
std::string drain_log(int fsfd) {
    std::string all;
    char buf[1024];
    for (;;) {
        ssize_t n = read(fsfd, buf, sizeof buf);
        if (n <= 0)
            break;
        all.append(buf, static_cast<size_t>(n));
        all += '\n';
    }
    return all;
}

class TempTmpfs {
public:
    TempTmpfs() {
        std::string tmpl = "/tmp/rootlesskit-o" + std::string("XXXXXX");
        if (!mkdtemp(tmpl.data()))
            throw Refused{"mkdtemp /tmp/rootlesskit-o: " + go_errno(errno)};
        path_ = tmpl;
        if (mount("none", path_.c_str(), "tmpfs", 0, "mode=0700") != 0) {
            int e = errno;
            (void)rmdir(path_.c_str());
            path_.clear();
            throw Refused{"failed to mount tmpfs on " + tmpl + ": " + go_errno(e)};
        }
        mounted_ = true;
    }
    TempTmpfs(const TempTmpfs&) = delete;
    TempTmpfs& operator=(const TempTmpfs&) = delete;
    ~TempTmpfs() {
        if (mounted_)
            (void)umount2(path_.c_str(), MNT_DETACH);
        if (!path_.empty())
            (void)rmdir(path_.c_str());
    }
    const std::string& path() const { return path_; }

private:
    std::string path_;
    bool mounted_ = false;
};

void make_layer_dir(const std::string& p, const struct stat& like) {
    if (mkdir(p.c_str(), 0755) != 0)
        throw Refused{"mkdir " + p + ": " + go_errno(errno)};
    // The overlay's root takes the upper root's mode: keep D's. Its owner stays the namespace's
    // root, as the tmpfs of tmpfs+symlink (D's owner is often unmapped, shown as nobody).
    (void)chmod(p.c_str(), like.st_mode & 07777);
}

// einval_hint: said after the errno when the kernel refuses the overlay with EINVAL.
common::UniqueFd build_overlay(const std::string& dir, const std::string& upper,
                               const std::string& work, const std::string& einval_hint) {
    common::UniqueFd fs(fsopen("overlay", FSOPEN_CLOEXEC));
    if (!fs)
        throw Refused{refusal_reason("fsopen overlay", "", go_errno(errno))};
    auto set = [&](const char* key, const std::string& value) {
        if (fsconfig(fs.get(), FSCONFIG_SET_STRING, key, value.c_str(), 0) != 0) {
            int e = errno;
            throw Refused{refusal_reason(std::string("fsconfig ") + key + "=" + value,
                                         drain_log(fs.get()), go_errno(e))};
        }
    };
    set("source", "rootlesskit");
    set("lowerdir", escape_lowerdir(dir));
    set("upperdir", upper);
    set("workdir", work);
    if (fsconfig(fs.get(), FSCONFIG_SET_FLAG, "userxattr", nullptr, 0) != 0) {
        int e = errno;
        throw Refused{refusal_reason("fsconfig userxattr", drain_log(fs.get()), go_errno(e))};
    }
    if (fsconfig(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) {
        int e = errno;
        std::string why =
            refusal_reason("overlay lowerdir=" + dir, drain_log(fs.get()), go_errno(e));
        throw Refused{e == EINVAL && !einval_hint.empty() ? why + "; " + einval_hint : why};
    }
    common::UniqueFd mnt(fsmount(fs.get(), FSMOUNT_CLOEXEC, 0));
    if (!mnt) {
        int e = errno;
        throw Refused{refusal_reason("fsmount overlay", drain_log(fs.get()), go_errno(e))};
    }
    return mnt;
}

void overlay_one(const std::string& dir, const std::string& keep) {
    struct stat st {};
    if (stat(dir.c_str(), &st) != 0)
        throw std::runtime_error("stat " + dir + ": " + go_errno(errno));
    TempTmpfs tmp;
    make_layer_dir(tmp.path() + "/upper", st);
    make_layer_dir(tmp.path() + "/work", st);
    // Mounts beneath dir are not part of its overlay: cloned now, put back once it is on dir.
    // The kernel refuses an overlay whose lower has mounts locked beneath it (made outside
    // this user namespace): only mounts made here, e.g. by an earlier --copy-up, come back.
    std::vector<std::string> points = outer_submounts(read_text("/proc/self/mountinfo"), dir);
    std::string hint = points.empty() ? ""
                                      : "mounts beneath it (" + points.front() +
                                            (points.size() > 1 ? ", ..." : "") +
                                            ") made outside this user namespace cannot be overlaid";
    common::UniqueFd ovl = build_overlay(dir, tmp.path() + "/upper", tmp.path() + "/work", hint);
    std::vector<std::pair<std::string, common::UniqueFd>> subs;
    for (const std::string& p : points) {
        common::UniqueFd t(
            open_tree(AT_FDCWD, p.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE));
        if (!t)
            throw Refused{"failed to clone the mount on " + p + ": " + go_errno(errno)};
        subs.emplace_back(p, std::move(t));
    }
    bool keep_it = !keep.empty() && beneath(keep, dir) &&
                   std::none_of(points.begin(), points.end(), [&](const std::string& p) {
                       return p == keep || beneath(keep, p);
                   });
    if (keep_it) {
        common::UniqueFd t(
            open_tree(AT_FDCWD, keep.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE));
        if (!t)
            throw Refused{"failed to bind the state dir " + keep + ": " + go_errno(errno)};
        subs.emplace_back(keep, std::move(t));
    }
    if (move_mount(ovl.get(), "", AT_FDCWD, dir.c_str(), MOVE_MOUNT_F_EMPTY_PATH) != 0)
        throw Refused{"failed to mount overlay on " + dir + ": " + go_errno(errno)};
    for (auto& [p, t] : subs) {
        if (move_mount(t.get(), "", AT_FDCWD, p.c_str(), MOVE_MOUNT_F_EMPTY_PATH) != 0) {
            int e = errno;
            (void)umount2(dir.c_str(), MNT_DETACH); // the submounts moved so far go with it
            throw Refused{"failed to put the mount on " + p + " back: " + go_errno(e)};
        }
    }
}

} // namespace

std::string escape_lowerdir(const std::string& path) {
    std::string out;
    for (char c : path) {
        if (c == '\\' || c == ':')
            out += '\\';
        out += c;
    }
    return out;
}

std::vector<std::string> outer_submounts(const std::string& mountinfo, const std::string& dir) {
    std::vector<std::string> points;
    std::istringstream in(mountinfo);
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream f(line);
        std::string id, parent, devno, root, point;
        if (!(f >> id >> parent >> devno >> root >> point))
            continue;
        point = unescape_mountinfo(point);
        if (beneath(point, dir) && std::find(points.begin(), points.end(), point) == points.end())
            points.push_back(point);
    }
    std::vector<std::string> outer;
    for (const std::string& p : points) {
        bool inner = std::any_of(points.begin(), points.end(),
                                 [&](const std::string& q) { return beneath(p, q); });
        if (!inner)
            outer.push_back(p);
    }
    return outer;
}

std::string refusal_reason(const std::string& step, const std::string& kernel_log,
                           const std::string& errno_text) {
    std::string msgs;
    std::istringstream in(kernel_log);
    std::string line;
    while (std::getline(in, line)) {
        if (line.size() > 2 && line[1] == ' ' && (line[0] == 'e' || line[0] == 'w'))
            line = line.substr(2);
        if (line.empty())
            continue;
        msgs += (msgs.empty() ? "" : "; ") + line;
    }
    return step + ": " + (msgs.empty() ? "" : msgs + ": ") + errno_text;
}

std::string fallback_message(const std::string& dir, const std::string& reason) {
    return "copy-up of " + dir + " with overlayfs failed (" + reason +
           "); falling back to tmpfs+symlink for " + dir;
}

std::vector<std::string> Overlay::copy_up(const std::vector<std::string>& dirs) {
    std::vector<std::string> done;
    for (const std::string& d : clean_dirs(dirs)) {
        try {
            overlay_one(d, keep_);
        } catch (const Refused& r) {
            log::warn(fallback_message(d, r.reason));
            TmpfsSymlink().copy_up({d});
        }
        done.push_back(d);
    }
    return done;
}

std::unique_ptr<CopyUpDriver> make_driver(const std::string& mode, const std::string& state_dir) {
    if (mode == "tmpfs+symlink")
        return std::make_unique<TmpfsSymlink>(); // its symlinks lead to the original
    if (mode == "overlayfs")
        return std::make_unique<Overlay>(state_dir.empty() ? "" : absolute_path(state_dir));
    return nullptr;
}

} // namespace rlk::copyup
