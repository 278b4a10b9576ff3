// SPDX-License-Identifier: Apache-2.0
// loop.cc — the single-threaded epoll loop: tap, timer, exit-fd, API and host sockets
//
// Theory of operation: one thread, one epoll set shared with the stack's host sockets. The tap
// is non-blocking and drained to EAGAIN on every wake-up (passt), one frame per read() into a
// static buffer: no allocation per frame. With IFF_VNET_HDR (tap.cc) the guest's TSO is on, so
// one read() takes up to 64 KiB of TCP payload whatever the MTU. A 100 ms timerfd drives
// expiries and retransmission.
// The exit fd is watched for any event (slirp4netns polls it for HUP: any revents means exit);
// an fd that is not open at all means exit at once, as slirp4netns' POLLNVAL does. Our tap fd
// keeps the target netns alive, so its death is seen through a pidfd on the target PID (pid
// mode) and a tap error (EBADFD/EIO, e.g. the device was deleted); slirp4netns idles forever.

#include "slirpnet/loop.h"

#include "common/error.h"
#include "common/log.h"
#include "slirpnet/tap.h"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <unistd.h>

namespace slirp {

namespace {

/// Reads frames until EAGAIN; false when the tap is gone. With `vnet` each frame starts with a
/// virtio_net_hdr and may be a 64 KiB GSO super-frame (stack/vnet.cc).
bool drain_tap(Stack& st, int tapfd, bool vnet) noexcept {
    static std::byte buf[sizeof(VirtioNetHdr) + FrameBuf::headroom + FrameBuf::max_payload];
    for (int i = 0; i < 4096; ++i) { // bounded so host sockets get their turn
        ssize_t n = read(tapfd, buf, sizeof(buf));
        if (n > 0) {
            if (vnet)
                vnet::input(st, std::span<std::byte>(buf, static_cast<size_t>(n)));
            else
                ether::input(st, std::span<const std::byte>(buf, static_cast<size_t>(n)));
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return true;
        common::log::error("tap: %s; exiting", n == 0 ? "EOF" : std::strerror(errno));
        return false;
    }
    return true;
}

void print_counters(const Stack& st) noexcept {
    common::log::info("frames: in=%llu out=%llu malformed=%llu unsupported=%llu refused=%llu "
                      "tap-write-drops=%llu fragments=%llu flow-limit=%llu spoofed=%llu",
                      static_cast<unsigned long long>(st.cnt.frames_in),
                      static_cast<unsigned long long>(st.cnt.frames_out),
                      static_cast<unsigned long long>(st.cnt.malformed),
                      static_cast<unsigned long long>(st.cnt.unsupported),
                      static_cast<unsigned long long>(st.cnt.no_route),
                      static_cast<unsigned long long>(st.cnt.tap_write_drops),
                      static_cast<unsigned long long>(st.cnt.fragments),
                      static_cast<unsigned long long>(st.cnt.flow_limit),
                      static_cast<unsigned long long>(st.cnt.spoofed));
}

} // namespace

int run_loop(Stack& st, int tapfd, int exit_fd, Api* api, pid_t target_pid, int target_pidfd) {
    int fl = fcntl(tapfd, F_GETFL);
    if (fl < 0 || fcntl(tapfd, F_SETFL, fl | O_NONBLOCK) < 0)
        common::throw_errno("fcntl(tapfd)");
    if (!watch(st, tapfd, EPOLLIN, make_tag(Tag::tap, 0)))
        common::throw_errno("epoll_ctl(tapfd)");
    // The guest hands us TSO super-frames and partial checksums from now on, until we leave.
    bool vnet = tap::has_vnet_hdr(tapfd);
    struct Offload {
        int fd;
        bool on;
        ~Offload() {
            if (on)
                tap::disable_offload(fd);
        }
    } offload{tapfd, vnet && tap::enable_offload(tapfd)};
    common::UniqueFd tfd(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
    if (!tfd)
        common::throw_errno("timerfd_create");
    itimerspec its{};
    its.it_interval.tv_nsec = loop_tick_ms * 1'000'000L;
    its.it_value = its.it_interval;
    if (timerfd_settime(tfd.get(), 0, &its, nullptr) < 0 ||
        !watch(st, tfd.get(), EPOLLIN, make_tag(Tag::timer, 0)))
        common::throw_errno("timerfd");
    if (api != nullptr && !watch(st, api->fd(), EPOLLIN, make_tag(Tag::api_listen, 0)))
        common::throw_errno("epoll_ctl(api)");
    auto exiting = [&] {
        common::log::info("exitfd event");
        common::log::info("do_slirp is exiting");
        print_counters(st);
        if (api != nullptr)
            api->unlink_path();
        return 0;
    };
    // SIGTERM/SIGINT: leave like the exit fd would, but with the killed-by-signal status that
    // callers of slirp4netns see (143/130), after unlinking the API socket.
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    common::UniqueFd sfd;
    if (sigprocmask(SIG_BLOCK, &sigs, nullptr) == 0) {
        sfd.reset(signalfd(-1, &sigs, SFD_NONBLOCK | SFD_CLOEXEC));
        if (!sfd || !watch(st, sfd.get(), EPOLLIN, make_tag(Tag::signal, 0)))
            (void)sigprocmask(SIG_UNBLOCK, &sigs, nullptr);
    }
    // Not an open fd: POLLNVAL upstream, exit at once. A regular file (EPERM) never reports
    // an event to poll(2) either, so it is simply not watched.
    if (exit_fd >= 0 && !watch(st, exit_fd, 0, make_tag(Tag::exit_fd, 0)) && errno == EBADF)
        return exiting();
    // The tap fd pins the netns, so the tap never errors while we hold it: watch the target
    // process instead (pid mode only), as the contract's lifecycle note suggests.
    common::UniqueFd pidfd(target_pidfd);
    if (target_pid > 0) {
        if (!pidfd)
            pidfd.reset(static_cast<int>(syscall(SYS_pidfd_open, target_pid, 0)));
        if (pidfd && !watch(st, pidfd.get(), EPOLLIN, make_tag(Tag::target, 0)))
            pidfd.reset();
    }
    epoll_event evs[loop_max_events];
    while (true) {
        int n = epoll_wait(st.epoll.get(), evs, loop_max_events, -1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            common::throw_errno("epoll_wait");
        }
        st.now_ms = monotonic_ms();
        for (int i = 0; i < n; ++i) {
            uint64_t tag = evs[i].data.u64;
            switch (tag_kind(tag)) {
            case Tag::tap:
                if ((evs[i].events & EPOLLERR) != 0 || !drain_tap(st, tapfd, vnet)) {
                    print_counters(st);
                    if (api != nullptr)
                        api->unlink_path();
                    return 0;
                }
                break;
            case Tag::timer: {
                uint64_t ticks;
                (void)!read(tfd.get(), &ticks, sizeof(ticks));
                timer_tick(st);
                if (api != nullptr)
                    api->timer();
                break;
            }
            case Tag::exit_fd:
                return exiting();
            case Tag::signal: {
                signalfd_siginfo si{};
                (void)!read(sfd.get(), &si, sizeof(si));
                print_counters(st);
                if (api != nullptr)
                    api->unlink_path();
                return 128 + static_cast<int>(si.ssi_signo);
            }
            case Tag::target:
                common::log::info("target process %d exited; exiting", target_pid);
                if (api != nullptr)
                    api->unlink_path();
                return 0;
            case Tag::api_listen:
                if (api != nullptr)
                    api->on_listen();
                break;
            case Tag::api_conn:
                if (api != nullptr)
                    api->on_client(tag_index(tag), evs[i].events);
                break;
            default:
                dispatch(st, tag, evs[i].events);
                break;
            }
        }
    }
}

} // namespace slirp
