// SPDX-License-Identifier: Apache-2.0
// cli_test.cc — rootlesskit flag parsing: Go flag syntax, defaults, error texts, help, version
#include "common/error.h"
#include "rootlesskit/cli.h"

#include <catch2/catch.hpp>
#include <cstdio>

using rlk::Options;
using rlk::parse_cli;

namespace {
std::string usage_error(std::vector<std::string> args) {
    try {
        (void)parse_cli(args);
    } catch (const common::UsageError& e) {
        CHECK(e.show_usage());
        return e.what();
    }
    return "(no error)";
}
} // namespace

TEST_CASE("defaults match upstream v2.3", "[rootlesskit][cli]") {
    Options o = parse_cli({"true"});
    CHECK(o.net == "host");
    CHECK(o.mtu == 0);
    CHECK(o.cidr.empty());
    CHECK(o.ifname.empty());
    CHECK(o.port_driver == "none");
    CHECK(o.copy_up_mode == "tmpfs+symlink");
    CHECK(o.propagation == "rprivate");
    CHECK(o.reaper == "auto");
    CHECK(o.subid_source == "auto");
    CHECK(o.slirp4netns_binary == "slirp4netns");
    CHECK(o.slirp4netns_sandbox == "false");
    CHECK(o.slirp4netns_seccomp == "false");
    CHECK(o.pasta_binary == "pasta");
    CHECK(o.vpnkit_binary == "vpnkit");
    CHECK(o.lxc_user_nic_bridge == "lxcbr0");
    CHECK_FALSE(o.pidns);
    CHECK_FALSE(o.detach_netns);
    CHECK(o.command == std::vector<std::string>{"true"});
}

TEST_CASE("single and double dashes, = and separate values are the same", "[rootlesskit][cli]") {
    Options a =
        parse_cli({"-net=slirp4netns", "--mtu", "1500", "-pidns", "--state-dir", "/x", "sh"});
    CHECK(a.net == "slirp4netns");
    CHECK(a.mtu == 1500);
    CHECK(a.pidns);
    CHECK(a.state_dir == "/x");
    CHECK(a.command == std::vector<std::string>{"sh"});
}

TEST_CASE("bool flags take Go's ParseBool spellings only with =", "[rootlesskit][cli]") {
    CHECK(parse_cli({"--pidns=true", "x"}).pidns);
    CHECK(parse_cli({"--pidns=T", "x"}).pidns);
    CHECK(parse_cli({"--pidns=1", "x"}).pidns);
    CHECK_FALSE(parse_cli({"--pidns=false", "x"}).pidns);
    CHECK_FALSE(parse_cli({"--pidns=0", "x"}).pidns);
    // A separate word after a bool flag is the command, not its value.
    Options o = parse_cli({"--pidns", "false"});
    CHECK(o.pidns);
    CHECK(o.command == std::vector<std::string>{"false"});
    CHECK(usage_error({"--pidns=x", "true"}) ==
          "invalid boolean value \"x\" for -pidns: parse error");
    CHECK(usage_error({"--ipv6=yes"}) == "invalid boolean value \"yes\" for -ipv6: parse error");
}

TEST_CASE("unknown flags are reported as Go does", "[rootlesskit][cli]") {
    CHECK(usage_error({"--bogus", "true"}) == "flag provided but not defined: -bogus");
    CHECK(usage_error({"-bogus=1"}) == "flag provided but not defined: -bogus");
    CHECK(usage_error({"---x"}) == "bad flag syntax: ---x");
    CHECK(usage_error({"-=x"}) == "bad flag syntax: -=x");
}

TEST_CASE("integer flag errors", "[rootlesskit][cli]") {
    CHECK(usage_error({"--mtu", "abc", "true"}) ==
          "invalid value \"abc\" for flag -mtu: parse error");
    CHECK(usage_error({"--mtu=99999999999999999999"}) ==
          "invalid value \"99999999999999999999\" for flag -mtu: value out of range");
    CHECK(usage_error({"--mtu"}) == "flag needs an argument: -mtu");
    CHECK(usage_error({"--state-dir"}) == "flag needs an argument: -state-dir");
    CHECK(parse_cli({"--mtu=-1", "x"}).mtu == -1);
    CHECK(parse_cli({"--mtu=0x10", "x"}).mtu == 16);
}

TEST_CASE("parsing stops at the first non-flag or after --", "[rootlesskit][cli]") {
    Options o = parse_cli({"--pidns", "sh", "--net=slirp4netns"});
    CHECK(o.net == "host");
    CHECK(o.command == std::vector<std::string>{"sh", "--net=slirp4netns"});
    Options d = parse_cli({"--", "--pidns"});
    CHECK_FALSE(d.pidns);
    CHECK(d.command == std::vector<std::string>{"--pidns"});
    Options dash = parse_cli({"-", "x"});
    CHECK(dash.command == std::vector<std::string>{"-", "x"});
    CHECK(parse_cli({}).command.empty());
}

TEST_CASE("slice flags repeat and split on commas", "[rootlesskit][cli]") {
    Options o = parse_cli({"--copy-up=/etc,/run", "--copy-up", "/var/lib", "-p", "a/tcp,b/tcp",
                           "--publish=c/udp", "x"});
    CHECK(o.copy_up == std::vector<std::string>{"/etc", "/run", "/var/lib"});
    CHECK(o.publish == std::vector<std::string>{"a/tcp", "b/tcp", "c/udp"});
}

TEST_CASE("the last value of a repeated flag wins", "[rootlesskit][cli]") {
    CHECK(parse_cli({"--mtu=5", "--mtu=6", "x"}).mtu == 6);
}

TEST_CASE("help, version and alias flags", "[rootlesskit][cli]") {
    CHECK(parse_cli({"-h"}).help);
    CHECK(parse_cli({"--help"}).help);
    CHECK(parse_cli({"-v"}).version);
    CHECK(parse_cli({"--version"}).version);
    CHECK(rlk::version_text() == std::string("rootlesskit version ") + rlk::version + "\n");
}

TEST_CASE("print-semver prints one component", "[rootlesskit][cli]") {
    // Upstream's newest 3.0 patch, RootlessKit v3.0.1 (pkg/version), with ours as build metadata.
    CHECK(std::string(rlk::version).rfind("3.0.1+rootless-tools.", 0) == 0);
    CHECK(rlk::print_semver("major") == "3\n");
    CHECK(rlk::print_semver("minor") == "0\n");
    CHECK(rlk::print_semver("patch") == "1\n");
    CHECK_THROWS_WITH(rlk::print_semver("x"),
                      "expected --print-semver=(major|minor|patch), got \"x\"");
}

TEST_CASE("help text has upstream's categories and detach-netns", "[rootlesskit][cli]") {
    std::string h = rlk::help_text();
    for (const char* cat : {"  Misc:", "  Mount:", "  Network:", "  Network [lxc-user-nic]:",
                            "  Network [pasta]:", "  Network [slirp4netns]:", "  Network [vpnkit]:",
                            "  Port:", "  Process:", "  State:", "  SubID:"})
        CHECK(h.find(std::string("\n") + cat) != std::string::npos);
    auto row = [](std::string names, const std::string& usage) {
        names = "    " + names;
        names.resize(33, ' '); // tabwriter column: longest cell (31) + padding 2
        return "\n" + names + usage + "\n";
    };
    CHECK(h.find(row("--detach-netns", "detach network namespaces  (default: false)")) !=
          std::string::npos);
    CHECK(h.find(row("--debug", "debug mode (default: false)")) != std::string::npos);
    // Rows as RootlessKit v3.0.1 prints them (app.Flags in cmd/rootlesskit/main.go); where upstream
    // lists values, ours lists what this build takes (--copy-up-mode overlayfs).
    CHECK(h.find(row("--net value",
                     "network driver [host, none, pasta(experimental), slirp4netns, vpnkit, "
                     "lxc-user-nic(experimental), gvisor-tap-vsock(experimental)] "
                     "(default: \"host\")")) != std::string::npos);
    CHECK(h.find(row("--cidr value", "CIDR for pasta, slirp4netns and gvisor-tap-vsock networks "
                                     "(default: 10.0.2.0/24)")) != std::string::npos);
    CHECK(h.find(row("--port-driver value",
                     "port driver for non-host network. [none, implicit (for pasta), builtin, "
                     "slirp4netns, gvisor-tap-vsock] (default: \"none\")")) != std::string::npos);
    CHECK(h.find(row("--copy-up-mode value", "copy-up mode [tmpfs+symlink, overlayfs] "
                                             "(default: \"tmpfs+symlink\")")) != std::string::npos);
    CHECK(h.find(row("--source-ip-transparent",
                     "enable source IP transparency for the builtin port driver (TCP and UDP) "
                     "(default: true)")) != std::string::npos);
    CHECK(h.find("VERSION:\n   3.0.1+rootless-tools.") != std::string::npos);
    CHECK(h.find(row("--publish value, -p value",
                     "publish ports. e.g. \"127.0.0.1:8080:80/tcp\"")) != std::string::npos);
    CHECK(h.find(row("--print-semver value",
                     "print a version component as a decimal integer [major, minor, patch]")) !=
          std::string::npos);
    CHECK(h.rfind("USAGE:\n   rootlesskit [global options] [arguments...]\n", std::string::npos) !=
          std::string::npos);
    CHECK(
        h.find(
            "DESCRIPTION:\n   RootlessKit is a Linux-native implementation of \"fake root\" using "
            "user_namespaces(7).\n   \n") != std::string::npos);
    // Categories come in sorted order; every category ends with a padded blank line.
    CHECK(h.find("  Misc:") < h.find("  Mount:"));
    CHECK(h.find("  Network [vpnkit]:") < h.find("  Port:"));
    CHECK(h.find("  State:") < h.find("  SubID:"));
    CHECK(h.substr(h.size() - 34) == std::string(33, ' ') + "\n");
    CHECK(rlk::help_text("/usr/lib/lxc/lxc-user-nic")
              .find("(default: \"/usr/lib/lxc/lxc-user-nic\")") != std::string::npos);
}

TEST_CASE("go_quote escapes like strconv.Quote", "[rootlesskit][cli]") {
    CHECK(rlk::go_quote("a\"b\\c\n") == "\"a\\\"b\\\\c\\n\"");
    CHECK(rlk::go_quote(std::string("\x01", 1)) == "\"\\x01\"");
}

TEST_CASE("every long option is documented in man/rootlesskit.1.scd and --help",
          "[rootlesskit][cli]") {
    std::FILE* f = std::fopen(RLK_MAN_DIR "/rootlesskit.1.scd", "r");
    REQUIRE(f);
    std::string page;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0)
        page.append(buf, n);
    std::fclose(f);
    std::string help = rlk::help_text();
    for (const std::string& name : rlk::flag_names()) {
        INFO(name);
        CHECK(page.find("*--" + name + "*") != std::string::npos);
        CHECK(help.find("--" + name) != std::string::npos);
    }
}
