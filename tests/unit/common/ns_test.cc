// SPDX-License-Identifier: Apache-2.0
// ns_test.cc — id map text, and run_in_ns in a forked child (no privilege needed)
#include "common/ns.h"
#include "tests/unit/skip.h"

#include <catch2/catch.hpp>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using common::ns::IdMapEntry;

TEST_CASE("format_id_map writes one line per range", "[common][ns]") {
    CHECK(common::ns::format_id_map({{0, 1000, 1}, {1, 100000, 65536}}) ==
          "0 1000 1\n1 100000 65536\n");
    CHECK(common::ns::format_id_map({}).empty());
}

TEST_CASE("parse_id_map reads /proc uid_map text with its padding", "[common][ns]") {
    std::string text = "         0       1000          1\n         1     100000      65536\n";
    std::vector<IdMapEntry> m = common::ns::parse_id_map(text);
    REQUIRE(m.size() == 2);
    CHECK(m[0] == IdMapEntry{0, 1000, 1});
    CHECK(m[1] == IdMapEntry{1, 100000, 65536});
    CHECK(common::ns::parse_id_map("0 0 4294967295").at(0).count == 4294967295ul);
}

TEST_CASE("parse_id_map rejects malformed lines", "[common][ns]") {
    CHECK_THROWS_AS(common::ns::parse_id_map("0 1000\n"), common::UsageError);
    CHECK_THROWS_AS(common::ns::parse_id_map("0 1000 1 9\n"), common::UsageError);
    CHECK_THROWS_AS(common::ns::parse_id_map("a b c\n"), common::UsageError);
    CHECK_THROWS_AS(common::ns::parse_id_map("0 -1 1\n"), common::UsageError);
}

TEST_CASE("open_by_pid opens our own namespaces and fails for a missing pid", "[common][ns]") {
    common::UniqueFd net = common::ns::open_by_pid(::getpid(), "net");
    CHECK(net);
    CHECK_THROWS_AS(common::ns::open_by_pid(0x3ffffff0, "net"), common::SysError);
    CHECK_THROWS_AS(common::ns::open_path("/nonexistent/ns"), common::SysError);
}

TEST_CASE("run_in_ns returns the fd the child made", "[common][ns]") {
    common::ns::Target here;
    common::UniqueFd fd = common::ns::run_in_ns(here, []() -> common::UniqueFd {
        common::FdPair p = common::pipe_cloexec();
        if (::write(p.second.get(), "hi", 2) != 2)
            common::throw_errno("write");
        return std::move(p.first);
    });
    REQUIRE(fd);
    char buf[2];
    REQUIRE(::read(fd.get(), buf, 2) == 2);
    CHECK(std::memcmp(buf, "hi", 2) == 0);
}

TEST_CASE("run_in_ns reports the child's error with its errno and text", "[common][ns]") {
    common::ns::Target here;
    try {
        (void)common::ns::run_in_ns(here, []() -> common::UniqueFd {
            errno = ENOENT;
            common::throw_errno("/proc/999999/ns/net");
        });
        FAIL("did not throw");
    } catch (const common::SysError& e) {
        CHECK(e.err() == ENOENT);
        CHECK(e.message() == "/proc/999999/ns/net");
    }
}

TEST_CASE("run_in_ns joins the target network namespace", "[common][ns]") {
    // A child in a fresh user+net namespace holds it open; we then enter it through its fd.
    int ready[2];
    REQUIRE(::pipe2(ready, O_CLOEXEC) == 0);
    pid_t holder = ::fork();
    REQUIRE(holder >= 0);
    if (holder == 0) {
        char ok = ::unshare(CLONE_NEWUSER | CLONE_NEWNET) == 0 ? '1' : '0';
        if (::write(ready[1], &ok, 1) != 1) // the parent then fails its read
            ::_exit(1);
        ::pause();
        ::_exit(0);
    }
    ::close(ready[1]);
    char ok = 0;
    REQUIRE(::read(ready[0], &ok, 1) == 1);
    ::close(ready[0]);
    if (ok != '1') {
        ::kill(holder, SIGKILL);
        ::waitpid(holder, nullptr, 0);
        SKIP_CASE("unprivileged user namespaces are not available here");
    }
    common::UniqueFd userns = common::ns::open_by_pid(holder, "user");
    common::UniqueFd netns = common::ns::open_by_pid(holder, "net");
    struct stat want {};
    REQUIRE(::fstat(netns.get(), &want) == 0);
    common::UniqueFd seen =
        common::ns::run_in_ns({userns.get(), netns.get(), -1}, []() -> common::UniqueFd {
            int fd = ::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
            if (fd < 0)
                common::throw_errno("open");
            return common::UniqueFd(fd);
        });
    struct stat got {};
    REQUIRE(::fstat(seen.get(), &got) == 0);
    CHECK(got.st_ino == want.st_ino);
    ::kill(holder, SIGKILL);
    ::waitpid(holder, nullptr, 0);
}

TEST_CASE("call_in_ns runs a function in a child and reports its failure", "[common][ns]") {
    common::ns::Target here;
    bool ran = false;
    common::ns::call_in_ns(here, [&ran] { ran = true; }); // runs in the child: no effect here
    CHECK_FALSE(ran);
    CHECK_THROWS_WITH(common::ns::call_in_ns(here, [] { throw std::runtime_error("boom"); }),
                      Catch::Contains("boom"));
}
