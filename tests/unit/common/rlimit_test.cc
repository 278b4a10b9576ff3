// SPDX-License-Identifier: Apache-2.0
// rlimit_test.cc — raise_nofile lifts the soft limit to the hard one and honours the cap
#include "common/rlimit.h"

#include <catch2/catch.hpp>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

TEST_CASE("raise_nofile lifts a lowered soft limit to the hard one", "[common][rlimit]") {
    // in a child, so that the test binary keeps its own limits
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        rlimit rl{};
        if (::getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_max < 200)
            ::_exit(10);
        rlimit low{100, rl.rlim_max};
        if (::setrlimit(RLIMIT_NOFILE, &low) != 0)
            ::_exit(11);
        size_t got = common::raise_nofile(static_cast<size_t>(-1));
        rlimit now{};
        ::getrlimit(RLIMIT_NOFILE, &now);
        if (now.rlim_cur != rl.rlim_max || got != static_cast<size_t>(rl.rlim_max))
            ::_exit(12);
        if (common::raise_nofile(150) != 150) // the cap bounds what is reported
            ::_exit(13);
        ::_exit(0);
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
}
