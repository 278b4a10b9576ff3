// SPDX-License-Identifier: Apache-2.0
// inode_table.h — FUSE node ids to Nodes, with counter ids and kernel reference counting
#pragma once

#include "fuse-overlay/node.h"

#include <atomic>
#include <memory>
#include <optional>
#include <sys/types.h>
#include <unordered_map>

namespace ovl {

/// Owns every Node. Ids come from a counter, so a stale id is caught as EBADF-style misses.
class InodeTable {
public:
    InodeTable();

    Node* root() noexcept { return root_; }
    /// The node for `id`, or nullptr when unknown (stale or never issued).
    Node* get(fuse_ino_t id) noexcept;
    /// Moves `node` into the table, assigns the next id and links it under `parent`.
    Node* insert(Node* parent, std::unique_ptr<Node> node);
    /// Drops `n` kernel references; frees the node (and now-unreferenced ancestors) at zero.
    void forget(fuse_ino_t id, uint64_t n) noexcept;
    /// Unlinks `node` from its parent (its name was removed or replaced): it leaves the parent's
    /// children and gets no parent; it stays reachable by id while the kernel references it and
    /// is freed now when it does not.
    void detach(Node* node) noexcept;
    /// Links a detached or moved node under `parent` as `name` (rename); replaces no entry.
    void attach(Node* parent, Node* node, std::string name);
    size_t size() const noexcept { return nodes_.size(); }
    /// A merged directory's count of merged subdirectories, as last counted (its nlink costs a
    /// listing of every layer when its children are not loaded): kept beside the node (not in
    /// it: only a few nodes are merged directories) and freed with it. mkdir and rmdir move a
    /// kept count by one when they succeed and forget it when they fail; rename forgets both.
    std::optional<nlink_t> subdirs(fuse_ino_t id) const noexcept {
        auto it = subdirs_.find(id);
        return it == subdirs_.end() ? std::nullopt : std::optional<nlink_t>(it->second);
    }
    void remember_subdirs(fuse_ino_t id, nlink_t n) { subdirs_[id] = n; }
    void forget_subdirs(fuse_ino_t id) noexcept { subdirs_.erase(id); }
    /// After a successful mkdir (+1) or rmdir (-1) in `id`, or else (`ok` false) forgets it.
    void count_subdir(fuse_ino_t id, bool ok, int delta) noexcept {
        if (auto it = subdirs_.find(id); it != subdirs_.end()) {
            if (ok)
                it->second = static_cast<nlink_t>(static_cast<long>(it->second) + delta);
            else
                subdirs_.erase(it);
        }
    }
    /// Hard links: the node the kernel knows an upper inode by (its upper st_ino), so that every
    /// name of a hard-linked upper file is one node, as the kernel expects (one page cache, one
    /// set of attributes). Kept only for upper non-directories with more than one link; an entry
    /// leaves with its node. Callers check that the node still names that inode.
    std::optional<fuse_ino_t> linked(ino_t upper_ino) const noexcept {
        auto it = linked_.find(upper_ino);
        return it == linked_.end() ? std::nullopt : std::optional<fuse_ino_t>(it->second);
    }
    void remember_linked(ino_t upper_ino, fuse_ino_t id);
    /// Called with each node just before it is freed (must not throw or touch the table).
    void set_on_free(void (*fn)(void* ctx, const Node& node) noexcept, void* ctx) noexcept {
        on_free_ = fn;
        on_free_ctx_ = ctx;
    }

    /// Node count readable from a signal handler (SIGUSR1 statistics).
    static std::atomic<size_t> live_nodes;

private:
    void maybe_free(Node* node) noexcept;
    // Drops node `id` and what is kept beside it.
    void erase(fuse_ino_t id) noexcept;

    // Nodes live in the map's own entries (one allocation each; references stay valid across
    // rehashes, as unordered_map guarantees).
    std::unordered_map<fuse_ino_t, Node> nodes_;
    std::unordered_map<fuse_ino_t, nlink_t> subdirs_;
    std::unordered_map<ino_t, fuse_ino_t> linked_;    // upper st_ino -> node
    std::unordered_map<fuse_ino_t, ino_t> linked_by_; // and back, to forget it with the node
    fuse_ino_t next_id_ = FUSE_ROOT_ID + 1;
    Node* root_ = nullptr;
    void (*on_free_)(void*, const Node&) noexcept = nullptr;
    void* on_free_ctx_ = nullptr;
};

} // namespace ovl
