// SPDX-License-Identifier: Apache-2.0
// help.cc — the `rootlesskit --help` text, laid out as urfave/cli + text/tabwriter print it

#include "rootlesskit/cli.h"

#include <algorithm>
#include <map>

namespace rlk {
namespace {

struct HelpFlag {
    const char* category;
    std::string names; ///< "--net value", "--publish value, -p value", "--pidns"
    std::string usage; ///< usage plus " (default: …)" where urfave/cli prints one
};

// clang-format off
const char* const description =
    "RootlessKit is a Linux-native implementation of \"fake root\" using user_namespaces(7).\n"
    "\n"
    "Web site: https://github.com/rootless-containers/rootlesskit\n"
    "\n"
    "Examples:\n"
    "  # spawn a shell with a new user namespace and a mount namespace\n"
    "  rootlesskit bash\n"
    "\n"
    "  # make /etc writable\n"
    "  rootlesskit --copy-up=/etc bash\n"
    "\n"
    "  # set mount propagation to rslave\n"
    "  rootlesskit --propagation=rslave bash\n"
    "\n"
    "  # create a network namespace with slirp4netns, and expose 80/tcp on the namespace as 8080/tcp on the host\n"
    "  rootlesskit --copy-up=/etc --net=slirp4netns --disable-host-loopback --port-driver=builtin -p 127.0.0.1:8080:80/tcp bash\n"
    "\n"
    "Note: RootlessKit requires /etc/subuid and /etc/subgid to be configured by the real root user.\n"
    "See https://rootlesscontaine.rs/getting-started/common/ .";
// clang-format on

std::string str_default(const std::string& v) {
    return v.empty() ? "" : " (default: \"" + v + "\")";
}

std::vector<HelpFlag> help_flags(const std::string& lxc) {
    const std::string f = " (default: false)";
    const std::string t = " (default: true)";
    // Declaration order of upstream's app.Flags in cmd/rootlesskit/main.go of RootlessKit v3.0.1;
    // help and version are appended to Misc. Where upstream's usage lists values, ours lists the
    // values this build takes (--copy-up-mode overlayfs, docs/compat/rootlesskit.md §6.5).
    // clang-format off
    return {
        {"Misc", "--debug", "debug mode" + f},
        {"Misc", "--print-semver value", "print a version component as a decimal integer [major, minor, patch]"},
        {"State", "--state-dir value", "state directory"},
        {"Network", "--net value", "network driver [host, none, pasta(experimental), slirp4netns, vpnkit, lxc-user-nic(experimental), gvisor-tap-vsock(experimental)]" + str_default("host")},
        {"Network [pasta]", "--pasta-binary value", "path of pasta binary for --net=pasta" + str_default("pasta")},
        {"Network [slirp4netns]", "--slirp4netns-binary value", "path of slirp4netns binary for --net=slirp4netns" + str_default("slirp4netns")},
        {"Network [slirp4netns]", "--slirp4netns-sandbox value", "enable slirp4netns sandbox (experimental) [auto, true, false] (the default is planned to be \"auto\" in future)" + str_default("false")},
        {"Network [slirp4netns]", "--slirp4netns-seccomp value", "enable slirp4netns seccomp (experimental) [auto, true, false] (the default is planned to be \"auto\" in future)" + str_default("false")},
        {"Network [vpnkit]", "--vpnkit-binary value", "path of VPNKit binary for --net=vpnkit" + str_default("vpnkit")},
        {"Network [lxc-user-nic]", "--lxc-user-nic-binary value", "path of lxc-user-nic binary for --net=lxc-user-nic" + str_default(lxc)},
        {"Network [lxc-user-nic]", "--lxc-user-nic-bridge value", "lxc-user-nic bridge name" + str_default("lxcbr0")},
        {"Network", "--mtu value", "MTU for non-host network (default: 65520 for pasta and slirp4netns, 1500 for others) (default: 0)"},
        {"Network", "--cidr value", "CIDR for pasta, slirp4netns and gvisor-tap-vsock networks (default: 10.0.2.0/24)"},
        {"Network", "--ifname value", "Network interface name (default: tap0 for pasta, slirp4netns, and vpnkit; eth0 for lxc-user-nic)"},
        {"Network", "--disable-host-loopback", "prohibit connecting to 127.0.0.1:* on the host namespace" + f},
        {"Network", "--ipv6", "enable IPv6 routing. Unrelated to port forwarding. Only supported for pasta and slirp4netns. (experimental)" + f},
        {"Mount", "--copy-up value", "mount a filesystem and copy-up the contents. e.g. \"--copy-up=/etc\" (typically required for non-host network)"},
        {"Mount", "--copy-up-mode value", "copy-up mode [tmpfs+symlink, overlayfs]" + str_default("tmpfs+symlink")},
        {"Port", "--port-driver value", "port driver for non-host network. [none, implicit (for pasta), builtin, slirp4netns, gvisor-tap-vsock]" + str_default("none")},
        {"Port", "--publish value, -p value", "publish ports. e.g. \"127.0.0.1:8080:80/tcp\""},
        {"Port", "--source-ip-transparent", "enable source IP transparency for the builtin port driver (TCP and UDP)" + t},
        {"Process", "--pidns", "create a PID namespace" + f},
        {"Process", "--cgroupns", "create a cgroup namespace" + f},
        {"Process", "--utsns", "create a UTS namespace" + f},
        {"Process", "--ipcns", "create an IPC namespace" + f},
        {"Network", "--detach-netns", "detach network namespaces " + f},
        {"Mount", "--propagation value", "mount propagation [rprivate, rslave]" + str_default("rprivate")},
        {"Process", "--reaper value", "enable process reaper. Requires --pidns. [auto,true,false]" + str_default("auto")},
        {"Process", "--evacuate-cgroup2 value", "evacuate processes into the specified subgroup. Requires --pidns and --cgroupns"},
        {"SubID", "--subid-source value", "the source of the subids. \"dynamic\" executes /usr/bin/getsubids. \"static\" reads /etc/{subuid,subgid}. [auto,dynamic,static]" + str_default("auto")},
        {"Misc", "--help, -h", "show help" + f},
        {"Misc", "--version, -v", "print the version" + f},
    };
    // clang-format on
}

} // namespace

std::string help_text(const std::string& lxc_user_nic_default) {
    std::string out = "NAME:\n   rootlesskit - Linux-native fakeroot using user namespaces\n\n"
                      "USAGE:\n   rootlesskit [global options] [arguments...]\n\n"
                      "VERSION:\n   " +
                      std::string(version) + "\n\nDESCRIPTION:\n   ";
    for (const char* p = description; *p; ++p) {
        out += *p;
        if (*p == '\n')
            out += "   "; // nindent 3 indents blank lines too
    }
    out += "\n\nOPTIONS:\n";

    std::vector<HelpFlag> fl = help_flags(lxc_user_nic_default);
    std::map<std::string, std::vector<const HelpFlag*>> by_cat; // sorted by name, as upstream
    size_t width = 0;
    for (const HelpFlag& h : fl) {
        by_cat[h.category].push_back(&h);
        width = std::max(width, 4 + h.names.size());
        width = std::max(width, 2 + std::string(h.category).size() + 1);
    }
    width += 2; // tabwriter padding
    auto pad = [width](std::string s) {
        s.resize(std::max(width, s.size()), ' ');
        return s;
    };
    for (const auto& [cat, list] : by_cat) {
        out += pad("  " + cat + ":") + "\n";
        for (const HelpFlag* h : list)
            out += pad("    " + h->names) + h->usage + "\n";
        out += pad("") + "\n";
    }
    return out;
}

} // namespace rlk
