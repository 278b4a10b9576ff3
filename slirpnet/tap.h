// SPDX-License-Identifier: Apache-2.0
// tap.h — the TAP device: open/attach in the target netns, configure it, frame I/O
#pragma once

#include "common/unique_fd.h"
#include "slirpnet/cli.h"
#include "slirpnet/stack/stack.h"

#include <string>

namespace slirp::tap {

/// TUNSETIFF IFF_TAP|IFF_NO_PI|IFF_VNET_HDR on /dev/net/tun: creates `name` or attaches to an
/// existing one (attaching sets the flags too). SLIRPNET_VNET=0 in the environment leaves
/// IFF_VNET_HDR out. Throws SysError with slirp4netns' wording ("ioctl(TUNSETIFF): Device or
/// resource busy").
common::UniqueFd open(const std::string& name);

/// True if frames on `fd` carry a virtio_net_hdr (IFF_VNET_HDR, whoever opened the tap).
bool has_vnet_hdr(int fd) noexcept;

/// Offloads we take from the guest's kernel (TUNSETOFFLOAD): checksums and TSO, so the guest
/// sends TCP segments of up to 64 KiB whatever its MTU. Only with IFF_VNET_HDR; best effort.
bool enable_offload(int fd) noexcept;
/// Turns the offloads off again (a persistent tap may be attached next by a plain reader).
void disable_offload(int fd) noexcept;

/// slirp4netns -c: lo up, tap up, MTU, MAC, +100/prefix, default route via +2
/// (docs/compat/slirp4netns.md §3.2). Runs in the target netns. Throws SysError.
void configure(const std::string& name, const Options& o, const Config& c);

/// Writes frames to the tap fd (non-blocking; a full queue drops the frame, as a NIC would).
/// With IFF_VNET_HDR on the fd, each frame gets its virtio_net_hdr in the same writev().
class TapSink : public FrameSink {
public:
    explicit TapSink(int fd) noexcept : fd_(fd), vnet_(has_vnet_hdr(fd)) {}
    void send(std::span<const std::byte> frame) noexcept override;
    bool offload() const noexcept override { return vnet_; }
    void send_vnet(std::span<const std::byte> frame, const VirtioNetHdr& h) noexcept override;
    uint64_t* dropped = nullptr; ///< Counters::tap_write_drops, once the Stack exists

private:
    int fd_;
    bool vnet_;
};

} // namespace slirp::tap
