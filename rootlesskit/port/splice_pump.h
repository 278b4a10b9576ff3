// SPDX-License-Identifier: Apache-2.0
// splice_pump.h — one direction of a relayed TCP connection, moved with splice(2) through a pipe
#pragma once

#include "common/unique_fd.h"

#include <cstddef>

namespace rlk::port {

/// Bytes moved per splice() call into a new pipe (the default pipe holds 64 KiB).
inline constexpr size_t splice_chunk = 65536;
/// A direction that fills its pipe gets one this big (fewer syscalls for bulk transfers;
/// the unprivileged maximum, fs.pipe-max-size, is 1 MiB by default). Small flows keep 64 KiB.
inline constexpr int bulk_pipe_size = 1 << 20;

/// State of one direction: its pipe, what sits in it, and whether the source ended.
struct SpliceHalf {
    common::UniqueFd pipe_r, pipe_w;
    size_t pending = 0;          ///< bytes in the pipe not yet written to the destination
    bool src_eof = false;        ///< the source said end of stream
    bool dst_shut = false;       ///< we passed the end on with shutdown(SHUT_WR)
    bool grown = false;          ///< the pipe was offered bulk_pipe_size (once)
    size_t chunk = splice_chunk; ///< what one splice() may move into the pipe
};

enum class PumpResult {
    again, ///< waiting for the source to be readable or the destination writable
    done,  ///< source ended, everything delivered, destination shut for writing
    error, ///< a socket failed (reset, broken pipe): the connection is over
};

/// Creates the pipe of a half; false (errno set) when out of fds or memory.
bool open_half(SpliceHalf& h) noexcept;

/// Moves data src → dst until both would block or the source ends. Non-blocking fds only.
PumpResult pump(int src, int dst, SpliceHalf& h) noexcept;

} // namespace rlk::port
