// SPDX-License-Identifier: Apache-2.0
// ovl_xattrs.cc — fuse-overlay's readers of on-disk overlay metadata: opaque markers, whiteouts,
// metacopy/redirect, origin chains and override_stat, with fuzzer-chosen xattr values on a small
// two-lower-layer tree under $TMPDIR (default /var/tmp; user.* xattrs, so no privilege needed).
//
// Entry points: ovl::Overlay, ovl::load_dir, ovl::find_child, ovl::node_stat, ovl::data_source,
// ovl::is_opaque_dir, ovl::has_whiteout.
//
// Input: first byte: bits 0-1 upper override mode (none, containers, user); then records
// [object][name][len][value] that set one user.* xattr before the tree is read.
#include "fuse-overlay/copyup.h"
#include "fuse-overlay/overlay.h"
#include "fuse-overlay/whiteout.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <sys/xattr.h>

namespace {

std::string root; ///< the temporary tree

struct Obj {
    const char* layer;
    const char* path;
};
constexpr std::array<Obj, 8> objs = {{{"upper", ""},
                                      {"upper", "d"},
                                      {"upper", "f"},
                                      {"upper", "d/y"},
                                      {"lower1", "d"},
                                      {"lower1", "f"},
                                      {"lower1", "g"},
                                      {"lower2", "d"}}};
constexpr std::array<const char*, 9> names = {"user.overlay.opaque",
                                              "user.fuseoverlayfs.opaque",
                                              "user.overlay.redirect",
                                              "user.overlay.metacopy",
                                              "user.fuseoverlayfs.origin",
                                              "user.containers.override_stat",
                                              "user.fuseoverlayfs.override_stat",
                                              "user.overlay.origin",
                                              "user.overlay.whiteout"};

std::string obj_path(const Obj& o) {
    std::string p = root + "/" + o.layer;
    if (*o.path != '\0')
        p += std::string("/") + o.path;
    return p;
}

void make_file(const std::string& p, const char* text) {
    std::ofstream(p) << text;
}

void cleanup() {
    std::error_code ec;
    std::filesystem::remove_all(root, ec);
}

void stat_tree(ovl::Overlay& ov, ovl::Node& dir, int depth) {
    if (!ovl::load_dir(ov, dir))
        return;
    std::vector<std::string> kids;
    for (auto& [name, ino] : dir.children)
        kids.push_back(name);
    for (const std::string& k : kids) {
        auto c = ovl::find_child(ov, dir, k);
        if (!c || *c == nullptr)
            continue;
        ovl::Node& n = **c;
        (void)ovl::node_stat(ov, n);
        if (S_ISREG(n.type))
            (void)ovl::data_source(ov, n);
        if (n.is_dir() && depth < 2)
            stat_tree(ov, n, depth + 1);
    }
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    const char* tmp = std::getenv("TMPDIR");
    std::string t = std::string(tmp != nullptr ? tmp : "/var/tmp") + "/ovl-fuzz-XXXXXX";
    if (mkdtemp(t.data()) == nullptr) {
        std::perror("ovl_xattrs: mkdtemp");
        std::exit(1);
    }
    root = t;
    std::atexit(cleanup);
    namespace fs = std::filesystem;
    for (const char* d : {"upper/d", "lower1/d/sub", "lower2/d"})
        fs::create_directories(root + "/" + d);
    make_file(root + "/upper/f", "");
    make_file(root + "/upper/d/y", "upper y");
    make_file(root + "/upper/d/.wh.x", "");
    make_file(root + "/lower1/d/x", "lower x");
    make_file(root + "/lower1/d/sub/z", "z");
    make_file(root + "/lower1/f", "lower data");
    make_file(root + "/lower1/g", "g");
    make_file(root + "/lower2/d/w", "w");
    make_file(root + "/lower2/d/.wh..wh..opq", "");
    if (setxattr((root + "/upper/f").c_str(), "user.fuzz", "1", 1, 0) != 0) {
        std::fprintf(stderr, "ovl_xattrs: %s has no user xattrs; set TMPDIR\n", root.c_str());
        std::exit(1);
    }
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1)
        return 0;
    size_t pos = 1;
    for (int n = 0; n < 16 && pos + 3 <= size; ++n) {
        const Obj& o = objs[data[pos] % objs.size()];
        const char* name = names[data[pos + 1] % names.size()];
        size_t len = std::min<size_t>(data[pos + 2], size - pos - 3);
        pos += 3;
        (void)lsetxattr(obj_path(o).c_str(), name, data + pos, len, 0);
        pos += len;
    }
    {
        ovl::OverlayOptions opts;
        std::vector<ovl::Layer> layers;
        layers.emplace_back(root + "/upper", 0, true);
        layers.emplace_back(root + "/lower1", 1, false);
        layers.emplace_back(root + "/lower2", 2, false);
        static constexpr ovl::OverrideMode modes[4] = {
            ovl::OverrideMode::none, ovl::OverrideMode::containers, ovl::OverrideMode::user,
            ovl::OverrideMode::none};
        layers[0].set_override_mode(modes[data[0] & 3]);
        layers[1].set_override_mode(modes[(data[0] >> 2) & 3]);
        ovl::Overlay ov(opts, std::move(layers), true);
        (void)ovl::is_opaque_dir(ov.layers[0], "d");
        (void)ovl::is_opaque_dir(ov.layers[2], "d");
        (void)ovl::has_whiteout(ov.layers[0], "d", "x");
        ovl::Node& r = *ov.table.root();
        (void)ovl::node_stat(ov, r);
        stat_tree(ov, r, 0);
    }
    for (const Obj& o : objs) // the next input starts from the same tree
        for (const char* name : names)
            (void)lremovexattr(obj_path(o).c_str(), name);
    return 0;
}
