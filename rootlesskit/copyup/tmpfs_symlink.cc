// SPDX-License-Identifier: Apache-2.0
// tmpfs_symlink.cc — copy-up by a tmpfs over the dir whose entries link into the original (§6.2)
//
// For each dir D: bind D (recursively) onto a temp dir in /tmp, mount a tmpfs on D, move the
// bind to D/.roNNNN, and replace every top-level entry of the original with a symlink: a
// symlink keeps its own target, anything else points to ".roNNNN/<name>". Only the top level
// is snapshotted; later additions on the host are not seen (upstream behaviour).

#include "rootlesskit/copyup/tmpfs_symlink.h"

#include "rootlesskit/process.h"
#include "rootlesskit/state_dir.h"

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <dirent.h>
#include <stdexcept>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

namespace rlk::copyup {
namespace {

[[noreturn]] void fail(const std::string& what, int err) {
    throw std::runtime_error(what + ": " + go_errno(err));
}

std::string make_temp_dir(const std::string& prefix) {
    std::string tmpl = prefix + "XXXXXX";
    if (!mkdtemp(tmpl.data()))
        fail("mkdtemp " + prefix, errno);
    return tmpl;
}

void copy_up_one(const std::string& d) {
    // Outside the state dir so that /run can be copied up with the state dir under it.
    std::string bind0 = make_temp_dir("/tmp/rootlesskit-b");
    if (mount(d.c_str(), bind0.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0)
        fail("failed to create bind mount on " + d, errno);
    if (mount("none", d.c_str(), "tmpfs", 0, nullptr) != 0)
        fail("failed to mount tmpfs on " + d, errno);
    std::string bind1 = make_temp_dir(d + (d == "/" ? ".ro" : "/.ro"));
    if (mount(bind0.c_str(), bind1.c_str(), nullptr, MS_MOVE, nullptr) != 0)
        fail("failed to move mount point from " + bind0 + " to " + bind1, errno);
    std::string ro_base = bind1.substr(bind1.rfind('/') + 1);
    DIR* dir = opendir(bind1.c_str());
    if (!dir)
        fail("open " + bind1, errno);
    std::vector<std::pair<std::string, std::string>> links;
    while (dirent* e = readdir(dir)) {
        std::string name = e->d_name;
        if (name == "." || name == "..")
            continue;
        std::string p = bind1 + "/" + name;
        struct stat st {};
        if (lstat(p.c_str(), &st) != 0)
            continue;
        std::string target;
        if (S_ISLNK(st.st_mode)) {
            char buf[PATH_MAX];
            ssize_t n = readlink(p.c_str(), buf, sizeof buf - 1);
            if (n < 0)
                continue;
            target.assign(buf, static_cast<size_t>(n));
        }
        links.emplace_back(name, link_target(name, S_ISLNK(st.st_mode), target, ro_base));
    }
    closedir(dir);
    for (const auto& [name, target] : links) {
        std::string p = d + "/" + name;
        remove_all(p); // e.g. /etc/mtab created by mount (upstream #45)
        if (symlink(target.c_str(), p.c_str()) != 0)
            fail("symlink " + target + " " + p, errno);
    }
    (void)rmdir(bind0.c_str());
}

} // namespace

std::vector<std::string> clean_dirs(const std::vector<std::string>& dirs) {
    std::vector<std::string> out;
    for (const std::string& d : dirs) {
        std::string c = absolute_path(d);
        if (c == "/tmp")
            throw std::runtime_error("/tmp cannot be copied up");
        out.push_back(c);
    }
    return out;
}

std::string link_target(const std::string& name, bool is_symlink,
                        const std::string& readlink_target, const std::string& ro_base) {
    return is_symlink ? readlink_target : ro_base + "/" + name;
}

std::vector<std::string> TmpfsSymlink::copy_up(const std::vector<std::string>& dirs) {
    std::vector<std::string> done;
    for (const std::string& d : clean_dirs(dirs)) {
        copy_up_one(d);
        done.push_back(d);
    }
    return done;
}

} // namespace rlk::copyup
