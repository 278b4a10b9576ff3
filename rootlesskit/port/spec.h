// SPDX-License-Identifier: Apache-2.0
// spec.h — port forwarding specs: parsing "-p" strings, validation, JSON as the Go API has it
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>

namespace rlk::port {

struct PortSpec {
    std::string proto;
    std::string parent_ip;
    long long parent_port = 0;
    long long child_port = 0;
    std::string child_ip;
};

struct PortStatus {
    int id = 0;
    PortSpec spec;
};

/// portutil.ParsePortSpec: "<parentIP>:<parentPort>[:<childIP>]:<childPort>/<proto>", IPv6 in [].
/// Throws with upstream's messages (including its swapped ParentPort/ChildPort wording).
PortSpec parse_port_spec(const std::string& s);

/// portutil.ValidatePortSpec against the existing ports (conflict = same proto, parentIP, port).
void validate_port_spec(const PortSpec& spec, const std::map<int, PortStatus>& existing);

/// Go's %v of a port.Spec: "{tcp 127.0.0.1 8080 80 }".
std::string go_value(const PortSpec& spec);

/// JSON with omitempty keys in Go's order: proto, parentIP, parentPort, childPort, childIP.
nlohmann::ordered_json to_json(const PortSpec& spec);
nlohmann::ordered_json to_json(const PortStatus& st);

/// Decodes a request body as Go's encoding/json would into port.Spec (keys matched
/// case-insensitively, unknown keys ignored). Throws with Go-style messages.
PortSpec spec_from_json(const std::string& body);

/// Go's %q of an int (a rune literal: 0 → '\x00').
std::string go_quote_rune(long long v);

} // namespace rlk::port
