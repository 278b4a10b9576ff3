// SPDX-License-Identifier: Apache-2.0
// test_main.cc — the Catch2 main shared by every unit test binary, with the TAP reporter
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
#include <catch2/catch_reporter_tap.hpp>
