// Hall's window commands: opening, closing, pausing and resuming a window,
// a window that lost its counter (and the standby clerk who steps in), and
// the minimum of open windows. The rules they keep are the WindowBoard's;
// these put the steps in order and announce them.
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/hall.h"
#include "engine/hall_texts.h"
#include "engine/input_checks.h"
#include "engine/status_macros.h"

namespace qcall {

using Alarm = v1::HallEvent::Alarm;

absl::Status Hall::OpenWindow(const v1::Command::OpenWindow& c, int64_t now,
                              Outcome* out) {
  ASSIGN_OR_RETURN(const int w, board_.Find(rules_, c.window()));
  RETURN_IF_ERROR(CheckText(c.clerk_id(), "clerk_id", true, kMaxIdLength));
  WindowSlot& window = board_.mutable_window(w);
  if (window.state != v1::WINDOW_STATE_CLOSED) {
    return absl::FailedPreconditionError(absl::StrCat(
        WindowText(c.window()), " is already open (clerk ", window.clerk, ")"));
  }
  if (const int other = board_.ClerkWindow(c.clerk_id()); other >= 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("clerk ", c.clerk_id(), " is already at ",
                     WindowText(rules_.windows()[other].number),
                     "; close that window first"));
  }
  window.clerk = c.clerk_id();
  window.reason.clear();
  window.priority_streak = 0;
  window.standby = false;
  SetWindowState(w, v1::WINDOW_STATE_IDLE, now);
  EmitWindowState(w, now, out);
  advisor_.NoteWindowOpened(rules_, c.window(), now);
  SetAlarm(Alarm::KIND_WINDOW_LOST, w, false, now, out);
  alarms_.WindowOpened(w, rules_, board_, &log_, now, out);
  UpdateBelowMinAlarm(now, out);
  return absl::OkStatus();
}

absl::Status Hall::CheckSignIn(int32_t number, absl::string_view clerk) const {
  RETURN_IF_ERROR(CheckText(clerk, "clerk_id", true, kMaxIdLength));
  ASSIGN_OR_RETURN(const int w, board_.Find(rules_, number));
  const WindowSlot& window = board_.window(w);
  if (window.state == v1::WINDOW_STATE_CLOSED) {
    return absl::FailedPreconditionError(
        absl::StrCat(WindowText(number), " is closed; open it to sign in"));
  }
  if (window.clerk != clerk) {
    return absl::FailedPreconditionError(
        absl::StrCat(WindowText(number), " is signed in by clerk ",
                     window.clerk, ", not ", clerk));
  }
  return absl::OkStatus();
}

absl::Status Hall::CloseWindow(const v1::Command::CloseWindow& c, int64_t now,
                               Outcome* out) {
  ASSIGN_OR_RETURN(const int w, board_.Find(rules_, c.window()));
  RETURN_IF_ERROR(CheckText(c.reason(), "reason", false));
  WindowSlot& window = board_.mutable_window(w);
  if (window.state == v1::WINDOW_STATE_CLOSED) {
    return absl::FailedPreconditionError(
        absl::StrCat(WindowText(c.window()), " is already closed"));
  }
  if (window.ticket != kNoTicket) {
    return absl::FailedPreconditionError(
        absl::StrCat(WindowText(c.window()), " still holds ",
                     queue_.TicketText(rules_, window.ticket),
                     "; complete, mark no-show or transfer it first"));
  }
  RETURN_IF_ERROR(board_.CheckMinimumKept(rules_, w, c.override(),
                                          c.has_override(), BusinessHours(now),
                                          "closing"));
  window.reason = c.reason();
  SetWindowState(w, v1::WINDOW_STATE_CLOSED, now);
  EmitWindowState(w, now, out);
  v1::HallEvent::WindowChanged* e = out->last_event()->mutable_window_changed();
  if (c.has_override()) *e->mutable_override() = c.override();
  window.clerk.clear();
  advisor_.NoteWindowClosed(rules_, c.window());
  window.standby = false;
  UpdateBelowMinAlarm(now, out);
  return absl::OkStatus();
}

absl::Status Hall::PauseWindow(const v1::Command::PauseWindow& c, int64_t now,
                               Outcome* out) {
  ASSIGN_OR_RETURN(const int w, board_.Find(rules_, c.window()));
  RETURN_IF_ERROR(CheckText(c.reason(), "reason", true));
  WindowSlot& window = board_.mutable_window(w);
  if (window.state != v1::WINDOW_STATE_IDLE) {
    if (window.ticket != kNoTicket) {
      return absl::FailedPreconditionError(absl::StrCat(
          WindowText(c.window()),
          " holds a ticket; complete, mark no-show or transfer it before "
          "pausing"));
    }
    return absl::FailedPreconditionError(absl::StrCat(
        WindowText(c.window()), " is ",
        window.state == v1::WINDOW_STATE_PAUSED ? "already paused" : "closed",
        "; only an open, idle window can pause"));
  }
  RETURN_IF_ERROR(board_.CheckMinimumKept(rules_, w, c.override(),
                                          c.has_override(), BusinessHours(now),
                                          "pausing"));
  window.reason = c.reason();
  SetWindowState(w, v1::WINDOW_STATE_PAUSED, now);
  EmitWindowState(w, now, out);
  if (c.has_override()) {
    *out->last_event()->mutable_window_changed()->mutable_override() =
        c.override();
  }
  UpdateBelowMinAlarm(now, out);
  return absl::OkStatus();
}

absl::Status Hall::ResumeWindow(const v1::Command::ResumeWindow& c, int64_t now,
                                Outcome* out) {
  ASSIGN_OR_RETURN(const int w, board_.Find(rules_, c.window()));
  WindowSlot& window = board_.mutable_window(w);
  if (window.state != v1::WINDOW_STATE_PAUSED) {
    return absl::FailedPreconditionError(
        absl::StrCat(WindowText(c.window()), " is not paused"));
  }
  window.reason.clear();
  SetWindowState(w, v1::WINDOW_STATE_IDLE, now);
  EmitWindowState(w, now, out);
  advisor_.NoteWindowOpened(rules_, c.window(), now);
  alarms_.WindowOpened(w, rules_, board_, &log_, now, out);
  UpdateBelowMinAlarm(now, out);
  return absl::OkStatus();
}

absl::Status Hall::WindowLost(const v1::Command::WindowLost& c, int64_t now,
                              Outcome* out) {
  ASSIGN_OR_RETURN(const int w, board_.Find(rules_, c.window()));
  WindowSlot& window = board_.mutable_window(w);
  if (window.state == v1::WINDOW_STATE_CLOSED) {
    return absl::FailedPreconditionError(
        absl::StrCat(WindowText(c.window()), " is closed; nothing was lost"));
  }
  // A lost window is a fact, not a request: it is never refused. Its ticket
  // goes back to the head of its lane so the customer is served next.
  const uint32_t held = window.ticket;
  if (held != kNoTicket) {
    ReleaseTicket(w, now, out);
    TicketSlot& t = queue_.mutable_ticket(held);
    t.state = v1::TICKET_STATE_WAITING;
    t.state_since_ms = now;
    queue_.PushFront(queue_.ServiceLane(t.queue_service, t.category_slot),
                     held);
    EmitTicketState(held, now, out);
  }
  window.reason = std::string(kCounterLostReason);
  SetWindowState(w, v1::WINDOW_STATE_CLOSED, now);
  EmitWindowState(w, now, out);
  out->last_event()->mutable_window_changed()->set_lost(true);
  window.clerk.clear();
  window.standby = false;
  SetAlarm(Alarm::KIND_WINDOW_LOST, w, true, now, out);
  if (board_.BelowMinimum(BusinessHours(now))) {
    OpenStandbyWindow(w, now, out);
  }
  UpdateBelowMinAlarm(now, out);
  return absl::OkStatus();
}

void Hall::OpenStandbyWindow(int lost_window, int64_t now, Outcome* out) {
  std::string clerk;
  const int w = board_.StandbyWindow(
      rules_, lost_window,
      [this](int other) { return alarms_.window_lost(other); }, &clerk);
  if (w < 0) return;
  WindowSlot& window = board_.mutable_window(w);
  window.clerk = std::move(clerk);
  window.reason = StandbyReason(rules_.windows()[lost_window].number);
  window.priority_streak = 0;
  window.standby = true;
  SetWindowState(w, v1::WINDOW_STATE_IDLE, now);
  EmitWindowState(w, now, out);
  out->last_event()->mutable_window_changed()->set_standby(true);
  alarms_.WindowOpened(w, rules_, board_, &log_, now, out);
}

absl::Status Hall::SetMinOpenWindows(const v1::Command::SetMinOpenWindows& c,
                                     int64_t now, Outcome* out) {
  RETURN_IF_ERROR(
      CheckText(c.supervisor_id(), "supervisor_id", true, kMaxIdLength));
  const int windows = static_cast<int>(board_.size());
  if (c.min_open_windows() < 0 || c.min_open_windows() > windows) {
    return absl::InvalidArgumentError(absl::StrCat(
        "min_open_windows must be 0-", windows,
        " (the windows this hall has), got ", c.min_open_windows()));
  }
  board_.set_min_open_windows(c.min_open_windows());
  v1::HallEvent::MinOpenWindowsChanged* e =
      log_.Emit(v1::HallEvent::kMinOpenWindowsChanged, now, out)
          ->mutable_min_open_windows_changed();
  e->set_min_open_windows(board_.min_open_windows());
  e->set_supervisor_id(c.supervisor_id());
  UpdateBelowMinAlarm(now, out);
  return absl::OkStatus();
}

}  // namespace qcall
