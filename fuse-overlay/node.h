// SPDX-License-Identifier: Apache-2.0
// node.h — one name in the merged tree: where it lives, what it hides, who references it
#pragma once

#include <fuse_lowlevel.h>

#include <cstdint>
#include <map>
#include <string>
#include <sys/types.h>
#include <vector>

namespace ovl {

/// A merged-tree entry. Owned by the InodeTable; `parent` outlives its children (a node is only
/// freed once it has no children left in the table).
struct Node {
    fuse_ino_t id = 0; ///< FUSE node id (a counter value, never a pointer)
    Node* parent = nullptr;
    std::string name;   ///< "" for the root
    std::string path;   ///< relative to every layer root; "" for the root
    unsigned layer = 0; ///< index of the topmost layer holding the name
    mode_t type = 0;    ///< S_IFMT bits of the topmost object
    ino_t ino = 0;      ///< st_ino shown to users (origin chain, §2.8)
    /// Directories: the layers merged into this one, top first, cut after an opaque one.
    std::vector<unsigned> dir_layers;
    uint64_t nlookup = 0; ///< references the kernel holds
    /// Children resolved so far; complete (every visible name) when `loaded`.
    std::map<std::string, fuse_ino_t, std::less<>> children;
    bool loaded = false;
    /// Other names of this inode made by link() through the mount, which share this node (as the
    /// kernel expects of a hard link): (directory node id, name), so a rename of the directory
    /// moves them along; one of them takes over when the name at `path` goes, after it is checked
    /// to still be this inode (st_dev + st_ino, found without following a symlink).
    struct Alias {
        fuse_ino_t dir = 0;
        std::string name;
    };
    std::vector<Alias> links;
    /// Detached nodes of the same upper inode served from this node's path (one took over an
    /// alias whose name already had this node): their path follows this one's.
    std::vector<fuse_ino_t> followers;
    /// Whether the backing object has any xattr: unknown until first asked; with none, xattr
    /// reads (ls -l asks for security.selinux on every file) need no system call.
    enum class Xattrs : uint8_t { unknown, none, some } xattrs = Xattrs::unknown;
    /// Whether the upper file is a metacopy (data still below); unknown until first asked
    /// (metacopy.cc keeps it current across copy-ups).
    enum class Metacopy : uint8_t { unknown, no, yes } metacopy = Metacopy::unknown;

    bool is_dir() const noexcept { return S_ISDIR(type); }
};

} // namespace ovl
