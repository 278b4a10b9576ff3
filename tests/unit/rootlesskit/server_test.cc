// SPDX-License-Identifier: Apache-2.0
// server_test.cc — API routes and the /v1/info body, plus one round trip on a real socket
#include "rootlesskit/api/server.h"
#include "rootlesskit/options.h"

#include <catch2/catch.hpp>
#include <cstring>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

using namespace rlk::api;

namespace {
Response get(const Info& info, const std::string& method, const std::string& path) {
    Request r;
    r.method = method;
    r.path = path;
    return route(info, r);
}
} // namespace

TEST_CASE("info for --net=host has no driver keys", "[rootlesskit][server]") {
    Info i{"/tmp/rk", 42, nullptr, nullptr};
    CHECK(info_body(i) == std::string("{\"apiVersion\":\"1.1.1\",\"version\":\"") + rlk::version +
                              "\",\"stateDir\":\"/tmp/rk\",\"childPID\":42}");
}

TEST_CASE("info for slirp4netns has the networkDriver object in Go's key order",
          "[rootlesskit][server]") {
    nlohmann::ordered_json n;
    n["driver"] = "slirp4netns";
    n["dns"] = {"10.0.2.3"};
    n["childIP"] = "10.0.2.100";
    Info i{"/s", 7, n, nullptr};
    CHECK(
        info_body(i).find(
            ",\"childPID\":7,\"networkDriver\":{\"driver\":\"slirp4netns\",\"dns\":[\"10.0.2.3\"],"
            "\"childIP\":\"10.0.2.100\"}}") != std::string::npos);
}

TEST_CASE("routes: 200, 404, 405 and no port driver", "[rootlesskit][server]") {
    Info i{"/s", 1, nullptr, nullptr};
    Response ok = get(i, "GET", "/v1/info");
    CHECK(ok.status == 200);
    CHECK(ok.content_type == "application/json");
    CHECK(get(i, "POST", "/v1/info").status == 405);
    CHECK(get(i, "POST", "/v1/info").body.empty());
    Response nf = get(i, "GET", "/v1/info/");
    CHECK(nf.status == 404);
    CHECK(nf.body == "404 page not found\n");
    CHECK(nf.nosniff);
    CHECK(get(i, "GET", "/").status == 404);
    for (auto [m, p] :
         {std::pair{"GET", "/v1/ports"}, {"POST", "/v1/ports"}, {"DELETE", "/v1/ports/3"}}) {
        Response r = get(i, m, p);
        CHECK(r.status == 400);
        CHECK(r.body == "{\"message\":\"no PortDriver is available\"}\n");
        CHECK(r.content_type == "text/plain; charset=utf-8");
    }
    CHECK(get(i, "PUT", "/v1/ports").status == 405);
    CHECK(get(i, "GET", "/v1/ports/3").status == 405);
    CHECK(get(i, "DELETE", "/v1/ports/3/x").status == 404);
}

TEST_CASE("the server answers, survives a malformed request and keeps serving",
          "[rootlesskit][server]") {
    char dir[] = "/tmp/rlk-unit-XXXXXX";
    REQUIRE(mkdtemp(dir));
    std::string path = std::string(dir) + "/api.sock";
    {
        Server s(path, Info{"/s", 1, nullptr, nullptr});
        auto exchange = [&](const std::string& req) {
            int fd = socket(AF_UNIX, SOCK_STREAM, 0);
            sockaddr_un a{};
            a.sun_family = AF_UNIX;
            strcpy(a.sun_path, path.c_str());
            REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
            REQUIRE(write(fd, req.data(), req.size()) == static_cast<ssize_t>(req.size()));
            std::string out;
            char buf[4096];
            ssize_t n;
            while ((n = read(fd, buf, sizeof buf)) > 0)
                out.append(buf, static_cast<size_t>(n));
            close(fd);
            return out;
        };
        std::string bad = exchange("NOT HTTP\r\n\r\n");
        CHECK(bad.rfind("HTTP/1.1 400 Bad Request\r\n", 0) == 0);
        std::string ok = exchange("GET /v1/info HTTP/1.1\r\nConnection: close\r\n\r\n");
        CHECK(ok.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
        CHECK(ok.find("\"childPID\":1}") != std::string::npos);
        s.stop();
    }
    unlink(path.c_str());
    rmdir(dir);
}
