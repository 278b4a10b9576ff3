// SPDX-License-Identifier: Apache-2.0
// checksum.cc — the Internet checksum (RFC 1071) and incremental update (RFC 1624)
#include "slirpnet/stack/checksum.h"

namespace slirp::csum {

uint32_t sum16(std::span<const std::byte> data, uint32_t acc) noexcept {
    uint64_t sum = acc;
    size_t i = 0;
    for (; i + 1 < data.size(); i += 2)
        sum += (static_cast<uint32_t>(data[i]) << 8) | static_cast<uint32_t>(data[i + 1]);
    if (i < data.size())
        sum += static_cast<uint32_t>(data[i]) << 8;
    while (sum >> 32)
        sum = (sum & 0xffffffff) + (sum >> 32);
    return static_cast<uint32_t>(sum);
}

uint16_t fold(uint32_t acc) noexcept {
    while (acc >> 16)
        acc = (acc & 0xffff) + (acc >> 16);
    return static_cast<uint16_t>(acc);
}

uint16_t finish(std::span<const std::byte> data, uint32_t acc) noexcept {
    return static_cast<uint16_t>(~fold(sum16(data, acc)));
}

uint32_t pseudo4(uint32_t src, uint32_t dst, uint8_t proto, size_t len) noexcept {
    uint32_t s = (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff);
    return s + proto + static_cast<uint32_t>(len);
}

uint16_t update16(uint16_t csum, uint16_t old_val, uint16_t new_val) noexcept {
    // HC' = ~(~HC + ~m + m')
    uint32_t s = static_cast<uint16_t>(~csum);
    s += static_cast<uint16_t>(~old_val);
    s += new_val;
    return static_cast<uint16_t>(~fold(s));
}

} // namespace slirp::csum
