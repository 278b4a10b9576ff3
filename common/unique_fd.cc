// SPDX-License-Identifier: Apache-2.0
// unique_fd.cc — closing owned fds; cloexec pipes and socket pairs
#include "common/unique_fd.h"

#include "common/error.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace common {

void UniqueFd::reset(int fd) noexcept {
    if (fd_ >= 0 && fd_ != fd) {
        int saved = errno;
        // close() is not retried on EINTR: on Linux the fd is released either way.
        (void)::close(fd_);
        errno = saved;
    }
    fd_ = fd;
}

FdPair pipe_cloexec(int extra_flags) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC | extra_flags) < 0)
        throw_errno("pipe2");
    return FdPair{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

FdPair socketpair_cloexec(int type) {
    int fds[2];
    if (::socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, fds) < 0)
        throw_errno("socketpair");
    return FdPair{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

} // namespace common
