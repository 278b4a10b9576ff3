// SPDX-License-Identifier: Apache-2.0
// fd_pass.cc — sendmsg/recvmsg with one SCM_RIGHTS fd; the CMSG_* macros stay in this file
// (docs/style.md B2)
#include "common/fd_pass.h"

#include <cstring>
#include <sys/socket.h>
#include <sys/uio.h>

namespace common {

Result<void> send_fd(int sock, int fd, std::span<const std::byte> payload) {
    std::byte zero{0};
    iovec iov{};
    if (payload.empty()) {
        iov.iov_base = &zero; // a message must carry at least one data byte
        iov.iov_len = 1;
    } else {
        iov.iov_base = const_cast<std::byte*>(payload.data());
        iov.iov_len = payload.size();
    }
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    cmsghdr* cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(cm), &fd, sizeof fd);
    for (;;) {
        ssize_t n = ::sendmsg(sock, &msg, MSG_NOSIGNAL);
        if (n >= 0)
            return {};
        if (errno != EINTR)
            return last_errno();
    }
}

Result<UniqueFd> recv_fd(int sock, std::span<std::byte> payload, size_t* payload_len) {
    std::byte scratch{0};
    iovec iov{};
    if (payload.empty()) {
        iov.iov_base = &scratch;
        iov.iov_len = 1;
    } else {
        iov.iov_base = payload.data();
        iov.iov_len = payload.size();
    }
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 4)] = {};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n;
    do {
        n = ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        return last_errno();
    if (n == 0)
        return Errno{ECONNRESET};
    if (payload_len)
        *payload_len = static_cast<size_t>(n);
    UniqueFd received;
    for (cmsghdr* cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
        if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
            continue;
        size_t count = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < count; i++) {
            int fd;
            std::memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof fd);
            if (!received)
                received.reset(fd);
            else
                UniqueFd extra(fd); // more fds than asked for: close them
        }
    }
    if (msg.msg_flags & MSG_CTRUNC)
        return Errno{EMSGSIZE};
    if (!received)
        return Errno{EBADMSG};
    return received;
}

} // namespace common
