// SPDX-License-Identifier: Apache-2.0
// gvisor_test.cc — --net/--port-driver=gvisor-tap-vsock: the plan, finding slirpnet, its argv
#include "rootlesskit/checks.h"
#include "rootlesskit/cli.h"
#include "rootlesskit/net/gvisor_tap_vsock.h"
#include "rootlesskit/port/slirp4netns.h"

#include <catch2/catch.hpp>
#include <set>
#include <stdexcept>

using namespace rlk;

namespace {

// look_path finds only the names in `present`; the candidates are two fixed paths.
CheckEnv env_with(std::set<std::string> present) {
    CheckEnv env;
    env.look_path = [present](const std::string& b) -> std::string {
        if (present.count(b) == 0)
            throw std::runtime_error("exec: \"" + b + "\": stat " + b +
                                     ": no such file or directory");
        return b.find('/') == std::string::npos ? "/usr/bin/" + b : b;
    };
    env.slirp4netns_features = [](const std::string&) -> Slirp4netnsFeatures {
        throw std::logic_error("gvisor-tap-vsock does not ask slirp4netns --help");
    };
    env.slirpnet_candidates = [] {
        return std::vector<std::string>{"/opt/rt/bin/slirpnet",
                                        "/usr/libexec/rootless-tools/slirpnet"};
    };
    return env;
}

NetPlan plan_for(std::vector<std::string> args, const CheckEnv& env) {
    args.push_back("true");
    std::vector<std::string> w;
    return check_network(parse_cli(args), env, w);
}

std::string error_for(std::vector<std::string> args, const CheckEnv& env) {
    try {
        (void)plan_for(std::move(args), env);
    } catch (const std::exception& e) {
        return e.what();
    }
    return "(no error)";
}

} // namespace

TEST_CASE("gvisor-tap-vsock plan: MTU 65520, tap0, slirpnet beside rootlesskit first",
          "[rootlesskit][gvisor]") {
    NetPlan p =
        plan_for({"--net=gvisor-tap-vsock", "--state-dir=/s"},
                 env_with({"/opt/rt/bin/slirpnet", "/usr/libexec/rootless-tools/slirpnet"}));
    CHECK(p.driver == "gvisor-tap-vsock");
    CHECK(p.mtu == 65520);
    CHECK(p.ifname == "tap0");
    CHECK(p.binary == "/opt/rt/bin/slirpnet");
    CHECK(p.api_socket.empty()); // only the gvisor-tap-vsock port driver needs slirpnet's API
    NetPlan q = plan_for({"--net=gvisor-tap-vsock", "--mtu=1500", "--ifname=eth1",
                          "--port-driver=gvisor-tap-vsock", "--state-dir=/s"},
                         env_with({"/usr/libexec/rootless-tools/slirpnet"}));
    CHECK(q.mtu == 1500);
    CHECK(q.ifname == "eth1");
    CHECK(q.binary == "/usr/libexec/rootless-tools/slirpnet");
    CHECK(q.api_socket == "/s/.slirpnet.sock");
}

TEST_CASE("gvisor-tap-vsock: --slirp4netns-binary wins; a missing slirpnet is named",
          "[rootlesskit][gvisor]") {
    NetPlan p = plan_for({"--net=gvisor-tap-vsock", "--slirp4netns-binary=slirpnet"},
                         env_with({"slirpnet", "/opt/rt/bin/slirpnet"}));
    CHECK(p.binary == "/usr/bin/slirpnet");
    CHECK(p.argv0 == "slirpnet");
    CHECK(error_for({"--net=gvisor-tap-vsock", "--slirp4netns-binary=/x/slirpnet"},
                    env_with({"/opt/rt/bin/slirpnet"})) ==
          "exec: \"/x/slirpnet\": stat /x/slirpnet: no such file or directory");
    CHECK(error_for({"--net=gvisor-tap-vsock"}, env_with({})) ==
          "--net=gvisor-tap-vsock needs slirpnet (rootless-tools), which is not installed: tried "
          "/opt/rt/bin/slirpnet, /usr/libexec/rootless-tools/slirpnet; --slirp4netns-binary "
          "names its path");
}

TEST_CASE("gvisor-tap-vsock port driver and child checks", "[rootlesskit][gvisor]") {
    auto port_error = [](std::vector<std::string> args) -> std::string {
        args.push_back("true");
        Options o = parse_cli(args);
        NetPlan p;
        p.driver = o.net;
        try {
            check_port(o, p);
        } catch (const std::exception& e) {
            return e.what();
        }
        return "(no error)";
    };
    CHECK(port_error({"--port-driver=gvisor-tap-vsock", "--net=slirp4netns"}) ==
          "port driver requires gvisor-tap-vsock network");
    CHECK(port_error({"--port-driver=gvisor-tap-vsock", "--net=gvisor-tap-vsock", "-p",
                      "127.0.0.1:8080:80/tcp"}) == "(no error)");
    CHECK(port_error({"--port-driver=builtin", "--net=gvisor-tap-vsock"}) == "(no error)");
    CHECK(port_error({"--port-driver=slirp4netns", "--net=gvisor-tap-vsock"}) ==
          "port driver requires slirp4netns network");
    CHECK_NOTHROW(check_child(
        parse_cli({"--net=gvisor-tap-vsock", "--port-driver=gvisor-tap-vsock", "true"})));
}

TEST_CASE("gvisor-tap-vsock: slirpnet's argv (tapfd, gateway and DNS at +1)",
          "[rootlesskit][gvisor]") {
    NetPlan p;
    p.driver = "gvisor-tap-vsock";
    p.binary = "/opt/rt/bin/slirpnet";
    p.mtu = 65520;
    p.cidr = *parse_cidr("10.0.2.0/24");
    p.api_socket = "/s/.slirpnet.sock";
    CHECK(net::gvisor_tap_vsock_argv(p, 3, 4) ==
          std::vector<std::string>{"/opt/rt/bin/slirpnet", "--mtu", "65520", "-r", "3", "--gateway",
                                   "10.0.2.1", "--dns", "10.0.2.1", "--api-socket",
                                   "/s/.slirpnet.sock", "--netns-type=tapfd", "4"});
    p.cidr = *parse_cidr("10.9.8.0/25");
    p.disable_host_loopback = true;
    p.api_socket.clear();
    p.argv0 = "slirpnet";
    CHECK(net::gvisor_tap_vsock_argv(p, 3, 4) ==
          std::vector<std::string>{"slirpnet", "--mtu", "65520", "-r", "3",
                                   "--disable-host-loopback", "--cidr", "10.9.8.0/25", "--gateway",
                                   "10.9.8.1", "--dns", "10.9.8.1", "--netns-type=tapfd", "4"});
}

TEST_CASE("gvisor-tap-vsock port driver: /v1/info names it", "[rootlesskit][gvisor]") {
    port::Slirp4netnsPortDriver d("/nonexistent.sock", "10.0.2.100", "gvisor-tap-vsock");
    CHECK(d.info().dump() == "{\"driver\":\"gvisor-tap-vsock\",\"protos\":[\"tcp\",\"tcp4\","
                             "\"udp\",\"udp4\"],\"disallowLoopbackChildIP\":true}");
    port::Slirp4netnsPortDriver s("/nonexistent.sock", "10.0.2.100");
    CHECK(s.info()["driver"] == "slirp4netns");
}

TEST_CASE("slirpnet is looked for beside this executable, then in libexec",
          "[rootlesskit][gvisor]") {
    std::vector<std::string> c = net::slirpnet_candidates();
    REQUIRE(c.size() == 2);
    CHECK(c[0].size() > 9);
    CHECK(c[0].substr(c[0].size() - 9) == "/slirpnet");
    CHECK(c[1].find("/rootless-tools/slirpnet") != std::string::npos);
}
