// SPDX-License-Identifier: Apache-2.0
// main.cc — rootlesskit entry point: parent, child or helper, chosen from the environment
#include "rootlesskit/run.h"

int main(int argc, char** argv) {
    return rlk::main(argc, argv);
}
