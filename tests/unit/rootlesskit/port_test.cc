// SPDX-License-Identifier: Apache-2.0
// port_test.cc — port specs (upstream portutil tables), JSON, the slirp4netns requests, routes
#include "rootlesskit/api/server.h"
#include "rootlesskit/ctl.h"
#include "rootlesskit/port/builtin.h"
#include "rootlesskit/port/slirp4netns.h"
#include "rootlesskit/port/spec.h"

#include <catch2/catch.hpp>
#include <stdexcept>

using namespace rlk::port;

namespace {
std::string parse_error(const std::string& s) {
    try {
        (void)parse_port_spec(s);
    } catch (const std::exception& e) {
        return e.what();
    }
    return "(no error)";
}
std::string validate_error(const PortSpec& p, const std::map<int, PortStatus>& existing = {}) {
    try {
        validate_port_spec(p, existing);
    } catch (const std::exception& e) {
        return e.what();
    }
    return "(no error)";
}
} // namespace

TEST_CASE("valid port specs parse like upstream's table", "[rootlesskit][port]") {
    PortSpec a = parse_port_spec("127.0.0.1:8080:80/tcp");
    CHECK(a.proto == "tcp");
    CHECK(a.parent_ip == "127.0.0.1");
    CHECK(a.parent_port == 8080);
    CHECK(a.child_port == 80);
    CHECK(a.child_ip.empty());
    PortSpec b = parse_port_spec(":8080:80/tcp");
    CHECK(b.parent_ip.empty());
    PortSpec c = parse_port_spec("127.0.0.1:8080:10.0.2.100:80/tcp");
    CHECK(c.child_ip == "10.0.2.100");
    PortSpec d = parse_port_spec("[::1]:8080:[::2]:80/udp");
    CHECK(d.parent_ip == "::1");
    CHECK(d.child_ip == "::2");
    CHECK(d.proto == "udp");
    PortSpec e = parse_port_spec("0.0.0.0:8080:[::1]:80/tcp4");
    CHECK(e.child_ip == "::1");
    CHECK(e.proto == "tcp4");
}

TEST_CASE("invalid port specs keep upstream's (swapped) messages", "[rootlesskit][port]") {
    CHECK(parse_error("8080:80/tcp") == "unexpected ParentIP in PortSpec string: \"8080:80/tcp\"");
    CHECK(parse_error("8080") == "missing proto in PortSpec string: \"8080\"");
    CHECK(parse_error("127.0.0.1:8080:80/foo") ==
          "invalid PortSpec string: \"127.0.0.1:8080:80/foo\": unknown proto: \"foo\"");
    CHECK(parse_error("a/tcp,b/tcp") == "unexpected PortSpec string: \"a/tcp,b/tcp\"");
    CHECK(parse_error("127.0.0.1:x:80/tcp") ==
          "unexpected ChildPort in PortSpec string: \"127.0.0.1:x:80/tcp\": strconv.Atoi: parsing "
          "\"x\": invalid syntax");
    CHECK(parse_error("127.0.0.1:8080:y/tcp") ==
          "unexpected ParentPort in PortSpec string: \"127.0.0.1:8080:y/tcp\": strconv.Atoi: "
          "parsing \"y\": invalid syntax");
    CHECK(parse_error("127.0.0.1:8080:bogus:80/tcp") ==
          "unexpected ParentIP in PortSpec string: \"127.0.0.1:8080:bogus:80/tcp\"");
}

TEST_CASE("validation: protos, IPs, ports as rune literals, conflicts", "[rootlesskit][port]") {
    PortSpec ok{"tcp", "127.0.0.1", 8080, 80, ""};
    CHECK(validate_error(ok) == "(no error)");
    for (const char* p : {"udp", "sctp", "tcp4", "udp6"}) {
        PortSpec x = ok;
        x.proto = p;
        CHECK(validate_error(x) == "(no error)");
    }
    for (const char* p : {"", "NaN", "TCP"}) {
        PortSpec x = ok;
        x.proto = p;
        CHECK(validate_error(x) == std::string("unknown proto: \"") + p + "\"");
    }
    PortSpec bad_ip = ok;
    bad_ip.parent_ip = "localhost";
    CHECK(validate_error(bad_ip) == "invalid ParentIP: \"localhost\"");
    PortSpec bad_child = ok;
    bad_child.child_ip = "x";
    CHECK(validate_error(bad_child) == "invalid ChildIP: \"x\"");
    PortSpec zero = ok;
    zero.parent_port = 0;
    CHECK(validate_error(zero) == "invalid ParentPort: '\\x00'");
    PortSpec big = ok;
    big.child_port = 70000;
    CHECK(validate_error(big) == "invalid ChildPort: '\xf0\x91\x85\xb0'");
    std::map<int, PortStatus> existing{{2, {2, ok}}};
    CHECK(validate_error(ok, existing) == "conflict with ID 2");
    PortSpec tcp4 = ok;
    tcp4.proto = "tcp4";
    CHECK(validate_error(tcp4, existing) == "(no error)"); // tcp and tcp4 do not conflict
}

TEST_CASE("Go rune quoting", "[rootlesskit][port]") {
    CHECK(go_quote_rune(65) == "'A'");
    CHECK(go_quote_rune(10) == "'\\n'");
    CHECK(go_quote_rune(0x85) == "'\\u0085'");
    CHECK(go_quote_rune(-1) == "'\xef\xbf\xbd'");
}

TEST_CASE("spec JSON omits empty fields in Go's key order", "[rootlesskit][port]") {
    CHECK(
        to_json(PortSpec{"tcp", "127.0.0.1", 8080, 80, "10.0.2.100"}).dump() ==
        R"({"proto":"tcp","parentIP":"127.0.0.1","parentPort":8080,"childPort":80,"childIP":"10.0.2.100"})");
    CHECK(to_json(PortStatus{3, PortSpec{"udp", "", 53, 53, ""}}).dump() ==
          R"({"id":3,"spec":{"proto":"udp","parentPort":53,"childPort":53}})");
    CHECK(go_value(PortSpec{"tcp", "127.0.0.1", 8080, 80, ""}) == "{tcp 127.0.0.1 8080 80 }");
}

TEST_CASE("request bodies decode leniently, with Go's type errors", "[rootlesskit][port]") {
    PortSpec p = spec_from_json(
        R"({"PROTO":"tcp","parentip":"1.2.3.4","ParentPort":1,"childPort":2,"x":true})");
    CHECK(p.proto == "tcp");
    CHECK(p.parent_ip == "1.2.3.4");
    CHECK(p.parent_port == 1);
    CHECK(p.child_port == 2);
    CHECK_THROWS_WITH(
        spec_from_json(R"({"parentPort":"x"})"),
        "json: cannot unmarshal string into Go struct field Spec.parentPort of type int");
    CHECK_THROWS_WITH(
        spec_from_json(R"({"proto":1})"),
        "json: cannot unmarshal number into Go struct field Spec.proto of type string");
    CHECK_THROWS_WITH(
        spec_from_json(R"({"childPort":1.5})"),
        "json: cannot unmarshal number 1.5 into Go struct field Spec.childPort of type int");
    CHECK_THROWS_WITH(spec_from_json(""), "EOF");
}

TEST_CASE("slirp4netns add_hostfwd requests", "[rootlesskit][port]") {
    CHECK(
        add_hostfwd_request(PortSpec{"tcp4", "127.0.0.1", 8080, 80, ""}, "10.0.2.100").dump() ==
        R"({"execute":"add_hostfwd","arguments":{"proto":"tcp","host_addr":"127.0.0.1","host_port":8080,"guest_addr":"10.0.2.100","guest_port":80}})");
    CHECK(add_hostfwd_request(PortSpec{"udp", "", 53, 53, "10.0.2.5"},
                              "10.0.2.100")["arguments"]["guest_addr"] == "10.0.2.5");
    CHECK_THROWS_WITH(add_hostfwd_request(PortSpec{"tcp6", "", 1, 1, ""}, "x"),
                      "unsupported protocol \"tcp6\"");
    CHECK_THROWS_WITH(add_hostfwd_request(PortSpec{"tcp", "", 1, 1, "::1"}, "x"),
                      "unsupported IP (v6?): ::1");
    CHECK(reply_error_text(
              nlohmann::json{{"desc", "bad request: remove_hostfwd: bad arguments.id"}}) ==
          "reply.Error: map[desc:bad request: remove_hostfwd: bad arguments.id]");
}

namespace {
// An in-memory port driver for the routes.
class FakePorts final : public PortDriver {
public:
    nlohmann::ordered_json info() const override {
        return {{"driver", "fake"}, {"protos", {"tcp"}}};
    }
    PortStatus add(const PortSpec& s) override {
        validate_port_spec(s, ports_);
        PortStatus st{++next_, s};
        ports_[st.id] = st;
        return st;
    }
    std::vector<PortStatus> list() override {
        std::vector<PortStatus> v;
        for (auto& [id, st] : ports_)
            v.push_back(st);
        return v;
    }
    void remove(int id) override {
        if (!ports_.erase(id))
            throw std::runtime_error("unknown id: " + std::to_string(id));
    }

private:
    int next_ = 0;
    std::map<int, PortStatus> ports_;
};

rlk::api::Response call(const rlk::api::Info& i, const std::string& m, const std::string& path,
                        const std::string& body = "") {
    rlk::api::Request r;
    r.method = m;
    r.path = path;
    r.body = body;
    return rlk::api::route(i, r);
}
} // namespace

TEST_CASE("ports routes with a driver: null, 201, list, delete, errors", "[rootlesskit][port]") {
    rlk::api::Info i{"/s", 1, nullptr, std::make_shared<FakePorts>()};
    CHECK(call(i, "GET", "/v1/ports").body == "null");
    auto created =
        call(i, "POST", "/v1/ports", R"({"proto":"tcp","parentPort":8080,"childPort":80})");
    CHECK(created.status == 201);
    CHECK(created.content_type == "application/json");
    CHECK(created.body == R"({"id":1,"spec":{"proto":"tcp","parentPort":8080,"childPort":80}})");
    CHECK(call(i, "GET", "/v1/ports").body ==
          R"([{"id":1,"spec":{"proto":"tcp","parentPort":8080,"childPort":80}}])");
    auto conflict =
        call(i, "POST", "/v1/ports", R"({"proto":"tcp","parentPort":8080,"childPort":81})");
    CHECK(conflict.status == 400);
    CHECK(conflict.body == "{\"message\":\"conflict with ID 1\"}\n");
    CHECK(call(i, "DELETE", "/v1/ports/abc").body ==
          "{\"message\":\"bad id abc: strconv.Atoi: parsing \\\"abc\\\": invalid syntax\"}\n");
    CHECK(call(i, "DELETE", "/v1/ports/9").body == "{\"message\":\"unknown id: 9\"}\n");
    auto del = call(i, "DELETE", "/v1/ports/1");
    CHECK(del.status == 200);
    CHECK(del.body.empty());
    CHECK(rlk::api::info_body(i).find(R"(,"portDriver":{"driver":"fake","protos":["tcp"]}})") !=
          std::string::npos);
}

TEST_CASE("list-ports table is tabwriter-aligned with trailing padding", "[rootlesskit][port]") {
    auto all = nlohmann::ordered_json::parse(
        R"([{"id":1,"spec":{"proto":"tcp","parentIP":"127.0.0.1","parentPort":8080,"childPort":80}}])");
    CHECK(rlk::ctl::format_ports(all) ==
          "ID    PROTO    PARENTIP     PARENTPORT    CHILDIP    CHILDPORT    \n"
          "1     tcp      127.0.0.1    8080                     80           \n");
    CHECK(rlk::ctl::format_ports(nullptr) ==
          "ID    PROTO    PARENTIP    PARENTPORT    CHILDIP    CHILDPORT    \n");
}

TEST_CASE("builtin driver dials the child IP, a loopback parent IP, or loopback",
          "[rootlesskit][port]") {
    CHECK(dial_target(PortSpec{"tcp", "", 8080, 80, "10.0.2.100"}) == "10.0.2.100");
    CHECK(dial_target(PortSpec{"tcp", "127.0.0.2", 8080, 80, ""}) == "127.0.0.2");
    CHECK(dial_target(PortSpec{"tcp6", "::1", 8080, 80, ""}) == "::1");
    CHECK(dial_target(PortSpec{"tcp", "0.0.0.0", 8080, 80, ""}) == "127.0.0.1");
    CHECK(dial_target(PortSpec{"tcp6", "::", 8080, 80, ""}) == "::1");
}
