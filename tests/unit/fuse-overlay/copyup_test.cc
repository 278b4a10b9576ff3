// SPDX-License-Identifier: Apache-2.0
// copyup_test.cc — copy-up of every file type, what it preserves, atomicity, and metacopy
#include "temp_tree.h"

#include "fuse-overlay/copyup.h"

#include <catch2/catch.hpp>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

using namespace ovl;
using namespace ovl::test;

namespace {

std::string xattr_of(const std::string& p, const char* name) {
    char buf[256];
    ssize_t n = lgetxattr(p.c_str(), name, buf, sizeof buf);
    return n < 0 ? "<none>" : std::string(buf, static_cast<size_t>(n));
}

Node& node_at(Overlay& ov, const std::string& path) {
    Node* n = ov.table.get(lookup_path(ov, path));
    REQUIRE(n != nullptr);
    return *n;
}

size_t work_entries(const TempTree& t) {
    size_t n = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(t.work_path()))
        ++n;
    return n;
}

} // namespace

TEST_CASE("Copy-up of a regular file keeps data, mode, times, xattrs and writes the origin",
          "[fuse-overlay][copyup]") {
    TempTree t(2, {{1, "d/e/f", Kind::file, "payload"}, {1, "d/e/f", Kind::xattr, "user.k=v"}});
    std::string lower = t.path(1, "d/e/f");
    REQUIRE(chmod(lower.c_str(), 0640) == 0);
    struct timespec ts[2] = {{1000, 5}, {2000, 7}};
    REQUIRE(utimensat(AT_FDCWD, lower.c_str(), ts, 0) == 0);
    auto ov = t.overlay(2, {}, true);
    Node& f = node_at(*ov, "d/e/f");
    ino_t shown = f.ino;
    REQUIRE(copy_up(*ov, f));
    CHECK(f.layer == 0);
    std::string up = t.path(0, "d/e/f");
    struct stat st {};
    REQUIRE(lstat(up.c_str(), &st) == 0);
    CHECK(slurp(up) == "payload");
    CHECK((st.st_mode & 07777) == 0640);
    CHECK(st.st_mtim.tv_sec == 2000);
    CHECK(st.st_mtim.tv_nsec == 7);
    CHECK(st.st_atim.tv_sec == 1000);
    CHECK(xattr_of(up, "user.k") == "v");
    CHECK(xattr_of(up, "user.fuseoverlayfs.origin") == std::string("d/e/f") + '\0');
    CHECK(std::filesystem::is_directory(t.path(0, "d/e")));
    CHECK(node_at(*ov, "d").layer == 0);
    CHECK(node_at(*ov, "d").dir_layers.front() == 0);
    CHECK(slurp(lower) == "payload");
    CHECK(work_entries(t) == 0);
    CHECK(do_getattr(*ov, f.id)->st_ino == shown); // st_ino stays the lower one
    CHECK(copy_up(*ov, f));                        // a second call is a no-op
}

TEST_CASE("Copy-up keeps directory metadata without copying children", "[fuse-overlay][copyup]") {
    TempTree t(2, {{1, "d/a", Kind::file, "x"}, {1, "d", Kind::xattr, "user.dx=1"}});
    REQUIRE(chmod(t.path(1, "d").c_str(), 0751) == 0);
    auto ov = t.overlay(2, {}, true);
    Node& d = node_at(*ov, "d");
    REQUIRE(copy_up(*ov, d));
    struct stat st {};
    REQUIRE(lstat(t.path(0, "d").c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0751);
    CHECK(xattr_of(t.path(0, "d"), "user.dx") == "1");
    CHECK(xattr_of(t.path(0, "d"), "user.fuseoverlayfs.origin") == "<none>");
    CHECK_FALSE(std::filesystem::exists(t.path(0, "d/a")));
    CHECK(d.dir_layers == std::vector<unsigned>{0, 1});
    CHECK(list(*ov, d.id) == std::vector<std::string>{"a"});
}

TEST_CASE("Copy-up of symlinks, fifos and sockets keeps their type", "[fuse-overlay][copyup]") {
    TempTree t(2, {{1, "l", Kind::symlink, "../target"}, {1, "dir", Kind::dir}});
    REQUIRE(mkfifo(t.path(1, "fifo").c_str(), 0620) == 0);
    REQUIRE(chmod(t.path(1, "fifo").c_str(), 0620) == 0); // past the umask
    REQUIRE(mknod(t.path(1, "sock").c_str(), S_IFSOCK | 0600, 0) == 0);
    auto ov = t.overlay(2, {}, true);
    REQUIRE(copy_up(*ov, node_at(*ov, "l")));
    REQUIRE(copy_up(*ov, node_at(*ov, "fifo")));
    REQUIRE(copy_up(*ov, node_at(*ov, "sock")));
    char buf[64] = {};
    REQUIRE(readlink(t.path(0, "l").c_str(), buf, sizeof buf) == 9);
    CHECK(std::string(buf) == "../target");
    struct stat st {};
    REQUIRE(lstat(t.path(0, "fifo").c_str(), &st) == 0);
    CHECK(S_ISFIFO(st.st_mode));
    CHECK((st.st_mode & 07777) == 0620);
    REQUIRE(lstat(t.path(0, "sock").c_str(), &st) == 0);
    CHECK(S_ISSOCK(st.st_mode));
    CHECK(*do_readlink(*ov, lookup_path(*ov, "l")) == "../target");
}

TEST_CASE("Copy-up of a character device needs the privilege to make one",
          "[fuse-overlay][copyup]") {
    TempTree t(2, {});
    if (mknod(t.path(1, "null").c_str(), S_IFCHR | 0666, makedev(1, 3)) != 0)
        SKIP_CASE(std::string("mknod c 1 3: ") + std::strerror(errno) +
                  ": runs when the suite runs as root");
    auto ov = t.overlay(2, {}, true);
    REQUIRE(copy_up(*ov, node_at(*ov, "null")));
    struct stat st {};
    REQUIRE(lstat(t.path(0, "null").c_str(), &st) == 0);
    CHECK(S_ISCHR(st.st_mode));
    CHECK(st.st_rdev == makedev(1, 3));
}

TEST_CASE("Copy-up keeps the on-disk owner", "[fuse-overlay][copyup]") {
    if (geteuid() != 0)
        SKIP_CASE("chown to other ids needs CAP_CHOWN: runs when the suite runs as root");
    TempTree t(2, {{1, "f", Kind::file, "x"}, {1, "l", Kind::symlink, "f"}});
    REQUIRE(chown(t.path(1, "f").c_str(), 1234, 5678) == 0);
    REQUIRE(lchown(t.path(1, "l").c_str(), 1234, 5678) == 0);
    auto ov = t.overlay(2, {}, true);
    REQUIRE(copy_up(*ov, node_at(*ov, "f")));
    REQUIRE(copy_up(*ov, node_at(*ov, "l")));
    struct stat st {};
    REQUIRE(lstat(t.path(0, "f").c_str(), &st) == 0);
    CHECK(st.st_uid == 1234);
    CHECK(st.st_gid == 5678);
    REQUIRE(lstat(t.path(0, "l").c_str(), &st) == 0);
    CHECK(st.st_uid == 1234);
}

TEST_CASE("Copy-up of a sparse file keeps size and holes", "[fuse-overlay][copyup]") {
    TempTree t(2, {{1, "s", Kind::file, ""}});
    {
        int fd = ::open(t.path(1, "s").c_str(), O_WRONLY);
        REQUIRE(fd >= 0);
        REQUIRE(pwrite(fd, "end", 3, 64 << 20) == 3);
        ::close(fd);
    }
    auto ov = t.overlay(2, {}, true);
    REQUIRE(copy_up(*ov, node_at(*ov, "s")));
    struct stat st {};
    REQUIRE(lstat(t.path(0, "s").c_str(), &st) == 0);
    CHECK(st.st_size == (64 << 20) + 3);
    CHECK(st.st_blocks < 1024); // far less than 64 MiB of data blocks
    int fd = ::open(t.path(0, "s").c_str(), O_RDONLY);
    char buf[3];
    CHECK(pread(fd, buf, 3, 64 << 20) == 3);
    ::close(fd);
    CHECK(std::string(buf, 3) == "end");
}

TEST_CASE("An interrupted copy-up leaves the lower file visible and nothing in upper",
          "[fuse-overlay][copyup]") {
    TempTree t(2, {{1, "d/f", Kind::file, "lower data"}});
    auto ov = t.overlay(2, {}, true);
    Node& f = node_at(*ov, "d/f");
    copyup_fault_hook = [](const char*) { return EINTR; };
    Result<void> r = copy_up(*ov, f);
    copyup_fault_hook = nullptr;
    REQUIRE_FALSE(r);
    CHECK(r.error().value == EINTR);
    CHECK(f.layer == 1);
    CHECK_FALSE(std::filesystem::exists(t.path(0, "d/f")));
    CHECK(work_entries(t) == 1); // the half-built copy, as a crash leaves it
    CHECK(read_all(*ov, f.id) == "lower data");
    // The next mount empties the work dir.
    prepare_workdir(t.work_path().substr(0, t.work_path().size() - 5));
    CHECK(work_entries(t) == 0);
    REQUIRE(copy_up(*ov, f));
    CHECK(slurp(t.path(0, "d/f")) == "lower data");
}

TEST_CASE("prepare_workdir creates and empties nested leftovers", "[fuse-overlay][copyup]") {
    TempTree t(1, {});
    std::string wd = t.layer_path(0) + "/wd";
    prepare_workdir(wd);
    std::filesystem::create_directories(wd + "/work/1/sub");
    std::ofstream(wd + "/work/1/sub/x") << "x";
    std::ofstream(wd + "/work/2") << "y";
    prepare_workdir(wd);
    CHECK(std::filesystem::is_empty(wd + "/work"));
}

TEST_CASE("Without an upper layer copy-up is EROFS", "[fuse-overlay][copyup]") {
    TempTree t(1, {{0, "f", Kind::file, "x"}});
    auto ov = t.overlay(1);
    CHECK(copy_up(*ov, node_at(*ov, "f")).error().value == EROFS);
    CHECK(copy_up_meta(*ov, node_at(*ov, "f")).error().value == EROFS);
}

TEST_CASE("Metacopy copies only metadata in kernel overlayfs' format", "[fuse-overlay][metacopy]") {
    std::string data(100000, 'z');
    TempTree t(2, {{1, "m", Kind::file, data}, {1, "m", Kind::xattr, "user.a=b"}});
    OverlayOptions o;
    o.metacopy = true;
    auto ov = t.overlay(2, o, true);
    Node& m = node_at(*ov, "m");
    REQUIRE(copy_up_meta(*ov, m));
    std::string up = t.path(0, "m");
    struct stat st {};
    REQUIRE(lstat(up.c_str(), &st) == 0);
    CHECK(st.st_size == 100000);
    CHECK(st.st_blocks <= 8); // no data blocks (ext4 may count one xattr block)
    const char* ns = geteuid() == 0 ? "trusted.overlay." : "user.overlay.";
    CHECK(xattr_of(up, (std::string(ns) + "metacopy").c_str()).empty());
    std::string fh = xattr_of(up, (std::string(ns) + "origin").c_str());
    REQUIRE(fh.size() > 21);
    CHECK(fh[0] == 0);
    CHECK(static_cast<unsigned char>(fh[1]) == 0xfb);
    CHECK(static_cast<size_t>(static_cast<unsigned char>(fh[2])) == fh.size());
    CHECK(xattr_of(up, "user.a") == "b");
    CHECK(is_metacopy(*ov, m));
    Result<DataSource> src = data_source(*ov, m);
    REQUIRE(src);
    CHECK(src->layer == 1);
    CHECK(read_all(*ov, m.id) == data.substr(0, 4096)); // reads come from the lower file
    // The first open for write brings the data up and ends the metacopy.
    Result<common::UniqueFd> w = do_open(*ov, m.id, O_WRONLY);
    REQUIRE(w);
    CHECK_FALSE(is_metacopy(*ov, m));
    CHECK(slurp(up) == data);
    CHECK(xattr_of(up, "user.a") == "b");
    CHECK(xattr_of(up, "user.fuseoverlayfs.origin") == std::string("m") + '\0');
}

TEST_CASE("A kernel-style metacopy upper reads its data from below", "[fuse-overlay][metacopy]") {
    TempTree t(2, {{1, "k", Kind::file, "kernel data"},
                   {0, "k", Kind::file, ""},
                   {0, "k", Kind::xattr, "user.overlay.metacopy="}});
    REQUIRE(truncate(t.path(0, "k").c_str(), 11) == 0);
    auto ov = t.overlay(2, {}, true); // our metacopy option off: the reader still honours it
    fuse_ino_t k = lookup_path(*ov, "k");
    CHECK(read_all(*ov, k) == "kernel data");
    CHECK(do_getattr(*ov, k)->st_size == 11);
}

TEST_CASE("Metacopy off or for directories copies everything", "[fuse-overlay][metacopy]") {
    TempTree t(2, {{1, "f", Kind::file, "abc"}, {1, "d/x", Kind::file, "x"}});
    auto ov = t.overlay(2, {}, true);
    REQUIRE(copy_up_meta(*ov, node_at(*ov, "f")));
    CHECK(slurp(t.path(0, "f")) == "abc");
    CHECK_FALSE(is_metacopy(*ov, node_at(*ov, "f")));
    OverlayOptions o;
    o.metacopy = true;
    auto ov2 = t.overlay(2, o, true);
    REQUIRE(copy_up_meta(*ov2, node_at(*ov2, "d")));
    CHECK(std::filesystem::is_directory(t.path(0, "d")));
}

TEST_CASE("In stat-override mode copy-up writes the override xattr, not the owner",
          "[fuse-overlay][copyup]") {
    TempTree t(2, {{1, "f", Kind::file, "x"}});
    REQUIRE(chmod(t.path(1, "f").c_str(), 0600) == 0);
    auto ov = t.overlay(2, {}, true);
    ov->layers[0].set_override_mode(OverrideMode::user);
    Node& f = node_at(*ov, "f");
    REQUIRE(copy_up(*ov, f));
    struct stat st {};
    REQUIRE(lstat(t.path(0, "f").c_str(), &st) == 0);
    CHECK((st.st_mode & 0755) == 0755);
    std::string want = std::to_string(st.st_uid) + ":" + std::to_string(st.st_gid) + ":600";
    CHECK(xattr_of(t.path(0, "f"), "user.fuseoverlayfs.override_stat") == want);
    CHECK((do_getattr(*ov, f.id)->st_mode & 07777) == 0600);
}

TEST_CASE("xattrs a copy-up cannot set are counted, not dropped without a word",
          "[fuse-overlay][copyup]") {
    // The target refuses user.* (a symlink takes none: EPERM), as an upper fs or a user namespace
    // refuses a name the source holds; the copy goes on without it, and the drop is counted.
    TempTree t(2, {{1, "f", Kind::file, "x"}, {1, "f", Kind::xattr, "user.color=blue"}});
    auto ov = t.overlay(2, {}, true);
    std::string link = t.path(0, "l");
    REQUIRE(symlink("target", link.c_str()) == 0);
    Result<Obj> dst = ov->layers[0].obj("l");
    REQUIRE(dst);
    uint64_t before = xattrs_not_copied();
    REQUIRE(copy_xattrs(ov->layers[1], "f", *dst));
    CHECK(xattrs_not_copied() == before + 1);
    // A name the target takes is not counted.
    std::string g = t.path(0, "g");
    std::ofstream(g) << "y";
    Result<Obj> dg = ov->layers[0].obj("g");
    REQUIRE(dg);
    REQUIRE(copy_xattrs(ov->layers[1], "f", *dg));
    CHECK(xattrs_not_copied() == before + 1);
    CHECK(xattr_of(g, "user.color") == "blue");
}
