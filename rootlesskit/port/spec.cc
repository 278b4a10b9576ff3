// SPDX-License-Identifier: Apache-2.0
// spec.cc — port spec parsing and validation with upstream portutil's messages

#include "rootlesskit/port/spec.h"

#include "rootlesskit/cli.h"

#include <arpa/inet.h>
#include <cctype>
#include <climits>
#include <stdexcept>
#include <vector>

namespace rlk::port {
namespace {

[[noreturn]] void fail(const std::string& m) {
    throw std::runtime_error(m);
}

bool valid_ip(const std::string& s) {
    unsigned char buf[16];
    return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

bool valid_proto(const std::string& p) {
    for (const char* v : {"tcp", "tcp4", "tcp6", "udp", "udp4", "udp6", "sctp", "sctp4", "sctp6"})
        if (p == v)
            return true;
    return false;
}

// strconv.Atoi with its error text.
long long atoi_go(const std::string& s) {
    std::string digits = s;
    bool neg = false;
    if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) {
        neg = digits[0] == '-';
        digits = digits.substr(1);
    }
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos)
        fail("strconv.Atoi: parsing " + go_quote(s) + ": invalid syntax");
    if (digits.size() > 18)
        fail("strconv.Atoi: parsing " + go_quote(s) + ": value out of range");
    long long v = std::stoll(digits);
    return neg ? -v : v;
}

// Tokens as Go's text/scanner yields them for our inputs: runs of [A-Za-z0-9_.] or one char.
std::vector<std::string> tokens(const std::string& s) {
    std::vector<std::string> out;
    size_t i = 0;
    auto word = [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.';
    };
    while (i < s.size()) {
        if (std::isspace(static_cast<unsigned char>(s[i]))) {
            ++i;
            continue;
        }
        size_t j = i + 1;
        if (word(s[i]))
            while (j < s.size() && word(s[j]))
                ++j;
        out.push_back(s.substr(i, j - i));
        i = j;
    }
    return out;
}

std::string json_type(const nlohmann::json& v) {
    if (v.is_string())
        return "string";
    if (v.is_number())
        return "number";
    if (v.is_boolean())
        return "bool";
    if (v.is_array())
        return "array";
    return "object";
}

} // namespace

std::string go_quote_rune(long long v) {
    char buf[32];
    if (v < 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return "'\xef\xbf\xbd'"; // U+FFFD
    switch (v) {
    case '\a':
        return "'\\a'";
    case '\b':
        return "'\\b'";
    case '\f':
        return "'\\f'";
    case '\n':
        return "'\\n'";
    case '\r':
        return "'\\r'";
    case '\t':
        return "'\\t'";
    case '\v':
        return "'\\v'";
    case '\'':
        return "'\\''";
    case '\\':
        return "'\\\\'";
    default:
        break;
    }
    if (v < 0x20 || v == 0x7f) {
        snprintf(buf, sizeof buf, "'\\x%02llx'", v);
        return buf;
    }
    if (v >= 0x80 && v < 0xa0) {
        snprintf(buf, sizeof buf, "'\\u%04llx'", v);
        return buf;
    }
    std::string u;
    auto c = static_cast<unsigned long>(v);
    if (c < 0x80) {
        u += static_cast<char>(c);
    } else if (c < 0x800) {
        u += static_cast<char>(0xC0 | (c >> 6));
        u += static_cast<char>(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
        u += static_cast<char>(0xE0 | (c >> 12));
        u += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
        u += static_cast<char>(0x80 | (c & 0x3F));
    } else {
        u += static_cast<char>(0xF0 | (c >> 18));
        u += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
        u += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
        u += static_cast<char>(0x80 | (c & 0x3F));
    }
    return "'" + u + "'";
}

PortSpec parse_port_spec(const std::string& s) {
    enum { parent_ip, parent_port, child_ip, child_port, proto };
    std::string parts[5];
    size_t proto_pos = s.rfind('/');
    if (proto_pos == std::string::npos)
        fail("missing proto in PortSpec string: " + go_quote(s));
    parts[proto] = s.substr(proto_pos + 1);
    if (!valid_proto(parts[proto]))
        fail("invalid PortSpec string: " + go_quote(s) +
             ": unknown proto: " + go_quote(parts[proto]));
    size_t port_pos = s.rfind(':');
    if (port_pos == std::string::npos || port_pos > proto_pos)
        fail("unexpected PortSpec string: " + go_quote(s));
    parts[child_port] = s.substr(port_pos + 1, proto_pos - port_pos - 1);
    std::vector<std::string> toks = tokens(s.substr(0, port_pos));
    int index = parent_ip;
    char delimiter = ':';
    for (size_t i = 0; i < toks.size(); ++i) {
        if (index > child_port)
            fail("unexpected PortSpec string: " + go_quote(s));
        const std::string& t = toks[i];
        if (t == "[") {
            delimiter = ']'; // an IPv6 address runs to the closing bracket
            continue;
        }
        if (t.size() == 1 && t[0] == delimiter) {
            if (delimiter == ']') {
                delimiter = ':';
                ++i; // skip the ':' after the bracket
            }
            ++index;
            continue;
        }
        parts[index] += t;
    }
    if (!parts[parent_ip].empty() && !valid_ip(parts[parent_ip]))
        fail("unexpected ParentIP in PortSpec string: " + go_quote(s));
    if (!parts[child_ip].empty() && !valid_ip(parts[child_ip]))
        fail("unexpected ParentIP in PortSpec string: " + go_quote(s)); // sic, upstream
    PortSpec p;
    p.proto = parts[proto];
    p.parent_ip = parts[parent_ip];
    p.child_ip = parts[child_ip];
    try {
        p.parent_port = atoi_go(parts[parent_port]);
    } catch (const std::exception& e) {
        fail("unexpected ChildPort in PortSpec string: " + go_quote(s) + ": " + e.what()); // sic
    }
    try {
        p.child_port = atoi_go(parts[child_port]);
    } catch (const std::exception& e) {
        fail("unexpected ParentPort in PortSpec string: " + go_quote(s) + ": " + e.what()); // sic
    }
    return p;
}

void validate_port_spec(const PortSpec& spec, const std::map<int, PortStatus>& existing) {
    if (!valid_proto(spec.proto))
        fail("unknown proto: " + go_quote(spec.proto));
    if (!spec.parent_ip.empty() && !valid_ip(spec.parent_ip))
        fail("invalid ParentIP: " + go_quote(spec.parent_ip));
    if (!spec.child_ip.empty() && !valid_ip(spec.child_ip))
        fail("invalid ChildIP: " + go_quote(spec.child_ip));
    if (spec.parent_port <= 0 || spec.parent_port > 65535)
        fail("invalid ParentPort: " + go_quote_rune(spec.parent_port));
    if (spec.child_port <= 0 || spec.child_port > 65535)
        fail("invalid ChildPort: " + go_quote_rune(spec.child_port));
    for (const auto& [id, st] : existing)
        if (st.spec.proto == spec.proto && st.spec.parent_ip == spec.parent_ip &&
            st.spec.parent_port == spec.parent_port)
            fail("conflict with ID " + std::to_string(id));
}

std::string go_value(const PortSpec& p) {
    return "{" + p.proto + " " + p.parent_ip + " " + std::to_string(p.parent_port) + " " +
           std::to_string(p.child_port) + " " + p.child_ip + "}";
}

nlohmann::ordered_json to_json(const PortSpec& p) {
    nlohmann::ordered_json j = nlohmann::ordered_json::object();
    if (!p.proto.empty())
        j["proto"] = p.proto;
    if (!p.parent_ip.empty())
        j["parentIP"] = p.parent_ip;
    if (p.parent_port != 0)
        j["parentPort"] = p.parent_port;
    if (p.child_port != 0)
        j["childPort"] = p.child_port;
    if (!p.child_ip.empty())
        j["childIP"] = p.child_ip;
    return j;
}

nlohmann::ordered_json to_json(const PortStatus& st) {
    nlohmann::ordered_json j;
    j["id"] = st.id;
    j["spec"] = to_json(st.spec);
    return j;
}

PortSpec spec_from_json(const std::string& body) {
    if (body.find_first_not_of(" \t\r\n") == std::string::npos)
        fail("EOF");
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(body);
    } catch (const std::exception&) {
        fail("invalid character in JSON input");
    }
    if (!j.is_object())
        fail("json: cannot unmarshal " + json_type(j) + " into Go value of type port.Spec");
    PortSpec p;
    auto lower = [](std::string s) {
        for (char& c : s)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return s;
    };
    for (auto it = j.begin(); it != j.end(); ++it) {
        std::string k = lower(it.key());
        const nlohmann::json& v = it.value();
        if (v.is_null())
            continue;
        bool is_str = k == "proto" || k == "parentip" || k == "childip";
        bool is_int = k == "parentport" || k == "childport";
        if (!is_str && !is_int)
            continue;
        std::string field = k == "proto"        ? "proto"
                            : k == "parentip"   ? "parentIP"
                            : k == "childip"    ? "childIP"
                            : k == "parentport" ? "parentPort"
                                                : "childPort";
        if (is_str) {
            if (!v.is_string())
                fail("json: cannot unmarshal " + json_type(v) + " into Go struct field Spec." +
                     field + " of type string");
            (k == "proto"      ? p.proto
             : k == "parentip" ? p.parent_ip
                               : p.child_ip) = v.get<std::string>();
        } else {
            if (!v.is_number_integer())
                fail("json: cannot unmarshal " +
                     (v.is_number() ? "number " + v.dump() : json_type(v)) +
                     " into Go struct field Spec." + field + " of type int");
            (k == "parentport" ? p.parent_port : p.child_port) = v.get<long long>();
        }
    }
    return p;
}

} // namespace rlk::port
