// SPDX-License-Identifier: Apache-2.0
// docker_proxy_main.cc — rootlesskit-docker-proxy entry point
#include "rootlesskit/docker_proxy.h"

int main(int argc, char** argv) {
    return rlk::docker_proxy::main(argc, argv);
}
