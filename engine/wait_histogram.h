// WaitHistogram counts a lane's waiting tickets by the minute their wait
// began, so "how many here have waited longer than d" takes O(log minutes)
// instead of a walk down the lane. A Fenwick tree over minutes of the
// business day; its memory is taken on first use, so empty lanes cost none.
//
//   WaitHistogram waits;
//   waits.Reset(day_origin_ms);
//   waits.Add(ticket_wait_since_ms, +1);
//   int64_t older = waits.CountBefore(now_ms - boost_gap_ms);
#ifndef QCALL_ENGINE_WAIT_HISTOGRAM_H_
#define QCALL_ENGINE_WAIT_HISTOGRAM_H_

#include <cstdint>
#include <vector>

namespace qcall {

class WaitHistogram {
 public:
  // Minutes covered from the origin: a business day of up to 25 hours plus
  // margin on both sides. Times outside are counted in the edge minutes.
  static constexpr int kMinutes = 2048;

  // Empties the histogram and counts minutes from `origin_ms`.
  void Reset(int64_t origin_ms);
  void Add(int64_t wait_since_ms, int delta);
  // Tickets whose wait began in a minute before the minute of `ms`.
  int64_t CountBefore(int64_t ms) const;

 private:
  int Minute(int64_t ms) const;

  int64_t origin_ms_ = 0;
  std::vector<int32_t> tree_;  // 1-based Fenwick tree, empty until used.
};

}  // namespace qcall

#endif  // QCALL_ENGINE_WAIT_HISTOGRAM_H_
