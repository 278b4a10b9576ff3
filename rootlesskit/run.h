// SPDX-License-Identifier: Apache-2.0
// run.h — rootlesskit's top level: parse, print help/version, dispatch to parent or child
#pragma once

namespace rlk {

/// The whole program; returns the process exit code (§1.3). Never throws.
int main(int argc, char** argv);

} // namespace rlk
