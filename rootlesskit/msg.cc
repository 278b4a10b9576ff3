// SPDX-License-Identifier: Apache-2.0
// msg.cc — length-prefixed JSON messages over the parent↔child pipes

#include "rootlesskit/msg.h"

#include "common/error.h"
#include "rootlesskit/unix_io.h"

#include <cerrno>
#include <stdexcept>
#include <unistd.h>

namespace rlk::msg {
namespace {

bool read_full(int fd, char* p, size_t n, bool allow_eof_at_start) {
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, p + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            common::throw_errno("read message");
        if (r == 0) {
            if (got == 0 && allow_eof_at_start)
                return false;
            throw std::runtime_error("short read of a message");
        }
        got += static_cast<size_t>(r);
    }
    return true;
}

} // namespace

std::string encode(const nlohmann::json& j) {
    std::string body = j.dump();
    if (body.empty() || body.size() > max_size)
        throw std::runtime_error("bad message size " + std::to_string(body.size()));
    uint32_t n = static_cast<uint32_t>(body.size());
    std::string out(4, '\0');
    for (int i = 0; i < 4; ++i)
        out[static_cast<size_t>(i)] = static_cast<char>((n >> (8 * i)) & 0xff);
    return out + body;
}

std::optional<nlohmann::json> decode(const std::string& buf, size_t* consumed) {
    if (buf.size() < 4)
        return std::nullopt;
    uint32_t n = 0;
    for (int i = 3; i >= 0; --i)
        n = (n << 8) | static_cast<unsigned char>(buf[static_cast<size_t>(i)]);
    if (n == 0 || n > max_size)
        throw std::runtime_error("bad message size " + std::to_string(n));
    if (buf.size() < 4 + n)
        return std::nullopt;
    if (consumed)
        *consumed = 4 + n;
    return nlohmann::json::parse(buf.substr(4, n));
}

void send(int fd, const nlohmann::json& j) {
    if (common::Result<void> w = write_all(fd, encode(j)); !w)
        common::throw_error(w.error().value, "write message");
}

std::optional<nlohmann::json> recv(int fd) {
    char hdr[4];
    if (!read_full(fd, hdr, 4, true))
        return std::nullopt;
    uint32_t n = 0;
    for (int i = 3; i >= 0; --i)
        n = (n << 8) | static_cast<unsigned char>(hdr[i]);
    if (n == 0 || n > max_size)
        throw std::runtime_error("bad message size " + std::to_string(n));
    std::string body(n, '\0');
    read_full(fd, body.data(), n, false);
    return nlohmann::json::parse(body);
}

} // namespace rlk::msg
