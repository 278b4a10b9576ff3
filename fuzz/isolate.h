// SPDX-License-Identifier: Apache-2.0
// isolate.h — puts a fuzzer in its own network namespace with only loopback up, so that
// frames the fuzzer makes up never reach the host's network (guest SYNs to random addresses
// would otherwise become real connects)
#pragma once

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace fuzz {

inline void write_file(const char* path, const char* text) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    ssize_t n = write(fd, text, strlen(text));
    (void)n;
    close(fd);
}

/// Enters a new network namespace (with a user namespace when not root) and brings lo up.
/// Exits with a message when that is impossible: fuzzing with real networking is not an option.
inline void isolate_network() {
    uid_t uid = getuid();
    gid_t gid = getgid();
    if (unshare(CLONE_NEWNET) != 0) {
        if (unshare(CLONE_NEWUSER | CLONE_NEWNET) != 0) {
            std::fprintf(stderr, "fuzz: cannot enter a network namespace (%s); refusing to run\n",
                         std::strerror(errno));
            std::exit(1);
        }
        char map[64];
        write_file("/proc/self/setgroups", "deny");
        std::snprintf(map, sizeof map, "0 %u 1\n", static_cast<unsigned>(uid));
        write_file("/proc/self/uid_map", map);
        std::snprintf(map, sizeof map, "0 %u 1\n", static_cast<unsigned>(gid));
        write_file("/proc/self/gid_map", map);
    }
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
    if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) != 0 ||
        (ifr.ifr_flags |= IFF_UP, ioctl(s, SIOCSIFFLAGS, &ifr) != 0)) {
        std::fprintf(stderr, "fuzz: cannot bring lo up in the new namespace (%s)\n",
                     std::strerror(errno));
        std::exit(1);
    }
    close(s);
    // Ping sockets for the ICMP echo path (as slirp4netns uses them when allowed).
    write_file("/proc/sys/net/ipv4/ping_group_range", "0 2147483647");
}

} // namespace fuzz
