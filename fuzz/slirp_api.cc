// SPDX-License-Identifier: Apache-2.0
// slirp_api.cc — the slirp4netns-compatible API request handler (add/list/remove_hostfwd JSON),
// up to four requests against one fresh Stack so that add → list → remove sequences happen.
//
// Entry point: slirp::api_handle.
//
// Input: requests separated by NUL bytes. Oracle: every reply is one valid JSON document.
#include "fuzz/isolate.h"
#include "fuzz/slirp_guest.h"
#include "slirpnet/api.h"

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

namespace {
fuzz::FakeHost* host = nullptr;
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    fuzz::isolate_network(); // add_hostfwd binds real listeners
    host = new fuzz::FakeHost();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    fuzz::Harness h(*host, 0);
    for (int n = 0; n < 4 && !in.empty(); ++n) {
        size_t nul = in.find('\0');
        std::string_view req = in.substr(0, nul);
        in = nul == std::string_view::npos ? std::string_view() : in.substr(nul + 1);
        std::string reply = slirp::api_handle(*h.st, req);
        fuzz::check(nlohmann::json::accept(reply), "api_handle replied with invalid JSON");
    }
    return 0;
}
