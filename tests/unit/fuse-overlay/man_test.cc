// SPDX-License-Identifier: Apache-2.0
// man_test.cc — every option cli.cc parses is documented in man/fuse-overlay.1.scd (docs/style.md
// B12)
#include "fuse-overlay/cli.h"

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

TEST_CASE("Every -o key is parsed without a warning and appears in the man page",
          "[fuse-overlay][cli][man]") {
    std::ifstream in(OVL_MAN_PAGE);
    REQUIRE(in.good());
    std::stringstream ss;
    ss << in.rdbuf();
    std::string page = ss.str();
    for (std::string_view key : ovl::option_keys()) {
        INFO(std::string(key));
        CHECK(page.find(std::string(key)) != std::string::npos);
        std::string opt(key);
        if (key != "squash_to_root" && key != "static_nlink" && key != "volatile" &&
            key != "noacl" && key != "debug")
            opt += key == "redirect_dir"                           ? "=off"
                   : key == "plugins"                              ? "="
                   : key.find("mapping") != std::string_view::npos ? "=0:0:1"
                                                                   : "=1";
        if (key == "lowerdir")
            continue;
        ovl::OverlayOptions o =
            ovl::parse_cli({"-o", "lowerdir=/l,upperdir=/u,workdir=/w," + opt, "/m"}, false);
        CHECK(o.warnings.empty());
    }
    for (const char* flag : {"-f", "-d", "--debug", "-h", "--help", "-V", "--version"})
        CHECK(page.find(flag) != std::string::npos);
}
