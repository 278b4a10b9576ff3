// SPDX-License-Identifier: Apache-2.0
// rlk_http.cc — rootlesskit's API front: HTTP/1.1 request parsing (Content-Length and chunked
// bodies, several pipelined requests), then routing each request against an in-memory port
// driver, and formatting the reply. The same bytes then go through the incremental parser the
// server uses, split into reads at sizes the input chooses: it must see the same requests.
//
// Entry points: rlk::api::parse_request, rlk::api::RequestParser, rlk::api::route,
// rlk::api::format_response.
#include "rootlesskit/api/http.h"
#include "rootlesskit/api/request_parser.h"
#include "rootlesskit/api/server.h"
#include "rootlesskit/port/spec.h"

#include <cstddef>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string_view>
#include <vector>

namespace {

/// A port driver that only keeps a table (what the builtin driver does, minus the sockets).
class MemoryPorts : public rlk::port::PortDriver {
public:
    nlohmann::ordered_json info() const override {
        return {{"driver", "memory"}, {"protos", {"tcp", "udp"}}};
    }
    rlk::port::PortStatus add(const rlk::port::PortSpec& spec) override {
        rlk::port::validate_port_spec(spec, ports_);
        rlk::port::PortStatus s{next_++, spec};
        ports_[s.id] = s;
        return s;
    }
    std::vector<rlk::port::PortStatus> list() override {
        std::vector<rlk::port::PortStatus> v;
        for (auto& [id, s] : ports_)
            v.push_back(s);
        return v;
    }
    void remove(int id) override {
        if (ports_.erase(id) == 0)
            throw std::runtime_error("not found");
    }

private:
    std::map<int, rlk::port::PortStatus> ports_;
    int next_ = 1;
};

// Feeds `buf` to a RequestParser in reads of 1..16 bytes (sizes from `seed`); the requests
// completed, in order, until the first that is not complete.
std::vector<rlk::api::Request> split_parse(std::string_view buf, uint8_t seed) {
    std::vector<rlk::api::Request> out;
    rlk::api::RequestParser p;
    size_t pos = 0;
    while (out.size() < 8) {
        rlk::api::ParseStatus s = p.parse();
        if (s == rlk::api::ParseStatus::complete) {
            out.push_back(p.request());
            p.next();
            continue;
        }
        if (s == rlk::api::ParseStatus::bad || pos == buf.size())
            break;
        size_t n = std::min<size_t>(buf.size() - pos, 1 + (seed + pos) % 16);
        p.append(buf.substr(pos, n));
        pos += n;
    }
    return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view buf(reinterpret_cast<const char*>(data), size);
    std::vector<rlk::api::Request> split = split_parse(buf, size ? data[0] : 0);
    rlk::api::Info info{"/state", 42, nlohmann::ordered_json{{"driver", "none"}},
                        std::make_shared<MemoryPorts>()};
    size_t n = 0;
    for (; n < 8; ++n) {
        rlk::api::Request req;
        size_t consumed = 0;
        rlk::api::ParseStatus s = rlk::api::parse_request(buf, req, consumed);
        if (s != rlk::api::ParseStatus::complete)
            break;
        if (consumed == 0 || consumed > buf.size())
            __builtin_trap(); // a complete request consumes something that was there
        if (n >= split.size() || split[n].target != req.target || split[n].body != req.body ||
            split[n].headers != req.headers || split[n].keep_alive != req.keep_alive)
            __builtin_trap(); // how the bytes were split changed what was parsed
        buf.remove_prefix(consumed);
        rlk::api::Response r = rlk::api::route(info, req);
        (void)rlk::api::format_response(r, "Thu, 03 Dec 2026 22:00:00 GMT");
    }
    if (n < 8 && split.size() != n)
        __builtin_trap();
    return 0;
}
