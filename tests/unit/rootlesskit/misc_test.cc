// SPDX-License-Identifier: Apache-2.0
// misc_test.cc — exit-status wording, logrus line format, slirp4netns argv, copy-up planning,
// the AppArmor userns hint
#include "common/log.h"
#include "rootlesskit/copyup/tmpfs_symlink.h"
#include "rootlesskit/logging.h"
#include "rootlesskit/net/driver.h"
#include "rootlesskit/net/pasta.h"
#include "rootlesskit/process.h"
#include "rootlesskit/state_dir.h"
#include "rootlesskit/userns_hint.h"

#include <arpa/inet.h>
#include <catch2/catch.hpp>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <string>
#include <unistd.h>

using namespace rlk;

TEST_CASE("exit statuses are worded as Go's ProcessState", "[rootlesskit][process]") {
    CHECK(describe_status(42 << 8) == "exit status 42");
    CHECK(describe_status(SIGTERM) == "signal: terminated");
    CHECK(describe_status(SIGKILL) == "signal: killed");
    CHECK(describe_status(SIGUSR1) == "signal: user defined signal 1");
    CHECK(exit_code_of(42 << 8) == 42);
    CHECK(exit_code_of(SIGTERM) == 255);
    CHECK(go_slice({"sh", "-c", "exit 42"}) == "[sh -c exit 42]");
    CHECK(go_errno(ENOENT) == "no such file or directory");
}

TEST_CASE("look_path reports Go's messages", "[rootlesskit][process]") {
    CHECK_THROWS_WITH(look_path("no-such-binary-xyz"),
                      "exec: \"no-such-binary-xyz\": executable file not found in $PATH");
    CHECK_THROWS_WITH(look_path("/nonexistent/x"),
                      "exec: \"/nonexistent/x\": stat /nonexistent/x: no such file or directory");
    CHECK(look_path("sh").find("/sh") != std::string::npos);
}

TEST_CASE("logrus text lines quote the message", "[rootlesskit][logging]") {
    CHECK(log::format_plain("2026-11-22T19:30:00Z", "warning", "[rootlesskit:parent] a \"b\"") ==
          "time=\"2026-11-22T19:30:00Z\" level=warning msg=\"[rootlesskit:parent] a \\\"b\\\"\"");
}

// The lines rlk::log writes through common::log once set_id has installed its formatter (stderr is
// a pipe here, so the plain logrus form).
TEST_CASE("rlk::log lines go through common::log with the logrus formatter",
          "[rootlesskit][logging]") {
    int p[2];
    REQUIRE(::pipe(p) == 0);
    int saved = ::dup(STDERR_FILENO);
    ::dup2(p[1], STDERR_FILENO);
    log::set_id("child ");
    log::set_debug(false);
    log::debug("hidden");
    log::warn("w \"q\"");
    log::set_debug(true);
    log::debug("shown");
    log::error_line("boom");
    log::set_debug(false);
    common::log::set_formatter(nullptr);
    ::dup2(saved, STDERR_FILENO);
    ::close(saved);
    ::close(p[1]);
    std::string out;
    char buf[1024];
    ssize_t n;
    while ((n = ::read(p[0], buf, sizeof buf)) > 0)
        out.append(buf, static_cast<size_t>(n));
    ::close(p[0]);
    // The timestamps vary: check each is made of RFC 3339 characters, blank it, compare the bytes.
    // (No std::regex: g++ 12 warns maybe-uninitialized inside <regex> in the sanitizer build.)
    std::string masked;
    for (size_t i = 0; i < out.size();) {
        if (out.compare(i, 6, "time=\"") != 0) {
            masked += out[i++];
            continue;
        }
        size_t end = out.find('"', i + 6);
        REQUIRE(end != std::string::npos);
        CHECK(end > i + 6);
        for (size_t k = i + 6; k < end; ++k)
            CHECK(std::strchr("-0123456789T:+Z", out[k]) != nullptr);
        masked += "time=\"T\"";
        i = end + 1;
    }
    INFO(out);
    CHECK(masked == "time=\"T\" level=warning msg=\"[rootlesskit:child ] w \\\"q\\\"\"\n"
                    "time=\"T\" level=debug msg=\"[rootlesskit:child ] shown\"\n"
                    "[rootlesskit:child ] error: boom\n");
}

TEST_CASE("slirp4netns argv, attached and detached", "[rootlesskit][slirp4netns]") {
    NetPlan p;
    p.binary = "/usr/bin/slirp4netns";
    p.mtu = 65520;
    p.ifname = "tap0";
    p.disable_host_loopback = true;
    inet_pton(AF_INET, "10.0.2.0", &p.cidr.addr);
    CHECK(net::slirp4netns_argv(p, 12527, "", 3) ==
          std::vector<std::string>{"/usr/bin/slirp4netns", "--mtu", "65520", "-r", "3",
                                   "--disable-host-loopback", "12527", "tap0"});
    p.sandbox = p.seccomp = p.ipv6 = true;
    p.disable_host_loopback = false;
    inet_pton(AF_INET, "10.1.0.0", &p.cidr.addr);
    p.cidr.prefix = 16;
    CHECK(net::slirp4netns_argv(p, 5, "/proc/5/root/s/netns", 3) ==
          std::vector<std::string>{"/usr/bin/slirp4netns", "--mtu", "65520", "-r", "3", "--cidr",
                                   "10.1.0.0/16", "--enable-sandbox", "--enable-seccomp",
                                   "--enable-ipv6", "--userns-path=/proc/5/ns/user",
                                   "--netns-type=path", "/proc/5/root/s/netns", "tap0"});
    CHECK(net::cidr_host(p.cidr, 100) == "10.1.0.100");
    CHECK(net::cidr_host(p.cidr, 2) == "10.1.0.2");
}

TEST_CASE("copy-up: /tmp is rejected, paths are cleaned, links target the hidden original",
          "[rootlesskit][copyup]") {
    CHECK_THROWS_WITH(copyup::clean_dirs({"/etc", "/tmp/"}), "/tmp cannot be copied up");
    CHECK_THROWS_WITH(copyup::clean_dirs({"/tmp/../tmp"}), "/tmp cannot be copied up");
    CHECK(copyup::clean_dirs({"/etc/", "/run//x/."}) == std::vector<std::string>{"/etc", "/run/x"});
    CHECK(copyup::link_target("passwd", false, "", ".ro123") == ".ro123/passwd");
    CHECK(copyup::link_target("mtab", true, "../proc/self/mounts", ".ro123") ==
          "../proc/self/mounts");
}

TEST_CASE("absolute_path cleans like filepath.Abs", "[rootlesskit][state]") {
    CHECK(absolute_path("/a/b/../c/") == "/a/c");
    CHECK(absolute_path("/") == "/");
    CHECK(absolute_path("x").front() == '/');
}

TEST_CASE("pasta argv, as upstream builds it", "[rootlesskit][pasta]") {
    NetPlan p;
    p.binary = "pasta";
    p.mtu = 65520;
    p.ifname = "tap0";
    p.disable_host_loopback = true;
    inet_pton(AF_INET, "10.0.2.0", &p.cidr.addr);
    CHECK(net::pasta_argv(p, 42, "", false, false) ==
          std::vector<std::string>{"pasta", "--stderr", "--ns-ifname=tap0", "--mtu=65520",
                                   "--config-net", "--address=10.0.2.100", "--netmask=24",
                                   "--gateway=10.0.2.2", "--dns-forward=10.0.2.3", "--no-map-gw",
                                   "--ipv4-only", "--tcp-ports=none", "--udp-ports=none", "42"});
    p.disable_host_loopback = false;
    p.ipv6 = true;
    p.state_dir = "/s";
    CHECK(net::pasta_argv(p, 42, "/proc/42/root/s/netns", true, true) ==
          std::vector<std::string>{"pasta", "--stderr", "--ns-ifname=tap0", "--mtu=65520",
                                   "--config-net", "--address=10.0.2.100", "--netmask=24",
                                   "--gateway=10.0.2.2", "--dns-forward=10.0.2.3",
                                   "--tcp-ports=auto", "--udp-ports=auto", "--host-lo-to-ns-lo",
                                   "--pid=/s/.pasta.pid", "--userns=/proc/42/ns/user",
                                   "--netns=/proc/42/root/s/netns"});
}

TEST_CASE("AppArmor hint only for EACCES with the restriction on", "[rootlesskit][userns_hint]") {
    CHECK_FALSE(rlk::apparmor_userns_hint(EPERM, "1\n", "/usr/bin/rootlesskit"));
    CHECK_FALSE(rlk::apparmor_userns_hint(EACCES, "0\n", "/usr/bin/rootlesskit"));
    CHECK_FALSE(rlk::apparmor_userns_hint(EACCES, "", "/usr/bin/rootlesskit"));
    auto h = rlk::apparmor_userns_hint(EACCES, "1\n", "/home/u/bin/rootlesskit");
    REQUIRE(h);
    CHECK(h->rfind("Hint: try running the following commands:\n\n\n########## BEGIN", 0) == 0);
    CHECK(h->find("sudo tee \"/etc/apparmor.d/home.u.bin.rootlesskit\"\n") != std::string::npos);
    CHECK(h->find("\n/home/u/bin/rootlesskit flags=(unconfined) {\n  userns,\n") !=
          std::string::npos);
    CHECK(h->find("include if exists <local/home.u.bin.rootlesskit>") != std::string::npos);
}
