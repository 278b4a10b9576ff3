// SPDX-License-Identifier: Apache-2.0
// relay.h — the builtin port driver's data path: one epoll thread for every forwarded port
#pragma once

#include "common/error.h"
#include "common/unique_fd.h"
#include "rootlesskit/accept_backoff.h"
#include "rootlesskit/port/dialer.h"
#include "rootlesskit/port/splice_pump.h"

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

namespace rlk::port {

// clang-format off
/// Limits of one relay (one driver). Every one has a plan at the cap: see relay.cc.
struct RelayLimits {
    size_t max_conns = 4096;             ///< TCP connections; more are accepted and closed at once
    size_t max_udp_flows = 4096;         ///< UDP client addresses; datagrams of more are dropped
    size_t max_transparent_rules = 256;  ///< flows that get a policy rule; more go non-transparent
    uint64_t dial_timeout_ms = 10000;    ///< connect() into the namespace
    uint64_t udp_idle_ms = 90000;        ///< upstream's UDPConnTrackTimeout
    uint64_t backoff_min_ms = 10;        ///< first pause of a listener after EMFILE/ENFILE/ENOMEM
    uint64_t backoff_max_ms = 1000;      ///< longest pause
    int nice = 0;                        ///< CPU niceness of the loop thread (builtin.cc: UDP)
};
// clang-format on

using rlk::accept_should_back_off;
using rlk::AcceptBackoff;

/// Counters, for tests and the debug log.
struct RelayStats {
    std::atomic<uint64_t> accepted{0}, refused_at_cap{0}, dial_failed{0}, dial_timed_out{0},
        backoffs{0}, udp_dropped{0}, transparent{0};
};

/// The loop owns every listener, connection and flow; other threads talk to it through
/// commands (run on the loop thread) and wait for them. The destructor stops the thread and
/// closes everything, so no work outlives the driver.
class Relay {
public:
    using DialFn = std::function<common::Result<Dialed>(const DialRequest&)>;
    using ForgetFn = std::function<void(const DialRequest&)>;

    Relay(DialFn dial, ForgetFn forget, RelayLimits limits); ///< Throws SysError.
    ~Relay();
    Relay(const Relay&) = delete;
    Relay& operator=(const Relay&) = delete;

    /// Serves a bound, listening TCP socket (or a bound UDP socket) as port `id`; `target` is
    /// what to dial for each client (udp flag, target address, whether to keep the source IP).
    /// Several relays may serve dups of one TCP listener: each connection goes to one of them.
    void add(int id, common::UniqueFd listener, const DialRequest& target);
    /// Closes the listener and every connection and flow of port `id`; waits for it.
    void remove(int id);
    /// Test hook: relays an already connected pair under port `id` (which must exist).
    void adopt(int id, common::UniqueFd client, common::UniqueFd inner);
    /// Live TCP connections and UDP flows (read on the loop thread).
    size_t conn_count();
    size_t flow_count();
    /// The loop thread's niceness, as the kernel has it (read on the loop thread).
    int loop_nice();
    const RelayStats& stats() const noexcept { return stats_; }

    struct Port;
    struct Conn;
    struct Flow;
    struct Tag;
    struct UdpBatch;

private:
    void run() noexcept;
    void post(std::function<void()> fn);
    void run_commands() noexcept;
    uint64_t now_ms() const noexcept;
    int next_timeout() noexcept;
    void run_timers() noexcept;
    void on_event(Tag* tag, uint32_t events) noexcept;
    void on_accept(Port& p) noexcept;
    /// What to dial for a client of `p` at `from`.
    DialRequest request_for(const Port& p, const sockaddr_storage& from) const noexcept;
    void start_conn(Port& p, common::UniqueFd client, const sockaddr_storage& from) noexcept;
    void on_dialed(Conn& c) noexcept;
    void on_conn(Conn& c) noexcept;
    void close_conn(Conn& c) noexcept;
    void pause_listener(Port& p) noexcept;
    void on_udp_listener(Port& p) noexcept;
    void on_udp_flow(Flow& f) noexcept;
    void close_flow(Flow& f) noexcept;
    void sweep_flows() noexcept;
    void close_port(Port& p) noexcept;
    bool watch(int fd, uint32_t events, Tag* tag) noexcept;
    static uint32_t listener_events(const Port& p) noexcept;

    DialFn dial_;
    ForgetFn forget_;
    RelayLimits limits_;
    RelayStats stats_;
    common::UniqueFd epfd_, wake_fd_;
    std::mutex cmd_mu_; ///< guards cmds_ only
    std::vector<std::function<void()>> cmds_;
    bool stopping_ = false;
    // Loop thread only:
    std::map<int, std::unique_ptr<Port>> ports_;
    std::multimap<uint64_t, Tag*> timers_;         ///< dial deadlines and listener resumes
    std::vector<std::unique_ptr<Conn>> graveyard_; ///< freed after the current event batch
    std::vector<std::unique_ptr<Flow>> flow_graveyard_;
    std::vector<std::unique_ptr<Port>> port_graveyard_;
    size_t conns_ = 0, flows_ = 0, transparent_rules_ = 0;
    uint64_t next_sweep_ = 0;
    std::unique_ptr<Tag> wake_tag_;
    /// recvmmsg/sendmmsg arrays and buffers, allocated once, with the first UDP port
    std::unique_ptr<UdpBatch> udp_;
    Flow* udp_flow_for(Port& p, const sockaddr_storage& from) noexcept;
    std::thread thread_;
};

} // namespace rlk::port
