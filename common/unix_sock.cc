// SPDX-License-Identifier: Apache-2.0
// unix_sock.cc — Unix stream sockets by path
#include "common/unix_sock.h"

#include <cerrno>
#include <cstring>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace common::unix_sock {
namespace {

// Fills `sa` for `path`; false when it does not fit (sun_path needs room for the NUL).
bool make_addr(const std::string& path, sockaddr_un& sa) {
    static_assert(sizeof(sockaddr_un::sun_path) == max_path + 1);
    if (path.empty() || path.size() > max_path)
        return false;
    sa = sockaddr_un{};
    sa.sun_family = AF_UNIX;
    std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
    return true;
}

} // namespace

UniqueFd listen(const std::string& path, int backlog, int extra_type_flags,
                const std::string& what) {
    sockaddr_un sa;
    if (!make_addr(path, sa))
        throw SysError(path.empty() ? EINVAL : ENAMETOOLONG, what + ": bind");
    (void)::unlink(path.c_str());
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | extra_type_flags, 0));
    if (!fd)
        throw SysError(errno, what + ": socket");
    if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0)
        throw SysError(errno, what + ": bind");
    if (::listen(fd.get(), backlog) != 0)
        throw SysError(errno, what + ": listen");
    return fd;
}

Result<UniqueFd> dial(const std::string& path) {
    sockaddr_un sa;
    if (!make_addr(path, sa))
        return Errno{path.empty() ? EINVAL : ENAMETOOLONG};
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd)
        return last_errno();
    int r;
    do {
        r = ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&sa), sizeof sa);
    } while (r < 0 && errno == EINTR);
    if (r < 0)
        return last_errno();
    return fd;
}

} // namespace common::unix_sock
