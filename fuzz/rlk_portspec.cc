// SPDX-License-Identifier: Apache-2.0
// rlk_portspec.cc — rootlesskit port specs: the `-p`/`--publish` string form and the JSON body
// of POST /v1/ports, each validated against an existing table and written back out.
//
// Entry points: rlk::port::parse_port_spec, rlk::port::spec_from_json,
// rlk::port::validate_port_spec, rlk::port::to_json, rlk::port::go_value, rlk::api::go_json.
//
// Input: first byte even: a -p string; odd: a JSON body.
#include "rootlesskit/api/http.h"
#include "rootlesskit/port/spec.h"

#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1)
        return 0;
    std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
    static const std::map<int, rlk::port::PortStatus> existing = {
        {1, {1, {"tcp", "0.0.0.0", 8080, 80, ""}}},
        {2, {2, {"udp", "127.0.0.1", 5353, 53, "10.0.2.100"}}},
    };
    rlk::port::PortSpec spec;
    try {
        spec = (data[0] & 1) ? rlk::port::spec_from_json(text) : rlk::port::parse_port_spec(text);
    } catch (const std::exception&) {
        return 0; // rejected with a message: fine
    }
    (void)rlk::port::go_value(spec);
    try {
        rlk::port::validate_port_spec(spec, existing);
    } catch (const std::exception&) {
        return 0;
    }
    // A valid spec is what the API lists: its JSON must be writable (valid UTF-8 and all).
    (void)rlk::api::go_json(rlk::port::to_json(rlk::port::PortStatus{3, spec}));
    return 0;
}
