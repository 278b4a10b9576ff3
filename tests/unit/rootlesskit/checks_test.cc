// SPDX-License-Identifier: Apache-2.0
// checks_test.cc — option validation messages and their order (createParentOpt/createChildOpt)
#include "rootlesskit/checks.h"
#include "rootlesskit/cli.h"

#include <catch2/catch.hpp>
#include <stdexcept>

using namespace rlk;

namespace {

Slirp4netnsFeatures all_features() {
    Slirp4netnsFeatures f;
    f.netns_type = f.ipv6 = f.cidr = f.disable_host_loopback = f.api_socket = f.sandbox =
        f.seccomp = f.kernel_seccomp = true;
    return f;
}

CheckEnv fake_env(Slirp4netnsFeatures f = all_features()) {
    return {[](const std::string& b) -> std::string {
                if (b == "missing")
                    throw std::runtime_error(
                        "exec: \"missing\": executable file not found in $PATH");
                return "/usr/bin/" + b;
            },
            [f](const std::string&) { return f; }, [] { return std::vector<std::string>{}; }};
}

std::string net_error(std::vector<std::string> args, Slirp4netnsFeatures f = all_features()) {
    args.push_back("true");
    Options o = parse_cli(args);
    std::vector<std::string> w;
    try {
        (void)check_network(o, fake_env(f), w);
    } catch (const std::exception& e) {
        return e.what();
    }
    return "(no error)";
}

std::vector<std::string> net_warnings(std::vector<std::string> args) {
    args.push_back("true");
    std::vector<std::string> w;
    try {
        (void)check_network(parse_cli(args), fake_env(), w);
    } catch (const std::exception&) {
    }
    return w;
}

std::string port_error(std::vector<std::string> args) {
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
}

std::string child_error(std::vector<std::string> args) {
    args.push_back("true");
    try {
        (void)check_child(parse_cli(args));
    } catch (const std::exception& e) {
        return e.what();
    }
    return "(no error)";
}

std::string evac_error(std::vector<std::string> args) {
    args.push_back("true");
    try {
        check_evacuate(parse_cli(args));
    } catch (const std::exception& e) {
        return e.what();
    }
    return "(no error)";
}

} // namespace

TEST_CASE("evacuate-cgroup2 needs cgroupns, then pidns, and a plain name",
          "[rootlesskit][checks]") {
    CHECK(evac_error({"--evacuate-cgroup2=e"}) == "evacuate-cgroup2 requires --cgroupns");
    CHECK(evac_error({"--evacuate-cgroup2=e", "--pidns"}) ==
          "evacuate-cgroup2 requires --cgroupns");
    CHECK(evac_error({"--evacuate-cgroup2=e", "--cgroupns"}) ==
          "evacuate-cgroup2 requires --pidns");
    CHECK(evac_error({"--evacuate-cgroup2=a/b", "--cgroupns", "--pidns"}) ==
          "unexpected evacuation group name \"a/b\": must not contain \"/\"");
    CHECK(evac_error({"--evacuate-cgroup2=e", "--cgroupns", "--pidns"}) == "(no error)");
    CHECK(evac_error({}) == "(no error)");
}

TEST_CASE("mtu range", "[rootlesskit][checks]") {
    CHECK(net_error({"--mtu=-1"}) == "mtu must be <= 65521, got -1");
    CHECK(net_error({"--mtu=65522"}) == "mtu must be <= 65521, got 65522");
    CHECK(net_error({"--mtu=65521", "--net=slirp4netns"}) == "(no error)");
}

TEST_CASE("cidr syntax and host bits", "[rootlesskit][checks]") {
    CHECK(net_error({"--cidr=foo"}) == "invalid CIDR address: foo");
    CHECK(net_error({"--cidr=10.0.2.0"}) == "invalid CIDR address: 10.0.2.0");
    CHECK(net_error({"--cidr=10.0.2.0/33"}) == "invalid CIDR address: 10.0.2.0/33");
    CHECK(net_error({"--cidr=10.0.2.100/24", "--net=slirp4netns"}) ==
          "cidr must be like 10.0.2.0/24, not like 10.0.2.100/24");
    CHECK(net_error({"--cidr=10.0.3.0/24", "--net=slirp4netns"}) == "(no error)");
    CHECK(net_error({"--cidr=10.0.3.0/24"}) == "custom cidr is not supported for --net=host");
    CHECK(net_error({"--cidr=10.0.3.0/24", "--net=none"}) ==
          "custom cidr is not supported for --net=none");
    CHECK(net_error({"--cidr=10.0.3.0/24", "--net=vpnkit"}) ==
          "custom cidr is not supported for --net=vpnkit");
    CHECK(net_error({"--cidr=10.0.3.0/24", "--net=lxc-user-nic"}) ==
          "custom cidr is not supported for --net=lxc-user-nic");
}

TEST_CASE("ifname checks", "[rootlesskit][checks]") {
    CHECK(net_error({"--ifname=a/b", "--net=slirp4netns"}) == "ifname must not contain \"/\"");
    CHECK(net_error({"--ifname=eth0"}) == "ifname cannot be specified for --net=host");
    CHECK(net_error({"--ifname=eth0", "--net=none"}) ==
          "ifname cannot be specified for --net=none");
    Options o = parse_cli({"--net=slirp4netns", "--ifname=eth7", "x"});
    std::vector<std::string> w;
    CHECK(check_network(o, fake_env(), w).ifname == "eth7");
}

TEST_CASE("checks run in upstream order", "[rootlesskit][checks]") {
    // mtu before cidr before ifname before the driver.
    CHECK(net_error({"--mtu=-1", "--cidr=x", "--ifname=a/b", "--net=bogus"}) ==
          "mtu must be <= 65521, got -1");
    CHECK(net_error({"--cidr=x", "--ifname=a/b", "--net=bogus"}) == "invalid CIDR address: x");
    CHECK(net_error({"--ifname=a/b", "--net=bogus"}) == "ifname must not contain \"/\"");
    CHECK(net_error({"--net=bogus"}) == "unknown network mode: bogus");
}

TEST_CASE("warnings for mtu on host, ipv6 and host loopback", "[rootlesskit][checks]") {
    CHECK(net_warnings({"--mtu=1500"}) ==
          std::vector<std::string>{"unsupported mtu for --net=host: 1500"});
    CHECK(net_warnings({"--mtu=1500", "--net=none"}) ==
          std::vector<std::string>{"unsupported mtu for --net=none: 1500"});
    CHECK(net_warnings({"--ipv6"}) ==
          std::vector<std::string>{"ipv6 is experimental", "--ipv6 is discarded for --net=host"});
    std::string loop =
        "specifying --disable-host-loopback is highly recommended to prohibit connecting to "
        "127.0.0.1:* on the host namespace (requires pasta, slirp4netns, or VPNKit)";
    CHECK(net_warnings({"--net=slirp4netns"}) == std::vector<std::string>{loop});
    CHECK(net_warnings({"--net=slirp4netns", "--disable-host-loopback"}).empty());
    CHECK(net_warnings({"--net=slirp4netns", "--ipv6", "--disable-host-loopback"}) ==
          std::vector<std::string>{"ipv6 is experimental"});
    CHECK(net_warnings({"--net=none"}).empty());
}

TEST_CASE("slirp4netns plan: defaults, mtu, features", "[rootlesskit][checks]") {
    std::vector<std::string> w;
    NetPlan p = check_network(parse_cli({"--net=slirp4netns", "x"}), fake_env(), w);
    CHECK(p.mtu == 65520);
    CHECK(p.ifname == "tap0");
    CHECK(p.binary == "/usr/bin/slirp4netns");
    CHECK(p.cidr.prefix == 24);
    CHECK_FALSE(p.sandbox);
    CHECK_FALSE(p.seccomp);
    NetPlan q =
        check_network(parse_cli({"--net=slirp4netns", "--mtu=1500", "--slirp4netns-sandbox=auto",
                                 "--slirp4netns-seccomp=true", "x"}),
                      fake_env(), w);
    CHECK(q.mtu == 1500);
    CHECK(q.sandbox);
    CHECK(q.seccomp);
    NetPlan d = check_network(
        parse_cli({"--net=slirp4netns", "--detach-netns", "--slirp4netns-sandbox=auto", "x"}),
        fake_env(), w);
    CHECK_FALSE(d.sandbox); // auto turns the sandbox off with --detach-netns
}

TEST_CASE("slirp4netns errors", "[rootlesskit][checks]") {
    CHECK(net_error({"--net=slirp4netns", "--slirp4netns-binary=missing"}) ==
          "exec: \"missing\": executable file not found in $PATH");
    Slirp4netnsFeatures old{};
    CHECK(net_error({"--net=slirp4netns"}, old) == "slirp4netns seems older than v0.4.0");
    CHECK(net_error({"--net=slirp4netns", "--slirp4netns-sandbox=x"}) ==
          "unsupported slirp4netns-sandbox mode: \"x\"");
    CHECK(net_error({"--net=slirp4netns", "--slirp4netns-seccomp=x"}) ==
          "unsupported slirp4netns-seccomp mode: \"x\"");
    CHECK(net_error({"--net=slirp4netns", "--slirp4netns-sandbox=true", "--detach-netns"}) ==
          "--slirp4netns-sandbox conflicts with --detach-netns "
          "(https://github.com/rootless-containers/slirp4netns/issues/317)");
    Slirp4netnsFeatures nokernel = all_features();
    nokernel.kernel_seccomp = false;
    CHECK(net_error({"--net=slirp4netns", "--slirp4netns-seccomp=true"}, nokernel) ==
          "kernel doesn't support seccomp");
    CHECK(net_error({"--net=slirp4netns", "--slirp4netns-seccomp=auto"}, nokernel) == "(no error)");
    Slirp4netnsFeatures nosandbox = all_features();
    nosandbox.sandbox = false;
    CHECK(net_error({"--net=slirp4netns", "--slirp4netns-sandbox=true"}, nosandbox) ==
          "unsupported slirp4netns version: lacks SupportsEnableSandbox");
}

TEST_CASE("drivers this build lacks fail naming the flag", "[rootlesskit][checks]") {
    CHECK(net_error({"--net=vpnkit"}) == unsupported("--net=vpnkit"));
    CHECK(net_error({"--net=vpnkit", "--vpnkit-binary=missing"}) ==
          "exec: \"missing\": executable file not found in $PATH");
    CHECK(net_error({"--net=lxc-user-nic", "--lxc-user-nic-binary=/x/lxc-user-nic"}) ==
          unsupported("--net=lxc-user-nic"));
    // No --lxc-user-nic-binary and none of the well-known paths exists: name the helper.
    CHECK(net_error({"--net=lxc-user-nic"}) ==
          "--net=lxc-user-nic needs the lxc-user-nic helper (Debian package lxc), which is not "
          "installed; --lxc-user-nic-binary names its path");
    CHECK(net_error({"--net=pasta", "--port-driver=pesto"}) == unsupported("--port-driver=pesto"));
    CHECK(port_error({"--net=slirp4netns", "--port-driver=pesto"}) ==
          "port driver requires pasta network");
    CHECK(net_error({"--net=pasta", "--pasta-binary=missing"}) ==
          "exec: \"missing\": executable file not found in $PATH");
    CHECK(net_error({"--net=pasta", "--port-driver=builtin"}) ==
          "network \"pasta\" requires port driver \"none\" or \"implicit\"");
    CHECK(unsupported("--net=vpnkit").find("--net=vpnkit") == 0);
}

TEST_CASE("none network allows only none and builtin port drivers", "[rootlesskit][checks]") {
    CHECK(net_error({"--net=none", "--port-driver=slirp4netns"}) ==
          "network \"none\" requires either port driver \"none\" or \"builtin\"");
    CHECK(net_error({"--net=none", "--port-driver=builtin"}) == "(no error)");
}

TEST_CASE("port driver checks", "[rootlesskit][checks]") {
    CHECK(port_error({}) == "(no error)");
    CHECK(port_error({"-p", "127.0.0.1:8080:80/tcp"}) ==
          "port driver \"none\" does not support publishing ports");
    CHECK(port_error({"--port-driver=bogus"}) == "unknown port driver: bogus");
    CHECK(port_error({"--port-driver=builtin"}) == "port driver requires non-host network");
    CHECK(port_error({"--port-driver=slirp4netns", "--net=none"}) ==
          "port driver requires slirp4netns network");
    CHECK(port_error({"--port-driver=implicit", "--net=slirp4netns"}) ==
          "port driver requires pasta network");
    CHECK(port_error({"--port-driver=implicit", "--net=pasta"}) == "(no error)");
    CHECK(port_error({"--port-driver=builtin", "--net=slirp4netns"}) == "(no error)");
    CHECK(port_error({"--port-driver=builtin", "--net=none"}) == "(no error)");
    CHECK(port_error({"--port-driver=slirp4netns", "--net=slirp4netns"}) == "(no error)");
    CHECK(port_error({"--port-driver=implicit", "--net=pasta", "-p", "127.0.0.1:8080:80/tcp"}) ==
          "port driver \"implicit\" does not support publishing ports");
    CHECK(port_error({"--port-driver=slirp4netns", "--net=slirp4netns", "-p", "8080:80/tcp"}) ==
          "unexpected ParentIP in PortSpec string: \"8080:80/tcp\"");
    CHECK(port_error({"--port-driver=slirp4netns", "--net=slirp4netns", "-p",
                      "127.0.0.1:0:80/tcp"}) == "invalid ParentPort: '\\x00'");
}

TEST_CASE("child-side checks", "[rootlesskit][checks]") {
    // Upstream refuses --reaper=true without --pidns; ours reaps as a subreaper there.
    CHECK(child_error({"--reaper=true"}) == "(no error)");
    CHECK(child_error({"--reaper=bogus"}) == "unknown reaper mode: bogus");
    CHECK(child_error({"--copy-up-mode=foo"}) == "unknown copy-up mode: foo");
    CHECK(child_error({"--copy-up-mode=overlayfs", "--copy-up=/etc"}) == "(no error)");
    CHECK(child_error({"--copy-up=/etc", "--copy-up-mode=overlayfs", "--propagation=rshared"}) ==
          "propagation rshared does not support copy-up driver overlayfs");
    CHECK(child_error({"--copy-up=/etc", "--propagation=rshared"}) ==
          "propagation rshared does not support copy-up driver tmpfs+symlink");
    CHECK(child_error({"--copy-up=/etc", "--propagation=shared"}) ==
          "propagation shared does not support copy-up driver tmpfs+symlink");
    CHECK(child_error({"--propagation=rshared"}) == "(no error)");
    CHECK(child_error({"--propagation=bogus"}) == "(no error)"); // silently ignored upstream
    CHECK(check_child(parse_cli({"--pidns", "x"})).reaper);
    CHECK(check_child(parse_cli({"--pidns", "x"})).mount_procfs);
    CHECK_FALSE(check_child(parse_cli({"--pidns", "--reaper=false", "x"})).reaper);
    CHECK(check_child(parse_cli({"x"})).reaper);
    CHECK(check_child(parse_cli({"--reaper=true", "x"})).reaper);
    CHECK_FALSE(check_child(parse_cli({"--reaper=false", "x"})).reaper);
}

TEST_CASE("--port-driver=pesto without pesto installed names it", "[rootlesskit][checks]") {
    CheckEnv env = fake_env();
    env.look_path = [](const std::string& b) -> std::string {
        if (b == "pesto")
            throw std::runtime_error("exec: \"pesto\": executable file not found in $PATH");
        return "/usr/bin/" + b;
    };
    std::vector<std::string> w;
    try {
        (void)check_network(parse_cli({"--net=pasta", "--port-driver=pesto", "x"}), env, w);
        FAIL("accepted");
    } catch (const std::runtime_error& e) {
        CHECK(std::string(e.what()) ==
              "port driver \"pesto\" needs the pesto binary of passt, which is not installed: "
              "exec: \"pesto\": executable file not found in $PATH");
    }
}

TEST_CASE("parse_cidr", "[rootlesskit][checks]") {
    CHECK_FALSE(parse_cidr("").has_value());
    auto c = parse_cidr("10.1.0.0/16");
    REQUIRE(c);
    CHECK(c->prefix == 16);
    CHECK(parse_cidr("0.0.0.0/0")->prefix == 0);
}

TEST_CASE("pasta plan: defaults, implicit ports, warning", "[rootlesskit][checks]") {
    std::vector<std::string> w;
    NetPlan p =
        check_network(parse_cli({"--net=pasta", "--disable-host-loopback", "x"}), fake_env(), w);
    CHECK(p.mtu == 65520);
    CHECK(p.ifname == "tap0");
    CHECK(p.binary == "/usr/bin/pasta");
    CHECK_FALSE(p.implicit_ports);
    CHECK(w == std::vector<std::string>{
                   "\"pasta\" network driver is experimental. Needs very recent version of "
                   "pasta (see docs/network.md)."});
    CHECK(check_network(parse_cli({"--net=pasta", "--port-driver=implicit", "x"}), fake_env(), w)
              .implicit_ports);
    CHECK(check_child(parse_cli({"--net=pasta", "--port-driver=implicit", "x"})).mount_procfs ==
          false);
}
