// SPDX-License-Identifier: Apache-2.0
// state_dir.h — the state directory: create or recover, lock, write child_pid, remove on exit
#pragma once

#include "common/unique_fd.h"

#include <string>
#include <sys/types.h>

namespace rlk {

class StateDir {
public:
    /// `requested` empty: a fresh $TMPDIR/rootlesskitNNNN (0700). Otherwise made absolute,
    /// created 0755, and emptied of everything but `lock` (crash recovery, upstream #220).
    /// Takes LOCK_SH on the directory and LOCK_EX|LOCK_NB on `lock`. Throws on failure.
    explicit StateDir(const std::string& requested);
    /// Removes the whole directory, as upstream does even for --state-dir.
    ~StateDir();
    StateDir(const StateDir&) = delete;
    StateDir& operator=(const StateDir&) = delete;

    const std::string& path() const noexcept { return path_; }
    /// Writes `child_pid` (decimal, no newline, 0444) atomically.
    void write_child_pid(pid_t pid) const;

private:
    std::string path_;
    common::UniqueFd dir_fd_;
    common::UniqueFd lock_fd_;
};

/// filepath.Abs + Clean.
std::string absolute_path(const std::string& p);
/// rm -rf; errors ignored (best effort, used on exit).
void remove_all(const std::string& path);

} // namespace rlk
