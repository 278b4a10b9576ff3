// SPDX-License-Identifier: Apache-2.0
// packet.h — PacketView (bounds-checked reads of received frames) and FrameBuf (outgoing frames)
#pragma once

#include <array>
#include <cstddef>
#include <cstring>
#include <optional>
#include <span>

namespace slirp {

/// A non-owning view of received bytes with a read offset. Headers are copied out with pull<H>(),
/// never reinterpret_cast, so alignment and aliasing are never an issue.
class PacketView {
public:
    PacketView() noexcept = default;
    explicit PacketView(std::span<const std::byte> data) noexcept : data_(data) {}

    /// Copies the next sizeof(H) bytes into an H and advances; nullopt if too short.
    template <class H> std::optional<H> pull() noexcept {
        if (remaining() < sizeof(H))
            return std::nullopt;
        H h;
        std::memcpy(&h, data_.data() + off_, sizeof(H));
        off_ += sizeof(H);
        return h;
    }
    /// Like pull() but does not advance.
    template <class H> std::optional<H> peek() const noexcept {
        if (remaining() < sizeof(H))
            return std::nullopt;
        H h;
        std::memcpy(&h, data_.data() + off_, sizeof(H));
        return h;
    }
    bool skip(size_t n) noexcept {
        if (remaining() < n)
            return false;
        off_ += n;
        return true;
    }
    /// Drops bytes beyond `n` from the current offset (link-layer padding); false if shorter.
    bool truncate(size_t n) noexcept {
        if (remaining() < n)
            return false;
        data_ = data_.first(off_ + n);
        return true;
    }
    size_t remaining() const noexcept { return data_.size() - off_; }
    size_t offset() const noexcept { return off_; }
    std::span<const std::byte> rest() const noexcept { return data_.subspan(off_); }
    std::span<const std::byte> all() const noexcept { return data_; }

private:
    std::span<const std::byte> data_;
    size_t off_ = 0;
};

/// An outgoing frame built back to front: payload is appended, then each layer push()es its
/// header into the headroom (the mbuf/skb model). Fixed size: no allocation per frame.
class FrameBuf {
public:
    static constexpr size_t headroom = 128;
    static constexpr size_t max_payload = 65536;

    FrameBuf() noexcept { reset(); }
    void reset() noexcept { start_ = end_ = headroom; }

    template <class H> bool push(const H& h) noexcept {
        if (start_ < sizeof(H))
            return false;
        start_ -= sizeof(H);
        std::memcpy(buf_.data() + start_, &h, sizeof(H));
        return true;
    }
    /// Prepends raw bytes (e.g. TCP options) into the headroom.
    bool prepend(std::span<const std::byte> bytes) noexcept {
        if (start_ < bytes.size())
            return false;
        start_ -= bytes.size();
        if (!bytes.empty())
            std::memcpy(buf_.data() + start_, bytes.data(), bytes.size());
        return true;
    }
    bool append(std::span<const std::byte> bytes) noexcept {
        if (bytes.size() > tail_room())
            return false;
        if (!bytes.empty())
            std::memcpy(buf_.data() + end_, bytes.data(), bytes.size());
        end_ += bytes.size();
        return true;
    }
    template <class H> bool append_struct(const H& h) noexcept {
        return append(std::as_bytes(std::span<const H, 1>(&h, 1)));
    }
    /// Space after the data, for receiving straight into the frame; commit() what was written.
    std::span<std::byte> tail() noexcept { return {buf_.data() + end_, tail_room()}; }
    void commit(size_t n) noexcept { end_ += n; }
    size_t tail_room() const noexcept { return buf_.size() - end_; }

    std::span<const std::byte> data() const noexcept { return {buf_.data() + start_, size()}; }
    std::span<std::byte> mutable_data() noexcept { return {buf_.data() + start_, size()}; }
    size_t size() const noexcept { return end_ - start_; }

private:
    std::array<std::byte, headroom + max_payload> buf_;
    size_t start_ = headroom;
    size_t end_ = headroom;
};

} // namespace slirp
