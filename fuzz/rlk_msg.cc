// SPDX-License-Identifier: Apache-2.0
// rlk_msg.cc — rootlesskit's parent↔child message decoder (uint32le length + JSON), several
// messages back to back, and the encoder round trip of whatever decoded.
//
// Entry points: rlk::msg::decode, rlk::msg::encode.
#include "rootlesskit/msg.h"

#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string buf(reinterpret_cast<const char*>(data), size);
    for (int n = 0; n < 8 && !buf.empty(); ++n) {
        size_t consumed = 0;
        std::optional<nlohmann::json> j;
        try {
            j = rlk::msg::decode(buf, &consumed);
        } catch (const std::exception&) {
            return 0; // a bad length or bad JSON is an error, not a crash
        }
        if (!j)
            return 0;
        if (consumed == 0 || consumed > buf.size())
            __builtin_trap();
        // What decoded encodes and decodes to the same value (unless the compact form outgrew
        // the limit, which the sender side checks).
        std::string again;
        try {
            again = rlk::msg::encode(*j);
        } catch (const std::exception&) {
            return 0;
        }
        if (again.size() > rlk::msg::max_size)
            return 0;
        size_t c2 = 0;
        auto j2 = rlk::msg::decode(again, &c2);
        if (!j2 || *j2 != *j || c2 != again.size())
            __builtin_trap();
        buf.erase(0, consumed);
    }
    return 0;
}
