// SPDX-License-Identifier: Apache-2.0
// cli_test.cc — slirp4netns option parsing: every option, every message, every exit path
#include "slirpnet/cli.h"

#include "common/error.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdio>
#include <set>
#include <string>
#include <vector>

using slirp::Action;
using slirp::NetnsType;
using slirp::Options;

namespace {

slirp::CliEnv fake_env() {
    slirp::CliEnv env;
    env.path_errno = [](const std::string& p) {
        static const std::set<std::string> exists = {"/run/netns/x", "/proc/42/ns/user"};
        return exists.count(p) != 0 ? 0 : ENOENT;
    };
    env.fd_is_open = [](int fd) { return fd == 7; };
    return env;
}

Options parse(std::vector<std::string> args) {
    args.insert(args.begin(), "slirp4netns");
    std::vector<char*> argv;
    for (auto& a : args)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    return slirp::parse_cli(static_cast<int>(args.size()), argv.data(), fake_env());
}

struct Failure {
    std::string msg;
    bool usage;
};
Failure fail(std::vector<std::string> args) {
    try {
        parse(std::move(args));
    } catch (const common::UsageError& e) {
        return {e.what(), e.show_usage()};
    }
    FAIL("expected a UsageError");
    return {};
}

} // namespace

TEST_CASE("Defaults match slirp4netns", "[slirpnet][cli]") {
    Options o = parse({"42", "tap0"});
    CHECK(o.action == Action::run);
    CHECK(o.target_pid == 42);
    CHECK(o.tapname == "tap0");
    CHECK(o.mtu == 1500);
    CHECK(o.exit_fd == -1);
    CHECK(o.ready_fd == -1);
    CHECK_FALSE(o.configure);
    CHECK(o.cidr_net == 0x0a000200);
    CHECK(o.cidr_prefix == 24);
    CHECK(o.netns_type == NetnsType::pid);
    CHECK(o.warnings.empty());
}

TEST_CASE("Podman 4.3 argv parses", "[slirpnet][cli]") {
    Options o = parse({"--disable-host-loopback", "--mtu=65520", "--cidr=10.0.135.128/25", "-c",
                       "-e", "3", "-r", "4", "--api-socket", "/tmp/a.net", "--netns-type=path",
                       "/run/netns/x", "tap0"});
    CHECK(o.disable_host_loopback);
    CHECK(o.mtu == 65520);
    CHECK(o.cidr_net == 0x0a008780);
    CHECK(o.cidr_prefix == 25);
    CHECK(o.configure);
    CHECK(o.exit_fd == 3);
    CHECK(o.ready_fd == 4);
    CHECK(o.api_socket == "/tmp/a.net");
    CHECK(o.netns_type == NetnsType::path);
    CHECK(o.netns_path == "/run/netns/x");
}

TEST_CASE("Options may follow positionals (GNU permutation)", "[slirpnet][cli]") {
    Options o = parse({"42", "tap0", "-c", "--mtu", "9000"});
    CHECK(o.configure);
    CHECK(o.mtu == 9000);
}

TEST_CASE("Help and version win when they come first", "[slirpnet][cli]") {
    CHECK(parse({"-h"}).action == Action::help);
    CHECK(parse({"--help", "--bogus"}).action == Action::help);
    CHECK(parse({"-v", "--bogus"}).action == Action::version);
    CHECK(parse({"--version"}).action == Action::version);
    CHECK(fail({"--bogus", "-v"}).msg == "slirp4netns: unrecognized option '--bogus'");
}

TEST_CASE("getopt errors use getopt's wording and print usage", "[slirpnet][cli]") {
    auto f = fail({"--bogus"});
    CHECK(f.msg == "slirp4netns: unrecognized option '--bogus'");
    CHECK(f.usage);
    CHECK(fail({"-x"}).msg == "slirp4netns: invalid option -- 'x'");
    CHECK(fail({"-1", "tap0"}).msg == "slirp4netns: invalid option -- '1'");
    CHECK(fail({"--mtu"}).msg == "slirp4netns: option '--mtu' requires an argument");
    CHECK(fail({"-m"}).msg == "slirp4netns: option requires an argument -- 'm'");
    CHECK(fail({"--configure=1", "1", "t"}).msg ==
          "slirp4netns: option '--configure' doesn't allow an argument");
    CHECK(fail({"--ena", "0"}).msg ==
          "slirp4netns: option '--ena' is ambiguous; possibilities: '--enable-ipv6' "
          "'--enable-sandbox' '--enable-seccomp'");
}

TEST_CASE("Unique abbreviations of long options are accepted", "[slirpnet][cli]") {
    CHECK(parse({"--conf", "1", "tap0"}).configure);
    CHECK(parse({"--disable-h", "1", "tap0"}).disable_host_loopback);
}

TEST_CASE("MTU must be 1..65521", "[slirpnet][cli]") {
    for (const char* bad : {"0", "65522", "-1", "abc", "1500x", ""}) {
        auto f = fail({"-m", bad, "1", "tap0"});
        CHECK(f.msg == "MTU must be a positive integer (< 65522)");
        CHECK(f.usage);
    }
    CHECK(parse({"-m", "65521", "1", "t"}).mtu == 65521);
    CHECK(parse({"-m", "1", "1", "t"}).mtu == 1);
}

TEST_CASE("exit-fd and ready-fd must be non-negative integers", "[slirpnet][cli]") {
    for (const char* bad : {"-1", "abc", "5x", "2147483648"}) {
        auto e = fail({"-e", bad, "1", "tap0"});
        CHECK(e.msg == "exit-fd must be a non-negative integer");
        CHECK(e.usage);
        auto r = fail({"--ready-fd", bad, "1", "tap0"});
        CHECK(r.msg == "ready-fd must be a non-negative integer");
        CHECK(r.usage);
    }
    CHECK(parse({"-e", "0", "-r", "00", "1", "t"}).ready_fd == 0);
}

TEST_CASE("Positional arguments: count, PID, path, tapfd", "[slirpnet][cli]") {
    auto none = fail({});
    CHECK(none.msg.empty());
    CHECK(none.usage);
    CHECK(fail({"1"}).msg.empty());
    for (const char* bad : {"abc", "0", "1x"}) {
        auto f = fail({bad, "tap0"});
        CHECK(f.msg == "PID must be a positive integer");
        CHECK(f.usage);
    }
    Options extra = parse({"1", "tap0", "extra"});
    REQUIRE(extra.warnings.size() == 1);
    CHECK(extra.warnings[0] == "WARNING: too many arguments");
    auto p = fail({"--netns-type=path", "/nonexist", "tap0"});
    CHECK(p.msg == "existing path expected when --netns-type=path: No such file or directory");
    CHECK(p.usage);
    // Any type other than pid/tapfd means path, even a typo (slirp4netns does the same).
    CHECK(parse({"--netns-type=bogus", "/run/netns/x", "t"}).netns_type == NetnsType::path);
    CHECK(parse({"--netns-type=pid", "5", "t"}).target_pid == 5);
    Options t = parse({"--netns-type=tapfd", "7"});
    CHECK(t.netns_type == NetnsType::tapfd);
    CHECK(t.tapfd == 7);
    CHECK(fail({"--netns-type=tapfd", "8"}).msg == "TAPFD must a file descriptor");
    CHECK(fail({"--netns-type=tapfd", "x"}).msg == "TAPFD must a file descriptor");
}

TEST_CASE("userns path is checked while parsing", "[slirpnet][cli]") {
    auto f = fail({"--userns-path=/nonexistent", "1", "tap0"});
    CHECK(f.msg == "userns path doesn't exist: /nonexistent");
    CHECK(f.usage);
    CHECK(parse({"--userns-path=/proc/42/ns/user", "--netns-type=path", "/run/netns/x", "t"})
              .userns_path == "/proc/42/ns/user");
}

TEST_CASE("CIDR errors use slirp4netns' wording and print no usage", "[slirpnet][cli]") {
    auto c = [](const char* cidr) { return fail({std::string("--cidr=") + cidr, "1", "t"}); };
    CHECK(c("24").msg == "invalid CIDR: 24");
    CHECK_FALSE(c("24").usage);
    CHECK(c("10.0.2.0").msg == "invalid CIDR: 10.0.2.0");
    CHECK(c("10.0.2.0/24x").msg == "invalid CIDR: 10.0.2.0/24x");
    CHECK(c("1.2.3.0/123").msg == "invalid CIDR: 1.2.3.0/123");
    CHECK(c("300.0.2.0/24").msg == "invalid network address: 300.0.2.0");
    CHECK(c("010.0.2.0/24").msg == "invalid network address: 010.0.2.0");
    CHECK(c("10.0.2.0/26").msg == "prefix length needs to be 1-25");
    CHECK(c("10.0.2.0/0").msg == "prefix length needs to be 1-25");
    CHECK(c("1.2.3.0/33").msg == "prefix length needs to be 1-25");
    CHECK(c("10.0.2.100/24").msg ==
          "CIDR needs to be a network address like 10.0.2.0/24, not like 10.0.2.100/24");
    CHECK(c("10.0.2.0/08").msg ==
          "CIDR needs to be a network address like 10.0.2.0/24, not like 10.0.2.0/08");
    Options o = parse({"--cidr=10.0.135.128/25", "1", "t"});
    CHECK(o.cidr_net == 0x0a008780);
}

TEST_CASE("Positional errors come before CIDR errors", "[slirpnet][cli]") {
    auto f = fail({"--cidr=24"});
    CHECK(f.msg.empty());
    CHECK(f.usage);
}

TEST_CASE("macaddress needs -c and a valid MAC", "[slirpnet][cli]") {
    auto f = fail({"--macaddress=0e:d4:18:d9:38:fb", "1", "t"});
    CHECK(f.msg == "--macaddr cannot be specified when --configure or -c is not specified");
    CHECK(f.usage);
    const std::string tail = "macaddress has to be a valid MAC address (hex string, 6 bytes, "
                             "each byte separated by a ':').";
    CHECK(fail({"-c", "--macaddress=zz:bb", "1", "t"}).msg ==
          "\"zz:bb\" is an invalid MAC address.\n" + tail);
    CHECK_FALSE(fail({"-c", "--macaddress=zz:bb", "1", "t"}).usage);
    CHECK(fail({"-c", "--macaddress=00:11:22:33:44:55:66", "1", "t"}).msg ==
          "\"00:11:22:33:44:55:66\" is an invalid MAC address.  Is it too long?\n" + tail);
    CHECK(fail({"-c", "--macaddress=00:11:22:33:44:55:", "1", "t"}).msg ==
          "\"00:11:22:33:44:55:\" is an invalid MAC address.  Is it too long?\n" + tail);
    Options o = parse({"-c", "--macaddress=0e:d4:18:d9:38:fb", "1", "t"});
    REQUIRE(o.macaddress);
    CHECK((*o.macaddress)[0] == 0x0e);
    CHECK((*o.macaddress)[5] == 0xfb);
    CHECK((*parse({"-c", "--macaddress=0:1:2:3:4:5", "1", "t"}).macaddress)[5] == 5);
}

TEST_CASE("Deprecated and experimental options print upstream's warnings", "[slirpnet][cli]") {
    Options o = parse({"--no-host-loopback", "1", "t"});
    CHECK(o.disable_host_loopback);
    REQUIRE(o.warnings.size() == 1);
    CHECK(o.warnings[0] == "WARNING: --no-host-loopback is deprecated and will be removed in "
                           "future releases, please use --disable-host-loopback instead.");
    Options ob = parse({"--outbound-addr=127.0.0.1", "1", "t"});
    CHECK(ob.outbound_addr == "127.0.0.1");
    REQUIRE(ob.warnings.size() == 1);
    CHECK(ob.warnings[0] == "WARNING: Support for --outbound-addr is experimental");
    CHECK(parse({"--disable-dns", "1", "t"}).disable_dns);
    Options o6 = parse({"-6", "--outbound-addr6=::1", "1", "t"});
    CHECK(o6.enable_ipv6);
    CHECK(o6.outbound_addr6 == "::1");
    REQUIRE(o6.warnings.size() == 2);
    CHECK(o6.warnings[0] == "WARNING: Support for IPv6 is experimental");
    CHECK(o6.warnings[1] == "WARNING: Support for --outbound-addr6 is experimental");
    CHECK(parse({"--enable-ipv6", "1", "t"}).enable_ipv6);
}

TEST_CASE("Unimplemented options are refused by name, never ignored", "[slirpnet][cli]") {
    CHECK(fail({"--target-type=bess", "/tmp/s"}).msg ==
          "--target-type=bess is not supported by slirpnet yet");
    CHECK_FALSE(fail({"--target-type=bess", "/tmp/s"}).usage);
}

TEST_CASE("--enable-sandbox, --create-sandbox and --enable-seccomp are accepted",
          "[slirpnet][cli]") {
    Options a = parse({"1", "t"});
    CHECK_FALSE(a.enable_sandbox);
    CHECK_FALSE(a.enable_seccomp);
    Options s = parse({"--enable-sandbox", "1", "t"});
    CHECK(s.enable_sandbox);
    CHECK_FALSE(s.enable_seccomp);
    CHECK(s.warnings.empty());
    Options c = parse({"--create-sandbox", "1", "t"});
    CHECK(c.enable_sandbox);
    REQUIRE(c.warnings.size() == 1);
    CHECK(c.warnings[0] == "WARNING: --create-sandbox is deprecated and will be removed in future "
                           "releases, please use --enable-sandbox instead.");
    Options p = parse({"--enable-seccomp", "1", "t"});
    CHECK(p.enable_seccomp);
    CHECK_FALSE(p.enable_sandbox);
    REQUIRE(p.warnings.size() == 1);
    CHECK(p.warnings[0] == "WARNING: Support for seccomp is experimental");
    // Both, options after the positionals (GNU permutation), warnings in argv order.
    Options b = parse({"1", "t", "--enable-seccomp", "--create-sandbox"});
    CHECK(b.enable_sandbox);
    CHECK(b.enable_seccomp);
    REQUIRE(b.warnings.size() == 2);
    CHECK(b.warnings[0] == "WARNING: Support for seccomp is experimental");
    CHECK(b.warnings[1].rfind("WARNING: --create-sandbox is deprecated", 0) == 0);
}

TEST_CASE("target-type must be netns or bess", "[slirpnet][cli]") {
    auto f = fail({"--target-type=foo", "1", "t"});
    CHECK(f.msg == "--target-type must be either \"netns\" or \"bess\"");
    CHECK(f.usage);
    CHECK(parse({"--target-type=netns", "1", "t"}).target_pid == 1);
}

TEST_CASE("Parsing twice gives the same result (getopt state is reset)", "[slirpnet][cli]") {
    CHECK(parse({"-c", "1", "t"}).configure);
    CHECK(parse({"-c", "1", "t"}).configure);
}

TEST_CASE("Help text holds every string clients grep for", "[slirpnet][cli]") {
    std::string h = slirp::usage_text("slirp4netns");
    CHECK(h.rfind("Usage: slirp4netns [OPTION]... PID|PATH|FD [TAPNAME]\n", 0) == 0);
    for (const char* s : {"--netns-type", "--enable-ipv6", "--cidr", "--disable-host-loopback",
                          "--api-socket", "--enable-sandbox", "--enable-seccomp", "--mtu",
                          "--outbound-addr", "--userns-path", "--disable-dns", "--macaddress",
                          "--target-type", "--configure", "--exit-fd", "--ready-fd"})
        CHECK(h.find(s) != std::string::npos);
    CHECK(h.find("--netns-type=TYPE \t specify network namespace type ([path|pid|tapfd], "
                 "default=pid)\n") != std::string::npos);
    CHECK(h.find("--userns-path=PATH\t specify user namespace path\n") != std::string::npos);
}

TEST_CASE("Version has the 5-line machine-parsable format", "[slirpnet][cli]") {
    std::string v = slirp::version_text("2.5.4");
    CHECK(v.rfind("slirp4netns version 1.3.2+slirpnet-", 0) == 0);
    CHECK(v.find("\ncommit: ") != std::string::npos);
    CHECK(v.find("\nlibslirp: ") != std::string::npos);
    CHECK(v.find("\nSLIRP_CONFIG_VERSION_MAX: 4\n") != std::string::npos);
    CHECK(v.find("\nlibseccomp: 2.5.4\n") != std::string::npos);
    CHECK(std::count(v.begin(), v.end(), '\n') == 5);
}

TEST_CASE("Every long option is documented in the man page", "[slirpnet][cli]") {
    std::FILE* f = std::fopen(SLIRPNET_MAN_PAGE, "re");
    REQUIRE(f != nullptr);
    std::string man;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0)
        man.append(buf, n);
    std::fclose(f);
    for (const std::string& name : slirp::long_option_names()) {
        INFO(name);
        CHECK(man.find("*--" + name + "*") != std::string::npos);
    }
}
