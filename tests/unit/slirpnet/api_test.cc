// SPDX-License-Identifier: Apache-2.0
// api_test.cc — API requests and byte-exact replies, including malformed and missing fields
#include "slirpnet/api.h"

#include "frames.h"

#include <arpa/inet.h>
#include <catch2/catch.hpp>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

using namespace slirp;
using namespace slirp::test;

namespace {

/// A TCP port on 127.0.0.1 that was free a moment ago.
int free_port() {
    common::UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    uint16_t port = bind_loopback(fd.get());
    REQUIRE(port != 0);
    return port;
}

std::string add(Stack& st, const std::string& args) {
    return api_handle(st, "{\"execute\": \"add_hostfwd\", \"arguments\": " + args + "}\n");
}

} // namespace

TEST_CASE("add, list and remove hostfwd give slirp4netns' exact replies", "[slirpnet][api]") {
    TestStack t;
    int p1 = free_port(), p2 = free_port();
    CHECK(add(t.st, "{\"proto\": \"tcp\", \"host_addr\": \"127.0.0.1\", \"host_port\": " +
                        std::to_string(p1) +
                        ", \"guest_addr\": \"10.0.2.100\", \"guest_port\": 80}") ==
          "{\"return\":{\"id\":1}}");
    CHECK(add(t.st,
              "{\"proto\":\"udp\",\"host_addr\":\"0.0.0.0\",\"host_port\":" + std::to_string(p2) +
                  ",\"guest_addr\":\"\",\"guest_port\":53}") == "{\"return\":{\"id\":2}}");
    CHECK(api_handle(t.st, "{\"execute\": \"list_hostfwd\"}") ==
          "{\"entries\":[{\"id\":1,\"proto\":\"tcp\",\"host_addr\":\"127.0.0.1\",\"host_port\":" +
              std::to_string(p1) +
              ",\"guest_addr\":\"10.0.2.100\",\"guest_port\":80},{\"id\":2,\"proto\":\"udp\","
              "\"host_addr\":\"0.0.0.0\",\"host_port\":" +
              std::to_string(p2) + ",\"guest_addr\":\"10.0.2.100\",\"guest_port\":53}]}");
    CHECK(api_handle(t.st, "{\"execute\": \"remove_hostfwd\", \"arguments\": {\"id\": 1}}") ==
          "{\"return\":{}}");
    CHECK(api_handle(t.st, "{\"execute\": \"remove_hostfwd\", \"arguments\": {\"id\": 1}}") ==
          "{\"error\":{\"desc\":\"bad request: remove_hostfwd: bad arguments.id\"}}");
    // ids are never reused
    CHECK(add(t.st, "{\"proto\":\"tcp\",\"host_port\":" + std::to_string(p1) +
                        ",\"guest_port\":80}") == "{\"return\":{\"id\":3}}");
}

TEST_CASE("An empty forward list is {\"entries\":[]}", "[slirpnet][api]") {
    TestStack t;
    CHECK(api_handle(t.st, "{\"execute\":\"list_hostfwd\"}\n") == "{\"entries\":[]}");
}

TEST_CASE("Malformed requests get slirp4netns' error replies", "[slirpnet][api]") {
    TestStack t;
    auto e = [](const char* d) {
        return std::string("{\"error\":{\"desc\":\"bad request: ") + d + "\"}}";
    };
    CHECK(api_handle(t.st, "badjson") == e("cannot parse JSON"));
    CHECK(api_handle(t.st, "") == e("cannot parse JSON"));
    CHECK(api_handle(t.st, "[1,2]") == e("json_object() failed"));
    CHECK(api_handle(t.st, "{\"unexpectedjson\": 42}") == e("no execute found"));
    CHECK(api_handle(t.st, "{\"execute\": 42}") == e("no execute found"));
    CHECK(api_handle(t.st, "{\"execute\": \"bad\"}") == e("unknown execute"));
    CHECK(api_handle(t.st, std::string(4096, ' ')) == e("too large message"));
    CHECK(api_handle(t.st, "{\"execute\":\"remove_hostfwd\"}") ==
          e("remove_hostfwd: bad arguments.id"));
    CHECK(api_handle(t.st, "{\"execute\":\"remove_hostfwd\",\"arguments\":{\"id\":\"1\"}}") ==
          e("remove_hostfwd: bad arguments.id"));
}

TEST_CASE("add_hostfwd validates fields in slirp4netns' order", "[slirpnet][api]") {
    TestStack t;
    auto e = [](const char* d) {
        return std::string("{\"error\":{\"desc\":\"bad request: add_hostfwd: bad arguments.") + d +
               "\"}}";
    };
    // slirp4netns segfaults on a missing proto; we answer.
    CHECK(add(t.st, "{\"host_port\": 8080, \"guest_port\": 80}") == e("proto"));
    CHECK(api_handle(t.st, "{\"execute\":\"add_hostfwd\"}") == e("proto"));
    for (const char* p : {"bad", "sctp", "tcp6", "udp6", "TCP"})
        CHECK(add(t.st, std::string("{\"proto\":\"") + p +
                            "\",\"host_port\":1,\"guest_port\":1}") == e("proto"));
    CHECK(add(t.st, "{\"proto\":\"tcp\",\"host_addr\":\"::\",\"host_port\":1,\"guest_port\":1}") ==
          e("host_addr"));
    CHECK(add(t.st, "{\"proto\":\"tcp\",\"guest_port\":1}") == e("host_port"));
    CHECK(add(t.st, "{\"proto\":\"tcp\",\"host_port\":0,\"guest_port\":1}") == e("host_port"));
    CHECK(add(t.st, "{\"proto\":\"tcp\",\"host_port\":\"18095\",\"guest_port\":1}") ==
          e("host_port"));
    CHECK(add(t.st, "{\"proto\":\"tcp\",\"host_port\":1,\"guest_addr\":\"fd00::100\","
                    "\"guest_port\":1}") == e("guest_addr"));
    CHECK(add(t.st, "{\"proto\":\"tcp\",\"host_port\":1}") == e("guest_port"));
    CHECK(add(t.st, "{\"proto\":\"tcp\",\"host_port\":1,\"guest_port\":0}") == e("guest_port"));
    // validation order: proto before host_addr before host_port
    CHECK(add(t.st, "{\"proto\":\"x\",\"host_addr\":\"::\"}") == e("proto"));
    CHECK(add(t.st, "{\"proto\":\"tcp\",\"host_addr\":\"::\"}") == e("host_addr"));
}

TEST_CASE("A port already in use gives slirp_add_hostfwd failed", "[slirpnet][api]") {
    TestStack t;
    int p = free_port();
    std::string req =
        "{\"proto\":\"tcp\",\"host_addr\":\"127.0.0.1\",\"host_port\":" + std::to_string(p) +
        ",\"guest_port\":80}";
    CHECK(add(t.st, req) == "{\"return\":{\"id\":1}}");
    CHECK(add(t.st, req) ==
          "{\"error\":{\"desc\":\"bad request: add_hostfwd: slirp_add_hostfwd failed\"}}");
}

TEST_CASE("Ports are C (int) casts of doubles and list echoes them", "[slirpnet][api]") {
    TestStack t;
    int p = free_port();
    CHECK(add(t.st, "{\"proto\":\"tcp\",\"host_addr\":\"127.0.0.1\",\"host_port\":" +
                        std::to_string(p) + ".7,\"guest_port\":80}") == "{\"return\":{\"id\":1}}");
    CHECK(api_handle(t.st, "{\"execute\":\"list_hostfwd\"}")
              .find("\"host_port\":" + std::to_string(p) + ",") != std::string::npos);
}

namespace {
std::string recv_all(int fd) {
    std::string out;
    char buf[512];
    ssize_t n;
    while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
        out.append(buf, static_cast<size_t>(n));
    return out;
}
} // namespace

TEST_CASE("The API socket answers a complete request without waiting for EOF, "
          "and a silent client blocks nobody",
          "[slirpnet][api]") {
    TestStack t;
    char dir[] = "/tmp/slirpnet-api-XXXXXX";
    REQUIRE(mkdtemp(dir) != nullptr);
    std::string path = std::string(dir) + "/api.sock";
    {
        Api api(t.st, path);
        auto connect_client = [&] {
            common::UniqueFd c(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
            sockaddr_un sa{};
            sa.sun_family = AF_UNIX;
            std::memcpy(sa.sun_path, path.c_str(), path.size());
            REQUIRE(::connect(c.get(), reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0);
            return c;
        };
        common::UniqueFd idle = connect_client(); // never sends anything
        common::UniqueFd c = connect_client();
        api.on_listen();
        REQUIRE(::send(c.get(), "{\"execute\":", 11, 0) == 11);
        api.on_client(1, 0);
        CHECK(recv_all(c.get()).empty()); // incomplete JSON: keep waiting
        REQUIRE(::send(c.get(), "\"list_hostfwd\"}\n", 16, 0) == 16);
        api.on_client(1, 0);
        CHECK(recv_all(c.get()) == "{\"entries\":[]}");
        api.on_client(0, 0); // the idle client: nothing to read, returns at once
        CHECK(recv_all(idle.get()).empty());
    }
    unlink(path.c_str());
    rmdir(dir);
}

TEST_CASE("An API socket path of 108 bytes or more is refused", "[slirpnet][api]") {
    TestStack t;
    CHECK_THROWS_WITH(Api(t.st, "/tmp/" + std::string(110, 'x')),
                      "the specified API socket path is too long (>= 108)");
}
