// SPDX-License-Identifier: Apache-2.0
// http_test.cc — request parsing, response layout and Go-compatible JSON
#include "rootlesskit/api/http.h"

#include <catch2/catch.hpp>

using namespace rlk::api;

namespace {
ParseStatus parse(const std::string& s, Request& r, size_t& used) {
    return parse_request(s, r, used);
}
} // namespace

TEST_CASE("a GET with headers parses; the host part of an absolute target is dropped",
          "[rootlesskit][http]") {
    Request r;
    size_t used = 0;
    std::string s = "GET http://rootlesskit/v1/info?x=1 HTTP/1.1\r\nHost: "
                    "rootlesskit\r\nUser-Agent: Go\r\n\r\n";
    REQUIRE(parse(s, r, used) == ParseStatus::complete);
    CHECK(used == s.size());
    CHECK(r.method == "GET");
    CHECK(r.path == "/v1/info");
    CHECK(r.keep_alive);
    CHECK(r.headers.at(0) == std::make_pair(std::string("host"), std::string("rootlesskit")));
}

TEST_CASE("partial requests are incomplete until the body arrives", "[rootlesskit][http]") {
    Request r;
    size_t used = 0;
    std::string s = "POST /v1/ports HTTP/1.1\r\nContent-Length: 5\r\n\r\n{\"a\":";
    CHECK(parse("GET /v1/info HTTP/1.1\r\n", r, used) == ParseStatus::incomplete);
    CHECK(parse(s.substr(0, s.size() - 1), r, used) == ParseStatus::incomplete);
    REQUIRE(parse(s, r, used) == ParseStatus::complete);
    CHECK(r.body == "{\"a\":");
}

TEST_CASE("pipelined requests are consumed one at a time", "[rootlesskit][http]") {
    Request r;
    size_t used = 0;
    std::string one = "GET /a HTTP/1.1\r\n\r\n";
    REQUIRE(parse(one + "GET /b HTTP/1.1\r\n\r\n", r, used) == ParseStatus::complete);
    CHECK(used == one.size());
    CHECK(r.path == "/a");
}

TEST_CASE("chunked bodies are decoded", "[rootlesskit][http]") {
    Request r;
    size_t used = 0;
    std::string s = "POST /v1/ports HTTP/1.1\r\nTransfer-Encoding: "
                    "chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
    REQUIRE(parse(s, r, used) == ParseStatus::complete);
    CHECK(r.body == "abcde");
    CHECK(used == s.size());
    CHECK(parse(s.substr(0, s.size() - 2), r, used) == ParseStatus::incomplete);
}

TEST_CASE("malformed requests are bad", "[rootlesskit][http]") {
    Request r;
    size_t used = 0;
    CHECK(parse("GARBAGE\r\n\r\n", r, used) == ParseStatus::bad);
    CHECK(parse("GET /x HTTP/2.0\r\n\r\n", r, used) == ParseStatus::bad);
    CHECK(parse("GET x HTTP/1.1\r\n\r\n", r, used) == ParseStatus::bad);
    CHECK(parse("GET /x HTTP/1.1\r\nno colon\r\n\r\n", r, used) == ParseStatus::bad);
    CHECK(parse("GET /x HTTP/1.1\r\nContent-Length: -1\r\n\r\n", r, used) == ParseStatus::bad);
    CHECK(parse("GET /x HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", r, used) ==
          ParseStatus::bad);
    CHECK(parse("GET /x HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", r, used) == ParseStatus::bad);
    CHECK(parse("POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", r, used) ==
          ParseStatus::bad);
}

TEST_CASE("oversized headers and bodies are bad", "[rootlesskit][http]") {
    Request r;
    size_t used = 0;
    CHECK(parse("GET /x HTTP/1.1\r\nX: " + std::string(max_header_bytes, 'a'), r, used) ==
          ParseStatus::bad);
    CHECK(parse("POST /x HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n", r, used) ==
          ParseStatus::bad);
}

TEST_CASE("Connection: close and HTTP/1.0 end keep-alive", "[rootlesskit][http]") {
    Request r;
    size_t used = 0;
    REQUIRE(parse("GET /x HTTP/1.1\r\nConnection: close\r\n\r\n", r, used) ==
            ParseStatus::complete);
    CHECK_FALSE(r.keep_alive);
    REQUIRE(parse("GET /x HTTP/1.0\r\n\r\n", r, used) == ParseStatus::complete);
    CHECK_FALSE(r.keep_alive);
}

TEST_CASE("responses are laid out as Go's net/http writes them", "[rootlesskit][http]") {
    Response ok;
    ok.content_type = "application/json";
    ok.body = "{}";
    CHECK(format_response(ok, "D") == "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nDate: "
                                      "D\r\nContent-Length: 2\r\n\r\n{}");
    Response nf;
    nf.status = 404;
    nf.content_type = "text/plain; charset=utf-8";
    nf.nosniff = true;
    nf.body = "404 page not found\n";
    CHECK(format_response(nf, "D") ==
          "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\n"
          "X-Content-Type-Options: nosniff\r\nDate: D\r\nContent-Length: 19\r\n\r\n"
          "404 page not found\n");
    Response sniffed;
    sniffed.status = 400;
    sniffed.content_type = "text/plain; charset=utf-8";
    sniffed.sniffed = true;
    sniffed.body = "x";
    CHECK(format_response(sniffed, "D") ==
          "HTTP/1.1 400 Bad Request\r\nDate: D\r\nContent-Length: 1\r\n"
          "Content-Type: text/plain; charset=utf-8\r\n\r\nx");
    CHECK(http_date().size() == 29);
}

TEST_CASE("JSON output escapes like encoding/json and keeps key order", "[rootlesskit][http]") {
    nlohmann::ordered_json j;
    j["z"] = "<a&b>";
    j["a"] = {1, true, nullptr};
    j["m"] = "line\nq\"";
    CHECK(go_json(j) ==
          "{\"z\":\"\\u003ca\\u0026b\\u003e\",\"a\":[1,true,null],\"m\":\"line\\nq\\\"\"}");
}
