// SPDX-License-Identifier: Apache-2.0
// tap.h — the TAP device: open/attach in the target netns, configure it, frame I/O
#pragma once

#include "common/unique_fd.h"
#include "slirpnet/cli.h"
#include "slirpnet/stack/stack.h"

#include <string>

namespace slirp::tap {

/// TUNSETIFF IFF_TAP|IFF_NO_PI on /dev/net/tun: creates `name` or attaches to an existing one.
/// Throws SysError with slirp4netns' wording ("ioctl(TUNSETIFF): Device or resource busy").
common::UniqueFd open(const std::string& name);

/// slirp4netns -c: lo up, tap up, MTU, MAC, +100/prefix, default route via +2 (contract §3.2).
/// Runs in the target netns. Throws SysError.
void configure(const std::string& name, const Options& o, const Config& c);

/// Writes frames to the tap fd (non-blocking; a full queue drops the frame, as a NIC would).
class TapSink : public FrameSink {
public:
    explicit TapSink(int fd) noexcept : fd_(fd) {}
    void send(std::span<const std::byte> frame) noexcept override;
    uint64_t* dropped = nullptr; ///< Counters::tap_write_drops, once the Stack exists

private:
    int fd_;
};

} // namespace slirp::tap
