// SPDX-License-Identifier: Apache-2.0
// ns.cc — opening namespaces, running code inside another one, and uid/gid maps
//
// Theory of operation: run_in_ns() forks; the child joins the user namespace first (failure
// ignored: it is needed only when unprivileged, as slirp4netns' child() does), then the mount and
// net namespaces (failure fatal), runs the caller's function and sends back either the fd it made
// (SCM_RIGHTS, payload "\0") or an error ("E<errno> <message>"), then exits. The parent reads the
// message, reaps the child and turns an error into SysError. setns(CLONE_NEWUSER) needs a
// single-threaded process, which the forked child always is.
#include "common/ns.h"

#include "common/fd_pass.h"

#include <charconv>
#include <cstring>
#include <fcntl.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace common::ns {

namespace {

constexpr size_t max_error_message = 1024;

UniqueFd open_ro(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        throw_errno("%s", path.c_str());
    return UniqueFd(fd);
}

[[noreturn]] void report_error(int sock, int err, const char* what) {
    std::string msg = strprintf("E%d %s", err, what);
    if (msg.size() > max_error_message)
        msg.resize(max_error_message);
    (void)::send(sock, msg.data(), msg.size(), MSG_NOSIGNAL);
    ::_exit(1);
}

// Child side: joins the namespaces, runs `body`, reports to `sock`. Never returns.
[[noreturn]] void child_main(const Target& target, int sock,
                             const std::function<UniqueFd()>& body) {
    try {
        if (target.userns >= 0)
            (void)::setns(target.userns, CLONE_NEWUSER); // ignored on failure (see header)
        if (target.mntns >= 0 && ::setns(target.mntns, CLONE_NEWNS) < 0)
            throw_errno("setns(CLONE_NEWNS)");
        if (target.netns >= 0 && ::setns(target.netns, CLONE_NEWNET) < 0)
            throw_errno("setns(CLONE_NEWNET)");
        UniqueFd fd = body();
        if (!fd) {
            std::byte ok{0};
            if (::send(sock, &ok, 1, MSG_NOSIGNAL) < 0)
                ::_exit(1);
            ::_exit(0);
        }
        std::byte ok{0};
        if (!send_fd(sock, fd.get(), std::span<const std::byte>(&ok, 1)))
            ::_exit(1);
        ::_exit(0);
    } catch (const SysError& e) {
        report_error(sock, e.err(), e.message().c_str());
    } catch (const std::exception& e) {
        report_error(sock, EIO, e.what());
    } catch (...) {
        report_error(sock, EIO, "unknown error");
    }
}

// Parent side: waits for the child's message and status. Returns the fd (possibly invalid).
UniqueFd parent_wait(pid_t pid, int sock) {
    std::byte buf[max_error_message + 1];
    size_t len = 0;
    Result<UniqueFd> got = recv_fd(sock, std::span<std::byte>(buf, max_error_message), &len);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            throw_errno("waitpid");
    }
    if (got)
        return std::move(*got);
    if (got.error().value == EBADMSG && len >= 1) {
        if (buf[0] == std::byte{0} && len == 1)
            return UniqueFd(); // the function returned no fd, by design
        std::string text(reinterpret_cast<const char*>(buf), len);
        int err = EIO;
        if (text.size() > 1 && text[0] == 'E') {
            size_t space = text.find(' ');
            (void)std::from_chars(text.data() + 1, text.data() + space, err);
            text = space == std::string::npos ? std::string() : text.substr(space + 1);
        }
        throw SysError(err, text);
    }
    if (WIFSIGNALED(status))
        throw_error(EIO, "child killed by signal %d", WTERMSIG(status));
    throw_error(got.error().value, "child failed(%d)",
                WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

// Forks, runs `body` in the child inside `target`, and returns what it sent back (maybe no fd).
UniqueFd fork_in_ns(const Target& target, const std::function<UniqueFd()>& body) {
    FdPair sp = socketpair_cloexec(SOCK_STREAM);
    pid_t pid = ::fork();
    if (pid < 0)
        throw_errno("fork");
    if (pid == 0) {
        sp.first.reset();
        child_main(target, sp.second.get(), body);
    }
    sp.second.reset();
    return parent_wait(pid, sp.first.get());
}

} // namespace

UniqueFd open_by_pid(pid_t pid, const char* type) {
    return open_ro(strprintf("/proc/%d/ns/%s", static_cast<int>(pid), type));
}

UniqueFd open_path(const std::string& path) {
    return open_ro(path);
}

UniqueFd run_in_ns(const Target& target, const std::function<UniqueFd()>& fn) {
    UniqueFd fd = fork_in_ns(target, fn);
    if (!fd)
        throw_error(EBADMSG, "the message does not contain fd");
    return fd;
}

void call_in_ns(const Target& target, const std::function<void()>& fn) {
    (void)fork_in_ns(target, [&fn] {
        fn();
        return UniqueFd();
    });
}

std::string format_id_map(const std::vector<IdMapEntry>& map) {
    std::string out;
    for (const IdMapEntry& e : map)
        out += strprintf("%lu %lu %lu\n", e.inside, e.outside, e.count);
    return out;
}

std::vector<IdMapEntry> parse_id_map(const std::string& text) {
    std::vector<IdMapEntry> out;
    size_t pos = 0;
    while (pos < text.size()) {
        size_t eol = text.find('\n', pos);
        std::string line =
            text.substr(pos, eol == std::string::npos ? std::string::npos : eol - pos);
        pos = eol == std::string::npos ? text.size() : eol + 1;
        if (line.find_first_not_of(" \t") == std::string::npos)
            continue;
        unsigned long v[3];
        const char* p = line.c_str();
        for (unsigned long& x : v) {
            while (*p == ' ' || *p == '\t')
                p++;
            char* end = nullptr;
            errno = 0;
            if (*p < '0' || *p > '9')
                throw UsageError("malformed id map line: " + line);
            x = std::strtoul(p, &end, 10);
            if (errno || end == p)
                throw UsageError("malformed id map line: " + line);
            p = end;
        }
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p)
            throw UsageError("malformed id map line: " + line);
        out.push_back({v[0], v[1], v[2]});
    }
    return out;
}

namespace {

void write_proc_file(const std::string& path, const std::string& content) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        throw_errno("open %s", path.c_str());
    UniqueFd owner(fd);
    // The kernel requires the whole map in a single write.
    ssize_t n;
    do {
        n = ::write(fd, content.data(), content.size());
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        throw_errno("write %s", path.c_str());
    if (static_cast<size_t>(n) != content.size())
        throw_error(EIO, "short write to %s", path.c_str());
}

} // namespace

void write_id_map(pid_t pid, const char* kind, const std::vector<IdMapEntry>& map) {
    write_proc_file(strprintf("/proc/%d/%s_map", static_cast<int>(pid), kind), format_id_map(map));
}

void deny_setgroups(pid_t pid) {
    write_proc_file(strprintf("/proc/%d/setgroups", static_cast<int>(pid)), "deny");
}

} // namespace common::ns
