// WindowBoard owns the hall's windows: each one's state, clerk, reason, the
// ticket it holds and its priority streak; the counts derived from them (open
// windows, and per service the open and idle windows that serve it); the
// minimum-open rule and the standby clerks who step in for a lost window.
//
//   WindowBoard board(rules);
//   ASSIGN_OR_RETURN(const int w, board.Find(rules, c.window()));
//   RETURN_IF_ERROR(board.CheckMinimumKept(rules, w, c.override(),
//                                          c.has_override(), business_hours,
//                                          "closing"));
//   board.SetState(rules, w, v1::WINDOW_STATE_CLOSED, now);
#ifndef QCALL_ENGINE_WINDOW_BOARD_H_
#define QCALL_ENGINE_WINDOW_BOARD_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/hall_rules.h"
#include "engine/ticket_queue.h"
#include "qcall/v1/engine.pb.h"

namespace qcall {

inline bool CountsAsOpen(v1::WindowState state) {
  return state == v1::WINDOW_STATE_IDLE || state == v1::WINDOW_STATE_CALLING ||
         state == v1::WINDOW_STATE_SERVING;
}

struct WindowSlot {
  // Changed only through WindowBoard::SetState, which keeps the counts.
  v1::WindowState state = v1::WINDOW_STATE_CLOSED;
  std::string clerk;
  std::string reason;
  uint32_t ticket = kNoTicket;
  int64_t since_ms = 0;
  int priority_streak = 0;
  // Opened by the engine with a standby clerk, until a clerk opens or
  // closes it.
  bool standby = false;
};

class WindowBoard {
 public:
  explicit WindowBoard(const HallRules& rules);

  size_t size() const { return windows_.size(); }
  const WindowSlot& window(int w) const { return windows_[w]; }
  WindowSlot& mutable_window(int w) { return windows_[w]; }
  // The window numbered `number`, or NOT_FOUND.
  absl::StatusOr<int> Find(const HallRules& rules, int32_t number) const;
  // The window the clerk is at (open or paused), or -1.
  int ClerkWindow(absl::string_view clerk) const;

  void SetState(const HallRules& rules, int w, v1::WindowState state,
                int64_t now);

  int open_windows() const { return open_windows_; }
  int open_windows(int service) const { return services_[service].open; }
  int idle_windows(int service) const { return services_[service].idle; }
  // This service's part of the open windows now, in thousandths. A shared
  // window splits its time among the services that have someone waiting.
  int64_t OpenShareNow(const HallRules& rules, const TicketQueue& queue,
                       int service) const;

  // The minimum-open rule.
  int min_open_windows() const { return min_open_windows_; }
  void set_min_open_windows(int n) { min_open_windows_ = n; }
  bool BelowMinimum(bool business_hours) const {
    return business_hours && open_windows_ < min_open_windows_;
  }
  // Closing or pausing window `w` may not take the hall below its minimum
  // during business hours without a supervisor's override.
  absl::Status CheckMinimumKept(const HallRules& rules, int w,
                                const v1::Override& override, bool has_override,
                                bool business_hours,
                                absl::string_view action) const;
  // A closed window a free standby clerk may take over for `lost_window`,
  // with that clerk; -1 where there is none. `lost(w)` says whether window w
  // lost its counter too.
  template <typename Lost>
  int StandbyWindow(const HallRules& rules, int lost_window, const Lost& lost,
                    std::string* clerk) const;
  // A standby clerk of window `w` at no window now and not in `taken`, the
  // first configured; "" where there is none.
  std::string FreeStandbyClerk(
      const HallRules& rules, int w,
      const std::vector<std::string>& taken = {}) const;

  // The ticket each window holds (kNoTicket: none), by window.
  std::vector<uint32_t> HeldTickets() const;
  void SetHeldTickets(const std::vector<uint32_t>& tickets);

  // Window records (without alarms and direct lanes) into `state`; the
  // reverse for window `w`, checked first against the config and the
  // tickets restored already: DATA_LOSS saying what does not hold.
  void Save(const HallRules& rules, v1::HallState* state) const;
  absl::Status Restore(const HallRules& rules, int w,
                       const v1::HallState::WindowRecord& r,
                       const TicketQueue& queue);
  void AddViews(const HallRules& rules, const TicketQueue& queue,
                v1::HallView* view) const;

 private:
  struct ServiceCounts {
    int open = 0;
    int idle = 0;
  };

  std::vector<WindowSlot> windows_;
  std::vector<ServiceCounts> services_;
  int open_windows_ = 0;
  int min_open_windows_ = 0;
};

template <typename Lost>
int WindowBoard::StandbyWindow(const HallRules& rules, int lost_window,
                               const Lost& lost, std::string* clerk) const {
  for (const v1::StandbyClerk& standby : rules.config().standby_clerks()) {
    if (ClerkWindow(standby.clerk_id()) >= 0) continue;
    for (int32_t number : standby.windows()) {
      const int w = *rules.FindWindow(number);
      if (w == lost_window || lost(w) ||
          windows_[w].state != v1::WINDOW_STATE_CLOSED) {
        continue;
      }
      *clerk = standby.clerk_id();
      return w;
    }
  }
  return -1;
}

}  // namespace qcall

#endif  // QCALL_ENGINE_WINDOW_BOARD_H_
