// SPDX-License-Identifier: Apache-2.0
// inode_table.cc — node ownership, counter ids and forget()
#include "fuse-overlay/inode_table.h"

namespace ovl {

std::atomic<size_t> InodeTable::live_nodes{0};

InodeTable::InodeTable() {
    Node& root = nodes_[FUSE_ROOT_ID];
    root.id = FUSE_ROOT_ID;
    root.type = S_IFDIR;
    root.nlookup = 1; // the kernel never forgets the root
    root_ = &root;
    live_nodes = nodes_.size();
}

Node* InodeTable::get(fuse_ino_t id) noexcept {
    auto it = nodes_.find(id);
    return it == nodes_.end() ? nullptr : &it->second;
}

Node* InodeTable::insert(Node* parent, std::unique_ptr<Node> node) {
    fuse_ino_t id = next_id_;
    Node& raw = nodes_.emplace(id, std::move(*node)).first->second;
    ++next_id_;
    raw.id = id;
    raw.parent = parent;
    try {
        parent->children.emplace(raw.name, raw.id);
    } catch (...) {
        nodes_.erase(id);
        throw;
    }
    live_nodes = nodes_.size();
    return &raw;
}

void InodeTable::forget(fuse_ino_t id, uint64_t n) noexcept {
    Node* node = get(id);
    if (node == nullptr || node == root_)
        return;
    node->nlookup = n >= node->nlookup ? 0 : node->nlookup - n;
    maybe_free(node);
}

void InodeTable::detach(Node* node) noexcept {
    if (node == nullptr || node == root_)
        return;
    if (Node* parent = node->parent) {
        if (auto it = parent->children.find(node->name);
            it != parent->children.end() && it->second == node->id)
            parent->children.erase(it);
        node->parent = nullptr;
    }
    if (node->nlookup == 0) {
        // Only a readdir cache held it; its own children (a removed directory has none visible)
        // go too when unreferenced.
        maybe_free(node);
    }
}

void InodeTable::attach(Node* parent, Node* node, std::string name) {
    node->name = std::move(name);
    node->parent = parent;
    parent->children.emplace(node->name, node->id);
}

void InodeTable::remember_linked(ino_t upper_ino, fuse_ino_t id) {
    if (auto old = linked_.find(upper_ino); old != linked_.end())
        linked_by_.erase(old->second);
    linked_[upper_ino] = id;
    try {
        linked_by_[id] = upper_ino;
    } catch (...) {
        linked_.erase(upper_ino);
        throw;
    }
}

void InodeTable::erase(fuse_ino_t id) noexcept {
    auto node = nodes_.find(id);
    if (node == nodes_.end())
        return;
    // Its other names leave their directories' maps, which are no longer complete listings.
    for (const Node::Alias& a : node->second.links)
        if (auto dir = nodes_.find(a.dir); dir != nodes_.end()) {
            auto& kids = dir->second.children;
            if (auto it = kids.find(a.name); it != kids.end() && it->second == id)
                kids.erase(it);
            dir->second.loaded = false;
        }
    if (!linked_by_.empty())
        if (auto it = linked_by_.find(id); it != linked_by_.end()) {
            linked_.erase(it->second);
            linked_by_.erase(it);
        }
    subdirs_.erase(id);
    nodes_.erase(node);
}

void InodeTable::maybe_free(Node* node) noexcept {
    while (node != nullptr && node != root_ && node->nlookup == 0) {
        // Children the kernel does not reference (cached by readdir) go with their parent.
        // An entry naming a node that lives elsewhere (another name of a hard-linked file)
        // only leaves the map.
        for (auto it = node->children.begin(); it != node->children.end();) {
            Node* child = get(it->second);
            if (child != nullptr && is_alias_entry(*child, *node, it->first)) {
                it = node->children.erase(it);
            } else if (child == nullptr || (child->nlookup == 0 && child->children.empty())) {
                if (child != nullptr && on_free_ != nullptr)
                    on_free_(on_free_ctx_, *child);
                erase(it->second);
                it = node->children.erase(it);
            } else {
                ++it;
            }
        }
        if (!node->children.empty())
            break;
        Node* parent = node->parent;
        if (parent != nullptr) {
            // Erase the entry only when it is this node's: a detached node's name may already
            // belong to a newer node.
            if (auto it = parent->children.find(node->name);
                it != parent->children.end() && it->second == node->id) {
                parent->children.erase(it);
                parent->loaded = false; // its listing is no longer complete
            }
        }
        if (on_free_ != nullptr)
            on_free_(on_free_ctx_, *node);
        erase(node->id);
        node = parent;
    }
    live_nodes = nodes_.size();
}

} // namespace ovl
