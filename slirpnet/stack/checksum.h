// SPDX-License-Identifier: Apache-2.0
// checksum.h — the Internet checksum (RFC 1071) and incremental update (RFC 1624)
#pragma once

#include "slirpnet/stack/addr.h"

#include <cstddef>
#include <cstdint>
#include <span>

namespace slirp::csum {

/// Adds the 16-bit big-endian words of `data` to `acc` (odd trailing byte padded with zero).
uint32_t sum16(std::span<const std::byte> data, uint32_t acc = 0) noexcept;
/// Folds the carries of a 32-bit accumulator into 16 bits (not inverted).
uint16_t fold(uint32_t acc) noexcept;
/// The checksum field value (host order) for `data`: ~fold(sum16(data, acc)).
uint16_t finish(std::span<const std::byte> data, uint32_t acc = 0) noexcept;
/// The IPv4 pseudo-header sum (RFC 768, RFC 9293 §3.1); addresses in host order.
uint32_t pseudo4(uint32_t src, uint32_t dst, uint8_t proto, size_t len) noexcept;
/// The IPv6 pseudo-header sum (RFC 8200 §8.1); addresses as 16 network-order bytes each.
uint32_t pseudo6(const uint8_t* src, const uint8_t* dst, uint8_t proto, size_t len) noexcept;
/// The pseudo-header sum of the addresses' family (IPv4 when both are v4-mapped).
uint32_t pseudo(const Addr& src, const Addr& dst, uint8_t proto, size_t len) noexcept;
/// RFC 1624 eqn. 3: the new checksum after a 16-bit field changes from `old_val` to `new_val`.
uint16_t update16(uint16_t csum, uint16_t old_val, uint16_t new_val) noexcept;

} // namespace slirp::csum
