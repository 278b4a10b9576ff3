// SPDX-License-Identifier: Apache-2.0
// server.cc — HTTP/1.1 over a Unix socket: one epoll loop for every client, a worker for drivers
//
// Theory of operation. One thread waits in epoll for the listener and every connection;
// requests are parsed incrementally (request_parser.cc) as bytes arrive. A request that calls
// the port driver (which may block: the slirp4netns driver waits on slirp4netns' socket) is
// handed to one worker thread, and its connection waits, neither read nor timed, until the
// reply comes back through an eventfd; everything else is answered on the loop. Replies are
// written non-blocking; the rest waits for EPOLLOUT. Requests on one connection are answered
// in order, one at a time (pipelined bytes wait in the parser).
// Limits and their plans. Every connection has a deadline: `request_timeout_ms` to receive a
// whole request, then again to send its reply; at the deadline it is closed (Go's
// ReadTimeout/WriteTimeout do the same). At `max_clients` a new connection evicts the one
// nearest its deadline (the oldest waiting one), so clients that connect and stay silent can
// delay no one; if every connection is waiting on the driver, the new one is closed. When
// accept() fails for want of fds or memory, the oldest waiting connection is evicted to make
// room, or, with none, the listener leaves epoll for a doubling pause (AcceptBackoff) and
// comes back early when a connection closes: the loop neither spins nor stops. Nothing on the
// loop throws past its handler; thread creation happens only in the constructor.

#include "rootlesskit/api/server.h"

#include "common/error.h"
#include "common/unique_fd.h"
#include "common/unix_sock.h"
#include "rootlesskit/accept_backoff.h"
#include "rootlesskit/api/request_parser.h"

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <thread>
#include <time.h>
#include <unistd.h>
#include <unordered_map>
#include <vector>

namespace rlk::api {
namespace {

constexpr size_t read_chunk = 16384; // bytes per recv()
constexpr int accepts_per_wake = 64; // fairness between the listener and the clients
constexpr int max_events = 64;       // per epoll_wait
constexpr int listen_backlog = SOMAXCONN;
// epoll tags of the fixed fds; connections count up from first_conn_id.
constexpr uint64_t listener_id = 1, stop_id = 2, done_id = 3, first_conn_id = 16;

// Go writes this for a request it cannot parse, then closes the connection.
constexpr std::string_view bad_request = "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; "
                                         "charset=utf-8\r\nConnection: close\r\n\r\n400 Bad "
                                         "Request";

uint64_t now_ms() noexcept {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000 + static_cast<uint64_t>(ts.tv_nsec) / 1000000;
}

Response internal_error() {
    Response r;
    r.status = 500;
    r.close = true;
    return r;
}

} // namespace

class Server::Loop {
public:
    Loop(const std::string& path, Info info, ServerLimits limits);
    ~Loop() { stop(); }
    void stop() noexcept;
    ServerStats stats;

private:
    enum class State { reading, routing, writing };
    struct Conn {
        uint64_t id = 0;
        common::UniqueFd fd;
        RequestParser parser;
        State state = State::reading;
        std::string out;
        size_t out_off = 0;
        bool close_after = false;
        uint64_t deadline = 0;                 ///< 0 while routing (not timed)
        Conn *prev = nullptr, *next = nullptr; ///< in the deadline list while timed
    };
    struct Job {
        uint64_t id;
        Request req;
    };
    struct Done {
        uint64_t id;
        Response resp;
    };

    void run() noexcept;
    void work() noexcept;
    void on_accept() noexcept;
    bool make_room() noexcept;
    void pause_listener() noexcept;
    void resume_listener() noexcept;
    void on_conn(Conn& c, uint32_t events) noexcept;
    void on_readable(Conn& c) noexcept;
    void advance(Conn& c) noexcept;
    bool reply(Conn& c, std::string bytes, bool close) noexcept;
    bool flush(Conn& c) noexcept;
    void on_done() noexcept;
    void set_deadline(Conn& c, bool timed) noexcept;
    void set_events(Conn& c, uint32_t events) noexcept;
    void close_conn(Conn& c) noexcept;
    void expire() noexcept;
    int next_timeout() const noexcept;

    Info info_;
    ServerLimits limits_;
    common::UniqueFd listen_fd_, epfd_, stop_fd_, done_fd_;
    // Loop thread only:
    std::unordered_map<uint64_t, std::unique_ptr<Conn>> conns_;
    // Timed connections, earliest deadline first. Every deadline is now + request_timeout_ms,
    // so appending keeps the list sorted, and nothing is allocated to time a client.
    Conn *first_ = nullptr, *last_ = nullptr;
    uint64_t next_id_ = first_conn_id;
    AcceptBackoff backoff_;
    bool paused_ = false;
    uint64_t resume_at_ = 0;
    bool stopping_ = false;
    // Shared with the worker, under mu_:
    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<Job> jobs_;
    std::vector<Done> done_;
    bool quit_ = false;
    std::thread worker_, thread_; ///< last: they start once everything above exists
};

Server::Loop::Loop(const std::string& path, Info info, ServerLimits limits)
    : info_(std::move(info)), limits_(limits),
      backoff_(limits.backoff_min_ms, limits.backoff_max_ms) {
    listen_fd_ =
        common::unix_sock::listen(path, listen_backlog, SOCK_NONBLOCK, "listen unix " + path);
    epfd_.reset(epoll_create1(EPOLL_CLOEXEC));
    stop_fd_.reset(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    done_fd_.reset(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!epfd_ || !stop_fd_ || !done_fd_)
        common::throw_errno("api: epoll");
    for (auto [fd, id] : {std::pair{listen_fd_.get(), listener_id},
                          {stop_fd_.get(), stop_id},
                          {done_fd_.get(), done_id}}) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = id;
        if (epoll_ctl(epfd_.get(), EPOLL_CTL_ADD, fd, &ev) != 0)
            common::throw_errno("api: epoll_ctl");
    }
    worker_ = std::thread([this] { work(); });
    try {
        thread_ = std::thread([this] { run(); });
    } catch (...) {
        {
            std::lock_guard<std::mutex> lock(mu_);
            quit_ = true;
        }
        cv_.notify_all();
        worker_.join();
        throw;
    }
}

void Server::Loop::stop() noexcept {
    if (thread_.joinable()) {
        uint64_t one = 1;
        (void)!write(stop_fd_.get(), &one, sizeof one);
        thread_.join();
    }
    if (worker_.joinable()) {
        {
            std::lock_guard<std::mutex> lock(mu_);
            quit_ = true;
        }
        cv_.notify_all();
        worker_.join();
    }
    first_ = last_ = nullptr;
    conns_.clear();
}

// The worker: port driver calls, one at a time, in arrival order.
void Server::Loop::work() noexcept {
    for (;;) {
        Job job;
        {
            std::unique_lock<std::mutex> lock(mu_);
            cv_.wait(lock, [this] { return quit_ || !jobs_.empty(); });
            if (quit_)
                return;
            job = std::move(jobs_.front());
            jobs_.pop_front();
        }
        Done d{job.id, {}};
        try {
            d.resp = route(info_, job.req);
            d.resp.close = !job.req.keep_alive;
        } catch (...) { // route() answers driver errors itself; this is bad_alloc and the like
            d.resp = internal_error();
        }
        try {
            std::lock_guard<std::mutex> lock(mu_);
            done_.push_back(std::move(d));
        } catch (...) {
            continue; // out of memory: the client times out
        }
        uint64_t one = 1;
        (void)!write(done_fd_.get(), &one, sizeof one);
    }
}

int Server::Loop::next_timeout() const noexcept {
    uint64_t next = UINT64_MAX;
    if (first_)
        next = first_->deadline;
    if (paused_)
        next = std::min(next, resume_at_);
    if (next == UINT64_MAX)
        return -1;
    uint64_t now = now_ms();
    return next <= now ? 0 : static_cast<int>(std::min<uint64_t>(next - now, 60000));
}

void Server::Loop::run() noexcept {
    epoll_event evs[max_events];
    while (!stopping_) {
        int n = epoll_wait(epfd_.get(), evs, max_events, next_timeout());
        if (n < 0)
            n = 0; // EINTR; with a valid epoll fd nothing else, and the timeout bounds the loop
        for (int i = 0; i < n && !stopping_; ++i) {
            uint64_t id = evs[i].data.u64;
            if (id == stop_id) {
                stopping_ = true;
            } else if (id == listener_id) {
                on_accept();
            } else if (id == done_id) {
                on_done();
            } else if (auto it = conns_.find(id); it != conns_.end()) {
                on_conn(*it->second, evs[i].events); // may close it: looked up per event
            }
        }
        expire();
        if (paused_ && now_ms() >= resume_at_)
            resume_listener();
    }
}

void Server::Loop::pause_listener() noexcept {
    ++stats.backoffs;
    paused_ = true;
    resume_at_ = now_ms() + backoff_.next();
    epoll_event ev{};
    ev.data.u64 = listener_id;
    (void)epoll_ctl(epfd_.get(), EPOLL_CTL_MOD, listen_fd_.get(), &ev);
}

void Server::Loop::resume_listener() noexcept {
    paused_ = false;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = listener_id;
    (void)epoll_ctl(epfd_.get(), EPOLL_CTL_MOD, listen_fd_.get(), &ev);
}

// Closes the connection nearest its deadline; false when every one waits on the driver.
bool Server::Loop::make_room() noexcept {
    if (!first_)
        return false;
    ++stats.evicted;
    close_conn(*first_);
    return true;
}

void Server::Loop::on_accept() noexcept {
    for (int i = 0; i < accepts_per_wake && !paused_; ++i) {
        int fd = accept4(listen_fd_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) {
            int e = errno;
            if (e == EAGAIN || e == EINTR || e == ECONNABORTED || e == EPROTO)
                return;
            if (accept_should_back_off(e) && make_room())
                continue;     // an fd is free now
            pause_listener(); // out of fds with no one to evict, or something unexpected
            return;
        }
        backoff_.reset();
        common::UniqueFd cfd(fd);
        ++stats.accepted;
        if (conns_.size() >= limits_.max_clients && !make_room()) {
            ++stats.refused;
            continue; // closed here: every connection waits on the driver
        }
        try {
            auto c = std::make_unique<Conn>();
            c->id = next_id_++;
            c->fd = std::move(cfd);
            epoll_event ev{};
            ev.events = EPOLLIN | EPOLLRDHUP;
            ev.data.u64 = c->id;
            if (epoll_ctl(epfd_.get(), EPOLL_CTL_ADD, c->fd.get(), &ev) != 0)
                continue;
            Conn& conn = *c;
            conns_.emplace(conn.id, std::move(c));
            set_deadline(conn, true);
        } catch (...) {
            ++stats.refused; // out of memory: this client is closed, the others go on
        }
    }
}

// Starts a fresh deadline for `c` (timed), or stops timing it.
void Server::Loop::set_deadline(Conn& c, bool timed) noexcept {
    if (c.deadline) {
        (c.prev ? c.prev->next : first_) = c.next;
        (c.next ? c.next->prev : last_) = c.prev;
        c.prev = c.next = nullptr;
        c.deadline = 0;
    }
    if (!timed)
        return;
    c.deadline = now_ms() + limits_.request_timeout_ms;
    c.prev = last_;
    (last_ ? last_->next : first_) = &c;
    last_ = &c;
}

void Server::Loop::set_events(Conn& c, uint32_t events) noexcept {
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = c.id;
    (void)epoll_ctl(epfd_.get(), EPOLL_CTL_MOD, c.fd.get(), &ev);
}

void Server::Loop::close_conn(Conn& c) noexcept {
    set_deadline(c, false);
    uint64_t id = c.id;
    conns_.erase(id); // closes the fd, which leaves epoll
    if (paused_)
        resume_listener(); // an fd is free: try again now
}

void Server::Loop::expire() noexcept {
    uint64_t now = now_ms();
    while (first_ && first_->deadline <= now) {
        ++stats.timed_out;
        close_conn(*first_);
    }
}

void Server::Loop::on_conn(Conn& c, uint32_t events) noexcept {
    if (c.state == State::routing) {
        if (events & (EPOLLHUP | EPOLLERR))
            close_conn(c); // the peer left; the driver's answer will find no one
        return;
    }
    if (c.state == State::writing) {
        if (events & (EPOLLHUP | EPOLLERR))
            close_conn(c);
        else if (flush(c))
            advance(c);
        return;
    }
    on_readable(c);
}

void Server::Loop::on_readable(Conn& c) noexcept {
    char* dst;
    try {
        dst = c.parser.prepare(read_chunk);
    } catch (...) {
        close_conn(c);
        return;
    }
    ssize_t n = recv(c.fd.get(), dst, read_chunk, 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        c.parser.commit(0);
        return;
    }
    if (n <= 0) { // the client is done (or failed) before a whole request
        close_conn(c);
        return;
    }
    c.parser.commit(static_cast<size_t>(n));
    advance(c);
}

// Answers every complete request buffered, inline or through the worker, until one must wait.
void Server::Loop::advance(Conn& c) noexcept {
    try {
        for (;;) {
            ParseStatus st = c.parser.parse();
            if (st == ParseStatus::incomplete)
                return;
            if (st == ParseStatus::bad) {
                (void)reply(c, std::string(bad_request), true);
                return;
            }
            Request& req = c.parser.request();
            if (needs_port_driver(info_, req)) {
                {
                    std::lock_guard<std::mutex> lock(mu_);
                    jobs_.push_back(Job{c.id, std::move(req)});
                }
                cv_.notify_one();
                c.state = State::routing;
                set_deadline(c, false);
                set_events(c, 0); // EPOLLHUP and EPOLLERR still arrive
                return;
            }
            Response r = route(info_, req);
            r.close = !req.keep_alive;
            if (!reply(c, format_response(r, http_date()), r.close))
                return;
        }
    } catch (...) {
        close_conn(c); // out of memory for this client's request
    }
}

void Server::Loop::on_done() noexcept {
    uint64_t v;
    (void)!read(done_fd_.get(), &v, sizeof v);
    std::vector<Done> done;
    {
        std::lock_guard<std::mutex> lock(mu_);
        done.swap(done_);
    }
    for (Done& d : done) {
        auto it = conns_.find(d.id);
        if (it == conns_.end())
            continue;
        Conn& c = *it->second;
        std::string bytes;
        try {
            bytes = format_response(d.resp, http_date());
        } catch (...) {
            close_conn(c);
            continue;
        }
        if (reply(c, std::move(bytes), d.resp.close))
            advance(c);
    }
}

// Starts sending a reply; true when it is all sent and the next request may be read.
bool Server::Loop::reply(Conn& c, std::string bytes, bool close) noexcept {
    c.out = std::move(bytes);
    c.out_off = 0;
    c.close_after = close;
    c.state = State::writing;
    set_deadline(c, true);
    return flush(c);
}

// Sends what is left of the reply; true when done and `c` reads again, false when it waits
// for EPOLLOUT or is closed.
bool Server::Loop::flush(Conn& c) noexcept {
    while (c.out_off < c.out.size()) {
        // MSG_NOSIGNAL: a client gone while we write is no SIGPIPE
        ssize_t n = send(c.fd.get(), c.out.data() + c.out_off, c.out.size() - c.out_off,
                         MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN) {
            set_events(c, EPOLLOUT);
            return false;
        }
        if (n < 0) {
            close_conn(c);
            return false;
        }
        c.out_off += static_cast<size_t>(n);
    }
    if (c.close_after) {
        close_conn(c);
        return false;
    }
    std::string().swap(c.out);
    c.parser.next();
    c.state = State::reading;
    set_events(c, EPOLLIN | EPOLLRDHUP);
    set_deadline(c, true);
    return true;
}

Server::Server(const std::string& path, Info info, ServerLimits limits)
    : loop_(std::make_unique<Loop>(path, std::move(info), limits)) {}

Server::~Server() = default;

void Server::stop() noexcept {
    loop_->stop();
}

const ServerStats& Server::stats() const noexcept {
    return loop_->stats;
}

} // namespace rlk::api
