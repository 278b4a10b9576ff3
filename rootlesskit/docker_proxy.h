// SPDX-License-Identifier: Apache-2.0
// docker_proxy.h — rootlesskit-docker-proxy: docker-proxy's CLI, ports through the RootlessKit API
#pragma once

#include <string>
#include <vector>

namespace rlk::docker_proxy {

struct Args {
    std::string container_ip;
    long long container_port = -1;
    std::string host_ip;
    long long host_port = -1;
    std::string proto = "tcp";
    bool help = false;
};

/// Go `flag` parsing of -container-ip -container-port -host-ip -host-port -proto (one or two
/// dashes, `-x=v` or `-x v`). Throws std::invalid_argument with Go's message.
Args parse_args(const std::vector<std::string>& argv);

/// The API proto for docker's: "tcp" becomes "tcp4"/"tcp6" by the host IP's family.
std::string api_proto(const std::string& proto, const std::string& host_ip);

/// The POST /v1/ports body: {"proto","parentIP","parentPort","childPort","childIP"}.
std::string port_request(const Args& a, const std::string& proto, const std::string& child_ip,
                         long long child_port);

/// The whole program (fd 3 = docker's signal-parent pipe); returns the exit code.
int main(int argc, char** argv);

} // namespace rlk::docker_proxy
