// SPDX-License-Identifier: Apache-2.0
// error.h — errno values, Result<T> for hot paths, exceptions for cold paths (docs/style.md B4)
#pragma once

#include <cerrno>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>
#include <variant>

namespace common {

/// A positive errno value, e.g. Errno{ENOENT}.
struct Errno {
    int value;
};
inline Errno last_errno() noexcept {
    return Errno{errno};
}

/// A subset of std::expected<T, Errno> (g++ 12 lacks <expected> in C++20 mode).
template <class T> class [[nodiscard]] Result {
public:
    Result(T v) : v_(std::in_place_index<0>, std::move(v)) {}
    Result(Errno e) : v_(std::in_place_index<1>, e) {}
    bool has_value() const noexcept { return v_.index() == 0; }
    explicit operator bool() const noexcept { return has_value(); }
    T& operator*() & { return std::get<0>(v_); }
    const T& operator*() const& { return std::get<0>(v_); }
    T&& operator*() && { return std::get<0>(std::move(v_)); }
    T* operator->() { return &std::get<0>(v_); }
    const T* operator->() const { return &std::get<0>(v_); }
    T& value() & { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    Errno error() const { return std::get<1>(v_); }

private:
    std::variant<T, Errno> v_;
};

template <> class [[nodiscard]] Result<void> {
public:
    Result() noexcept = default;
    Result(Errno e) noexcept : err_(e.value) {}
    bool has_value() const noexcept { return err_ == 0; }
    explicit operator bool() const noexcept { return has_value(); }
    Errno error() const noexcept { return Errno{err_}; }

private:
    int err_ = 0;
};

/// A failed system call: what() is "<message>: <strerror>", code() holds the errno.
class SysError : public std::system_error {
public:
    SysError(int err, const std::string& message)
        : std::system_error(err, std::generic_category(), message), message_(message) {}
    int err() const noexcept { return code().value(); }
    /// The message without the ": strerror" suffix.
    const std::string& message() const noexcept { return message_; }

private:
    std::string message_;
};

/// Bad command-line input; what() is the upstream wording. show_usage asks main() to print usage.
class UsageError : public std::runtime_error {
public:
    explicit UsageError(const std::string& message, bool show_usage = false)
        : std::runtime_error(message), show_usage_(show_usage) {}
    bool show_usage() const noexcept { return show_usage_; }

private:
    bool show_usage_;
};

/// Formats like printf into a std::string.
[[gnu::format(printf, 1, 2)]] std::string strprintf(const char* fmt, ...);

/// Throws SysError(errno, formatted message). Read errno before anything else can clobber it.
[[noreturn, gnu::format(printf, 1, 2)]] void throw_errno(const char* fmt, ...);
/// Throws SysError(err, formatted message).
[[noreturn, gnu::format(printf, 2, 3)]] void throw_error(int err, const char* fmt, ...);

/// A bug in our code: logs "INTERNAL ERROR: ..." and aborts.
[[noreturn, gnu::format(printf, 1, 2)]] void bug(const char* fmt, ...);

} // namespace common
