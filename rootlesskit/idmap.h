// SPDX-License-Identifier: Apache-2.0
// idmap.h — subordinate id ranges (getsubids or /etc/subuid) and the newuidmap/newgidmap calls
#pragma once

#include <string>
#include <sys/types.h>
#include <vector>

namespace rlk {

struct SubIdRange {
    unsigned long start;
    unsigned long count;
    bool operator==(const SubIdRange&) const = default;
};

/// /etc/subuid-format text: lines for `uid` (decimal) or `user`, in file order. Throws with
/// upstream's "Cannot parse subuid/gid information: Format not correct for <file> file".
std::vector<SubIdRange> parse_subid_file(const std::string& text, const std::string& file,
                                         const std::string& uid, const std::string& user);

/// `getsubids` output ("0: tuser 100000 65536" per line). Throws on a malformed line.
std::vector<SubIdRange> parse_getsubids(const std::string& text);

/// Union without duplicates, first occurrence order (upstream 1.1.1+).
std::vector<SubIdRange> dedup(const std::vector<SubIdRange>& in);

/// newuidmap's arguments after the binary name: PID 0 ID 1 1 start1 len1 (1+len1) start2 …
std::vector<std::string> newidmap_args(pid_t pid, unsigned long id,
                                       const std::vector<SubIdRange>& ranges);

/// Computes the ranges per --subid-source and runs newuidmap and newgidmap for `pid`.
/// Throws with upstream's "failed to setup UID/GID map: …" wording.
void setup_idmap(pid_t pid, const std::string& subid_source);

} // namespace rlk
