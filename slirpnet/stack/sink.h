// SPDX-License-Identifier: Apache-2.0
// sink.h — where frames for the guest go: the tap fd in production, a vector in tests
#pragma once

#include "slirpnet/stack/wire.h"

#include <cstddef>
#include <span>

namespace slirp {

class FrameSink {
public:
    virtual ~FrameSink() = default;
    virtual void send(std::span<const std::byte> frame) noexcept = 0;
    /// True when send_vnet() hands offload metadata to the guest (a tap with IFF_VNET_HDR):
    /// TCP then sends partial checksums and GSO super-frames (stack/vnet.cc).
    virtual bool offload() const noexcept { return false; }
    /// A frame with offload metadata. The default completes the checksum and segments a GSO
    /// super-frame in software, sending each piece with send() (vnet::segment).
    virtual void send_vnet(std::span<const std::byte> frame, const VirtioNetHdr& h) noexcept;
};

} // namespace slirp
