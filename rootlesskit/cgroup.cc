// SPDX-License-Identifier: Apache-2.0
// cgroup.cc — cgroup v2 evacuation and the root-propagation warning, from /proc files

#include "rootlesskit/cgroup.h"

#include "rootlesskit/logging.h"
#include "rootlesskit/process.h"

#include <cerrno>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <sys/stat.h>
#include <vector>

namespace rlk {
namespace {

std::string read_text(const std::string& path) {
    std::ifstream f(path);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

bool write_text(const std::string& path, const std::string& s) {
    std::ofstream f(path);
    f << s;
    f.flush();
    return static_cast<bool>(f);
}

// Fields of each mountinfo line: before " - " and after it.
struct MountLine {
    std::vector<std::string> pre, post;
};

std::vector<MountLine> parse_mountinfo(const std::string& text) {
    std::vector<MountLine> out;
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
        MountLine m;
        std::istringstream ws(line);
        std::string w;
        bool after = false;
        while (ws >> w) {
            if (w == "-" && !after) {
                after = true;
                continue;
            }
            (after ? m.post : m.pre).push_back(w);
        }
        if (m.pre.size() >= 6 && !m.post.empty())
            out.push_back(m);
    }
    return out;
}

} // namespace

std::optional<std::string> find_cgroup2_mount(const std::string& mountinfo) {
    for (const MountLine& m : parse_mountinfo(mountinfo))
        if (m.post[0] == "cgroup2")
            return m.pre[4];
    return std::nullopt;
}

std::optional<std::string> find_cgroup2_group(const std::string& proc_cgroup) {
    std::istringstream lines(proc_cgroup);
    std::string line;
    while (std::getline(lines, line))
        if (line.rfind("0::", 0) == 0)
            return line.substr(3);
    return std::nullopt;
}

std::string root_propagation(const std::string& mountinfo) {
    std::string opt;
    for (const MountLine& m : parse_mountinfo(mountinfo)) {
        if (m.pre[4] != "/")
            continue;
        opt.clear();
        for (size_t i = 6; i < m.pre.size(); ++i)
            opt += (opt.empty() ? "" : " ") + m.pre[i];
    }
    return opt; // the last mount on "/" is the visible one
}

void warn_propagation(const std::string& propagation) {
    if (propagation.find("private") != std::string::npos)
        return;
    std::string opt = root_propagation(read_text("/proc/self/mountinfo"));
    if (opt.rfind("shared:", 0) == 0)
        return;
    log::warn("The host root filesystem is mounted as \"" + opt +
              "\". Setting child propagation to \"" + propagation + "\" is not supported.");
}

void evacuate_cgroup2(const std::string& name) {
    std::optional<std::string> mnt = find_cgroup2_mount(read_text("/proc/self/mountinfo"));
    if (!mnt) {
        log::warn("Disabling cgroup2 evacuation, as cgroup2 is not mounted");
        return;
    }
    std::optional<std::string> group = find_cgroup2_group(read_text("/proc/self/cgroup"));
    if (!group) {
        log::warn("Disabling cgroup2 evacuation, as the cgroup2 group is unknown");
        return;
    }
    std::string base = *mnt + (*group == "/" ? "" : *group);
    std::string dst = base + "/" + name;
    if (mkdir(dst.c_str(), 0755) != 0 && errno != EEXIST)
        throw std::runtime_error("mkdir " + dst + ": " + go_errno(errno));
    std::istringstream procs(read_text(base + "/cgroup.procs"));
    std::string pid;
    while (procs >> pid)
        if (!write_text(dst + "/cgroup.procs", pid))
            log::warn("failed to move process " + pid + " to " + dst);
    std::istringstream ctrls(read_text(base + "/cgroup.controllers"));
    std::string c;
    while (ctrls >> c)
        if (!write_text(base + "/cgroup.subtree_control", "+" + c))
            log::warn("failed to enable controller " + c + " for " + base);
}

} // namespace rlk
