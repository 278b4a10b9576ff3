// SPDX-License-Identifier: Apache-2.0
// temp_tree.h — TempTree: layer directories built from a spec in a temp dir, removed afterwards
#pragma once

#include "fuse-overlay/layer.h"
#include "fuse-overlay/ops/ops.h"
#include "fuse-overlay/overlay.h"
#include "tests/unit/skip.h"

#include <catch2/catch.hpp>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <vector>

namespace ovl::test {

enum class Kind { file, dir, symlink, whiteout_dev, whiteout_file, opaque_file, xattr };

/// One spec line: in layer `layer` (0 = top lower, or upper when the tree has one), create `path`.
struct Entry {
    unsigned layer;
    std::string path;
    Kind kind = Kind::file;
    std::string data = {}; ///< file content, symlink target, or "name=value" for xattr
};

/// Where temp trees go: the first of $TMPDIR, /var/tmp and /tmp whose filesystem takes user.*
/// xattrs (a tmpfs before Linux 6.6 does not, and most cases here need them), else /tmp.
inline const std::string& temp_base() {
    static const std::string base = [] {
        std::vector<std::string> dirs;
        if (const char* t = std::getenv("TMPDIR"); t != nullptr && *t != '\0')
            dirs.emplace_back(t);
        dirs.emplace_back("/var/tmp");
        dirs.emplace_back("/tmp");
        for (const std::string& d : dirs) {
            std::string tmpl = d + "/ovl-unit-probe-XXXXXX";
            if (mkdtemp(tmpl.data()) == nullptr)
                continue;
            bool ok = ::setxattr(tmpl.c_str(), "user.probe", "1", 1, 0) == 0;
            ::rmdir(tmpl.c_str());
            if (ok)
                return d;
        }
        return std::string("/tmp");
    }();
    return base;
}

/// Builds layers L0..Ln-1 under a fresh temp dir (ninja's ScopedTempDir model).
class TempTree {
public:
    TempTree(unsigned layers, const std::vector<Entry>& spec) {
        std::string tmpl = temp_base() + "/ovl-unit-XXXXXX";
        if (mkdtemp(tmpl.data()) == nullptr)
            throw std::runtime_error("mkdtemp");
        root_ = tmpl;
        for (unsigned i = 0; i < layers; ++i)
            std::filesystem::create_directory(layer_path(i));
        for (const Entry& e : spec)
            add(e);
    }
    ~TempTree() {
        std::error_code ec;
        std::filesystem::remove_all(root_, ec);
    }
    TempTree(const TempTree&) = delete;
    TempTree& operator=(const TempTree&) = delete;

    std::string layer_path(unsigned i) const { return root_ + "/L" + std::to_string(i); }
    std::string path(unsigned layer, const std::string& rel) const {
        return layer_path(layer) + "/" + rel;
    }
    /// The work dir overlays with an upper layer use (`<workdir>/work`).
    std::string work_path() const { return root_ + "/W/work"; }
    /// False when the host refused (e.g. trusted.* xattrs without privilege); why() says what.
    bool ok() const { return why_.empty(); }
    const std::string& why() const { return why_; }

    /// An Overlay over layers 0..n-1 (layer 0 on top); `upper` makes layer 0 the upper layer.
    std::unique_ptr<Overlay> overlay(unsigned n, OverlayOptions o = {}, bool upper = false) {
        std::vector<Layer> layers;
        for (unsigned i = 0; i < n; ++i)
            layers.emplace_back(layer_path(i), i, upper && i == 0);
        auto ov = std::make_unique<Overlay>(std::move(o), std::move(layers), upper);
        ov->overflow_uid = ov->overflow_gid = 65534;
        if (upper) { // <root>/W/work, as open_overlay prepares it
            std::filesystem::create_directories(work_path());
            ov->work_fd.reset(::open(work_path().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        }
        return ov;
    }

private:
    void parents(const std::string& p) {
        std::filesystem::create_directories(std::filesystem::path(p).parent_path());
    }
    void add(const Entry& e) {
        std::string p = path(e.layer, e.path);
        if (e.kind != Kind::xattr)
            parents(p);
        switch (e.kind) {
        case Kind::file:
        case Kind::whiteout_file:
        case Kind::opaque_file: {
            int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
            if (fd < 0)
                throw std::runtime_error("create " + p);
            if (::write(fd, e.data.data(), e.data.size()) != static_cast<ssize_t>(e.data.size()))
                refused("write " + e.path);
            ::close(fd);
            break;
        }
        case Kind::dir:
            std::filesystem::create_directories(p);
            break;
        case Kind::symlink:
            if (::symlink(e.data.c_str(), p.c_str()) != 0)
                refused("symlink " + e.path);
            break;
        case Kind::whiteout_dev:
            if (::mknod(p.c_str(), S_IFCHR | 0600, makedev(0, 0)) != 0)
                refused("mknod " + e.path + " (char 0/0 whiteout)");
            break;
        case Kind::xattr: {
            size_t eq = e.data.find('=');
            std::string name = e.data.substr(0, eq), value = e.data.substr(eq + 1);
            if (::lsetxattr(p.c_str(), name.c_str(), value.data(), value.size(), 0) != 0)
                refused("setxattr " + name + " on " + (e.path.empty() ? "/" : e.path));
            break;
        }
        }
    }

    void refused(const std::string& what) {
        if (why_.empty())
            why_ = what + ": " + std::strerror(errno);
    }

    std::string root_;
    std::string why_; ///< the first step the host refused, with its errno
};

/// Looks a slash-separated path up from the root through do_lookup; 0 when absent.
inline fuse_ino_t lookup_path(Overlay& ov, const std::string& path) {
    fuse_ino_t cur = FUSE_ROOT_ID;
    size_t pos = 0;
    while (pos < path.size()) {
        size_t end = path.find('/', pos);
        if (end == std::string::npos)
            end = path.size();
        Result<fuse_entry_param> e = do_lookup(ov, cur, path.substr(pos, end - pos));
        if (!e || e->ino == 0)
            return 0;
        cur = e->ino;
        pos = end + 1;
    }
    return cur;
}

/// opendir + the first readdir's snapshot, as the kernel would drive them.
inline std::unique_ptr<DirHandle> open_filled(Overlay& ov, fuse_ino_t dir) {
    Result<std::unique_ptr<DirHandle>> h = do_opendir(ov, dir);
    REQUIRE(h);
    REQUIRE(do_fill_dir(ov, dir, **h));
    return std::move(*h);
}

/// Names in a directory's listing, without "." and "..", in readdir order.
inline std::vector<std::string> list(Overlay& ov, fuse_ino_t dir) {
    std::vector<std::string> out;
    Result<std::unique_ptr<DirHandle>> h = do_opendir(ov, dir);
    if (!h)
        return {"<error " + std::to_string(h.error().value) + ">"};
    if (Result<void> r = do_fill_dir(ov, dir, **h); !r)
        return {"<error " + std::to_string(r.error().value) + ">"};
    for (const DirEntry& d : (*h)->entries)
        if (d.name != "." && d.name != "..")
            out.push_back(d.name);
    return out;
}

/// A file's whole content read straight from disk (not through the overlay).
inline std::string slurp(const std::string& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

/// The file's content through do_open + pread.
inline std::string read_all(Overlay& ov, fuse_ino_t ino) {
    Result<common::UniqueFd> fd = do_open(ov, ino, O_RDONLY);
    if (!fd)
        return "<error " + std::to_string(fd.error().value) + ">";
    std::string out(4096, '\0');
    ssize_t n = pread(fd->get(), out.data(), out.size(), 0);
    out.resize(n < 0 ? 0 : static_cast<size_t>(n));
    return out;
}

} // namespace ovl::test
