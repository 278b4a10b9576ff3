// SPDX-License-Identifier: Apache-2.0
// accept_backoff.h — the pause a listener takes when accept() runs out of fds or memory
#pragma once

#include <algorithm>
#include <cerrno>
#include <cstdint>

namespace rlk {

/// Doubling pause for a listener that ran out of fds or memory; reset by a good accept.
/// (Go's net/http sleeps 5 ms doubling to 1 s on a temporary accept error.)
class AcceptBackoff {
public:
    AcceptBackoff(uint64_t min_ms, uint64_t max_ms) : min_(min_ms), max_(max_ms) {}
    /// The pause to take now (min, 2·min, 4·min … max).
    uint64_t next() noexcept {
        cur_ = cur_ == 0 ? min_ : std::min(cur_ * 2, max_);
        return cur_;
    }
    void reset() noexcept { cur_ = 0; }

private:
    uint64_t min_, max_, cur_ = 0;
};

/// True for the accept() errors that mean "out of a resource, try later".
inline bool accept_should_back_off(int err) noexcept {
    return err == EMFILE || err == ENFILE || err == ENOMEM || err == ENOBUFS;
}

} // namespace rlk
