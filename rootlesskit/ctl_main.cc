// SPDX-License-Identifier: Apache-2.0
// ctl_main.cc — rootlessctl entry point
#include "rootlesskit/ctl.h"

int main(int argc, char** argv) {
    return rlk::ctl::main(argc, argv);
}
