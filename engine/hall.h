// Hall is one service hall's state machine: numbering, lanes of waiting
// tickets, windows and the minimum-open rule, dispatch, alarms and estimates.
// It is pure: time comes in as a parameter and nothing here reads a clock,
// touches a disk or a socket, or starts a thread. One thread at a time.
//
//   absl::TimeZone tz;
//   absl::LoadTimeZone(config.time_zone(), &tz);
//   ASSIGN_OR_RETURN(Hall hall, Hall::Create(config, tz));
//   Hall::Outcome out;
//   v1::Command command;
//   command.mutable_issue_ticket()->set_service_code("BILL");
//   absl::Status status = hall.Apply(command, now, &out);
//   // out.result().ticket().number() == "A001"; out.events() holds
//   TicketIssued.
//
// The contract of Apply:
// - OK: the command took effect; `out->events` lists every change, each with
//   the next sequence number.
// - An error status: the command changed nothing, and the message says what a
//   clerk or kiosk can do about it.
// - Either way, if `now` falls in a new business day the day is started first
//   (DayStarted and any alarms cleared with it are in `out->events`): the new
//   day began because time passed, not because of the command.
// Hence a journal stores exactly the commands whose outcome has events, and
// replaying them with their times reproduces every event and the snapshot.
#ifndef QCALL_ENGINE_HALL_H_
#define QCALL_ENGINE_HALL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "engine/business_calendar.h"
#include "engine/hall_rules.h"
#include "engine/handling_fit.h"
#include "engine/outcome.h"
#include "engine/staffing.h"
#include "engine/wait_histogram.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "qcall/v1/engine.pb.h"
#include "qcall/v1/hall_config.pb.h"

namespace qcall {

class Hall {
 public:
  // What one command produced (engine/outcome.h), valid until the Outcome
  // is used again. Reuse one Outcome across calls: its messages and strings
  // keep their memory, so the hot path allocates nothing but an estimate's
  // replay (a few small vectors, when at most 100 people are ahead) and,
  // where clerks follow the staffing advice and a window serving the ticket
  // is closed, the staffing plan the replay asks which window opens next.
  using Outcome = ::qcall::Outcome;

  // `tz` must be the zone named by config.time_zone().
  static absl::StatusOr<Hall> Create(const v1::HallConfig& config,
                                     absl::TimeZone tz);
  // Continues exactly where the hall that wrote `state` stopped.
  static absl::StatusOr<Hall> Restore(const v1::HallState& state,
                                      absl::TimeZone tz);

  absl::Status Apply(const v1::Command& command, absl::Time now, Outcome* out);

  // The whole state; serialized deterministically it is byte-identical for
  // halls that saw the same commands at the same times.
  v1::HallState Snapshot() const;
  // Windows, lanes, waits and alarms for a dashboard.
  v1::HallView View(absl::Time now) const;
  // A ticket of today ("A012") with its place and estimated wait.
  absl::StatusOr<v1::CommandResult> TicketStatus(absl::string_view ticket,
                                                 absl::Time now) const;

  const HallRules& rules() const { return rules_; }
  uint64_t last_seq() const { return log_.last_seq(); }
  int32_t business_day() const { return business_day_; }
  int open_windows() const { return open_windows_; }
  int min_open_windows() const { return min_open_windows_; }
  // Tickets the hall holds: today's, and yesterday's still at a window.
  size_t ticket_count() const { return tickets_.size(); }

 private:
  static constexpr uint32_t kNone = UINT32_MAX;

  struct TicketSlot {
    int64_t issued_at_ms = 0;
    // Waiting time counts from here: issue, or the booked slot.
    int64_t wait_since_ms = 0;
    int64_t state_since_ms = 0;
    int64_t appointment_s = 0;
    uint32_t prev = kNone;  // Links within its lane while waiting.
    uint32_t next = kNone;
    uint32_t lane = kNone;
    uint32_t number = 0;
    int32_t business_day = 0;
    uint16_t service = 0;  // Numbering service, the prefix in "A012".
    uint16_t queue_service = 0;
    int16_t window = -1;  // Index of the window holding or last holding it.
    uint8_t category_slot = 0;
    uint8_t state = v1::TICKET_STATE_WAITING;
    uint8_t recalls = 0;
    uint8_t requeues = 0;
  };

  // A FIFO of waiting tickets linked through TicketSlot::prev/next, so
  // removal from the middle is O(1).
  struct Lane {
    uint32_t head = kNone;
    uint32_t tail = kNone;
    uint32_t size = 0;
    WaitHistogram waits;  // Service lanes only.
  };

  struct WindowSlot {
    v1::WindowState state = v1::WINDOW_STATE_CLOSED;
    std::string clerk;
    std::string reason;
    uint32_t ticket = kNone;
    int64_t since_ms = 0;
    int priority_streak = 0;
    bool handling_alarm = false;
    bool lost = false;
  };

  struct ServiceSlot {
    int64_t mean_handling_ms = 0;
    // Today's completed customers and their handling time.
    int64_t handled_today = 0;
    int64_t handling_total_ms = 0;
    double handling_square_total_s2 = 0;
    // Today's handling times as a distribution: what a customer already
    // served for a while still needs. Derived from the figures above.
    HandlingFit handling_fit;
    int64_t transferred_in_today = 0;
    bool wait_alarm = false;
    bool growing_alarm = false;
    std::vector<uint32_t> ticket_by_number;  // Today's, at number - 1.
    // Tickets in the service's lanes, kept in step by CountWaiting.
    int32_t waiting = 0;
    // `waiting` before the command being applied, once the command changed
    // it (see NoteWaitingChange); -1 otherwise.
    int32_t waiting_before = -1;
    // Derived from the windows, kept in step by SetWindowState.
    int64_t open_share_permille = 0;
    int32_t idle_windows = 0;
    int32_t open_windows = 0;
  };

  Hall(HallRules rules, absl::TimeZone tz);

  // Commands. Each validates everything before it changes anything.
  absl::Status IssueTicket(const v1::Command::IssueTicket& c, int64_t now,
                           Outcome* out);
  absl::Status OpenWindow(const v1::Command::OpenWindow& c, int64_t now,
                          Outcome* out);
  absl::Status CloseWindow(const v1::Command::CloseWindow& c, int64_t now,
                           Outcome* out);
  absl::Status PauseWindow(const v1::Command::PauseWindow& c, int64_t now,
                           Outcome* out);
  absl::Status ResumeWindow(const v1::Command::ResumeWindow& c, int64_t now,
                            Outcome* out);
  absl::Status CallNext(const v1::Command::CallNext& c, int64_t now,
                        Outcome* out);
  absl::Status CallTicket(const v1::Command::CallTicket& c, int64_t now,
                          Outcome* out);
  absl::Status Recall(const v1::Command::Recall& c, int64_t now, Outcome* out);
  absl::Status StartServing(const v1::Command::StartServing& c, int64_t now,
                            Outcome* out);
  absl::Status Complete(const v1::Command::Complete& c, int64_t now,
                        Outcome* out);
  absl::Status NoShow(const v1::Command::NoShow& c, int64_t now, Outcome* out);
  absl::Status Requeue(const v1::Command::Requeue& c, int64_t now,
                       Outcome* out);
  absl::Status Transfer(const v1::Command::Transfer& c, int64_t now,
                        Outcome* out);
  absl::Status CancelTicket(const v1::Command::CancelTicket& c, int64_t now,
                            Outcome* out);
  absl::Status VoidTicket(const v1::Command::VoidTicket& c, int64_t now,
                          Outcome* out);
  absl::Status SetMinOpenWindows(const v1::Command::SetMinOpenWindows& c,
                                 int64_t now, Outcome* out);
  absl::Status Configure(const v1::Command::Configure& c, int64_t now,
                         Outcome* out);
  absl::Status WindowLost(const v1::Command::WindowLost& c, int64_t now,
                          Outcome* out);
  void Tick(int64_t now, Outcome* out);
  absl::Status ApplyCommand(const v1::Command& command, int64_t now,
                            Outcome* out);
  // Remembers service `s`'s waiting count before the command changes it.
  void NoteWaitingChange(int s);
  // Puts the waiting counts the command changed on its last event (every
  // count when `all`), and forgets the changes.
  void AttachWaitingCounts(bool all, Outcome* out);

  // Day and time.
  void StartDayIfDue(int64_t now, Outcome* out);
  // Times inside the engine are ms since the epoch; absl::Time stays at the
  // public surface. (Flooring to the ms never crosses a calendar boundary:
  // those fall on whole minutes.)
  bool BusinessHours(int64_t now) const {
    return calendar_.IsOpen(absl::FromUnixMillis(now));
  }

  // The staffing plan for `arrivals` (ArrivalsPerSecond, which a tick
  // already has) and the hall as it is now.
  // A walk-in of service `also_waiting` not issued yet counts as waiting.
  StaffingPlan PlanStaffingAt(int64_t now, const std::vector<double>& arrivals,
                              int also_waiting = -1) const;
  // Where clerks follow the advice to open a window (today at least two
  // such advices and at least half of them were followed), the window the
  // advice names now and when it will be open: after the day's mean delay
  // from the advice.
  struct Opening {
    int window = -1;
    int64_t at_ms = 0;
  };
  // For a ticket of `service` (`walk_in`: not issued yet, so the plan
  // counts one more waiting); only a window that serves it.
  std::optional<Opening> ExpectedOpening(int64_t now,
                                         const std::vector<double>& arrivals,
                                         int service, bool walk_in) const;
  // An advice to open a window counts as followed when that window opens
  // (or resumes) within this long; later it was not.
  static constexpr int64_t kAdviceAnswerMs = 15 * 60 * 1000;
  void NoteWindowOpened(int number, int64_t now);
  // Customers joining each service per second: issues over the last 30
  // minutes (the day so far, at least 5 minutes) plus transfers in. Those
  // alone go to `transferred_in` when it is given. The next ticket of
  // service `also_issued` counts as issued already.
  std::vector<double> ArrivalsPerSecond(
      int64_t now, std::vector<double>* transferred_in = nullptr,
      int also_issued = -1) const;
  // On a tick: queue-growing alarms, and the staffing advice when it changes.
  void CheckLoad(int64_t now, Outcome* out);

  // Lookups that turn untrusted input into a precise error.
  absl::StatusOr<int> FindWindow(int32_t number) const;
  absl::StatusOr<uint32_t> FindTicket(absl::string_view ticket) const;
  absl::Status CheckMinimumKept(int window, const v1::Override& override,
                                bool has_override, int64_t now,
                                absl::string_view action) const;

  // Lanes.
  uint32_t ServiceLane(int service, int category_slot) const {
    return static_cast<uint32_t>(service * kCategoryCount + category_slot);
  }
  uint32_t DirectLane(int window) const {
    return static_cast<uint32_t>(rules_.services().size() * kCategoryCount +
                                 window);
  }
  void PushBack(uint32_t lane, uint32_t id);
  void PushFront(uint32_t lane, uint32_t id);
  void InsertAfter(uint32_t lane, uint32_t after, uint32_t id);
  // Inserts behind the last ticket whose `key` is not later than id's.
  void InsertSorted(uint32_t lane, uint32_t id, int64_t TicketSlot::*key);
  void InsertAtOffset(uint32_t lane, uint32_t id, int offset);
  void Unlink(uint32_t id);
  // Keeps the lane's wait histogram in step with its tickets.
  void CountWaiting(uint32_t lane, uint32_t id, int delta);
  void ResetLanes();

  // Dispatch.
  uint32_t PickNext(int window, int64_t now) const;
  // The dispatch rule over lanes whose heads come from `head_of(lane)` and
  // tickets from `slot_of(id)`: the real lanes, or a projection's.
  template <typename HeadOf, typename SlotOf>
  uint32_t PickFrom(int window, int64_t now, int priority_streak,
                    const HeadOf& head_of, const SlotOf& slot_of) const;
  int64_t Score(const TicketSlot& t, int64_t weight, int64_t now) const;

  // Windows.
  void SetWindowState(int window, v1::WindowState state, int64_t now);
  void AssignTicket(int window, uint32_t id, int64_t now, Outcome* out);
  // TicketCalled for the window's ticket: a first call or a recall.
  void EmitCall(int window, uint32_t id, int64_t now, Outcome* out);
  // The window's called customer did not come; returns the ticket.
  uint32_t MarkNoShow(int window, int64_t now, Outcome* out);
  // Frees the window; clears its handling alarm with an event.
  void ReleaseTicket(int window, int64_t now, Outcome* out);
  // The window the clerk is at (open or paused), or -1.
  int ClerkWindow(absl::string_view clerk) const;
  void OpenStandbyWindow(int lost_window, int64_t now, Outcome* out);
  void UpdateBelowMinAlarm(int64_t now, Outcome* out);

  // Estimates.
  int32_t PeopleAhead(uint32_t id) const;
  int32_t PeopleAheadInService(int service, int category_slot,
                               int64_t wait_since, int64_t own_position) const;
  // This service's part of the open windows now, in thousandths.
  int64_t OpenShareNow(int service) const;
  // The service's mean handling time and handling-time distribution, from
  // the prior and today's figures.
  void UpdateHandling(int service);
  class Projection;  // When a ticket would be called; in hall.cc.
  // The wait of ticket `target` (kNone: `target_slot`, not issued yet, at
  // the end of its lane), in seconds.
  int64_t EstimateWaitSeconds(uint32_t target, const TicketSlot& target_slot,
                              int32_t people_ahead, int64_t now) const;
  // A waiting ticket's.
  int64_t EstimateWaitSeconds(uint32_t id, int32_t people_ahead,
                              int64_t now) const {
    return EstimateWaitSeconds(id, tickets_[id], people_ahead, now);
  }
  // A walk-in's who takes a ticket of `service` now.
  int64_t EstimateNewTicketWaitSeconds(int service, int32_t people_ahead,
                                       int64_t now) const;

  // Events.
  v1::HallEvent* Emit(v1::HallEvent::KindCase kind, int64_t now, Outcome* out);
  void FillTicket(uint32_t id, v1::Ticket* ticket) const;
  std::string TicketText(uint32_t id) const;
  void EmitTicketState(uint32_t id, int64_t now, Outcome* out);
  void EmitWindowState(int window, int64_t now, Outcome* out);
  void EmitAlarm(v1::HallEvent::Alarm::Kind kind, bool raised, int service,
                 int window, int64_t now, Outcome* out);
  std::string AlarmMessage(v1::HallEvent::Alarm::Kind kind, int service,
                           int window) const;
  // Every alarm, in an event or a view, is built here.
  void FillAlarm(v1::HallEvent::Alarm::Kind kind, bool raised, int service,
                 int window, v1::HallEvent::Alarm* alarm) const;
  static void FillAlarm(v1::HallEvent::Alarm::Kind kind, bool raised,
                        const std::string& service_code, int32_t window_number,
                        std::string message, v1::HallEvent::Alarm* alarm);

  HallRules rules_;
  BusinessCalendar calendar_;

  EventLog log_;
  int32_t business_day_ = 0;
  // When the next business day begins; saves a time-zone lookup per command.
  int64_t next_day_start_ms_ = INT64_MIN;
  int min_open_windows_ = 0;
  int open_windows_ = 0;
  bool below_min_alarm_ = false;
  v1::HallEvent::StaffingAdvised last_advice_;
  v1::HallState::AdviceFollowing advice_following_;
  std::vector<TicketSlot> tickets_;
  std::vector<Lane> lanes_;
  std::vector<WindowSlot> windows_;
  std::vector<ServiceSlot> services_;
  // Services whose waiting count the command being applied changed.
  std::vector<int> waiting_changed_;
  // Kept apart so the hot ticket slots stay small and so it is obvious where
  // the only personal data lives.
  absl::flat_hash_map<uint32_t, std::string> phones_;
};

}  // namespace qcall

#endif  // QCALL_ENGINE_HALL_H_
