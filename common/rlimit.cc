// SPDX-License-Identifier: Apache-2.0
// rlimit.cc — raising the soft fd limit
#include "common/rlimit.h"

#include <algorithm>
#include <sys/resource.h>

namespace common {

size_t raise_nofile(size_t cap) noexcept {
    rlimit rl{};
    if (::getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return std::min<size_t>(1024, cap);
    if (rl.rlim_cur < rl.rlim_max) {
        rlimit raised = rl;
        raised.rlim_cur = rl.rlim_max;
        if (::setrlimit(RLIMIT_NOFILE, &raised) == 0)
            rl = raised;
    }
    return static_cast<size_t>(std::min<rlim_t>(rl.rlim_cur, cap));
}

} // namespace common
