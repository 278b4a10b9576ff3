// SPDX-License-Identifier: Apache-2.0
// ctl_test.cc — rootlessctl: info text, JSON indentation, reply parsing and error unwrapping
#include "rootlesskit/ctl.h"

#include <catch2/catch.hpp>

using namespace rlk::ctl;

TEST_CASE("info text for host network", "[rootlesskit][ctl]") {
    auto j = nlohmann::ordered_json::parse(
        R"({"apiVersion":"1.1.1","version":"1.1.0","stateDir":"/tmp/rkst2","childPID":12188})");
    CHECK(format_info(j) == "- REST API version: 1.1.1\n- Implementation version: 1.1.0\n"
                            "- State Directory: /tmp/rkst2\n- Child PID: 12188\n");
}

TEST_CASE("info text with network and port drivers", "[rootlesskit][ctl]") {
    auto j = nlohmann::ordered_json::parse(
        R"({"apiVersion":"1.1.1","version":"1.1.0","stateDir":"/s","childPID":1,)"
        R"("networkDriver":{"driver":"slirp4netns","dns":["10.0.2.3"],"childIP":"10.0.2.100"},)"
        R"("portDriver":{"driver":"builtin","protos":["tcp","udp"]}})");
    CHECK(format_info(j) == "- REST API version: 1.1.1\n- Implementation version: 1.1.0\n"
                            "- State Directory: /s\n- Child PID: 1\n- Network Driver: slirp4netns\n"
                            "  - DNS: [10.0.2.3]\n  - IP: 10.0.2.100\n- Port Driver: builtin\n"
                            "  - Supported protocols: [tcp udp]\n");
    auto none =
        nlohmann::ordered_json::parse(R"({"childPID":1,"networkDriver":{"driver":"none"}})");
    CHECK(format_info(none).find("- Network Driver: none\n  - DNS: []\n") != std::string::npos);
}

TEST_CASE("info --json is indented by four spaces", "[rootlesskit][ctl]") {
    auto j = nlohmann::ordered_json::parse(R"({"b":1,"a":["x"]})");
    CHECK(indent_json(j) == "{\n    \"b\": 1,\n    \"a\": [\n        \"x\"\n    ]\n}\n");
}

TEST_CASE("replies: status and body; server messages are unwrapped", "[rootlesskit][ctl]") {
    HttpReply r = parse_reply("HTTP/1.1 400 Bad Request\r\nContent-Length: 41\r\n\r\n"
                              "{\"message\":\"no PortDriver is available\"}\n");
    CHECK(r.status == 400);
    CHECK(r.status_text == "Bad Request");
    CHECK(reply_error(r) == "no PortDriver is available");
    HttpReply raw = parse_reply("HTTP/1.1 400 Bad Request\r\n\r\noops");
    CHECK(reply_error(raw) == "unexpected HTTP status Bad Request, body=\"oops\"");
    CHECK_THROWS(parse_reply("garbage"));
}
