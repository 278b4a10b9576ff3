// SPDX-License-Identifier: Apache-2.0
// slirp_resolv.cc — slirpnet's resolv.conf reader (the first IPv4 nameserver).
//
// Entry point: slirp::dns::parse_resolv_conf.
#include "slirpnet/stack/stack.h"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    uint32_t a = slirp::dns::parse_resolv_conf(text);
    // An address found must be in the text (as a dotted quad on a nameserver line).
    if (a != 0 && text.find("nameserver") == std::string_view::npos)
        __builtin_trap();
    return 0;
}
