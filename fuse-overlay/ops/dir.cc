// SPDX-License-Identifier: Apache-2.0
// dir.cc — opendir/readdir/readdirplus/releasedir over a snapshot of the merged listing
#include "fuse-overlay/ops/guard.h"
#include "fuse-overlay/ops/ops.h"

#include <cstdint>
#include <optional>

namespace ovl {
namespace {

DirHandle* handle_of(const fuse_file_info* fi) noexcept {
    return reinterpret_cast<DirHandle*>(static_cast<uintptr_t>(fi->fh));
}

// Fills `buf` from entry `off` on; plus=true also looks each entry up (readdirplus).
size_t fill(Overlay& ov, fuse_req_t req, fuse_ino_t dir, const DirHandle& h, char* buf, size_t size,
            off_t off, bool plus) {
    size_t used = 0;
    for (size_t i = static_cast<size_t>(off); i < h.entries.size(); ++i) {
        const DirEntry& d = h.entries[i];
        off_t next = static_cast<off_t>(i + 1);
        size_t need = 0;
        if (!plus) {
            struct stat st {};
            st.st_ino = d.ino;
            st.st_mode = d.type;
            need = fuse_add_direntry(req, buf + used, size - used, d.name.c_str(), &st, next);
        } else if (d.name == "." || d.name == "..") { // not instantiated by the kernel
            fuse_entry_param e{};
            e.attr.st_ino = d.ino;
            e.attr.st_mode = d.type;
            need = fuse_add_direntry_plus(req, buf + used, size - used, d.name.c_str(), &e, next);
        } else {
            Result<fuse_entry_param> e = do_lookup(ov, dir, d.name);
            if (!e || e->ino == 0)
                continue; // gone since opendir, or unreadable: leave it out
            need = fuse_add_direntry_plus(req, buf + used, size - used, d.name.c_str(), &*e, next);
            if (need > size - used)
                do_forget(ov, e->ino, 1); // not sent, so the kernel holds no reference
        }
        if (need > size - used)
            break;
        used += need;
    }
    return used;
}

void readdir_common(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi,
                    bool plus) noexcept {
    guard(req, [&](Overlay& ov) {
        DirHandle& h = *handle_of(fi);
        // readdirplus stats every entry in this directory, and the first one also loads it
        // (stats again, once each, kept for the reply): one open directory fd per layer.
        std::optional<HeldDirs> held;
        if (plus)
            held.emplace(ov);
        if (Result<void> r = do_fill_dir(ov, ino, h); !r)
            return (void)fuse_reply_err(req, r.error().value);
        thread_local std::vector<char> buf; // grows once per thread to the kernel's page size
        if (buf.size() < size)
            buf.resize(size);
        size_t used = fill(ov, req, ino, h, buf.data(), size, off, plus);
        fuse_reply_buf(req, buf.data(), used);
    });
}

} // namespace

Result<std::unique_ptr<DirHandle>> do_opendir(Overlay& ov, fuse_ino_t ino) {
    Result<Node*> n = get_dir(ov, ino);
    if (!n)
        return n.error();
    return std::make_unique<DirHandle>();
}

Result<void> do_fill_dir(Overlay& ov, fuse_ino_t ino, DirHandle& h) {
    if (h.filled)
        return {};
    Result<Node*> n = get_node(ov, ino);
    if (!n)
        return n.error();
    Node& dir = **n;
    Result<void> l = load_dir(ov, dir);
    if (!l)
        return l.error();
    h.entries.reserve(dir.children.size() + 2);
    h.entries.push_back(DirEntry{".", dir.ino, S_IFDIR});
    if (dir.parent != nullptr) // upstream lists no ".." in the root
        h.entries.push_back(DirEntry{"..", dir.parent->ino, S_IFDIR});
    for (const auto& [name, id] : dir.children) {
        const Node* c = ov.table.get(id);
        if (c == nullptr)
            continue;
        // A regular file of a stat-override layer may stand for a device, fifo or socket (its
        // xattr says): DT_UNKNOWN, so a reader asks stat rather than trust "regular file".
        bool maybe_other =
            S_ISREG(c->type) && ov.layers[c->layer].override_mode() != OverrideMode::none;
        h.entries.push_back(DirEntry{name, c->ino, maybe_other ? mode_t{0} : c->type});
    }
    h.filled = true;
    return {};
}

void op_opendir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) noexcept {
    guard(req, [&](Overlay& ov) {
        Result<std::unique_ptr<DirHandle>> h = do_opendir(ov, ino);
        if (!h)
            return (void)fuse_reply_err(req, h.error().value);
        fi->fh = reinterpret_cast<uintptr_t>(h->release());
        fi->cache_readdir = ov.opts.timeout > 0;
        fi->keep_cache = ov.opts.timeout > 0;
        if (fuse_reply_open(req, fi) != 0)
            delete handle_of(fi); // the kernel will not send releasedir
    });
}

void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                fuse_file_info* fi) noexcept {
    readdir_common(req, ino, size, off, fi, false);
}

void op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                    fuse_file_info* fi) noexcept {
    readdir_common(req, ino, size, off, fi, true);
}

void op_releasedir(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) noexcept {
    delete handle_of(fi);
    fuse_reply_err(req, 0);
}

} // namespace ovl
