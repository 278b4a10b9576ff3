// SPDX-License-Identifier: Apache-2.0
// api.h — the slirp4netns API socket: add/list/remove_hostfwd over JSON on a Unix socket
#pragma once

#include "common/unique_fd.h"
#include "slirpnet/stack/stack.h"

#include <string>
#include <string_view>
#include <vector>

namespace slirp {

// clang-format off
inline constexpr size_t   api_max_request = 4096;  ///< slirp4netns reads one 4096-byte buffer
inline constexpr size_t   api_max_clients = 64;    ///< concurrent API connections
inline constexpr uint64_t api_timeout_ms  = 1000;  ///< a client that never finishes gets its answer
// clang-format on

/// Handles one API request text and returns the reply (byte-exact slirp4netns JSON, no newline).
/// Never throws: malformed input gets the upstream error reply.
std::string api_handle(Stack& st, std::string_view request) noexcept;

/// The listening socket and its non-blocking clients.
class Api {
public:
    /// Binds and listens at `path` (an existing file there is unlinked first). Throws SysError /
    /// UsageError with slirp4netns' messages.
    Api(Stack& st, std::string path);
    ~Api();
    Api(const Api&) = delete;
    Api& operator=(const Api&) = delete;

    int fd() const noexcept { return listen_.get(); }
    bool paused() const noexcept { return paused_; }
    void on_listen() noexcept;
    void on_client(uint32_t idx, uint32_t events) noexcept;
    void timer() noexcept;
    /// Unlinks the socket file (clean exit).
    void unlink_path() noexcept;

private:
    struct Client {
        common::UniqueFd fd;
        std::string buf;
        uint64_t deadline = 0;
    };
    void finish(Client& c) noexcept;
    void pause() noexcept;

    Stack& st_;
    std::string path_;
    common::UniqueFd listen_;
    std::vector<Client> clients_;
    bool paused_ = false; ///< listener out of epoll after EMFILE (back at the next tick)
};

} // namespace slirp
