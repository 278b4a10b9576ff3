// SPDX-License-Identifier: Apache-2.0
// server_limits_test.cc — the API server under hostile clients: silent and dribbling clients,
// the client cap, EMFILE, a blocked port driver, and the incremental parser's linear work
#include "common/unique_fd.h"
#include "rootlesskit/api/request_parser.h"
#include "rootlesskit/api/server.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <dirent.h>
#include <mutex>
#include <poll.h>
#include <stdexcept>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <thread>
#include <unistd.h>

using namespace rlk::api;
using common::UniqueFd;
using Clock = std::chrono::steady_clock;

namespace {

// A socket path in a fresh directory, removed with it.
struct TempSocket {
    std::string dir = "/tmp/rlk-unit-XXXXXX";
    std::string path;
    TempSocket() {
        REQUIRE(mkdtemp(dir.data()));
        path = dir + "/api.sock";
    }
    ~TempSocket() {
        unlink(path.c_str());
        rmdir(dir.c_str());
    }
};

UniqueFd dial(const std::string& path) {
    UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    strcpy(a.sun_path, path.c_str());
    REQUIRE(connect(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    return fd;
}

// Reads until EOF or `timeout_ms` passes; "<timeout>" appended if it did.
std::string read_all(int fd, int timeout_ms = 5000) {
    std::string out;
    Clock::time_point end = Clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
        int left = static_cast<int>(
            std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now()).count());
        pollfd p{fd, POLLIN, 0};
        if (left <= 0 || poll(&p, 1, left) != 1)
            return out + "<timeout>";
        char buf[4096];
        ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0)
            return out;
        out.append(buf, static_cast<size_t>(n));
    }
}

// One GET /v1/info with Connection: close; the reply and how long it took.
std::pair<std::string, double> get_info(const std::string& path) {
    Clock::time_point t0 = Clock::now();
    UniqueFd c = dial(path);
    std::string req = "GET /v1/info HTTP/1.1\r\nConnection: close\r\n\r\n";
    REQUIRE(write(c.get(), req.data(), req.size()) == static_cast<ssize_t>(req.size()));
    std::string out = read_all(c.get());
    return {out, std::chrono::duration<double>(Clock::now() - t0).count()};
}

size_t thread_count() {
    size_t n = 0;
    DIR* d = opendir("/proc/self/task");
    while (dirent* e = readdir(d))
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

double cpu_seconds() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

const Info info{"/s", 1, nullptr, nullptr};

// A server on a fresh socket.
struct TestServer {
    TempSocket t;
    Server s;
    explicit TestServer(ServerLimits lim = {}, Info i = info) : s(t.path, std::move(i), lim) {}
};

// Polls `pred` every 5 ms for up to `ms`.
template <class F> bool eventually_true(F pred, int ms) {
    for (int i = 0; i < ms / 5; ++i) {
        if (pred())
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return pred();
}

} // namespace

TEST_CASE("a client that sends one byte at a time is closed at the request deadline",
          "[rootlesskit][server]") {
    TestServer ts(ServerLimits{.request_timeout_ms = 300});
    auto& [t, s] = ts;
    UniqueFd c = dial(t.path);
    Clock::time_point t0 = Clock::now();
    bool closed = false;
    std::string req = "GET /v1/info HTTP/1.1\r\nX-Slow: " + std::string(100, 'a');
    for (char ch : req) { // one byte every 50 ms: every read is well inside any idle timeout
        if (send(c.get(), &ch, 1, MSG_NOSIGNAL) != 1) {
            closed = true;
            break;
        }
        pollfd p{c.get(), POLLIN, 0};
        if (poll(&p, 1, 50) == 1) {
            closed = true;
            break;
        }
        if (Clock::now() - t0 > std::chrono::seconds(3))
            break;
    }
    CHECK(closed);
    CHECK(s.stats().timed_out == 1);
    CHECK(get_info(t.path).first.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
}

TEST_CASE("a client that never reads its reply is closed at the deadline",
          "[rootlesskit][server]") {
    TestServer ts(ServerLimits{.request_timeout_ms = 300});
    auto& [t, s] = ts;
    UniqueFd c = dial(t.path);
    int small = 4096;
    setsockopt(c.get(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    std::string reqs;
    for (int i = 0; i < 2000; ++i) // pipelined, replies never read
        reqs += "GET /v1/info HTTP/1.1\r\n\r\n";
    (void)send(c.get(), reqs.data(), reqs.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    CHECK(eventually_true([&] { return s.stats().timed_out == 1; }, 3000));
}

TEST_CASE("200 silent clients: another is answered within a second, on two threads",
          "[rootlesskit][server]") {
    size_t before = thread_count();
    TestServer ts;
    auto& [t, s] = ts;
    std::vector<UniqueFd> idle;
    for (int i = 0; i < 200; ++i)
        idle.push_back(dial(t.path));
    idle.front().reset(); // one that left: nothing to answer
    REQUIRE(write(idle.back().get(), "G", 1) == 1);
    auto [reply, secs] = get_info(t.path);
    CHECK(reply.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
    CHECK(secs < 1.0);
    CHECK(thread_count() <= before + 2);
}

TEST_CASE("at the client cap a new client evicts the oldest waiting one", "[rootlesskit][server]") {
    TestServer ts(ServerLimits{.max_clients = 4});
    auto& [t, s] = ts;
    std::vector<UniqueFd> idle;
    for (int i = 0; i < 4; ++i)
        idle.push_back(dial(t.path));
    std::this_thread::sleep_for(std::chrono::milliseconds(50)); // all four accepted, in order
    auto [reply, secs] = get_info(t.path);
    CHECK(reply.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
    CHECK(s.stats().evicted == 1);
    CHECK(read_all(idle[0].get(), 1000).empty()); // EOF: it was the oldest
    CHECK(read_all(idle[1].get(), 100) == "<timeout>");
}

TEST_CASE("accept at EMFILE neither spins nor stops: it serves once an fd is back",
          "[rootlesskit][server]") {
    TestServer ts(ServerLimits{.backoff_max_ms = 100});
    auto& [t, s] = ts;
    UniqueFd client(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    rlimit saved{};
    getrlimit(RLIMIT_NOFILE, &saved);
    rlimit low = saved;
    low.rlim_cur = static_cast<rlim_t>(client.get() + 1);
    REQUIRE(setrlimit(RLIMIT_NOFILE, &low) == 0);
    std::vector<UniqueFd> fillers; // every slot below the lowered limit
    for (int fd; (fd = dup(client.get())) >= 0;)
        fillers.emplace_back(fd);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    strcpy(a.sun_path, t.path.c_str());
    int rc = connect(client.get(), reinterpret_cast<sockaddr*>(&a), sizeof a);
    std::string req = "GET /v1/info HTTP/1.1\r\nConnection: close\r\n\r\n";
    ssize_t w = write(client.get(), req.data(), req.size());
    double cpu0 = cpu_seconds();
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    double cpu = cpu_seconds() - cpu0;
    uint64_t backoffs = s.stats().backoffs;
    fillers.clear();
    REQUIRE(setrlimit(RLIMIT_NOFILE, &saved) == 0);
    REQUIRE(rc == 0);
    REQUIRE(w == static_cast<ssize_t>(req.size()));
    CHECK(backoffs >= 1);
    CHECK(cpu < 0.15); // a spinning accept loop burns the whole 0.4 s
    CHECK(read_all(client.get()).rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
}

namespace {
// A port driver whose list() waits until released.
class BlockingPorts : public rlk::port::PortDriver {
public:
    nlohmann::ordered_json info() const override { return {{"driver", "blocking"}}; }
    rlk::port::PortStatus add(const rlk::port::PortSpec&) override {
        throw std::runtime_error("no");
    }
    std::vector<rlk::port::PortStatus> list() override {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [this] { return released; });
        return {};
    }
    void remove(int) override {}
    void release() {
        {
            std::lock_guard<std::mutex> lock(mu);
            released = true;
        }
        cv.notify_all();
    }
    std::mutex mu;
    std::condition_variable cv;
    bool released = false;
};
} // namespace

TEST_CASE("a port driver call that blocks holds up only its own client", "[rootlesskit][server]") {
    auto ports = std::make_shared<BlockingPorts>();
    TestServer ts({}, Info{"/s", 1, nullptr, ports});
    const std::string& path = ts.t.path;
    UniqueFd slow = dial(path);
    std::string req = "GET /v1/ports HTTP/1.1\r\nConnection: close\r\n\r\n";
    REQUIRE(write(slow.get(), req.data(), req.size()) == static_cast<ssize_t>(req.size()));
    auto [reply, secs] = get_info(path);
    CHECK(reply.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
    CHECK(secs < 1.0);
    ports->release();
    std::string out = read_all(slow.get());
    CHECK(out.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
    CHECK(out.find("\r\n\r\nnull") != std::string::npos);
}

TEST_CASE("pipelined requests on one connection are answered in order", "[rootlesskit][server]") {
    TestServer ts;
    UniqueFd c = dial(ts.t.path);
    std::string req = "GET /v1/info HTTP/1.1\r\n\r\nGET /nope HTTP/1.1\r\n\r\n"
                      "GET /v1/info HTTP/1.1\r\nConnection: close\r\n\r\n";
    REQUIRE(write(c.get(), req.data(), req.size()) == static_cast<ssize_t>(req.size()));
    std::string out = read_all(c.get());
    size_t a = out.find("200 OK"), b = out.find("404 Not Found"), d = out.rfind("200 OK");
    CHECK(a < b);
    CHECK(b < d);
    CHECK(d != std::string::npos);
}

TEST_CASE("a chunked body fed one byte at a time is parsed with linear work",
          "[rootlesskit][http]") {
    std::string body;
    std::string s = "POST /v1/ports HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 20000; ++i) {
        s += "1\r\n";
        s += static_cast<char>('a' + i % 26);
        s += "\r\n";
        body += static_cast<char>('a' + i % 26);
    }
    s += "0\r\n\r\nGET /";
    RequestParser p;
    ParseStatus st = ParseStatus::incomplete;
    size_t fed = 0;
    for (; fed < s.size() && st == ParseStatus::incomplete; ++fed) {
        p.append(std::string_view(s).substr(fed, 1));
        st = p.parse();
    }
    REQUIRE(st == ParseStatus::complete);
    CHECK(fed == s.size() - 5);
    CHECK(p.request().body == body);
    CHECK(p.consumed() == s.size() - 5);
    CHECK(p.examined() <= 4 * s.size());
    p.next();
    p.append(std::string_view(s).substr(fed));
    CHECK(p.parse() == ParseStatus::incomplete);
    p.append(" HTTP/1.1\r\n\r\n");
    REQUIRE(p.parse() == ParseStatus::complete);
    CHECK(p.request().path == "/");
}

TEST_CASE("the parser gives the same request however the bytes are split", "[rootlesskit][http]") {
    std::string s = "POST http://x/v1/ports?a=b HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
                    "chunked\r\n\r\n4;ext=1\r\nabcd\r\n2\r\nef\r\n0\r\n\r\n";
    for (size_t step : {1u, 2u, 3u, 7u, 64u}) {
        RequestParser p;
        ParseStatus st = ParseStatus::incomplete;
        for (size_t i = 0; i < s.size(); i += step) {
            p.append(std::string_view(s).substr(i, step));
            st = p.parse();
        }
        REQUIRE(st == ParseStatus::complete);
        CHECK(p.request().body == "abcdef");
        CHECK(p.request().path == "/v1/ports");
        CHECK(p.consumed() == s.size());
    }
}

TEST_CASE("a chunk-size line without an end is bad, not buffered for ever", "[rootlesskit][http]") {
    RequestParser p;
    p.append("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1;");
    CHECK(p.parse() == ParseStatus::incomplete);
    p.append(std::string(max_chunk_line_bytes, 'x'));
    CHECK(p.parse() == ParseStatus::bad);
}
