// SPDX-License-Identifier: Apache-2.0
// node.h — one name in the merged tree: where it lives, what it hides, who references it
#pragma once

#include <fuse_lowlevel.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace ovl {

/// A container allocated on first insertion: an empty one costs one pointer in the Node (most
/// nodes are files, with no children, aliases or followers), and reads of an empty one see a
/// shared empty container. Offers the few members the node code uses.
template <typename C> class Lazy {
public:
    using iterator = typename C::iterator;
    using const_iterator = typename C::const_iterator;

    iterator begin() noexcept { return c_ ? c_->begin() : shared_empty().begin(); }
    iterator end() noexcept { return c_ ? c_->end() : shared_empty().end(); }
    const_iterator begin() const noexcept { return c_ ? c_->cbegin() : shared_empty().cbegin(); }
    const_iterator end() const noexcept { return c_ ? c_->cend() : shared_empty().cend(); }
    bool empty() const noexcept { return !c_ || c_->empty(); }
    size_t size() const noexcept { return c_ ? c_->size() : 0; }
    template <typename K> iterator find(const K& key) noexcept {
        return c_ ? c_->find(key) : shared_empty().end();
    }
    template <typename K> const_iterator find(const K& key) const noexcept {
        return c_ ? c_->find(key) : shared_empty().cend();
    }
    template <typename... A> auto emplace(A&&... a) { return get().emplace(std::forward<A>(a)...); }
    template <typename V> void push_back(V&& v) { get().push_back(std::forward<V>(v)); }
    template <typename It> void append(It first, It last) {
        if (first != last)
            get().insert(get().end(), first, last);
    }
    /// The container itself (a shared empty one when none was made): for reading only.
    const C& view() const noexcept { return c_ ? *c_ : shared_empty(); }
    bool operator==(const C& o) const { return view() == o; }
    auto& front() const noexcept { return c_->front(); }
    auto& operator[](size_t i) const noexcept { return (*c_)[i]; }
    template <typename V> void insert(const_iterator pos, V&& v) {
        size_t at = static_cast<size_t>(pos - begin());
        get().insert(get().begin() + static_cast<std::ptrdiff_t>(at), std::forward<V>(v));
    }
    /// Takes `c`'s elements (no allocation kept for an empty one).
    Lazy& operator=(C&& c) {
        if (c.empty())
            c_.reset();
        else
            get() = std::move(c);
        return *this;
    }
    auto& back() noexcept { return c_->back(); }
    void pop_back() noexcept { c_->pop_back(); }
    /// `it` must come from this (non-empty) container.
    iterator erase(iterator it) noexcept { return c_->erase(it); }
    template <typename K> size_t erase(const K& key) noexcept { return c_ ? c_->erase(key) : 0; }
    /// Frees the storage.
    void clear() noexcept { c_.reset(); }

private:
    C& get() {
        if (!c_)
            c_ = std::make_unique<C>();
        return *c_;
    }
    static C& shared_empty() noexcept {
        static C e; // never written: only its begin/end are handed out
        return e;
    }
    std::unique_ptr<C> c_;
};

/// A merged-tree entry. Owned by the InodeTable; `parent` outlives its children (a node is only
/// freed once it has no children left in the table). Laid out small (memory, in
/// docs/compat/fuse-overlayfs.md §4.3): the table holds one per name the kernel has looked up.
struct Node {
    fuse_ino_t id = 0; ///< FUSE node id (a counter value, never a pointer)
    Node* parent = nullptr;
    std::string name;     ///< "" for the root
    std::string path;     ///< relative to every layer root; "" for the root
    ino_t ino = 0;        ///< st_ino shown to users (origin chain, §2.8)
    uint64_t nlookup = 0; ///< references the kernel holds
    /// Directories: the layers merged into this one, top first, cut after an opaque one (a
    /// pointer's room in a file's node).
    Lazy<std::vector<unsigned>> dir_layers;
    /// Children resolved so far; complete (every visible name) when `loaded`.
    Lazy<std::map<std::string, fuse_ino_t, std::less<>>> children;
    /// Other names of this inode made by link() through the mount, which share this node (as the
    /// kernel expects of a hard link): (directory node id, name), so a rename of the directory
    /// moves them along; one of them takes over when the name at `path` goes, after it is checked
    /// to still be this inode (st_dev + st_ino, found without following a symlink).
    struct Alias {
        fuse_ino_t dir = 0;
        std::string name;
    };
    Lazy<std::vector<Alias>> links;
    /// Detached nodes of the same upper inode served from this node's path (one took over an
    /// alias whose name already had this node): their path follows this one's.
    Lazy<std::vector<fuse_ino_t>> followers;
    uint16_t layer = 0; ///< index of the topmost layer holding the name (Overlay caps the count)
    uint16_t type = 0;  ///< S_IFMT bits of the topmost object
    bool loaded = false;
    /// Whether the backing object has any xattr: unknown until first asked; with none, xattr
    /// reads (ls -l asks for security.selinux on every file) need no system call.
    enum class Xattrs : uint8_t { unknown, none, some } xattrs = Xattrs::unknown;
    /// Whether the upper file is a metacopy (data still below); unknown until first asked
    /// (metacopy.cc keeps it current across copy-ups).
    enum class Metacopy : uint8_t { unknown, no, yes } metacopy = Metacopy::unknown;

    bool is_dir() const noexcept { return S_ISDIR(type); }
};

/// Whether `dir`'s entry `name` names `node` as another of its names (a hard link), not its own.
inline bool is_alias_entry(const Node& node, const Node& dir, std::string_view name) noexcept {
    return node.parent != &dir || node.name != name;
}

} // namespace ovl
