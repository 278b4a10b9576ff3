// SPDX-License-Identifier: Apache-2.0
// error_test.cc — Result<T>, Result<void>, SysError and the formatting helpers
#include "common/error.h"

#include <catch2/catch.hpp>
#include <cstring>
#include <memory>

using common::Errno;
using common::Result;

namespace {
Result<int> half(int x) {
    if (x % 2)
        return Errno{EINVAL};
    return x / 2;
}
Result<void> check(bool ok) {
    if (!ok)
        return Errno{EPERM};
    return {};
}
} // namespace

TEST_CASE("Result holds a value or an errno", "[common][error]") {
    Result<int> ok = half(8);
    REQUIRE(ok);
    CHECK(*ok == 4);
    Result<int> bad = half(3);
    REQUIRE_FALSE(bad.has_value());
    CHECK(bad.error().value == EINVAL);
}

TEST_CASE("Result carries move-only values", "[common][error]") {
    Result<std::unique_ptr<int>> r = std::make_unique<int>(7);
    REQUIRE(r);
    std::unique_ptr<int> p = std::move(*r);
    CHECK(*p == 7);
}

TEST_CASE("Result<void> is success by default and failure from an Errno", "[common][error]") {
    CHECK(check(true));
    Result<void> r = check(false);
    CHECK_FALSE(r);
    CHECK(r.error().value == EPERM);
}

TEST_CASE("throw_errno captures errno and formats the message", "[common][error]") {
    errno = ENOENT;
    try {
        common::throw_errno("Failed to open '%s'", "/x");
        FAIL("did not throw");
    } catch (const common::SysError& e) {
        CHECK(e.err() == ENOENT);
        CHECK(e.message() == "Failed to open '/x'");
        CHECK(std::string(e.what()) ==
              std::string("Failed to open '/x': ") + std::strerror(ENOENT));
    }
}

TEST_CASE("throw_error uses the given errno", "[common][error]") {
    CHECK_THROWS_MATCHES(common::throw_error(EACCES, "n=%d", 3), common::SysError,
                         Catch::Predicate<common::SysError>([](const common::SysError& e) {
                             return e.err() == EACCES && e.message() == "n=3";
                         }));
}

TEST_CASE("UsageError keeps the message and the usage flag", "[common][error]") {
    common::UsageError e("MTU must be a positive integer (< 65522)", true);
    CHECK(std::string(e.what()) == "MTU must be a positive integer (< 65522)");
    CHECK(e.show_usage());
    CHECK_FALSE(common::UsageError("x").show_usage());
}

TEST_CASE("strprintf formats short and long strings", "[common][error]") {
    CHECK(common::strprintf("%s-%d", "a", 5) == "a-5");
    std::string long_arg(1000, 'z');
    CHECK(common::strprintf("<%s>", long_arg.c_str()) == "<" + long_arg + ">");
}
