// SPDX-License-Identifier: Apache-2.0
// checksum.cc — the Internet checksum (RFC 1071) and incremental update (RFC 1624)
#include "slirpnet/stack/checksum.h"

#include <bit>
#include <cstring>

namespace slirp::csum {

uint32_t sum16(std::span<const std::byte> data, uint32_t acc) noexcept {
    // RFC 1071 §2(B): the sum is byte-order independent, so add native-order 32-bit words into
    // a 64-bit accumulator (carries collect in the top half), fold, then swap to network order.
    const std::byte* p = data.data();
    size_t n = data.size();
    uint64_t s = 0;
    while (n >= 32) {
        uint32_t w[8];
        std::memcpy(w, p, sizeof(w));
        s += uint64_t{w[0]} + w[1] + w[2] + w[3] + w[4] + w[5] + w[6] + w[7];
        p += 32;
        n -= 32;
    }
    while (n >= 4) {
        uint32_t w;
        std::memcpy(&w, p, 4);
        s += w;
        p += 4;
        n -= 4;
    }
    if (n >= 2) {
        uint16_t w;
        std::memcpy(&w, p, 2);
        s += w;
        p += 2;
        n -= 2;
    }
    if (n == 1) { // the odd byte is the high half of a zero-padded big-endian word
        uint8_t b[2] = {static_cast<uint8_t>(*p), 0};
        uint16_t w;
        std::memcpy(&w, b, 2);
        s += w;
    }
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    uint16_t be = static_cast<uint16_t>(s);
    if constexpr (std::endian::native == std::endian::little)
        be = __builtin_bswap16(be);
    uint64_t sum = uint64_t{acc} + be;
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

uint32_t pseudo6(const uint8_t* src, const uint8_t* dst, uint8_t proto, size_t len) noexcept {
    uint32_t acc = sum16(std::as_bytes(std::span<const uint8_t>(src, 16)));
    acc = sum16(std::as_bytes(std::span<const uint8_t>(dst, 16)), acc);
    uint64_t s = uint64_t{acc} + proto + (len >> 16) + (len & 0xffff);
    while (s >> 32)
        s = (s & 0xffffffff) + (s >> 32);
    return static_cast<uint32_t>(s);
}

uint32_t pseudo(const Addr& src, const Addr& dst, uint8_t proto, size_t len) noexcept {
    if (src.is4())
        return pseudo4(src.v4(), dst.v4(), proto, len);
    return pseudo6(src.b.data(), dst.b.data(), proto, len);
}

uint16_t update16(uint16_t csum, uint16_t old_val, uint16_t new_val) noexcept {
    // HC' = ~(~HC + ~m + m')
    uint32_t s = static_cast<uint16_t>(~csum);
    s += static_cast<uint16_t>(~old_val);
    s += new_val;
    return static_cast<uint16_t>(~fold(s));
}

} // namespace slirp::csum
