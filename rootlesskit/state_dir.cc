// SPDX-License-Identifier: Apache-2.0
// state_dir.cc — state directory lifecycle (§3): temp dir or --state-dir, locks, clean-up

#include "rootlesskit/state_dir.h"

#include "common/error.h"
#include "rootlesskit/logging.h"
#include "rootlesskit/process.h"

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <dirent.h>
#include <fcntl.h>
#include <random>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace rlk {
namespace {

std::string clean(const std::string& p) {
    std::vector<std::string> parts;
    size_t i = 0;
    while (i < p.size()) {
        size_t j = p.find('/', i);
        if (j == std::string::npos)
            j = p.size();
        std::string c = p.substr(i, j - i);
        if (c == "..") {
            if (!parts.empty())
                parts.pop_back();
        } else if (!c.empty() && c != ".") {
            parts.push_back(c);
        }
        i = j + 1;
    }
    std::string out;
    for (const std::string& c : parts)
        out += "/" + c;
    return out.empty() ? "/" : out;
}

void mkdir_all(const std::string& path, mode_t mode) {
    std::string cur;
    size_t i = 1;
    while (i <= path.size()) {
        size_t j = path.find('/', i);
        if (j == std::string::npos)
            j = path.size();
        cur = path.substr(0, j);
        if (mkdir(cur.c_str(), mode) != 0 && errno != EEXIST)
            throw std::runtime_error("mkdir " + cur + ": " + go_errno(errno));
        i = j + 1;
    }
}

void remove_at(int parent_fd, const char* name) {
    if (unlinkat(parent_fd, name, 0) == 0 || errno != EISDIR)
        return;
    int fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0) {
        DIR* d = fdopendir(fd);
        if (d) {
            while (dirent* e = readdir(d)) {
                std::string n = e->d_name;
                if (n != "." && n != "..")
                    remove_at(dirfd(d), e->d_name);
            }
            closedir(d);
        } else {
            close(fd);
        }
    }
    (void)unlinkat(parent_fd, name, AT_REMOVEDIR);
}

} // namespace

std::string absolute_path(const std::string& p) {
    if (!p.empty() && p[0] == '/')
        return clean(p);
    char buf[PATH_MAX];
    if (!getcwd(buf, sizeof buf))
        common::throw_errno("getcwd");
    return clean(std::string(buf) + "/" + p);
}

void remove_all(const std::string& path) {
    if (path.empty() || path == "/")
        return;
    remove_at(AT_FDCWD, path.c_str());
}

StateDir::StateDir(const std::string& requested) {
    if (requested.empty()) {
        const char* tmp = getenv("TMPDIR");
        std::string base = tmp && *tmp ? tmp : "/tmp";
        std::random_device rd;
        for (int attempt = 0;; ++attempt) {
            std::string cand = base + "/rootlesskit" + std::to_string(rd() % 4000000000u);
            if (mkdir(cand.c_str(), 0700) == 0) {
                path_ = cand;
                break;
            }
            if (errno != EEXIST || attempt > 100)
                throw std::runtime_error("creating a state directory: mkdir " + cand + ": " +
                                         go_errno(errno));
        }
    } else {
        path_ = absolute_path(requested);
        mkdir_all(path_, 0755);
    }
    dir_fd_.reset(open(path_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir_fd_)
        throw std::runtime_error("open " + path_ + ": " + go_errno(errno));
    // LOCK_SH on the directory keeps systemd-tmpfiles away (upstream #185); failure only warns.
    if (flock(dir_fd_.get(), LOCK_SH) != 0)
        log::warn("failed to lock " + path_ + " with LOCK_SH: " + go_errno(errno));
    std::string lock = path_ + "/lock";
    lock_fd_.reset(open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (!lock_fd_ || flock(lock_fd_.get(), LOCK_EX | LOCK_NB) != 0) {
        std::string msg = "failed to lock " + lock +
                          ", another RootlessKit is running with the same state directory?";
        path_.clear(); // not ours: never remove another instance's directory
        throw std::runtime_error(msg);
    }
    // Crash recovery: everything but the lock is stale.
    if (!requested.empty()) {
        DIR* d = opendir(path_.c_str());
        if (d) {
            std::vector<std::string> names;
            while (dirent* e = readdir(d)) {
                std::string n = e->d_name;
                if (n != "." && n != ".." && n != "lock")
                    names.push_back(n);
            }
            closedir(d);
            for (const std::string& n : names)
                remove_at(dir_fd_.get(), n.c_str());
        }
    }
}

StateDir::~StateDir() {
    remove_all(path_);
}

void StateDir::write_child_pid(pid_t pid) const {
    std::string tmp = path_ + "/.child_pid.tmp";
    std::string s = std::to_string(pid);
    common::UniqueFd fd(open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0444));
    if (!fd || write(fd.get(), s.data(), s.size()) != static_cast<ssize_t>(s.size()))
        common::throw_errno("write %s", tmp.c_str());
    fd.reset();
    if (rename(tmp.c_str(), (path_ + "/child_pid").c_str()) != 0)
        common::throw_errno("rename %s", tmp.c_str());
}

} // namespace rlk
