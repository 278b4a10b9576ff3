// SPDX-License-Identifier: Apache-2.0
// ns.h — namespaces: open by pid or path, run code inside another user+net namespace, id maps
#pragma once

#include "common/error.h"
#include "common/unique_fd.h"

#include <functional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace common::ns {

/// Opens /proc/<pid>/ns/<type> ("net", "user", "mnt", …) read-only, O_CLOEXEC. Throws SysError.
UniqueFd open_by_pid(pid_t pid, const char* type);
/// Opens a namespace file (a bind mount or /proc path). Throws SysError.
UniqueFd open_path(const std::string& path);

/// Where run_in_ns() goes: the user namespace is optional (joined first, failure ignored as
/// slirp4netns does, because it is needed only when unprivileged); the net namespace is required.
struct Target {
    int userns = -1; ///< borrowed fd, or -1
    int netns = -1;  ///< borrowed fd, or -1 to stay in the current one
    int mntns = -1;  ///< borrowed fd, or -1
};

/// Forks a child that joins `target`, runs `fn` and sends back the fd it returns over SCM_RIGHTS
/// (slirp4netns' child()). The child's exceptions become the parent's SysError with the child's
/// text. `fn` returning an invalid fd is an error. Throws SysError.
UniqueFd run_in_ns(const Target& target, const std::function<UniqueFd()>& fn);

/// Forks a child that joins `target` and runs `fn`; returns once it has finished. The child's
/// exception becomes the parent's SysError with the child's text. Throws SysError.
void call_in_ns(const Target& target, const std::function<void()>& fn);

/// One line of /proc/PID/uid_map: inside, outside, count.
struct IdMapEntry {
    unsigned long inside;
    unsigned long outside;
    unsigned long count;
    bool operator==(const IdMapEntry&) const = default;
};
/// "0 1000 1\n1 100000 65536\n" form.
std::string format_id_map(const std::vector<IdMapEntry>& map);
/// Parses /proc/PID/uid_map text. Throws UsageError on malformed lines.
std::vector<IdMapEntry> parse_id_map(const std::string& text);

/// Writes /proc/<pid>/{uid,gid}_map (kind is "uid" or "gid"). Throws SysError.
void write_id_map(pid_t pid, const char* kind, const std::vector<IdMapEntry>& map);
/// Writes "deny" to /proc/<pid>/setgroups. Throws SysError.
void deny_setgroups(pid_t pid);

} // namespace common::ns
