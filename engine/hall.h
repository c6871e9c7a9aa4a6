// Hall is one service hall's state machine, and the façade over its parts:
// it checks and applies each command, in the order its steps touch the
// parts, and puts their shares of the snapshot, the restore and the view
// together. The parts, each in its own file, own their state:
//   TicketQueue      tickets, numbering, lanes, waiting counts (ticket_queue.h)
//   WindowBoard      windows, the minimum-open rule, standby (window_board.h)
//   AlarmBook        every alarm, its events and texts (alarm_book.h)
//   AlarmAcks        the alarms a supervisor acknowledged (alarm_acks.h)
//   FeedbackBook     ratings, follow-ups, complaint cases (feedback_book.h)
//   RecentCalls      the boards' last ten calls (recent_calls.h)
//   BookingBook      bookings and their codes (booking_book.h)
//   ServiceStats     handling times and arrival rates (service_stats.h)
//   StaffingAdvisor  the plan, the advice, its following (staffing_advisor.h)
//   WaitEstimator    people ahead and the replay (wait_estimator.h)
//   dispatch_policy.h, hall_texts.h, input_checks.h, outcome.h: stateless.
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
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "engine/alarm_acks.h"
#include "engine/alarm_book.h"
#include "engine/booking_book.h"
#include "engine/business_calendar.h"
#include "engine/feedback_book.h"
#include "engine/hall_parts.h"
#include "engine/hall_rules.h"
#include "engine/outcome.h"
#include "engine/recent_calls.h"
#include "engine/service_stats.h"
#include "engine/staffing_advisor.h"
#include "engine/ticket_queue.h"
#include "engine/wait_estimator.h"
#include "engine/window_board.h"
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

  // OK when window `number` is open (or paused) under `clerk`: a counter
  // screen signs in to it only then. NOT_FOUND for no such window,
  // FAILED_PRECONDITION saying who is there otherwise.
  absl::Status CheckSignIn(int32_t number, absl::string_view clerk) const;

  // A booking by its code as typed (case, spaces and '-' do not matter):
  // INVALID_ARGUMENT for what is no code, NOT_FOUND for a code the hall
  // does not hold.
  absl::StatusOr<v1::BookingView> FindBooking(absl::string_view code) const;
  // Every booking the hall holds, by slot.
  std::vector<v1::BookingView> Bookings() const;

  const HallRules& rules() const { return rules_; }
  uint64_t last_seq() const { return log_.last_seq(); }
  int32_t business_day() const { return business_day_; }
  int open_windows() const { return board_.open_windows(); }
  int min_open_windows() const { return board_.min_open_windows(); }
  // Tickets the hall holds: today's, and yesterday's still at a window.
  size_t ticket_count() const { return queue_.size(); }

 private:
  Hall(HallRules rules, absl::TimeZone tz);

  // The parts, read-only, for the parts that read across the others.
  HallParts parts() const {
    return {rules_, calendar_, business_day_, queue_, board_, stats_, advisor_};
  }
  WaitEstimator estimator() const { return WaitEstimator(parts()); }
  bool BusinessHours(int64_t now) const { return parts().BusinessHours(now); }

  // Commands (hall_commands.cc), at `now` in ms since the epoch: times
  // inside the engine are ms, absl::Time stays at the public surface.
  // (Flooring to the ms never crosses a calendar boundary: those fall on
  // whole minutes.) Each validates everything before it changes anything.
  absl::Status IssueTicket(const v1::Command::IssueTicket& c, int64_t now,
                           Outcome* out);
  absl::Status CancelTicket(const v1::Command::CancelTicket& c, int64_t now,
                            Outcome* out);
  absl::Status VoidTicket(const v1::Command::VoidTicket& c, int64_t now,
                          Outcome* out);
  absl::Status Requeue(const v1::Command::Requeue& c, int64_t now,
                       Outcome* out);
  absl::Status Transfer(const v1::Command::Transfer& c, int64_t now,
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
  // Ratings, follow-ups and complaint cases (hall_feedback.cc).
  absl::Status RateTicket(const v1::Command::RateTicket& c, int64_t now,
                          Outcome* out);
  absl::Status CallBackComplaint(const v1::Command::CallBackComplaint& c,
                                 int64_t now, Outcome* out);
  absl::Status ResolveComplaint(const v1::Command::ResolveComplaint& c,
                                int64_t now, Outcome* out);
  // The clerk now at window `number` (empty if none), or null for 0.
  absl::StatusOr<const std::string*> ClerkAt(int32_t number) const;
  // On Complete: the pad may rate it. On StartServing: a complaint service's
  // ticket opens its case, owned by the window's clerk, if none is open.
  void NoteCompleted(int w, uint32_t id, int64_t handling, int64_t now);
  void OpenCaseIfComplaint(int w, uint32_t id, int64_t now, Outcome* out);
  // Window commands (hall_windows.cc).
  absl::Status OpenWindow(const v1::Command::OpenWindow& c, int64_t now,
                          Outcome* out);
  absl::Status CloseWindow(const v1::Command::CloseWindow& c, int64_t now,
                           Outcome* out);
  absl::Status PauseWindow(const v1::Command::PauseWindow& c, int64_t now,
                           Outcome* out);
  absl::Status ResumeWindow(const v1::Command::ResumeWindow& c, int64_t now,
                            Outcome* out);
  absl::Status WindowLost(const v1::Command::WindowLost& c, int64_t now,
                          Outcome* out);
  absl::Status SetMinOpenWindows(const v1::Command::SetMinOpenWindows& c,
                                 int64_t now, Outcome* out);
  // Bookings (hall_bookings.cc).
  absl::Status CreateBooking(const v1::Command::CreateBooking& c, int64_t now,
                             Outcome* out);
  absl::Status CheckIn(const v1::Command::CheckIn& c, int64_t now,
                       Outcome* out);
  v1::BookingView ViewOf(const v1::Booking& booking) const;
  // "2026-01-05 14:30" in the hall's time zone, for messages.
  std::string LocalMinute(int64_t ms) const;
  // The hall's own (hall.cc).
  absl::Status SetNotice(const v1::Command::SetNotice& c, int64_t now,
                         Outcome* out);
  absl::Status Configure(const v1::Command::Configure& c, int64_t now,
                         Outcome* out);
  void Tick(const v1::Command::Tick& c, int64_t now, Outcome* out);
  absl::Status ApplyCommand(const v1::Command& command, int64_t now,
                            Outcome* out);
  void StartDayIfDue(int64_t now, Outcome* out);
  // On a tick: queue-growing alarms, and the staffing advice.
  void CheckLoad(AdviceRules advice, int64_t now, Outcome* out);

  // What commands share: the steps that touch several parts at once.
  void AssignTicket(int window, uint32_t id, int64_t now, Outcome* out);
  // Frees the window; clears its handling alarm with an event.
  void ReleaseTicket(int window, int64_t now, Outcome* out);
  // TicketCalled for the window's ticket: a first call or a recall.
  void EmitCall(int window, uint32_t id, int64_t now, Outcome* out);
  // The window's called customer did not come; returns the ticket.
  uint32_t MarkNoShow(int window, int64_t now, Outcome* out);
  void SetWindowState(int window, v1::WindowState state, int64_t now) {
    board_.SetState(rules_, window, state, now);
  }
  void OpenStandbyWindow(int lost_window, int64_t now, Outcome* out);
  void UpdateBelowMinAlarm(int64_t now, Outcome* out) {
    alarms_.UpdateBelowMin(BusinessHours(now), rules_, board_, &log_, now, out);
  }
  void SetAlarm(v1::HallEvent::Alarm::Kind kind, int index, bool raised,
                int64_t now, Outcome* out) {
    alarms_.Set(kind, index, raised, rules_, board_, &log_, now, out);
  }
  // Every alarm raised now (the hall's and the complaint cases'), in a view
  // that holds them and the cases.
  v1::HallView RaisedAlarms() const;
  // No open window would call waiting ticket `id` now: none serves its
  // service, or the window it was transferred to is not open.
  bool NoOpenWindowFor(uint32_t id) const;
  void FillTicket(uint32_t id, v1::Ticket* ticket) const {
    queue_.FillTicket(rules_, id, ticket);
  }
  void EmitTicketState(uint32_t id, int64_t now, Outcome* out);
  void EmitWindowState(int window, int64_t now, Outcome* out);

  HallRules rules_;
  BusinessCalendar calendar_;
  EventLog log_;
  int32_t business_day_ = 0;
  // When the next business day begins; saves a time-zone lookup per command.
  int64_t next_day_start_ms_ = INT64_MIN;
  TicketQueue queue_;
  WindowBoard board_;
  AlarmBook alarms_;
  AlarmAcks acks_;
  ServiceStats stats_;
  StaffingAdvisor advisor_;
  FeedbackBook feedback_;
  RecentCalls recent_calls_;
  BookingBook bookings_;
  std::string notice_;  // The boards' notice line.
};

}  // namespace qcall

#endif  // QCALL_ENGINE_HALL_H_
