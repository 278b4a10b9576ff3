// SPDX-License-Identifier: Apache-2.0
// gateway_dns_test.cc — slirpnet's --gateway/--dns: parsing, and one address for both
#include "frames.h"
#include "slirpnet/cli.h"

#include <arpa/inet.h>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

using namespace slirp;
using namespace slirp::test;

namespace {

Options parse_args(std::vector<std::string> args) {
    args.insert(args.begin(), "slirpnet");
    std::vector<char*> argv;
    for (auto& a : args)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    CliEnv env;
    env.path_errno = [](const std::string&) { return 0; };
    env.fd_is_open = [](int fd) { return fd == 4; };
    return parse_cli(static_cast<int>(args.size()), argv.data(), env);
}

std::string parse_error(std::vector<std::string> args) {
    try {
        parse_args(std::move(args));
    } catch (const common::UsageError& e) {
        return e.what();
    }
    return "";
}

uint32_t v4_of(const SockAddr& s) {
    return ntohl(reinterpret_cast<const sockaddr_in*>(&s.ss)->sin_addr.s_addr);
}
uint16_t port_of(const SockAddr& s) {
    return ntohs(reinterpret_cast<const sockaddr_in*>(&s.ss)->sin_port);
}

} // namespace

TEST_CASE("--gateway and --dns default to libslirp's +2 and +3", "[slirpnet][cli]") {
    Options o = parse_args({"--netns-type=tapfd", "4"});
    CHECK(o.gateway_host == 2);
    CHECK(o.dns_host == 3);
}

TEST_CASE("--gateway and --dns take host addresses of the --cidr network", "[slirpnet][cli]") {
    Options o = parse_args({"--cidr=10.9.0.0/24", "--gateway=10.9.0.1", "--dns", "10.9.0.1",
                            "--netns-type=tapfd", "4"});
    CHECK(o.gateway_host == 1);
    CHECK(o.dns_host == 1);
    CHECK(parse_error({"--gateway=10.0.3.1", "--netns-type=tapfd", "4"}) ==
          "--gateway 10.0.3.1 is not a host address of the network 10.0.2.0/24");
    CHECK(parse_error({"--dns=10.0.2.255", "--netns-type=tapfd", "4"}) ==
          "--dns 10.0.2.255 is not a host address of the network 10.0.2.0/24");
    CHECK(parse_error({"--dns=10.0.2.0", "--netns-type=tapfd", "4"}) ==
          "--dns 10.0.2.0 is not a host address of the network 10.0.2.0/24");
    CHECK(parse_error({"--gateway=gw", "--netns-type=tapfd", "4"}) ==
          "--gateway needs an IPv4 address, not gw");
}

TEST_CASE("One address for gateway and DNS: port 53 resolves, other ports reach the host",
          "[slirpnet][dns]") {
    TestStack t(Config::from_cidr(0x0a000200, 24, 1, 1));
    t.st.cfg.dns_server = 0x0a0a0a0a;
    CHECK(t.st.cfg.gw == 0x0a000201);
    CHECK(t.st.cfg.dns == 0x0a000201);
    SockAddr out;
    REQUIRE(translate_out(t.st, Addr::of4(0x0a000201), 53, out));
    CHECK(v4_of(out) == 0x0a0a0a0a);
    REQUIRE(translate_out(t.st, Addr::of4(0x0a000201), 8080, out));
    CHECK(v4_of(out) == INADDR_LOOPBACK);
    CHECK(port_of(out) == 8080);
    // --disable-host-loopback keeps DNS and closes the rest
    t.st.cfg.disable_host_loopback = true;
    CHECK(translate_out(t.st, Addr::of4(0x0a000201), 53, out));
    CHECK_FALSE(translate_out(t.st, Addr::of4(0x0a000201), 8080, out));
    // --disable-dns: port 53 of the shared address is the host's again
    t.st.cfg.disable_host_loopback = false;
    t.st.cfg.disable_dns = true;
    REQUIRE(translate_out(t.st, Addr::of4(0x0a000201), 53, out));
    CHECK(v4_of(out) == INADDR_LOOPBACK);
}

TEST_CASE("Separate gateway and DNS addresses keep libslirp's rules", "[slirpnet][dns]") {
    TestStack t;
    t.st.cfg.dns_server = 0x0a0a0a0a;
    SockAddr out;
    CHECK_FALSE(translate_out(t.st, Addr::of4(0x0a000203), 8080, out));
    REQUIRE(translate_out(t.st, Addr::of4(0x0a000202), 53, out));
    CHECK(v4_of(out) == INADDR_LOOPBACK);
}
