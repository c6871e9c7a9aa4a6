// RecentCalls keeps the day's last ten calls and recalls, newest first, for
// the boards' "recent calls" list. It lives in the snapshot, so a board that
// reloads (or a qcalld that restarts) lists them again instead of only the
// tickets windows hold now.
//
//   RecentCalls recent;
//   recent.Add(event.ticket_called(), event.at_unix_ms());
//   recent.AddViews(&view);   // view.recent_calls, newest first.
#ifndef QCALL_ENGINE_RECENT_CALLS_H_
#define QCALL_ENGINE_RECENT_CALLS_H_

#include <cstddef>
#include <cstdint>
#include <deque>

#include "absl/status/status.h"
#include "qcall/v1/engine.pb.h"

namespace qcall {

class RecentCalls {
 public:
  static constexpr size_t kKept = 10;

  // A ticket called again moves to the top: a board lists each number once.
  void Add(const v1::HallEvent::TicketCalled& called, int64_t at_ms);
  // A new business day starts with an empty list.
  void Clear() { calls_.clear(); }

  void Save(v1::HallState* state) const;
  absl::Status Restore(const v1::HallState& state);
  void AddViews(v1::HallView* view) const;

 private:
  std::deque<v1::RecentCall> calls_;  // Newest first.
};

}  // namespace qcall

#endif  // QCALL_ENGINE_RECENT_CALLS_H_
