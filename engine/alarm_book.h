// AlarmBook owns the hall's seven kinds of alarm: below the minimum of open
// windows, a service's wait over its target, its queue growing, people
// waiting for a service no open window serves, a window's handling over
// target, a window that lost its counter, an open window idle while people it
// serves wait. It raises and clears
// each with an event, keeps which are raised for the snapshot and the view,
// and builds every alarm message there is.
//
//   AlarmBook alarms(rules);
//   alarms.Set(Alarm::KIND_WAIT_OVER_TARGET, service, over, rules, board,
//              &log, now, &out);  // An event only when it changes.
//   alarms.CheckWaits(rules, queue, board, &log, now, &out);  // On a tick.
//   if (alarms.window_lost(w)) ...
#ifndef QCALL_ENGINE_ALARM_BOOK_H_
#define QCALL_ENGINE_ALARM_BOOK_H_

#include <cstdint>
#include <string>
#include <vector>

#include "engine/hall_rules.h"
#include "engine/outcome.h"
#include "engine/ticket_queue.h"
#include "engine/window_board.h"
#include "qcall/v1/engine.pb.h"

namespace qcall {

class AlarmBook {
 public:
  using Alarm = v1::HallEvent::Alarm;

  explicit AlarmBook(const HallRules& rules);

  // Whether the alarm of `kind` is raised; `index` is the service of a
  // service's alarm, the window of a window's, ignored for the hall's.
  bool raised(Alarm::Kind kind, int index) const;
  bool window_lost(int w) const { return windows_[w].lost; }

  // Raises or clears it, with an event when that changes it; returns
  // whether it did.
  bool Set(Alarm::Kind kind, int index, bool raised, const HallRules& rules,
           const WindowBoard& board, EventLog* log, int64_t now, Outcome* out);
  // The minimum-open rule's alarm, in step with the board.
  void UpdateBelowMin(bool business_hours, const HallRules& rules,
                      const WindowBoard& board, EventLog* log, int64_t now,
                      Outcome* out) {
    Set(Alarm::KIND_BELOW_MIN_OPEN, -1, board.BelowMinimum(business_hours),
        rules, board, log, now, out);
  }
  // The rules that raise and clear the alarms of targets and load, each
  // with its event.
  // Window `w` has served its customer longer than the service's target.
  void CheckHandling(int w, const HallRules& rules, const TicketQueue& queue,
                     const WindowBoard& board, EventLog* log, int64_t now,
                     Outcome* out);
  // Someone of a service waits longer than its target.
  void CheckWaits(const HallRules& rules, const TicketQueue& queue,
                  const WindowBoard& board, EventLog* log, int64_t now,
                  Outcome* out);
  // A service's line grows: the offered `load` (arrivals x handling) is at
  // or above the `capacity` the open windows give it, in windows, and people
  // queue beyond them. On `steady` ticks (Command.Tick.steady_advice) an
  // alarm cleared is not raised again for kGrowingQuietMs: a line that
  // empties for a moment at a busy time is still the same alarm. Nor is it
  // raised while `advised` (the staffing advice opens a window for the
  // service, and says so already); one raised before stays until it clears.
  static constexpr int64_t kGrowingQuietMs = 15 * 60 * 1000;
  void CheckGrowing(int service, double load, double capacity, int32_t waiting,
                    bool steady, bool advised, const HallRules& rules,
                    const WindowBoard& board, EventLog* log, int64_t now,
                    Outcome* out);
  // People wait for a service that no open window serves (raised and cleared
  // on a tick; a window that opens for it clears it at once), and an open
  // window has called nobody for the policy's idle time while people it
  // serves wait (cleared when it calls, at AssignTicket's ClearIdle).
  void CheckServed(const HallRules& rules, const TicketQueue& queue,
                   const WindowBoard& board, EventLog* log, int64_t now,
                   Outcome* out);
  // A window that opened or resumed: its services are served again.
  void WindowOpened(int w, const HallRules& rules, const WindowBoard& board,
                    EventLog* log, int64_t now, Outcome* out);
  // A new day clears the services' alarms and the lost windows'.
  void StartDay(const HallRules& rules, const WindowBoard& board, EventLog* log,
                int64_t now, Outcome* out);
  // The end of a lost window's alarm when a new configuration removed the
  // window (numbered `number`; the rules no longer know it).
  static void EmitWindowRemoved(int32_t number, EventLog* log, int64_t now,
                                Outcome* out);

  void Save(v1::HallState* state) const;
  // After the services and windows of `state` were checked against the
  // config.
  void Restore(const v1::HallState& state);
  // Every raised alarm.
  void AddViews(const HallRules& rules, const WindowBoard& board,
                v1::HallView* view) const;

 private:
  struct ServiceAlarms {
    bool wait = false;
    bool growing = false;
    int64_t growing_cleared_at_ms = 0;
    bool no_window = false;
  };
  struct WindowAlarms {
    bool handling = false;
    bool lost = false;
    bool idle = false;
  };

  bool* flag(Alarm::Kind kind, int index);
  // An alarm of the hall as it is, with its message.
  static void Fill(Alarm::Kind kind, bool raised, const HallRules& rules,
                   const WindowBoard& board, int index, Alarm* alarm);
  // Every alarm, in an event or a view, is built here.
  static void Build(Alarm::Kind kind, bool raised,
                    const std::string* service_code, int32_t window_number,
                    std::string message, Alarm* alarm);

  bool below_min_ = false;
  std::vector<ServiceAlarms> services_;
  std::vector<WindowAlarms> windows_;
};

}  // namespace qcall

#endif  // QCALL_ENGINE_ALARM_BOOK_H_
