// SPDX-License-Identifier: Apache-2.0
// confinement_property_test.cc — issue 12 as a property: seeded random sequences of create, link,
// rename, unlink, symlink, mkdir, rmdir and writes through a node held since its creation (an open
// file), run through the do_X ops over a temp-dir upper + lower, are checked after every step
// against an in-memory model of the merged tree; an adversary swaps upper directories (or plants
// them) as symlinks out of the layer between steps and tries mutating ops through the nodes it
// held, which must all fail; and a canary tree beside the layers must never change.
//
// RT_PROPERTY_SEQUENCES sets the number of sequences (default 1000 of 12 steps, about 5 s of CPU);
// RT_PROPERTY_SEED the first seed (sequence i uses seed + i).
#include "names_helpers.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <sstream>

using namespace ovl;
using namespace ovl::test;

namespace {

namespace fs = std::filesystem;

unsigned long env_number(const char* name, unsigned long dflt) {
    const char* v = std::getenv(name);
    return v != nullptr && *v != '\0' ? std::strtoul(v, nullptr, 10) : dflt;
}

enum class T { file, dir, sym };

struct MEnt {
    T t;
    int inode = 0;      ///< files: which model inode (hard links share it)
    std::string target; ///< symlinks
    bool lower = false; ///< directories with a lower part (rename gives EXDEV)
};

std::string parent_of(const std::string& p) {
    size_t s = p.rfind('/');
    return s == std::string::npos ? std::string() : p.substr(0, s);
}

bool inside(const std::string& p, const std::string& dir) {
    return p.size() > dir.size() && p.compare(0, dir.size(), dir) == 0 && p[dir.size()] == '/';
}

// Everything observable about a tree outside the layers: names, types, modes, sizes, mtimes,
// contents.
std::string snapshot(const std::string& dir) {
    std::ostringstream out;
    std::vector<std::string> lines;
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
        struct stat st {};
        ::lstat(e.path().c_str(), &st);
        std::ostringstream l;
        l << e.path().string() << ' ' << st.st_mode << ' ' << st.st_size << ' ' << st.st_mtim.tv_sec
          << '.' << st.st_mtim.tv_nsec;
        if (S_ISREG(st.st_mode))
            l << ' ' << slurp(e.path().string());
        lines.push_back(l.str());
    }
    std::sort(lines.begin(), lines.end());
    for (const std::string& l : lines)
        out << l << '\n';
    return out.str();
}

void write_file(const std::string& path, const char* data) {
    std::FILE* fp = std::fopen(path.c_str(), "w");
    REQUIRE(fp != nullptr);
    std::fputs(data, fp);
    std::fclose(fp);
}

// The layers (L0 upper, L1 lower), the work dir and the canary tree "outside", in a fresh dir on
// tmpfs when there is one: thousands of sequences make and remove many small trees.
struct Tree {
    Tree() {
        std::string tmpl = (::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
        tmpl += "/ovl-prop-XXXXXX";
        if (mkdtemp(tmpl.data()) == nullptr)
            throw std::runtime_error("mkdtemp");
        root = tmpl;
        for (const char* d : {"/L0", "/L1/ld/sub", "/W/work", "/outside/sub"})
            fs::create_directories(root + d);
        write_file(root + "/L1/ld/lf", "lower-lf");
        write_file(root + "/L1/lf2", "lower-2");
        write_file(root + "/L1/ld/sub/deep", "deep");
        write_file(root + "/outside/victim", "canary");
        write_file(root + "/outside/sub/f", "canary");
    }
    ~Tree() {
        std::error_code ec;
        fs::remove_all(root, ec);
    }
    std::string path(unsigned layer, const std::string& rel) const {
        return root + "/L" + std::to_string(layer) + "/" + rel;
    }
    std::unique_ptr<Overlay> overlay() const {
        std::vector<Layer> layers;
        layers.emplace_back(root + "/L0", 0, true);
        layers.emplace_back(root + "/L1", 1, false);
        auto ov = std::make_unique<Overlay>(OverlayOptions{}, std::move(layers), true);
        ov->overflow_uid = ov->overflow_gid = 65534;
        ov->work_fd.reset(::open((root + "/W/work").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        return ov;
    }
    std::string root;
};

class Sequence {
public:
    explicit Sequence(unsigned long seed) : rng_(static_cast<std::mt19937::result_type>(seed)) {
        root_ = t_.root;
        outside_ = root_ + "/outside";
        canary_ = snapshot(outside_);
        ov_ = t_.overlay();
        tree_["ld"] = MEnt{T::dir, 0, {}, true};
        tree_["ld/sub"] = MEnt{T::dir, 0, {}, true};
        add_file("ld/lf", "lower-lf");
        add_file("lf2", "lower-2");
        add_file("ld/sub/deep", "deep");
        // Nodes held from the start, as open files would hold them.
        for (const auto& [path, e] : tree_)
            if (e.t == T::file)
                held_[e.inode] = lookup_path(*ov_, path);
    }

    void run(int steps) {
        for (int i = 0; i < steps; ++i) {
            step(i);
            INFO("after: " << log_.str());
            check_model();
            REQUIRE(snapshot(outside_) == canary_);
        }
    }

    std::string log() const { return log_.str(); }

private:
    void add_file(const std::string& path, const std::string& data) {
        int ino = ++inodes_;
        tree_[path] = MEnt{T::file, ino, {}, false};
        content_[ino] = data;
    }

    template <class C> const auto& pick(const C& c) {
        std::uniform_int_distribution<size_t> d(0, c.size() - 1);
        auto it = c.begin();
        std::advance(it, static_cast<long>(d(rng_)));
        return *it;
    }
    bool chance(int percent) { return std::uniform_int_distribution<int>(0, 99)(rng_) < percent; }

    std::vector<std::string> of_type(T t) const {
        std::vector<std::string> out;
        for (const auto& [p, e] : tree_)
            if (e.t == t)
                out.push_back(p);
        return out;
    }
    std::vector<std::string> dirs() const {
        std::vector<std::string> out = of_type(T::dir);
        out.push_back("");
        return out;
    }
    bool exists(const std::string& p) const { return p.empty() || tree_.count(p) != 0; }
    bool has_children(const std::string& d) const {
        for (const auto& [p, e] : tree_)
            if (parent_of(p) == d)
                return true;
        return false;
    }
    bool has_name(int inode) const {
        for (const auto& [p, e] : tree_)
            if (e.t == T::file && e.inode == inode)
                return true;
        return false;
    }
    fuse_ino_t ino(const std::string& p) { return p.empty() ? FUSE_ROOT_ID : lookup_path(*ov_, p); }
    std::string name() { return pick(std::vector<std::string>{"a", "b", "v", "w"}); }

    void expect(bool ok, bool want, const char* what, const std::string& detail, int err) {
        log_ << what << ' ' << detail << " -> " << (ok ? "ok" : "errno " + std::to_string(err))
             << '\n';
        INFO(log_.str());
        REQUIRE(ok == want);
    }

    void step(int i) {
        int op = std::uniform_int_distribution<int>(0, 9)(rng_);
        std::string tag = "data" + std::to_string(i);
        switch (op) {
        case 0: { // create, then write through the new open file
            std::string d = pick(dirs()), p = join_path(d, name());
            Result<Created> c =
                do_create(*ov_, ino(d), parent_name(p), 0644, O_RDWR, root_caller());
            expect(c.has_value(), !exists(p), "create", p, c ? 0 : c.error().value);
            if (c) {
                REQUIRE(::pwrite(c->fd.get(), tag.data(), tag.size(), 0) ==
                        static_cast<ssize_t>(tag.size()));
                add_file(p, tag);
                held_[inodes_] = c->entry.ino;
            }
            break;
        }
        case 1: { // mkdir
            std::string d = pick(dirs()), p = join_path(d, name());
            Result<fuse_entry_param> e =
                do_mkdir(*ov_, ino(d), parent_name(p), 0755, root_caller());
            expect(e.has_value(), !exists(p), "mkdir", p, e ? 0 : e.error().value);
            if (e)
                tree_[p] = MEnt{T::dir, 0, {}, false};
            break;
        }
        case 2: { // symlink with a hostile target
            std::string d = pick(dirs()), p = join_path(d, name());
            std::string target = pick(std::vector<std::string>{"../outside/victim", "../../outside",
                                                               "/etc/passwd", "..", "ld"});
            Result<fuse_entry_param> e =
                do_symlink(*ov_, target, ino(d), parent_name(p), root_caller());
            expect(e.has_value(), !exists(p), "symlink", p, e ? 0 : e.error().value);
            if (e)
                tree_[p] = MEnt{T::sym, 0, target, false};
            break;
        }
        case 3: { // link, from the name or from the node held since creation
            std::vector<std::string> files = of_type(T::file);
            if (files.empty())
                break;
            std::string f = pick(files), d = pick(dirs()), p = join_path(d, name());
            int inode = tree_[f].inode;
            fuse_ino_t src = chance(50) && held_.count(inode) ? held_[inode] : ino(f);
            Result<fuse_entry_param> e = do_link(*ov_, src, ino(d), parent_name(p));
            expect(e.has_value(), !exists(p), "link", f + " " + p, e ? 0 : e.error().value);
            if (e)
                tree_[p] = MEnt{T::file, inode, {}, false};
            break;
        }
        case 4:
        case 5:
            rename_step();
            break;
        case 6: { // unlink a file or symlink
            std::vector<std::string> v = of_type(T::file), s = of_type(T::sym);
            v.insert(v.end(), s.begin(), s.end());
            if (v.empty())
                break;
            std::string p = pick(v);
            Result<void> r = do_unlink(*ov_, ino(parent_of(p)), parent_name(p));
            expect(r.has_value(), true, "unlink", p, r ? 0 : r.error().value);
            tree_.erase(p);
            break;
        }
        case 7: { // rmdir
            std::vector<std::string> v = of_type(T::dir);
            if (v.empty())
                break;
            std::string p = pick(v);
            Result<void> r = do_rmdir(*ov_, ino(parent_of(p)), parent_name(p));
            expect(r.has_value(), !has_children(p), "rmdir", p, r ? 0 : r.error().value);
            if (r)
                tree_.erase(p);
            break;
        }
        case 8: { // write through a node held since its creation (an open file's node)
            if (held_.empty())
                break;
            auto [inode, node] = pick(held_);
            Result<common::UniqueFd> fd = do_open(*ov_, node, O_WRONLY | O_TRUNC);
            bool named = has_name(inode);
            log_ << "write-held " << inode << " named=" << named << " -> "
                 << (fd ? "ok" : "errno " + std::to_string(fd.error().value)) << '\n';
            if (named) {
                INFO(log_.str());
                REQUIRE(fd);
            }
            if (fd) {
                REQUIRE(::pwrite(fd->get(), tag.data(), tag.size(), 0) ==
                        static_cast<ssize_t>(tag.size()));
                content_[inode] = tag;
            }
            break;
        }
        case 9:
            adversary();
            break;
        }
    }

    static std::string parent_name(const std::string& p) {
        size_t s = p.rfind('/');
        return s == std::string::npos ? p : p.substr(s + 1);
    }

    void rename_step() {
        std::vector<std::string> all;
        for (const auto& [p, e] : tree_)
            all.push_back(p);
        if (all.empty())
            return;
        std::string a = pick(all), d = pick(dirs()), b = join_path(d, name());
        if (a == b || d == a || inside(d, a))
            return; // the kernel refuses these before asking the filesystem
        const MEnt from = tree_[a];
        bool want = true, same = false;
        if (from.t == T::dir && from.lower)
            want = false; // EXDEV: a directory with a lower part
        else if (exists(b)) {
            const MEnt& to = tree_[b];
            if (from.t == T::dir)
                want = to.t == T::dir && !has_children(b);
            else
                want = to.t != T::dir;
            same = want && from.t == T::file && to.t == T::file && from.inode == to.inode;
        }
        Result<void> r =
            do_rename(*ov_, ino(parent_of(a)), parent_name(a), ino(d), parent_name(b), 0);
        expect(r.has_value(), want, "rename", a + " " + b, r ? 0 : r.error().value);
        if (!r || same)
            return;
        std::map<std::string, MEnt> moved;
        for (auto it = tree_.begin(); it != tree_.end();) {
            if (it->first == b || inside(it->first, b)) {
                it = tree_.erase(it);
            } else if (it->first == a || inside(it->first, a)) {
                moved[b + it->first.substr(a.size())] = it->second;
                it = tree_.erase(it);
            } else {
                ++it;
            }
        }
        for (auto& [p, e] : moved)
            tree_[p] = e;
    }

    // Swaps a directory that is in upper for a symlink out of the layer (or plants one where a
    // lower-only directory would be copied up), tries every mutating op through nodes held from
    // before, and puts things back. All must fail; nothing outside may change.
    void adversary() {
        std::vector<std::string> ds = of_type(T::dir);
        if (ds.empty())
            return;
        std::string p = pick(ds);
        // The topmost component of p missing in upper, else p itself.
        std::string at = p;
        for (size_t pos = 0;; ++pos) {
            pos = p.find('/', pos);
            std::string prefix = pos == std::string::npos ? p : p.substr(0, pos);
            struct stat st {};
            if (::lstat(t_.path(0, prefix).c_str(), &st) < 0) {
                at = prefix;
                break;
            }
            if (pos == std::string::npos)
                break;
        }
        fuse_ino_t dir = ino(p);
        // A file with another name (a hard link) outside p stays reachable through that one, as
        // the kernel shows hard links (one node for every name): ops on it rightly succeed.
        auto linked_outside = [&](const std::string& q, const MEnt& e) {
            for (const auto& [o, f] : tree_)
                if (o != q && f.t == T::file && f.inode == e.inode && !inside(o, p))
                    return true;
            return false;
        };
        std::vector<fuse_ino_t> files;
        for (const auto& [q, e] : tree_)
            if (e.t == T::file && inside(q, p) && !linked_outside(q, e))
                files.push_back(ino(q));
        REQUIRE(dir != 0);
        std::string up = t_.path(0, at), saved = root_ + "/saved";
        struct stat st {};
        bool swapped = ::lstat(up.c_str(), &st) == 0;
        if (swapped)
            REQUIRE(::rename(up.c_str(), saved.c_str()) == 0);
        std::string target;
        for (size_t n = std::count(at.begin(), at.end(), '/') + 1; n > 0; --n)
            target += "../";
        target += "outside";
        REQUIRE(::symlink(target.c_str(), up.c_str()) == 0);
        log_ << "adversary " << (swapped ? "swaps " : "plants ") << at << " -> " << target
             << " (attacking " << p << ")\n";
        INFO(log_.str());

        CHECK_FALSE(do_create(*ov_, dir, "pwn", 0644, O_WRONLY, root_caller()));
        CHECK_FALSE(do_mkdir(*ov_, dir, "pwnd", 0755, root_caller()));
        CHECK_FALSE(do_symlink(*ov_, "x", dir, "pwns", root_caller()));
        for (fuse_ino_t f : files) {
            CHECK_FALSE(do_open(*ov_, f, O_WRONLY));
            struct stat attr {};
            attr.st_mode = 0777;
            CHECK_FALSE(do_setattr(*ov_, f, attr, FUSE_SET_ATTR_MODE, nullptr));
            CHECK_FALSE(do_setxattr(*ov_, f, "user.pwned", "1", 0));
            CHECK_FALSE(do_link(*ov_, f, FUSE_ROOT_ID, "pwnl"));
        }
        REQUIRE(snapshot(outside_) == canary_);

        REQUIRE(::unlink(up.c_str()) == 0);
        if (swapped)
            REQUIRE(::rename(saved.c_str(), up.c_str()) == 0);
    }

    void check_model() {
        INFO(log_.str());
        for (const std::string& d : dirs()) {
            std::vector<std::string> want;
            for (const auto& [p, e] : tree_)
                if (parent_of(p) == d)
                    want.push_back(parent_name(p));
            std::sort(want.begin(), want.end());
            std::vector<std::string> got = list(*ov_, ino(d));
            std::sort(got.begin(), got.end());
            INFO("directory '" << d << "'");
            REQUIRE(got == want);
        }
        for (const auto& [p, e] : tree_) {
            INFO("entry " << p);
            fuse_ino_t n = ino(p);
            REQUIRE(n != 0);
            if (e.t == T::file)
                REQUIRE(read_all(*ov_, n) == content_[e.inode]);
            if (e.t == T::sym) {
                Result<std::string> l = do_readlink(*ov_, n);
                REQUIRE(l);
                REQUIRE(*l == e.target);
            }
        }
    }

    std::mt19937 rng_;
    Tree t_;
    std::string root_, outside_, canary_;
    std::unique_ptr<Overlay> ov_;
    std::map<std::string, MEnt> tree_; ///< the merged view: path -> entry
    std::map<int, std::string> content_;
    std::map<int, fuse_ino_t> held_; ///< model inode -> node held since its creation
    int inodes_ = 0;
    std::ostringstream log_;
};

} // namespace

TEST_CASE("Random op sequences match the model and never touch anything outside the layers",
          "[fuse-overlay][confinement][property]") {
    unsigned long n = env_number("RT_PROPERTY_SEQUENCES", 1000);
    unsigned long seed = env_number("RT_PROPERTY_SEED", 20261203);
    for (unsigned long i = 0; i < n; ++i) {
        INFO("seed " << seed + i);
        Sequence s(seed + i);
        s.run(12);
    }
}

TEST_CASE("checked_rel refuses '..' and normalises stored paths", "[fuse-overlay][confinement]") {
    CHECK(checked_rel("/a/./b//c").value() == "a/b/c");
    CHECK(checked_rel("x").value() == "x");
    CHECK_FALSE(checked_rel("../../x"));
    CHECK_FALSE(checked_rel("/a/../../x"));
    CHECK_FALSE(checked_rel("a/.."));
    CHECK_FALSE(checked_rel(std::string_view("a\0b", 3)));
}

// A symlink in the middle of a path: ELOOP from the resolution, or ENOTDIR where the parent
// directory is opened (O_DIRECTORY on the symlink itself).
bool refused(int e) {
    return e == ELOOP || e == ENOTDIR;
}

TEST_CASE("Layer resolution never follows a symlink, even inside the layer",
          "[fuse-overlay][confinement]") {
    TempTree t(1, {{0, "d/f", Kind::file, "in"},
                   {0, "l", Kind::symlink, "d"},
                   {0, "out", Kind::symlink, "../.."}});
    Layer l(t.layer_path(0), 0, true);
    CHECK(l.stat("d/f"));
    CHECK(l.stat("l")); // the symlink itself
    CHECK(refused(l.stat("l/f").error().value));
    CHECK(l.open("l/f", O_RDONLY).error().value == ELOOP);
    CHECK(l.open("out/etc/passwd", O_RDONLY).error().value == ELOOP);
    CHECK(l.open("../../etc/passwd", O_RDONLY).error().value == ENOENT); // ".." stops at the root
    CHECK(refused(l.create("l/new", O_WRONLY, 0644).error().value));
    CHECK(refused(l.mkdir("out/new", 0755).error().value));
    CHECK(refused(l.rename("d/f", "l/f", 0).error().value));
    CHECK(refused(l.link("d/f", "out/f").error().value));
    CHECK(refused(l.setxattr("l/f", "user.x", "1").error().value));
    CHECK(refused(l.removexattr("l/f", "user.x").error().value));
    CHECK(refused(l.setxattr("out/etc/x", "user.x", "1").error().value));
    CHECK(l.open("/work-entry", O_RDONLY).error().value == ENOENT); // no work dir set
    Result<Obj> o = l.obj("l");
    REQUIRE(o);
    CHECK(S_ISLNK(o->stat()->st_mode));
    CHECK(o->readlink().value() == "d");
}
