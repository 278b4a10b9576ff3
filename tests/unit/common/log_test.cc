// SPDX-License-Identifier: Apache-2.0
// log_test.cc — prefix, levels and one-line writes of common::log
#include "common/log.h"
#include "common/unique_fd.h"

#include <catch2/catch.hpp>
#include <fcntl.h>
#include <string>
#include <unistd.h>

namespace {

// Captures what is written to stderr while alive.
class StderrCapture {
public:
    StderrCapture() : pipe_(common::pipe_cloexec(O_NONBLOCK)), saved_(::dup(STDERR_FILENO)) {
        ::dup2(pipe_.second.get(), STDERR_FILENO);
    }
    ~StderrCapture() { restore(); }
    std::string text() {
        restore();
        std::string out;
        char buf[512];
        ssize_t n;
        while ((n = ::read(pipe_.first.get(), buf, sizeof buf)) > 0)
            out.append(buf, static_cast<size_t>(n));
        return out;
    }

private:
    void restore() {
        if (saved_ >= 0) {
            ::dup2(saved_, STDERR_FILENO);
            ::close(saved_);
            saved_ = -1;
        }
    }
    common::FdPair pipe_;
    int saved_;
};

} // namespace

TEST_CASE("log lines carry the prefix and end with a newline", "[common][log]") {
    common::log::set_prefix("slirp4netns: ");
    common::log::set_level(common::log::Level::info);
    StderrCapture cap;
    common::log::error("cannot set MTU %d", 5);
    common::log::info("hello");
    CHECK(cap.text() == "slirp4netns: cannot set MTU 5\nslirp4netns: hello\n");
    common::log::set_prefix("");
}

TEST_CASE("messages above the level are dropped", "[common][log]") {
    common::log::set_level(common::log::Level::warn);
    StderrCapture cap;
    common::log::info("quiet");
    common::log::debug("quieter");
    common::log::warn("loud");
    CHECK(cap.text() == "loud\n");
    CHECK(common::log::enabled(common::log::Level::error));
    CHECK_FALSE(common::log::enabled(common::log::Level::info));
    common::log::set_level(common::log::Level::trace);
    CHECK(common::log::enabled(common::log::Level::trace));
    common::log::set_level(common::log::Level::info);
}

TEST_CASE("logging preserves errno", "[common][log]") {
    StderrCapture cap;
    errno = EAGAIN;
    common::log::warn("x");
    CHECK(errno == EAGAIN);
    (void)cap.text();
}

namespace {
void bracket_formatter(common::log::Level lvl, std::string_view msg, std::string& line) {
    line += lvl == common::log::Level::error ? "E[" : "W[";
    line += msg;
    line += "]\n";
}
} // namespace

TEST_CASE("a formatter makes the whole line; the level still filters", "[common][log]") {
    common::log::set_prefix("ignored: ");
    common::log::set_formatter(bracket_formatter);
    common::log::set_level(common::log::Level::warn);
    StderrCapture cap;
    common::log::error("a %d", 1);
    common::log::write(common::log::Level::warn, "b %d");
    common::log::info("dropped");
    common::log::set_formatter(nullptr);
    common::log::write(common::log::Level::error, "plain");
    CHECK(cap.text() == "E[a 1]\nW[b %d]\nignored: plain\n");
    common::log::set_prefix("");
    common::log::set_level(common::log::Level::info);
}

TEST_CASE("write_raw writes the bytes as given; long messages are not cut", "[common][log]") {
    const std::string long_msg(10000, 'x');
    StderrCapture cap;
    common::log::write_raw("no newline");
    common::log::info("%s", long_msg.c_str());
    common::log::write(common::log::Level::info, long_msg);
    CHECK(cap.text() == "no newline" + long_msg + "\n" + long_msg + "\n");
}
