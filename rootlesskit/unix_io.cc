// SPDX-License-Identifier: Apache-2.0
// unix_io.cc — blocking stream I/O on Unix sockets and pipes: write all, read to EOF
#include "rootlesskit/unix_io.h"

#include <cstring>
#include <sys/socket.h>
#include <unistd.h>

namespace rlk {

common::Result<void> write_all(int fd, std::string_view data) {
    bool is_socket = true;
    size_t off = 0;
    while (off < data.size()) {
        ssize_t n = is_socket ? ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL)
                              : ::write(fd, data.data() + off, data.size() - off);
        if (n < 0 && errno == ENOTSOCK && is_socket) {
            is_socket = false; // a pipe: plain write(2)
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return common::last_errno();
        if (n == 0)
            return common::Errno{EPIPE};
        off += static_cast<size_t>(n);
    }
    return {};
}

std::string read_to_eof(int fd) {
    std::string out;
    char buf[8192];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        out.append(buf, static_cast<size_t>(n));
    }
    return out;
}

} // namespace rlk
