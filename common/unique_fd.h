// SPDX-License-Identifier: Apache-2.0
// unique_fd.h — move-only owner of a file descriptor
#pragma once

#include <utility>

namespace common {

/// Owns one fd and closes it on destruction; there is deliberately no implicit conversion to int.
class UniqueFd {
public:
    UniqueFd() noexcept = default;
    explicit UniqueFd(int fd) noexcept : fd_(fd) {}
    UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
    UniqueFd& operator=(UniqueFd&& o) noexcept {
        if (this != &o)
            reset(o.release());
        return *this;
    }
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    ~UniqueFd() { reset(); }

    int get() const noexcept { return fd_; }
    explicit operator bool() const noexcept { return fd_ >= 0; }
    /// Gives up ownership without closing.
    [[nodiscard]] int release() noexcept { return std::exchange(fd_, -1); }
    /// Closes the current fd (if any) and takes ownership of `fd`.
    void reset(int fd = -1) noexcept;

private:
    int fd_ = -1;
};

/// A pipe with O_CLOEXEC on both ends; throws SysError on failure.
struct FdPair {
    UniqueFd first;
    UniqueFd second;
};
/// pipe2(O_CLOEXEC | extra_flags): first is the read end, second the write end. Throws SysError.
FdPair pipe_cloexec(int extra_flags = 0);
/// socketpair(AF_UNIX, type | SOCK_CLOEXEC). Throws SysError.
FdPair socketpair_cloexec(int type);

} // namespace common
