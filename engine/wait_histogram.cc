#include "engine/wait_histogram.h"

#include <algorithm>

namespace qcall {

void WaitHistogram::Reset(int64_t origin_ms) {
  origin_ms_ = origin_ms;
  tree_.clear();
}

int WaitHistogram::Minute(int64_t ms) const {
  const int64_t minute = (ms - origin_ms_) / 60'000;
  return static_cast<int>(std::clamp<int64_t>(minute, 0, kMinutes - 1));
}

void WaitHistogram::Add(int64_t wait_since_ms, int delta) {
  if (tree_.empty()) tree_.assign(kMinutes + 1, 0);
  for (int i = Minute(wait_since_ms) + 1; i <= kMinutes; i += i & -i) {
    tree_[i] += delta;
  }
}

int64_t WaitHistogram::CountBefore(int64_t ms) const {
  if (tree_.empty()) return 0;
  int64_t count = 0;
  for (int i = Minute(ms); i > 0; i -= i & -i) count += tree_[i];
  return count;
}

}  // namespace qcall
