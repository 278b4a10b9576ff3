// SPDX-License-Identifier: Apache-2.0
// slirp_dhcp.cc — slirpnet's DHCP server: up to four guest DHCP messages (DISCOVER, REQUEST, …)
// broadcast from 0.0.0.0:68 to 255.255.255.255:67, through the whole frame path.
//
// Entry point: slirp::ether::input (which hands UDP port 67 to slirp::dhcp4::input).
//
// Input: one config byte (as slirp_frames), then messages of [len:2][BOOTP+options bytes].
#include "fuzz/slirp_guest.h"

#include <cstddef>
#include <cstdint>

using namespace slirp::test;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1)
        return 0;
    static fuzz::FakeHost* host = new fuzz::FakeHost(); // never written to: DHCP stays in memory
    fuzz::Harness h(*host, data[0]);
    const auto& cfg = h.st->cfg;
    size_t pos = 1;
    for (int n = 0; n < 4 && pos + 2 <= size; ++n) {
        size_t len = std::min((size_t{data[pos]} << 8) | data[pos + 1], size - pos - 2);
        pos += 2;
        Bytes payload(reinterpret_cast<const std::byte*>(data + pos),
                      reinterpret_cast<const std::byte*>(data + pos + len));
        pos += len;
        // The second and later messages may come from the leased address, as a renewal does.
        uint32_t src = n > 0 && (data[0] & 0x80) ? cfg.dhcp_start : 0;
        uint32_t dst = n > 0 && (data[0] & 0x80) ? cfg.gw : 0xffffffff;
        slirp::ether::input(*h.st,
                            ipv4_frame(src, dst, IPPROTO_UDP, udp_seg(src, dst, 68, 67, payload)));
        h.sink.frames.clear();
    }
    return 0;
}
