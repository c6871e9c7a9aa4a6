#include "engine/hall.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "engine/announcement.h"
#include "engine/reconfigure.h"
#include "engine/status_macros.h"

namespace qcall {
namespace {

using Alarm = v1::HallEvent::Alarm;

// Times in the wait replay are ms since the epoch, so positive.
int64_t RoundMs(double ms) { return static_cast<int64_t>(ms + 0.5); }

constexpr size_t kMaxTextLength = 200;
constexpr size_t kMaxIdLength = 64;
constexpr size_t kMaxPhoneLength = 32;
constexpr int64_t kMaxEstimateSeconds = 24 * 3600;
// Up to this many people ahead an estimate replays the dispatch call by
// call (about 0.1 µs a call); the calls of other services' customers
// replayed on the way count too, up to the second bound.
constexpr int kMaxProjectedAhead = 100;
constexpr int kMaxProjectedCalls = 400;
// 2100-01-01: later slots are garbage, and would overflow as milliseconds.
constexpr int64_t kLatestAppointmentSeconds = 4'102'444'800;

int64_t Millis(absl::Time t) { return absl::ToUnixMillis(t); }

// Untrusted input quoted in an error message. A status message travels in a
// trailer, and one longer than the peer's metadata limit (8 KB by default)
// turns the status into RESOURCE_EXHAUSTED on the client.
absl::string_view Clipped(absl::string_view text) { return text.substr(0, 32); }

std::string WindowText(int32_t number) {
  return absl::StrCat("window ", number);
}

absl::Status CheckText(absl::string_view text, absl::string_view field,
                       bool required, size_t max_length = kMaxTextLength) {
  if (required && text.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(field, " is required"));
  }
  if (text.size() > max_length) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " is too long (", text.size(), " bytes; at most ",
                     max_length, ")"));
  }
  return absl::OkStatus();
}

absl::Status CheckOverride(const v1::Override& override) {
  RETURN_IF_ERROR(CheckText(override.supervisor_id(), "override.supervisor_id",
                            true, kMaxIdLength));
  return CheckText(override.reason(), "override.reason", true);
}

bool CountsAsOpen(v1::WindowState state) {
  return state == v1::WINDOW_STATE_IDLE || state == v1::WINDOW_STATE_CALLING ||
         state == v1::WINDOW_STATE_SERVING;
}

bool IsFinal(uint8_t state) {
  return state == v1::TICKET_STATE_COMPLETED ||
         state == v1::TICKET_STATE_CANCELLED ||
         state == v1::TICKET_STATE_VOIDED || state == v1::TICKET_STATE_EXPIRED;
}

absl::string_view StateWord(uint8_t state) {
  switch (state) {
    case v1::TICKET_STATE_WAITING:
      return "waiting";
    case v1::TICKET_STATE_CALLED:
      return "called";
    case v1::TICKET_STATE_SERVING:
      return "being served";
    case v1::TICKET_STATE_COMPLETED:
      return "completed";
    case v1::TICKET_STATE_NO_SHOW:
      return "a no-show";
    case v1::TICKET_STATE_CANCELLED:
      return "cancelled";
    case v1::TICKET_STATE_VOIDED:
      return "voided";
    case v1::TICKET_STATE_EXPIRED:
      return "expired";
  }
  return "unknown";
}

}  // namespace

Hall::Hall(HallRules rules, absl::TimeZone tz)
    : rules_(std::move(rules)),
      calendar_(tz, rules_.config().hours(),
                rules_.config().business_day_start_minute()),
      min_open_windows_(rules_.config().min_open_windows()),
      lanes_(rules_.services().size() * kCategoryCount +
             rules_.windows().size()),
      windows_(rules_.windows().size()),
      services_(rules_.services().size()) {
  for (size_t s = 0; s < services_.size(); ++s) {
    UpdateHandling(static_cast<int>(s));
  }
}

absl::StatusOr<Hall> Hall::Create(const v1::HallConfig& config,
                                  absl::TimeZone tz) {
  ASSIGN_OR_RETURN(HallRules rules, HallRules::FromConfig(config));
  if (tz.name() != config.time_zone()) {
    return absl::InvalidArgumentError(
        absl::StrCat("time zone ", tz.name(),
                     " given for a hall configured in ", config.time_zone()));
  }
  return Hall(std::move(rules), tz);
}

// ---------------------------------------------------------------------------
// Apply

absl::Status Hall::Apply(const v1::Command& command, absl::Time now,
                         Outcome* out) {
  out->Reset();
  const int32_t day_before = business_day_;
  const absl::Status status = ApplyCommand(command, Millis(now), out);
  // A new configuration may renumber the services, and a new day empties
  // every queue before the command refills some: send every count.
  AttachWaitingCounts(command.has_configure() || business_day_ != day_before,
                      out);
  return status;
}

void Hall::NoteWaitingChange(int s) {
  ServiceSlot& service = services_[s];
  if (service.waiting_before >= 0) return;
  service.waiting_before = service.waiting;
  waiting_changed_.push_back(s);
}

void Hall::AttachWaitingCounts(bool all, Outcome* out) {
  if (all) {
    waiting_changed_.clear();
    for (size_t s = 0; s < services_.size(); ++s) {
      services_[s].waiting_before = -1;
      waiting_changed_.push_back(static_cast<int>(s));
    }
  }
  v1::HallEvent* last = out->last_event();
  for (const int s : waiting_changed_) {
    ServiceSlot& service = services_[s];
    if (last != nullptr && (all || service.waiting != service.waiting_before)) {
      v1::HallEvent::ServiceWaiting* w = last->add_waiting();
      w->set_service_code(rules_.services()[s].code);
      w->set_waiting(service.waiting);
    }
    service.waiting_before = -1;
  }
  waiting_changed_.clear();
}

absl::Status Hall::ApplyCommand(const v1::Command& command, int64_t now,
                                Outcome* out) {
  StartDayIfDue(now, out);
  using C = v1::Command;
  switch (command.kind_case()) {
    case C::kIssueTicket:
      return IssueTicket(command.issue_ticket(), now, out);
    case C::kOpenWindow:
      return OpenWindow(command.open_window(), now, out);
    case C::kCloseWindow:
      return CloseWindow(command.close_window(), now, out);
    case C::kPauseWindow:
      return PauseWindow(command.pause_window(), now, out);
    case C::kResumeWindow:
      return ResumeWindow(command.resume_window(), now, out);
    case C::kCallNext:
      return CallNext(command.call_next(), now, out);
    case C::kCallTicket:
      return CallTicket(command.call_ticket(), now, out);
    case C::kRecall:
      return Recall(command.recall(), now, out);
    case C::kStartServing:
      return StartServing(command.start_serving(), now, out);
    case C::kComplete:
      return Complete(command.complete(), now, out);
    case C::kNoShow:
      return NoShow(command.no_show(), now, out);
    case C::kRequeue:
      return Requeue(command.requeue(), now, out);
    case C::kTransfer:
      return Transfer(command.transfer(), now, out);
    case C::kCancelTicket:
      return CancelTicket(command.cancel_ticket(), now, out);
    case C::kVoidTicket:
      return VoidTicket(command.void_ticket(), now, out);
    case C::kSetMinOpenWindows:
      return SetMinOpenWindows(command.set_min_open_windows(), now, out);
    case C::kWindowLost:
      return WindowLost(command.window_lost(), now, out);
    case C::kTick:
      Tick(now, out);
      return absl::OkStatus();
    case C::kRollOverDay:
      return absl::OkStatus();
    case C::kConfigure:
      return Configure(command.configure(), now, out);
    case C::KIND_NOT_SET:
      break;
  }
  return absl::InvalidArgumentError("command has no kind set");
}

// ---------------------------------------------------------------------------
// Tickets

absl::Status Hall::IssueTicket(const v1::Command::IssueTicket& c, int64_t now,
                               Outcome* out) {
  const std::optional<int> found = rules_.FindService(c.service_code());
  if (!found) {
    return absl::NotFoundError(absl::StrCat(
        "no service '", Clipped(c.service_code()), "' in this hall"));
  }
  const int service = *found;
  v1::Category category = c.category() == v1::CATEGORY_UNSPECIFIED
                              ? v1::CATEGORY_NORMAL
                              : c.category();
  if (!v1::Category_IsValid(category)) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown category ", static_cast<int>(c.category())));
  }
  RETURN_IF_ERROR(CheckText(c.phone(), "phone", false, kMaxPhoneLength));
  const ServiceRules& rules = rules_.services()[service];
  ServiceSlot& slot = services_[service];
  if (slot.ticket_by_number.size() >= rules.daily_cap) {
    return absl::ResourceExhaustedError(
        absl::StrCat("service ", rules.code, " has issued all ",
                     rules.daily_cap, " tickets it may issue today"));
  }
  int64_t wait_since = now;
  if (category == v1::CATEGORY_APPOINTMENT) {
    if (c.appointment_unix_seconds() <= 0) {
      return absl::InvalidArgumentError(
          "an appointment ticket needs appointment_unix_seconds, its booked "
          "slot");
    }
    if (c.appointment_unix_seconds() > kLatestAppointmentSeconds) {
      return absl::InvalidArgumentError(absl::StrCat(
          "appointment_unix_seconds ", c.appointment_unix_seconds(),
          " is not a plausible booked slot"));
    }
    const int64_t slot_ms = c.appointment_unix_seconds() * 1000;
    const PolicyRules& policy = rules_.policy();
    if (now < slot_ms - policy.appointment_early_ms) {
      const absl::CivilMinute from = absl::ToCivilMinute(
          absl::FromUnixMillis(slot_ms - policy.appointment_early_ms),
          calendar_.time_zone());
      return absl::FailedPreconditionError(
          absl::StrCat("too early for this appointment; check in from ",
                       absl::FormatCivilTime(from)));
    }
    if (now > slot_ms + policy.appointment_late_ms) {
      category = v1::CATEGORY_NORMAL;  // Late: joins the walk-ins.
    } else {
      wait_since = slot_ms;
    }
  } else if (c.appointment_unix_seconds() != 0) {
    return absl::InvalidArgumentError(
        "appointment_unix_seconds is only for CATEGORY_APPOINTMENT tickets");
  }

  const int category_slot = CategorySlot(category);
  const uint32_t lane = ServiceLane(service, category_slot);
  const int32_t ahead = PeopleAheadInService(service, category_slot, wait_since,
                                             lanes_[lane].size);
  const uint32_t id = static_cast<uint32_t>(tickets_.size());
  TicketSlot& t = tickets_.emplace_back();
  t.issued_at_ms = now;
  t.wait_since_ms = wait_since;
  t.state_since_ms = now;
  t.appointment_s = c.appointment_unix_seconds();
  t.number = static_cast<uint32_t>(slot.ticket_by_number.size() + 1);
  t.business_day = business_day_;
  t.service = static_cast<uint16_t>(service);
  t.queue_service = t.service;
  t.category_slot = static_cast<uint8_t>(category_slot);
  slot.ticket_by_number.push_back(id);
  if (category == v1::CATEGORY_APPOINTMENT) {
    // Appointments queue by booked slot, not by check-in, so an early
    // arrival with a later slot never blocks an earlier booking. The walk
    // passes only appointments booked later, which check-in tolerance keeps
    // few.
    InsertSorted(lane, id, &TicketSlot::wait_since_ms);
  } else {
    PushBack(lane, id);
  }
  if (!c.phone().empty()) phones_[id] = c.phone();

  const int64_t estimate = EstimateWaitSeconds(id, ahead, now);
  FillTicket(id, out->mutable_result_ticket());
  out->mutable_result()->set_people_ahead(ahead);
  out->mutable_result()->set_estimated_wait_seconds(estimate);
  v1::HallEvent::TicketIssued* issued =
      Emit(v1::HallEvent::kTicketIssued, now, out)->mutable_ticket_issued();
  *issued->mutable_ticket() = out->mutable_result()->ticket();
  issued->set_people_ahead(ahead);
  issued->set_estimated_wait_seconds(estimate);
  return absl::OkStatus();
}

absl::Status Hall::CancelTicket(const v1::Command::CancelTicket& c, int64_t now,
                                Outcome* out) {
  ASSIGN_OR_RETURN(const uint32_t id, FindTicket(c.ticket()));
  TicketSlot& t = tickets_[id];
  if (t.state != v1::TICKET_STATE_WAITING &&
      t.state != v1::TICKET_STATE_NO_SHOW) {
    return absl::FailedPreconditionError(
        absl::StrCat(c.ticket(), " is ", StateWord(t.state),
                     "; only a waiting or no-show ticket can be cancelled"));
  }
  if (t.state == v1::TICKET_STATE_WAITING) Unlink(id);
  t.state = v1::TICKET_STATE_CANCELLED;
  t.state_since_ms = now;
  FillTicket(id, out->mutable_result_ticket());
  EmitTicketState(id, now, out);
  return absl::OkStatus();
}

absl::Status Hall::VoidTicket(const v1::Command::VoidTicket& c, int64_t now,
                              Outcome* out) {
  RETURN_IF_ERROR(CheckText(c.reason(), "reason", true));
  RETURN_IF_ERROR(
      CheckText(c.supervisor_id(), "supervisor_id", true, kMaxIdLength));
  ASSIGN_OR_RETURN(const uint32_t id, FindTicket(c.ticket()));
  TicketSlot& t = tickets_[id];
  if (t.state == v1::TICKET_STATE_CALLED ||
      t.state == v1::TICKET_STATE_SERVING) {
    return absl::FailedPreconditionError(absl::StrCat(
        c.ticket(), " is at ", WindowText(rules_.windows()[t.window].number),
        "; finish or transfer it there before voiding"));
  }
  if (IsFinal(t.state)) {
    return absl::FailedPreconditionError(
        absl::StrCat(c.ticket(), " is already ", StateWord(t.state)));
  }
  if (t.state == v1::TICKET_STATE_WAITING) Unlink(id);
  t.state = v1::TICKET_STATE_VOIDED;
  t.state_since_ms = now;
  FillTicket(id, out->mutable_result_ticket());
  EmitTicketState(id, now, out);
  v1::HallEvent::TicketStateChanged* e =
      out->last_event()->mutable_ticket_state_changed();
  e->set_reason(c.reason());
  e->set_supervisor_id(c.supervisor_id());
  return absl::OkStatus();
}

absl::Status Hall::Requeue(const v1::Command::Requeue& c, int64_t now,
                           Outcome* out) {
  ASSIGN_OR_RETURN(const uint32_t id, FindTicket(c.ticket()));
  TicketSlot& t = tickets_[id];
  if (t.state != v1::TICKET_STATE_NO_SHOW) {
    return absl::FailedPreconditionError(
        absl::StrCat(c.ticket(), " is ", StateWord(t.state),
                     "; only a no-show ticket can return to the queue"));
  }
  if (t.requeues >= rules_.policy().max_requeues) {
    return absl::FailedPreconditionError(absl::StrCat(
        c.ticket(), " has returned ", t.requeues,
        " time(s), the most this hall allows; issue a new ticket"));
  }
  if (c.window() != 0) {
    ASSIGN_OR_RETURN(const int w, FindWindow(c.window()));
    if (w != t.window) {
      return absl::FailedPreconditionError(
          absl::StrCat(c.ticket(), " missed its call at ",
                       WindowText(rules_.windows()[t.window].number),
                       ", which takes it back, not ", WindowText(c.window())));
    }
  }
  ++t.requeues;
  t.recalls = 0;
  t.state = v1::TICKET_STATE_WAITING;
  t.state_since_ms = now;
  InsertAtOffset(ServiceLane(t.queue_service, t.category_slot), id,
                 rules_.policy().requeue_offset);
  FillTicket(id, out->mutable_result_ticket());
  out->mutable_result()->set_people_ahead(PeopleAhead(id));
  out->mutable_result()->set_estimated_wait_seconds(
      EstimateWaitSeconds(id, out->mutable_result()->people_ahead(), now));
  EmitTicketState(id, now, out);
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// Windows

absl::Status Hall::OpenWindow(const v1::Command::OpenWindow& c, int64_t now,
                              Outcome* out) {
  ASSIGN_OR_RETURN(const int w, FindWindow(c.window()));
  RETURN_IF_ERROR(CheckText(c.clerk_id(), "clerk_id", true, kMaxIdLength));
  WindowSlot& window = windows_[w];
  if (window.state != v1::WINDOW_STATE_CLOSED) {
    return absl::FailedPreconditionError(absl::StrCat(
        WindowText(c.window()), " is already open (clerk ", window.clerk, ")"));
  }
  if (const int other = ClerkWindow(c.clerk_id()); other >= 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("clerk ", c.clerk_id(), " is already at ",
                     WindowText(rules_.windows()[other].number),
                     "; close that window first"));
  }
  window.clerk = c.clerk_id();
  window.reason.clear();
  window.priority_streak = 0;
  SetWindowState(w, v1::WINDOW_STATE_IDLE, now);
  EmitWindowState(w, now, out);
  NoteWindowOpened(c.window(), now);
  if (window.lost) {
    window.lost = false;
    EmitAlarm(Alarm::KIND_WINDOW_LOST, false, -1, w, now, out);
  }
  UpdateBelowMinAlarm(now, out);
  return absl::OkStatus();
}

absl::Status Hall::CheckMinimumKept(int w, const v1::Override& override,
                                    bool has_override, int64_t now,
                                    absl::string_view action) const {
  if (has_override) return CheckOverride(override);
  if (!CountsAsOpen(windows_[w].state) || !BusinessHours(now)) {
    return absl::OkStatus();
  }
  if (open_windows_ - 1 < min_open_windows_) {
    return absl::FailedPreconditionError(absl::StrCat(
        "hall needs ", min_open_windows_, " open windows, ", open_windows_,
        " are open; ", action, " ", WindowText(rules_.windows()[w].number),
        " needs a supervisor override"));
  }
  return absl::OkStatus();
}

absl::Status Hall::CloseWindow(const v1::Command::CloseWindow& c, int64_t now,
                               Outcome* out) {
  ASSIGN_OR_RETURN(const int w, FindWindow(c.window()));
  RETURN_IF_ERROR(CheckText(c.reason(), "reason", false));
  WindowSlot& window = windows_[w];
  if (window.state == v1::WINDOW_STATE_CLOSED) {
    return absl::FailedPreconditionError(
        absl::StrCat(WindowText(c.window()), " is already closed"));
  }
  if (window.ticket != kNone) {
    return absl::FailedPreconditionError(absl::StrCat(
        WindowText(c.window()), " still holds ", TicketText(window.ticket),
        "; complete, mark no-show or transfer it first"));
  }
  RETURN_IF_ERROR(
      CheckMinimumKept(w, c.override(), c.has_override(), now, "closing"));
  window.reason = c.reason();
  SetWindowState(w, v1::WINDOW_STATE_CLOSED, now);
  EmitWindowState(w, now, out);
  v1::HallEvent::WindowChanged* e = out->last_event()->mutable_window_changed();
  if (c.has_override()) *e->mutable_override() = c.override();
  window.clerk.clear();
  UpdateBelowMinAlarm(now, out);
  return absl::OkStatus();
}

absl::Status Hall::PauseWindow(const v1::Command::PauseWindow& c, int64_t now,
                               Outcome* out) {
  ASSIGN_OR_RETURN(const int w, FindWindow(c.window()));
  RETURN_IF_ERROR(CheckText(c.reason(), "reason", true));
  WindowSlot& window = windows_[w];
  if (window.state != v1::WINDOW_STATE_IDLE) {
    if (window.ticket != kNone) {
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
  RETURN_IF_ERROR(
      CheckMinimumKept(w, c.override(), c.has_override(), now, "pausing"));
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
  ASSIGN_OR_RETURN(const int w, FindWindow(c.window()));
  WindowSlot& window = windows_[w];
  if (window.state != v1::WINDOW_STATE_PAUSED) {
    return absl::FailedPreconditionError(
        absl::StrCat(WindowText(c.window()), " is not paused"));
  }
  window.reason.clear();
  SetWindowState(w, v1::WINDOW_STATE_IDLE, now);
  EmitWindowState(w, now, out);
  NoteWindowOpened(c.window(), now);
  UpdateBelowMinAlarm(now, out);
  return absl::OkStatus();
}

void Hall::NoteWindowOpened(int number, int64_t now) {
  v1::HallState::AdviceFollowing& f = advice_following_;
  if (f.open_advised_at_ms() == 0 || number != last_advice_.open_window()) {
    return;
  }
  // Opened soon enough to be answering the advice: it was followed. Later
  // it is some other reason (a shift change), and the advice went unheeded.
  const int64_t delay_ms = std::max<int64_t>(0, now - f.open_advised_at_ms());
  if (delay_ms <= kAdviceAnswerMs) {
    f.set_opens_followed(f.opens_followed() + 1);
    f.set_follow_delay_total_ms(f.follow_delay_total_ms() + delay_ms);
  }
  f.set_open_advised_at_ms(0);
}

absl::Status Hall::WindowLost(const v1::Command::WindowLost& c, int64_t now,
                              Outcome* out) {
  ASSIGN_OR_RETURN(const int w, FindWindow(c.window()));
  WindowSlot& window = windows_[w];
  if (window.state == v1::WINDOW_STATE_CLOSED) {
    return absl::FailedPreconditionError(
        absl::StrCat(WindowText(c.window()), " is closed; nothing was lost"));
  }
  // A lost window is a fact, not a request: it is never refused. Its ticket
  // goes back to the head of its lane so the customer is served next.
  const uint32_t held = window.ticket;
  if (held != kNone) {
    ReleaseTicket(w, now, out);
    TicketSlot& t = tickets_[held];
    t.state = v1::TICKET_STATE_WAITING;
    t.state_since_ms = now;
    PushFront(ServiceLane(t.queue_service, t.category_slot), held);
    EmitTicketState(held, now, out);
  }
  window.reason = "counter lost";
  window.lost = true;
  SetWindowState(w, v1::WINDOW_STATE_CLOSED, now);
  EmitWindowState(w, now, out);
  out->last_event()->mutable_window_changed()->set_lost(true);
  window.clerk.clear();
  EmitAlarm(Alarm::KIND_WINDOW_LOST, true, -1, w, now, out);
  if (BusinessHours(now) && open_windows_ < min_open_windows_) {
    OpenStandbyWindow(w, now, out);
  }
  UpdateBelowMinAlarm(now, out);
  return absl::OkStatus();
}

void Hall::OpenStandbyWindow(int lost_window, int64_t now, Outcome* out) {
  for (const v1::StandbyClerk& clerk : rules_.config().standby_clerks()) {
    if (ClerkWindow(clerk.clerk_id()) >= 0) continue;
    for (int32_t number : clerk.windows()) {
      const int w = *rules_.FindWindow(number);
      if (w == lost_window || windows_[w].lost ||
          windows_[w].state != v1::WINDOW_STATE_CLOSED) {
        continue;
      }
      WindowSlot& window = windows_[w];
      window.clerk = clerk.clerk_id();
      window.reason = absl::StrCat(
          "standby for ", WindowText(rules_.windows()[lost_window].number));
      window.priority_streak = 0;
      SetWindowState(w, v1::WINDOW_STATE_IDLE, now);
      EmitWindowState(w, now, out);
      out->last_event()->mutable_window_changed()->set_standby(true);
      return;
    }
  }
}

absl::Status Hall::SetMinOpenWindows(const v1::Command::SetMinOpenWindows& c,
                                     int64_t now, Outcome* out) {
  RETURN_IF_ERROR(
      CheckText(c.supervisor_id(), "supervisor_id", true, kMaxIdLength));
  const int windows = static_cast<int>(windows_.size());
  if (c.min_open_windows() < 0 || c.min_open_windows() > windows) {
    return absl::InvalidArgumentError(absl::StrCat(
        "min_open_windows must be 0-", windows,
        " (the windows this hall has), got ", c.min_open_windows()));
  }
  min_open_windows_ = c.min_open_windows();
  v1::HallEvent::MinOpenWindowsChanged* e =
      Emit(v1::HallEvent::kMinOpenWindowsChanged, now, out)
          ->mutable_min_open_windows_changed();
  e->set_min_open_windows(min_open_windows_);
  e->set_supervisor_id(c.supervisor_id());
  UpdateBelowMinAlarm(now, out);
  return absl::OkStatus();
}

absl::Status Hall::Configure(const v1::Command::Configure& c, int64_t now,
                             Outcome* out) {
  RETURN_IF_ERROR(
      CheckText(c.supervisor_id(), "supervisor_id", true, kMaxIdLength));
  // Through a snapshot, so the new hall is checked by the same code that
  // checks a recovered one.
  ASSIGN_OR_RETURN(const v1::HallState state,
                   ReconfigureState(Snapshot(), c.config()));
  ASSIGN_OR_RETURN(Hall next, Restore(state, calendar_.time_zone()));
  // A lost window may be removed (it is closed); its alarm ends with it.
  std::vector<int32_t> lost_and_removed;
  for (size_t w = 0; w < windows_.size(); ++w) {
    if (windows_[w].lost &&
        !next.rules_.FindWindow(rules_.windows()[w].number).has_value()) {
      lost_and_removed.push_back(rules_.windows()[w].number);
    }
  }
  *this = std::move(next);
  v1::HallEvent::HallConfigured* e =
      Emit(v1::HallEvent::kHallConfigured, now, out)->mutable_hall_configured();
  e->set_supervisor_id(c.supervisor_id());
  e->set_services(static_cast<int32_t>(services_.size()));
  e->set_windows(static_cast<int32_t>(windows_.size()));
  for (const int32_t number : lost_and_removed) {
    FillAlarm(Alarm::KIND_WINDOW_LOST, false, std::string(), number,
              absl::StrCat(WindowText(number), " was removed from the hall"),
              Emit(v1::HallEvent::kAlarm, now, out)->mutable_alarm());
  }
  UpdateBelowMinAlarm(now, out);
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// Calls

absl::Status Hall::CallNext(const v1::Command::CallNext& c, int64_t now,
                            Outcome* out) {
  ASSIGN_OR_RETURN(const int w, FindWindow(c.window()));
  const WindowSlot& window = windows_[w];
  if (window.state != v1::WINDOW_STATE_IDLE) {
    switch (window.state) {
      case v1::WINDOW_STATE_CLOSED:
        return absl::FailedPreconditionError(
            absl::StrCat(WindowText(c.window()), " is closed; open it first"));
      case v1::WINDOW_STATE_PAUSED:
        return absl::FailedPreconditionError(
            absl::StrCat(WindowText(c.window()), " is paused (", window.reason,
                         "); resume it first"));
      case v1::WINDOW_STATE_CALLING:
        return absl::FailedPreconditionError(absl::StrCat(
            WindowText(c.window()),
            " is calling a ticket; start serving, recall or mark it no-show "
            "first"));
      default:
        return absl::FailedPreconditionError(absl::StrCat(
            WindowText(c.window()),
            " is serving a ticket; complete or transfer it first"));
    }
  }
  const uint32_t id = PickNext(w, now);
  if (id == kNone) return absl::OkStatus();  // Nobody waits: nothing changes.
  const bool priority = rules_.category(tickets_[id].category_slot).priority;
  windows_[w].priority_streak = priority ? windows_[w].priority_streak + 1 : 0;
  Unlink(id);
  AssignTicket(w, id, now, out);
  return absl::OkStatus();
}

absl::Status Hall::CallTicket(const v1::Command::CallTicket& c, int64_t now,
                              Outcome* out) {
  ASSIGN_OR_RETURN(const int w, FindWindow(c.window()));
  ASSIGN_OR_RETURN(const uint32_t id, FindTicket(c.ticket()));
  if (windows_[w].state != v1::WINDOW_STATE_IDLE) {
    return absl::FailedPreconditionError(absl::StrCat(
        WindowText(c.window()),
        " is not idle; finish its current ticket or open it first"));
  }
  const TicketSlot& t = tickets_[id];
  if (t.state != v1::TICKET_STATE_WAITING) {
    return absl::FailedPreconditionError(
        absl::StrCat(c.ticket(), " is ", StateWord(t.state), ", not waiting"));
  }
  const bool direct = t.lane == DirectLane(w);
  bool serves = direct;
  for (const ServedService& s : rules_.windows()[w].serves) {
    serves = serves || s.service == t.queue_service;
  }
  if (!serves) {
    return absl::FailedPreconditionError(
        absl::StrCat(WindowText(c.window()), " does not serve ",
                     rules_.services()[t.queue_service].name,
                     "; transfer the ticket instead"));
  }
  windows_[w].priority_streak = 0;
  Unlink(id);
  AssignTicket(w, id, now, out);
  return absl::OkStatus();
}

absl::Status Hall::Recall(const v1::Command::Recall& c, int64_t now,
                          Outcome* out) {
  ASSIGN_OR_RETURN(const int w, FindWindow(c.window()));
  const WindowSlot& window = windows_[w];
  if (window.state != v1::WINDOW_STATE_CALLING) {
    return absl::FailedPreconditionError(absl::StrCat(
        WindowText(c.window()), " has no called ticket to recall"));
  }
  TicketSlot& t = tickets_[window.ticket];
  if (t.recalls >= rules_.policy().max_recalls) {
    return absl::FailedPreconditionError(
        absl::StrCat("the ticket was recalled ", t.recalls,
                     " time(s), the most this hall allows; mark it no-show"));
  }
  ++t.recalls;
  EmitCall(w, window.ticket, now, out);
  return absl::OkStatus();
}

absl::Status Hall::StartServing(const v1::Command::StartServing& c, int64_t now,
                                Outcome* out) {
  ASSIGN_OR_RETURN(const int w, FindWindow(c.window()));
  if (windows_[w].state != v1::WINDOW_STATE_CALLING) {
    return absl::FailedPreconditionError(absl::StrCat(
        WindowText(c.window()), windows_[w].state == v1::WINDOW_STATE_SERVING
                                    ? " is already serving its ticket"
                                    : " has called nobody; call next first"));
  }
  const uint32_t id = windows_[w].ticket;
  tickets_[id].state = v1::TICKET_STATE_SERVING;
  tickets_[id].state_since_ms = now;
  SetWindowState(w, v1::WINDOW_STATE_SERVING, now);
  FillTicket(id, out->mutable_result_ticket());
  EmitTicketState(id, now, out);
  return absl::OkStatus();
}

absl::Status Hall::Complete(const v1::Command::Complete& c, int64_t now,
                            Outcome* out) {
  ASSIGN_OR_RETURN(const int w, FindWindow(c.window()));
  if (c.rating() < 0 || c.rating() > 5) {
    return absl::InvalidArgumentError(absl::StrCat(
        "rating must be 1-5, or 0 for not rated; got ", c.rating()));
  }
  WindowSlot& window = windows_[w];
  if (window.state != v1::WINDOW_STATE_SERVING) {
    return absl::FailedPreconditionError(absl::StrCat(
        WindowText(c.window()),
        window.state == v1::WINDOW_STATE_CALLING
            ? " has called its ticket but not started serving it; start "
              "serving first"
            : " is serving nobody; nothing to complete"));
  }
  const uint32_t id = window.ticket;
  TicketSlot& t = tickets_[id];
  const int64_t handling = std::max<int64_t>(0, now - t.state_since_ms);
  ServiceSlot& service = services_[t.queue_service];
  ++service.handled_today;
  service.handling_total_ms += handling;
  const double handling_s = static_cast<double>(handling) / 1000;
  service.handling_square_total_s2 += handling_s * handling_s;
  UpdateHandling(t.queue_service);
  t.state = v1::TICKET_STATE_COMPLETED;
  t.state_since_ms = now;
  FillTicket(id, out->mutable_result_ticket());
  EmitTicketState(id, now, out);
  v1::HallEvent::TicketStateChanged* e =
      out->last_event()->mutable_ticket_state_changed();
  e->set_handling_ms(handling);
  e->set_rating(c.rating());
  ReleaseTicket(w, now, out);
  return absl::OkStatus();
}

absl::Status Hall::NoShow(const v1::Command::NoShow& c, int64_t now,
                          Outcome* out) {
  ASSIGN_OR_RETURN(const int w, FindWindow(c.window()));
  if (windows_[w].state != v1::WINDOW_STATE_CALLING) {
    return absl::FailedPreconditionError(absl::StrCat(
        WindowText(c.window()),
        " has no called ticket; only a called customer can be a no-show"));
  }
  FillTicket(MarkNoShow(w, now, out), out->mutable_result_ticket());
  return absl::OkStatus();
}

uint32_t Hall::MarkNoShow(int w, int64_t now, Outcome* out) {
  const uint32_t id = windows_[w].ticket;
  tickets_[id].state = v1::TICKET_STATE_NO_SHOW;
  tickets_[id].state_since_ms = now;
  ReleaseTicket(w, now, out);
  EmitTicketState(id, now, out);
  return id;
}

absl::Status Hall::Transfer(const v1::Command::Transfer& c, int64_t now,
                            Outcome* out) {
  ASSIGN_OR_RETURN(const int w, FindWindow(c.window()));
  if (!v1::Placement_IsValid(c.placement())) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown placement ", static_cast<int>(c.placement())));
  }
  const uint32_t id = windows_[w].ticket;
  if (id == kNone) {
    return absl::FailedPreconditionError(
        absl::StrCat(WindowText(c.window()), " holds no ticket to transfer"));
  }
  uint32_t lane = kNone;
  int queue_service = tickets_[id].queue_service;
  switch (c.target_case()) {
    case v1::Command::Transfer::kToServiceCode: {
      const std::optional<int> s = rules_.FindService(c.to_service_code());
      if (!s) {
        return absl::NotFoundError(absl::StrCat(
            "no service '", Clipped(c.to_service_code()), "' in this hall"));
      }
      queue_service = *s;
      lane = ServiceLane(*s, tickets_[id].category_slot);
      break;
    }
    case v1::Command::Transfer::kToWindow: {
      ASSIGN_OR_RETURN(const int target, FindWindow(c.to_window()));
      if (target == w) {
        return absl::InvalidArgumentError(
            "a ticket cannot be transferred to the window that holds it");
      }
      lane = DirectLane(target);
      break;
    }
    case v1::Command::Transfer::TARGET_NOT_SET:
      return absl::InvalidArgumentError(
          "transfer needs to_service_code or to_window");
  }
  ReleaseTicket(w, now, out);
  if (c.has_to_service_code()) ++services_[queue_service].transferred_in_today;
  TicketSlot& t = tickets_[id];
  t.queue_service = static_cast<uint16_t>(queue_service);
  t.state = v1::TICKET_STATE_WAITING;
  t.state_since_ms = now;
  t.recalls = 0;
  switch (c.placement()) {
    case v1::PLACEMENT_FIRST:
      PushFront(lane, id);
      break;
    case v1::PLACEMENT_LAST:
      t.wait_since_ms = now;  // Waits anew, behind everyone.
      PushBack(lane, id);
      break;
    default:
      InsertSorted(lane, id, &TicketSlot::issued_at_ms);
      break;
  }
  FillTicket(id, out->mutable_result_ticket());
  v1::HallEvent::TicketTransferred* e =
      Emit(v1::HallEvent::kTicketTransferred, now, out)
          ->mutable_ticket_transferred();
  *e->mutable_ticket() = out->mutable_result()->ticket();
  e->set_from_window(rules_.windows()[w].number);
  if (c.has_to_service_code()) e->set_to_service_code(c.to_service_code());
  if (c.has_to_window()) e->set_to_window(c.to_window());
  e->set_placement(c.placement() == v1::PLACEMENT_UNSPECIFIED
                       ? v1::PLACEMENT_BY_ISSUE_TIME
                       : c.placement());
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// Timers and days

void Hall::Tick(int64_t now, Outcome* out) {
  const PolicyRules& policy = rules_.policy();
  for (size_t w = 0; w < windows_.size(); ++w) {
    WindowSlot& window = windows_[w];
    if (window.state == v1::WINDOW_STATE_CALLING &&
        policy.no_show_timeout_ms > 0 &&
        now - window.since_ms >= policy.no_show_timeout_ms) {
      MarkNoShow(static_cast<int>(w), now, out);
    }
    if (window.state == v1::WINDOW_STATE_SERVING && !window.handling_alarm) {
      const int64_t target =
          rules_.services()[tickets_[window.ticket].queue_service]
              .target_handling_ms;
      if (target > 0 && now - window.since_ms > target) {
        window.handling_alarm = true;
        EmitAlarm(Alarm::KIND_HANDLING_OVER_TARGET, true, -1,
                  static_cast<int>(w), now, out);
      }
    }
  }
  for (size_t s = 0; s < services_.size(); ++s) {
    const int64_t target = rules_.services()[s].target_wait_ms;
    if (target <= 0) continue;
    bool over = false;
    for (int slot = 0; slot < kCategoryCount; ++slot) {
      const Lane& lane = lanes_[ServiceLane(static_cast<int>(s), slot)];
      over = over || (lane.head != kNone &&
                      now - tickets_[lane.head].wait_since_ms > target);
    }
    if (over != services_[s].wait_alarm) {
      services_[s].wait_alarm = over;
      EmitAlarm(Alarm::KIND_WAIT_OVER_TARGET, over, static_cast<int>(s), -1,
                now, out);
    }
  }
  CheckLoad(now, out);
  UpdateBelowMinAlarm(now, out);
}

void Hall::StartDayIfDue(int64_t now, Outcome* out) {
  if (now < next_day_start_ms_) return;
  const int32_t day = calendar_.BusinessDay(absl::FromUnixMillis(now));
  // Never backwards: a clock stepped back, or the repeated hour of a DST
  // change, must not reopen a finished day.
  if (day <= business_day_) return;
  next_day_start_ms_ = Millis(calendar_.NextDayStart(day));
  const bool first_day = business_day_ == 0;
  business_day_ = day;
  int32_t expired = 0;
  std::vector<TicketSlot> kept;
  absl::flat_hash_map<uint32_t, std::string> kept_phones;
  // Only tickets still at a window survive the night; they keep their number
  // and day and finish normally.
  for (WindowSlot& window : windows_) {
    if (window.ticket == kNone) continue;
    const uint32_t id = static_cast<uint32_t>(kept.size());
    if (auto it = phones_.find(window.ticket); it != phones_.end()) {
      kept_phones[id] = std::move(it->second);
    }
    kept.push_back(tickets_[window.ticket]);
    window.ticket = id;
  }
  for (const Lane& lane : lanes_) expired += static_cast<int32_t>(lane.size);
  ResetLanes();
  tickets_ = std::move(kept);
  phones_ = std::move(kept_phones);
  // How promptly advice is followed is learnt afresh each day, like the
  // handling times; yesterday's advice is no longer waiting to be followed.
  advice_following_.Clear();
  for (size_t s = 0; s < services_.size(); ++s) {
    ServiceSlot& service = services_[s];
    service.ticket_by_number.clear();
    service.handled_today = 0;
    service.handling_total_ms = 0;
    service.handling_square_total_s2 = 0;
    service.transferred_in_today = 0;
    UpdateHandling(static_cast<int>(s));
    if (service.wait_alarm) {
      service.wait_alarm = false;
      EmitAlarm(Alarm::KIND_WAIT_OVER_TARGET, false, static_cast<int>(s), -1,
                now, out);
    }
    if (service.growing_alarm) {
      service.growing_alarm = false;
      EmitAlarm(Alarm::KIND_QUEUE_GROWING, false, static_cast<int>(s), -1, now,
                out);
    }
  }
  for (size_t w = 0; w < windows_.size(); ++w) {
    if (windows_[w].lost) {
      windows_[w].lost = false;
      EmitAlarm(Alarm::KIND_WINDOW_LOST, false, -1, static_cast<int>(w), now,
                out);
    }
  }
  v1::HallEvent::DayStarted* started =
      Emit(v1::HallEvent::kDayStarted, now, out)->mutable_day_started();
  started->set_business_day(day);
  started->set_expired(expired);
  if (first_day) UpdateBelowMinAlarm(now, out);
}

// ---------------------------------------------------------------------------
// Lookups

absl::StatusOr<int> Hall::FindWindow(int32_t number) const {
  const std::optional<int> w = rules_.FindWindow(number);
  if (!w) {
    return absl::NotFoundError(
        absl::StrCat("no window ", number, " in this hall"));
  }
  return *w;
}

absl::StatusOr<uint32_t> Hall::FindTicket(absl::string_view ticket) const {
  const auto parsed = rules_.ParseTicketNumber(ticket);
  if (!parsed) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", ticket.substr(0, 32),
                     "' is not a ticket number of this hall (a prefix and "
                     "digits, e.g. A012)"));
  }
  const auto& [service, number] = *parsed;
  const std::vector<uint32_t>& today = services_[service].ticket_by_number;
  if (number > today.size()) {
    return absl::NotFoundError(
        absl::StrCat("no ticket ", ticket, " was issued today"));
  }
  return today[number - 1];
}

int Hall::ClerkWindow(absl::string_view clerk) const {
  for (size_t w = 0; w < windows_.size(); ++w) {
    if (windows_[w].state != v1::WINDOW_STATE_CLOSED &&
        windows_[w].clerk == clerk) {
      return static_cast<int>(w);
    }
  }
  return -1;
}

// ---------------------------------------------------------------------------
// Lanes

void Hall::PushBack(uint32_t lane_index, uint32_t id) {
  Lane& lane = lanes_[lane_index];
  TicketSlot& t = tickets_[id];
  t.lane = lane_index;
  t.prev = lane.tail;
  t.next = kNone;
  if (lane.tail != kNone) {
    tickets_[lane.tail].next = id;
  } else {
    lane.head = id;
  }
  lane.tail = id;
  ++lane.size;
  CountWaiting(lane_index, id, +1);
}

void Hall::PushFront(uint32_t lane_index, uint32_t id) {
  Lane& lane = lanes_[lane_index];
  if (lane.head == kNone) {
    PushBack(lane_index, id);
    return;
  }
  TicketSlot& t = tickets_[id];
  t.lane = lane_index;
  t.prev = kNone;
  t.next = lane.head;
  tickets_[lane.head].prev = id;
  lane.head = id;
  ++lane.size;
  CountWaiting(lane_index, id, +1);
}

void Hall::InsertAfter(uint32_t lane_index, uint32_t after, uint32_t id) {
  Lane& lane = lanes_[lane_index];
  if (after == lane.tail) {
    PushBack(lane_index, id);
    return;
  }
  TicketSlot& t = tickets_[id];
  t.lane = lane_index;
  t.prev = after;
  t.next = tickets_[after].next;
  tickets_[t.next].prev = id;
  tickets_[after].next = id;
  ++lane.size;
  CountWaiting(lane_index, id, +1);
}

void Hall::InsertSorted(uint32_t lane_index, uint32_t id,
                        int64_t TicketSlot::*key) {
  // Walks back only over the tickets whose key is later than this one's:
  // most land at or near the tail.
  uint32_t after = lanes_[lane_index].tail;
  const int64_t value = tickets_[id].*key;
  while (after != kNone && tickets_[after].*key > value) {
    after = tickets_[after].prev;
  }
  if (after == kNone) {
    PushFront(lane_index, id);
  } else {
    InsertAfter(lane_index, after, id);
  }
}

void Hall::InsertAtOffset(uint32_t lane_index, uint32_t id, int offset) {
  if (offset == 0) {
    PushFront(lane_index, id);
    return;
  }
  uint32_t after = lanes_[lane_index].head;
  if (after == kNone) {
    PushBack(lane_index, id);
    return;
  }
  for (int i = 1; i < offset && tickets_[after].next != kNone; ++i) {
    after = tickets_[after].next;
  }
  InsertAfter(lane_index, after, id);
}

void Hall::Unlink(uint32_t id) {
  TicketSlot& t = tickets_[id];
  Lane& lane = lanes_[t.lane];
  if (t.prev != kNone) {
    tickets_[t.prev].next = t.next;
  } else {
    lane.head = t.next;
  }
  if (t.next != kNone) {
    tickets_[t.next].prev = t.prev;
  } else {
    lane.tail = t.prev;
  }
  --lane.size;
  CountWaiting(t.lane, id, -1);
  t.prev = t.next = t.lane = kNone;
}

void Hall::CountWaiting(uint32_t lane, uint32_t id, int delta) {
  if (lane < DirectLane(0)) {
    lanes_[lane].waits.Add(tickets_[id].wait_since_ms, delta);
    const int service = static_cast<int>(lane / kCategoryCount);
    NoteWaitingChange(service);
    services_[service].waiting += delta;
  }
}

void Hall::ResetLanes() {
  // Minutes count from two hours before the day's start, which leaves room
  // for appointments and transfers that began waiting a little earlier.
  const int64_t origin =
      Millis(calendar_.DayStart(business_day_) - absl::Hours(2));
  for (Lane& lane : lanes_) {
    lane.head = lane.tail = kNone;
    lane.size = 0;
    lane.waits.Reset(origin);
  }
  for (size_t s = 0; s < services_.size(); ++s) {
    if (services_[s].waiting != 0) NoteWaitingChange(static_cast<int>(s));
    services_[s].waiting = 0;
  }
}

// ---------------------------------------------------------------------------
// Dispatch

int64_t Hall::Score(const TicketSlot& t, int64_t weight, int64_t now) const {
  // Waiting time and the category's boost are in the same unit, so a normal
  // ticket's score keeps growing until it outranks any later arrival: that is
  // what bounds its wait.
  const int64_t aged =
      (now - t.wait_since_ms) * rules_.policy().ageing_percent / 100;
  return weight * (aged + rules_.category(t.category_slot).boost_ms);
}

uint32_t Hall::PickNext(int w, int64_t now) const {
  return PickFrom(
      w, now, windows_[w].priority_streak,
      [this](uint32_t lane) { return lanes_[lane].head; },
      [this](uint32_t id) -> const TicketSlot& { return tickets_[id]; });
}

template <typename HeadOf, typename SlotOf>
uint32_t Hall::PickFrom(int w, int64_t now, int priority_streak,
                        const HeadOf& head_of, const SlotOf& slot_of) const {
  struct Best {
    uint32_t id = kNone;
    int64_t score = 0;
    int64_t issued_at_ms = 0;
  };
  Best any, normal;
  auto consider = [&](uint32_t id, int64_t weight) {
    const TicketSlot& t = slot_of(id);
    const int64_t score = Score(t, weight, now);
    auto better = [&](const Best& b) {
      return b.id == kNone || score > b.score ||
             (score == b.score && t.issued_at_ms < b.issued_at_ms);
    };
    if (better(any)) any = {id, score, t.issued_at_ms};
    if (!rules_.category(t.category_slot).priority && better(normal)) {
      normal = {id, score, t.issued_at_ms};
    }
  };
  // A customer sent to this very window by a colleague comes first: they
  // were already served once and were promised this window.
  const uint32_t direct = head_of(DirectLane(w));
  if (direct != kNone) return direct;
  for (const ServedService& served : rules_.windows()[w].serves) {
    for (int slot = 0; slot < kCategoryCount; ++slot) {
      const uint32_t head = head_of(ServiceLane(served.service, slot));
      if (head != kNone) consider(head, served.weight);
    }
  }

  const int interleave = rules_.policy().priority_interleave;
  if (interleave > 0 && priority_streak >= interleave && normal.id != kNone) {
    return normal.id;
  }
  return any.id;
}

// ---------------------------------------------------------------------------
// Windows

void Hall::SetWindowState(int w, v1::WindowState state, int64_t now) {
  WindowSlot& window = windows_[w];
  const bool was_open = CountsAsOpen(window.state);
  const bool was_idle = window.state == v1::WINDOW_STATE_IDLE;
  const bool open = CountsAsOpen(state);
  const bool idle = state == v1::WINDOW_STATE_IDLE;
  window.state = state;
  window.since_ms = now;
  if (was_open == open && was_idle == idle) return;
  open_windows_ += static_cast<int>(open) - static_cast<int>(was_open);
  for (const ServedService& served : rules_.windows()[w].serves) {
    ServiceSlot& service = services_[served.service];
    service.open_windows += static_cast<int>(open) - static_cast<int>(was_open);
    service.open_share_permille +=
        (static_cast<int>(open) - static_cast<int>(was_open)) *
        served.share_permille;
    service.idle_windows += static_cast<int>(idle) - static_cast<int>(was_idle);
  }
}

void Hall::AssignTicket(int w, uint32_t id, int64_t now, Outcome* out) {
  TicketSlot& t = tickets_[id];
  t.state = v1::TICKET_STATE_CALLED;
  t.state_since_ms = now;
  t.window = static_cast<int16_t>(w);
  t.recalls = 0;
  windows_[w].ticket = id;
  SetWindowState(w, v1::WINDOW_STATE_CALLING, now);
  EmitCall(w, id, now, out);
}

void Hall::EmitCall(int w, uint32_t id, int64_t now, Outcome* out) {
  v1::HallEvent::TicketCalled* called =
      Emit(v1::HallEvent::kTicketCalled, now, out)->mutable_ticket_called();
  FillTicket(id, called->mutable_ticket());
  called->set_window(rules_.windows()[w].number);
  called->set_window_name(rules_.windows()[w].name);
  FormatAnnouncement(rules_.config().language(), called->ticket().number(),
                     rules_.windows()[w].number,
                     called->mutable_announcement());
  called->set_recall(tickets_[id].recalls);
  *out->mutable_result_ticket() = called->ticket();
}

void Hall::ReleaseTicket(int w, int64_t now, Outcome* out) {
  WindowSlot& window = windows_[w];
  window.ticket = kNone;
  SetWindowState(w, v1::WINDOW_STATE_IDLE, now);
  if (window.handling_alarm) {
    window.handling_alarm = false;
    EmitAlarm(Alarm::KIND_HANDLING_OVER_TARGET, false, -1, w, now, out);
  }
}

void Hall::UpdateBelowMinAlarm(int64_t now, Outcome* out) {
  const bool below = BusinessHours(now) && open_windows_ < min_open_windows_;
  if (below == below_min_alarm_) return;
  below_min_alarm_ = below;
  EmitAlarm(Alarm::KIND_BELOW_MIN_OPEN, below, -1, -1, now, out);
}

// ---------------------------------------------------------------------------
// Estimates

int32_t Hall::PeopleAheadInService(int service, int category_slot,
                                   int64_t wait_since,
                                   int64_t own_position) const {
  // Ticket u goes before t when ageing*(now - w_u) + b_u > ageing*(now - w_t)
  // + b_t, i.e. when w_u < w_t + (b_u - b_t) / ageing: `now` cancels out, and
  // since lanes run oldest first the tickets ahead are the oldest of each lane.
  const int64_t ageing = rules_.policy().ageing_percent;
  const int64_t boost = rules_.category(category_slot).boost_ms;
  int64_t ahead = own_position;
  for (int slot = 0; slot < kCategoryCount; ++slot) {
    if (slot == category_slot) continue;
    const Lane& lane = lanes_[ServiceLane(service, slot)];
    if (lane.size == 0) continue;
    const int64_t before =
        wait_since + (rules_.category(slot).boost_ms - boost) * 100 / ageing;
    // Counted to the minute: exact enough for a customer's estimate, and it
    // keeps issuing O(1) however long the lanes grow.
    ahead += tickets_[lane.tail].wait_since_ms < before
                 ? lane.size
                 : lane.waits.CountBefore(before);
  }
  return static_cast<int32_t>(std::min<int64_t>(ahead, INT32_MAX));
}

int32_t Hall::PeopleAhead(uint32_t id) const {
  const TicketSlot& t = tickets_[id];
  int64_t position = 0;
  for (uint32_t u = lanes_[t.lane].head; u != id; u = tickets_[u].next) {
    ++position;
  }
  if (t.lane >= DirectLane(0)) return static_cast<int32_t>(position);
  return PeopleAheadInService(t.queue_service, t.category_slot, t.wait_since_ms,
                              position);
}

int64_t Hall::OpenShareNow(int service) const {
  // A shared window splits its time among the services that have someone
  // waiting: with the others' lanes empty it is all this service's. (The
  // configured share alone made estimates pessimistic whenever the hall was
  // not full; docs/staffing.md.)
  int64_t share = 0;
  for (const int w : rules_.windows_serving(service)) {
    if (!CountsAsOpen(windows_[w].state)) continue;
    int64_t mine = 0, busy = 0;
    for (const ServedService& served : rules_.windows()[w].serves) {
      if (served.service == service) {
        mine = served.weight;
        busy += served.weight;
      } else if (services_[served.service].waiting > 0) {
        busy += served.weight;
      }
    }
    if (busy > 0) share += 1000 * mine / busy;
  }
  return share;
}

void Hall::UpdateHandling(int service) {
  // The day's figures, starting from the prior as if it had been seen
  // kPriorWeight times: an early unusual customer moves them little, and by
  // midday they are the day's true pace. (An exponential average with
  // weight 1/8 was tried first for the mean: its noise, ±26 % for
  // exponential handling, made the estimated waits 37 % worse than the
  // queue-length estimator in simulation; see docs/staffing.md.) The
  // prior's spread is c² = 1, as for exponential times.
  constexpr int64_t kPriorWeight = 8;
  ServiceSlot& s = services_[service];
  s.mean_handling_ms =
      (kPriorWeight * rules_.services()[service].prior_handling_ms +
       s.handling_total_ms) /
      (kPriorWeight + s.handled_today);
  double cv2 = 1;
  if (s.handled_today > 1 && s.handling_total_ms > 0) {
    const double n = static_cast<double>(s.handled_today);
    const double mean_s = static_cast<double>(s.handling_total_ms) / 1000 / n;
    const double variance =
        std::max(0.0, s.handling_square_total_s2 / n - mean_s * mean_s);
    cv2 = (kPriorWeight + n * variance / (mean_s * mean_s)) /
          static_cast<double>(kPriorWeight + s.handled_today);
  }
  s.handling_fit = HandlingFit::FromMoments(
      static_cast<double>(std::max<int64_t>(1, s.mean_handling_ms)), cv2);
}

std::optional<Hall::Opening> Hall::ExpectedOpening(
    int64_t now, const std::vector<double>& arrivals, int service,
    bool walk_in) const {
  const v1::HallState::AdviceFollowing& f = advice_following_;
  if (f.opens_followed() < 2 || 2 * f.opens_followed() < f.opens_advised()) {
    return std::nullopt;
  }
  // Only a window of this service that is not open can be opened for it
  // (and only then is the plan worth its cost).
  bool closed = false;
  for (const int w : rules_.windows_serving(service)) {
    closed |= !CountsAsOpen(windows_[w].state);
  }
  if (!closed) return std::nullopt;
  const StaffingPlan plan =
      PlanStaffingAt(now, arrivals, walk_in ? service : -1);
  if (plan.open_window < 0) return std::nullopt;
  const int64_t delay_ms = f.follow_delay_total_ms() / f.opens_followed();
  if (f.open_advised_at_ms() > 0 &&
      rules_.windows()[plan.open_window].number == last_advice_.open_window()) {
    // Advised already: the clerk is on the way, unless the advice has gone
    // unanswered for longer than anyone answers one.
    if (now - f.open_advised_at_ms() > kAdviceAnswerMs) return std::nullopt;
    return Opening{plan.open_window,
                   std::max(now, f.open_advised_at_ms() + delay_ms)};
  }
  return Opening{plan.open_window, now + delay_ms};
}

// Replays the dispatch rule forward for one ticket: each window calls when
// it is free and holds its customer for the service's mean handling time;
// a customer already at a window, for the expected rest given how long the
// handling has lasted and how spread the day's handling times are
// (HandlingFit).
// Ageing, weights, priority interleave and transfers to a window then split
// shared windows the way they will really be split, which no share formula
// gets right (docs/staffing.md). Customers still to come join at the recent
// rates, one every 1/rate: walk-ins of the other services, who on a shared
// window weighted 2:1 go first once they have waited half as long, and
// customers transferred into the target's service, who go to the head of
// its line. (Its own normal walk-ins queue behind the target. Not modelled:
// priority walk-ins, which go ahead of normal tickets, and transfers placed
// other than first; modelling the ticket's own service's priority walk-ins
// changed nothing measurable on the demo day, docs/staffing.md.)
class Hall::Projection {
 public:
  // `target` waits in `target_slot.lane`; kNone: `target_slot`, not issued
  // yet, at that lane's end.
  Projection(const Hall& hall, uint32_t target, const TicketSlot& target_slot,
             int64_t now);

  struct Projected {
    // When the target is called, in ms from now; or, when kMaxProjectedCalls
    // calls did not reach it, how far they went (it waits at least that).
    int64_t ms = 0;
    bool called = false;
  };
  // nullopt when no open window ever reaches the target.
  std::optional<Projected> CallMs();

 private:
  static constexpr uint32_t kTarget = kNone - 1;  // A ticket not issued yet.

  // What a window that is free at some time does.
  struct Step {
    enum Kind { kCallsTarget, kHolds, kWaitsUntil, kStops } kind;
    int64_t ms = 0;  // Held for, or waits until.
  };
  Step Call(int window, int64_t at);
  uint32_t HeadOf(uint32_t lane) const;
  const TicketSlot& SlotOf(uint32_t id) const;
  bool ServesTarget(int window) const;
  uint32_t ComingId(size_t service) const {
    return kTarget - 1 - static_cast<uint32_t>(service);
  }
  size_t ComingService(uint32_t id) const { return kTarget - 1 - id; }

  const Hall& hall_;
  const uint32_t target_lane_;
  const uint32_t wanted_;
  const TicketSlot& target_slot_;
  const int64_t now_;
  const int normal_ = CategorySlot(v1::CATEGORY_NORMAL);
  int64_t clock_ms_;
  std::vector<uint32_t> heads_;  // Of every lane, as the calls go on.
  std::vector<int> streaks_;     // Priority streak of every window.
  // The next customer to come of each service (of the target's, the next
  // transfer), and the gap between them; 0: none expected.
  std::vector<TicketSlot> coming_;
  std::vector<int64_t> gaps_ms_;
  uint32_t first_coming_;
  // A window the advice will have opened, where clerks follow it.
  std::optional<Opening> opening_;
};

Hall::Projection::Projection(const Hall& hall, uint32_t target,
                             const TicketSlot& target_slot, int64_t now)
    : hall_(hall),
      target_lane_(target_slot.lane),
      wanted_(target == kNone ? kTarget : target),
      target_slot_(target_slot),
      now_(now),
      clock_ms_(now),
      heads_(hall.lanes_.size()),
      streaks_(hall.windows_.size()) {
  for (size_t l = 0; l < hall.lanes_.size(); ++l) {
    heads_[l] = hall.lanes_[l].head;
  }
  if (wanted_ == kTarget && heads_[target_lane_] == kNone) {
    heads_[target_lane_] = kTarget;
  }
  for (size_t w = 0; w < hall.windows_.size(); ++w) {
    streaks_[w] = hall.windows_[w].priority_streak;
  }
  // A walk-in not issued yet counts as issued, so the estimate a board
  // shows for the next walk-in is the one their ticket then gets.
  std::vector<double> transfers_in;
  const std::vector<double> arrivals = hall.ArrivalsPerSecond(
      now, &transfers_in, target == kNone ? target_slot.service : -1);
  if (target_slot.lane < hall.DirectLane(0)) {
    opening_ = hall.ExpectedOpening(now, arrivals, target_slot.queue_service,
                                    target == kNone);
  }
  const size_t services = hall.services_.size();
  coming_.resize(services);
  gaps_ms_.resize(services);
  first_coming_ = kTarget - static_cast<uint32_t>(services);
  for (size_t s = 0; s < services; ++s) {
    const bool transfer = static_cast<int>(s) == target_slot.queue_service;
    const double per_second = transfer ? transfers_in[s] : arrivals[s];
    gaps_ms_[s] = per_second > 0
                      ? std::max<int64_t>(1, std::llround(1000 / per_second))
                      : 0;
    TicketSlot& next = coming_[s];
    next.queue_service = static_cast<uint16_t>(s);
    next.category_slot = static_cast<uint8_t>(normal_);
    next.issued_at_ms = now + gaps_ms_[s];
    // A transfer has waited and been served once already; its age counts.
    next.wait_since_ms =
        next.issued_at_ms - (transfer ? hall.services_[s].mean_handling_ms : 0);
  }
}

bool Hall::Projection::ServesTarget(int w) const {
  if (target_lane_ >= hall_.DirectLane(0)) {
    return target_lane_ == hall_.DirectLane(w);
  }
  for (const ServedService& served : hall_.rules_.windows()[w].serves) {
    if (served.service == target_slot_.queue_service) return true;
  }
  return false;
}

uint32_t Hall::Projection::HeadOf(uint32_t lane) const {
  if (lane < hall_.DirectLane(0) &&
      static_cast<int>(lane % kCategoryCount) == normal_) {
    const size_t s = lane / kCategoryCount;
    const bool arrived =
        gaps_ms_[s] > 0 && coming_[s].issued_at_ms <= clock_ms_;
    if (arrived && (static_cast<int>(s) == target_slot_.queue_service ||
                    heads_[lane] == kNone)) {
      return ComingId(s);
    }
  }
  return heads_[lane];
}

const Hall::TicketSlot& Hall::Projection::SlotOf(uint32_t id) const {
  if (id == kTarget) return target_slot_;
  if (id >= first_coming_) return coming_[ComingService(id)];
  return hall_.tickets_[id];
}

Hall::Projection::Step Hall::Projection::Call(int w, int64_t at) {
  clock_ms_ = at;
  const uint32_t id = hall_.PickFrom(
      w, at, streaks_[w], [this](uint32_t lane) { return HeadOf(lane); },
      [this](uint32_t ticket) -> const TicketSlot& { return SlotOf(ticket); });
  if (id == wanted_) return {Step::kCallsTarget};
  if (id == kNone) {
    // Nobody this window serves is left ahead: it waits for the next
    // customer to come that it serves, if any is expected.
    int64_t wake_ms = INT64_MAX;
    for (const ServedService& served : hall_.rules_.windows()[w].serves) {
      if (gaps_ms_[served.service] > 0) {
        wake_ms = std::min(wake_ms, coming_[served.service].issued_at_ms);
      }
    }
    if (wake_ms == INT64_MAX) return {Step::kStops};
    return {Step::kWaitsUntil, std::max(wake_ms, at)};
  }
  if (id >= first_coming_) {
    const size_t s = ComingService(id);
    coming_[s].issued_at_ms += gaps_ms_[s];
    coming_[s].wait_since_ms += gaps_ms_[s];
    streaks_[w] = 0;
    return {Step::kHolds, hall_.services_[s].mean_handling_ms};
  }
  const TicketSlot& t = hall_.tickets_[id];
  streaks_[w] =
      hall_.rules_.category(t.category_slot).priority ? streaks_[w] + 1 : 0;
  if (t.next != kNone) {
    heads_[t.lane] = t.next;
  } else {
    heads_[t.lane] =
        t.lane == target_lane_ && wanted_ == kTarget ? kTarget : kNone;
  }
  return {Step::kHolds, hall_.services_[t.queue_service].mean_handling_ms};
}

std::optional<Hall::Projection::Projected> Hall::Projection::CallMs() {
  // Windows that hold a customer free up one after another at their joint
  // rate, the sum of 1 / (expected rest of each one's customer), as if each
  // rest were exponential (exact for c² = 1; with regular handling the
  // first free window comes somewhat later than this): with five windows
  // busy the first is free after a fifth of a handling time, as in M/M/s,
  // not after a whole one. The one expected to finish first is the
  // one that frees up, and takes its next customer back into the pool, so a
  // window that just started a long customer does not free up again soon.
  // Windows that can call the target form one pool, the others another.
  struct Busy {
    int64_t done_ms;  // When its customer is expected to be done.
    double rate;      // 1 / the customer's expected rest then, per ms.
    int window;
    bool operator>(const Busy& o) const {
      return done_ms != o.done_ms ? done_ms > o.done_ms : window > o.window;
    }
  };
  struct Pool {
    std::vector<Busy> windows;  // A min-heap by done_ms.
    double rate = 0;
    double next_ms = 0;  // When the next of them frees up.
  };
  std::array<Pool, 2> pools;  // [0]: can call the target; [1]: cannot.
  struct Waiting {
    int64_t at_ms;
    int window;
    bool operator>(const Waiting& o) const {
      return at_ms != o.at_ms ? at_ms > o.at_ms : window > o.window;
    }
  };
  std::vector<Waiting> waiting;  // Idle until a customer comes; a min-heap.
  int waiting_for_target = 0;    // Of those, the ones that can call it.
  const auto join = [&](int w, double at_ms, double rest_ms) {
    Pool& pool = pools[ServesTarget(w) ? 0 : 1];
    const double rate = 1 / rest_ms;
    pool.windows.push_back({RoundMs(at_ms + rest_ms), rate, w});
    std::push_heap(pool.windows.begin(), pool.windows.end(),
                   std::greater<Busy>());
    pool.rate += rate;
    // One more window can only bring the next free one closer.
    pool.next_ms = pool.windows.size() == 1
                       ? at_ms + 1 / pool.rate
                       : std::min(pool.next_ms, at_ms + 1 / pool.rate);
  };
  // Idle windows call at once; windows busy now are done in the expected
  // rest of their customer's handling, given how long it has lasted. (A
  // window still calling has its customer's whole handling ahead: handling
  // counts from StartServing.)
  for (int w = 0; w < static_cast<int>(hall_.windows_.size()); ++w) {
    const WindowSlot& window = hall_.windows_[w];
    if (window.state == v1::WINDOW_STATE_IDLE) {
      const Step step = Call(w, now_);
      if (step.kind == Step::kCallsTarget) return Projected{0, true};
      if (step.kind == Step::kHolds) {
        join(w, static_cast<double>(now_),
             static_cast<double>(std::max<int64_t>(1, step.ms)));
      } else if (step.kind == Step::kWaitsUntil) {
        waiting.push_back({step.ms, w});
        waiting_for_target += ServesTarget(w) ? 1 : 0;
      }
    } else if (window.ticket != kNone &&
               (window.state == v1::WINDOW_STATE_CALLING ||
                window.state == v1::WINDOW_STATE_SERVING)) {
      join(w, static_cast<double>(now_),
           hall_.services_[hall_.tickets_[window.ticket].queue_service]
               .handling_fit.RemainingMs(
                   window.state == v1::WINDOW_STATE_SERVING
                       ? static_cast<double>(now_ - window.since_ms)
                       : 0));
    }
  }
  if (opening_ && !CountsAsOpen(hall_.windows_[opening_->window].state) &&
      ServesTarget(opening_->window)) {
    waiting.push_back({opening_->at_ms, opening_->window});
    ++waiting_for_target;
  }
  std::make_heap(waiting.begin(), waiting.end(), std::greater<Waiting>());
  for (int calls = 0; calls < kMaxProjectedCalls; ++calls) {
    // With no window left that can call the target, the others calling
    // their own customers say nothing about it.
    if (pools[0].windows.empty() && waiting_for_target == 0) {
      return std::nullopt;
    }
    // The earliest of: a pool's next free window, a waiting window's wake.
    Pool* pool = nullptr;
    for (Pool& p : pools) {
      if (!p.windows.empty() &&
          (pool == nullptr || p.next_ms < pool->next_ms)) {
        pool = &p;
      }
    }
    int w = 0;
    int64_t at_ms = pool != nullptr ? RoundMs(pool->next_ms) : 0;
    if (pool != nullptr &&
        (waiting.empty() || at_ms <= waiting.front().at_ms)) {
      std::pop_heap(pool->windows.begin(), pool->windows.end(),
                    std::greater<Busy>());
      w = pool->windows.back().window;
      pool->rate -= pool->windows.back().rate;
      pool->windows.pop_back();
      if (pool->windows.empty()) {
        pool->rate = 0;  // No rounding left over for the next to join.
      } else {
        pool->next_ms += 1 / pool->rate;
      }
    } else if (!waiting.empty()) {
      std::pop_heap(waiting.begin(), waiting.end(), std::greater<Waiting>());
      w = waiting.back().window;
      at_ms = waiting.back().at_ms;
      waiting.pop_back();
      waiting_for_target -= ServesTarget(w) ? 1 : 0;
    }
    const Step step = Call(w, at_ms);
    if (step.kind == Step::kCallsTarget) return Projected{at_ms - now_, true};
    if (step.kind == Step::kHolds) {
      join(w, static_cast<double>(at_ms),
           static_cast<double>(std::max<int64_t>(1, step.ms)));
    } else if (step.kind == Step::kWaitsUntil) {
      waiting.push_back({step.ms, w});
      std::push_heap(waiting.begin(), waiting.end(), std::greater<Waiting>());
      waiting_for_target += ServesTarget(w) ? 1 : 0;
    }
  }
  if (pools[0].windows.empty() && waiting_for_target == 0) return std::nullopt;
  return Projected{clock_ms_ - now_, false};
}

int64_t Hall::EstimateWaitSeconds(uint32_t target,
                                  const TicketSlot& target_slot,
                                  int32_t people_ahead, int64_t now) const {
  const int service = target_slot.queue_service;
  const ServiceSlot& s = services_[service];
  if (people_ahead < s.idle_windows && target_slot.lane < DirectLane(0)) {
    return 0;
  }
  int64_t at_least_ms = 0;
  if (people_ahead <= kMaxProjectedAhead) {
    const std::optional<Projection::Projected> projected =
        Projection(*this, target, target_slot, now).CallMs();
    if (projected && projected->called) {
      return std::clamp<int64_t>(projected->ms / 1000, 0, kMaxEstimateSeconds);
    }
    if (projected) at_least_ms = projected->ms;
  }
  // Too many ahead to replay every call (a long line's wait is its length
  // over the rate anyway), the replay's calls ran out (then at least as
  // long as they went), or no open window reaches the lane: the people
  // ahead plus one cleared at the rate of the window time this service
  // gets. With no window open it assumes one window, so the figure stays
  // finite and pessimistic.
  const int64_t open_share = OpenShareNow(service);
  const int64_t share = open_share > 0 ? open_share : 1000;
  const int64_t to_clear =
      std::max<int64_t>(0, people_ahead - s.idle_windows) + 1;
  const int64_t ms =
      std::max(at_least_ms, to_clear * s.mean_handling_ms * 1000 / share);
  return std::clamp<int64_t>(ms / 1000, 0, kMaxEstimateSeconds);
}

int64_t Hall::EstimateNewTicketWaitSeconds(int service, int32_t people_ahead,
                                           int64_t now) const {
  TicketSlot walk_in;
  walk_in.issued_at_ms = now;
  walk_in.wait_since_ms = now;
  walk_in.service = static_cast<uint16_t>(service);
  walk_in.queue_service = walk_in.service;
  walk_in.category_slot =
      static_cast<uint8_t>(CategorySlot(v1::CATEGORY_NORMAL));
  walk_in.lane = ServiceLane(service, walk_in.category_slot);
  return EstimateWaitSeconds(kNone, walk_in, people_ahead, now);
}

// ---------------------------------------------------------------------------
// Events

v1::HallEvent* Hall::Emit(v1::HallEvent::KindCase kind, int64_t now,
                          Outcome* out) {
  return log_.Emit(kind, now, out);
}

std::string Hall::TicketText(uint32_t id) const {
  const ServiceRules& numbering = rules_.services()[tickets_[id].service];
  return FormatTicketNumber(numbering.prefix, tickets_[id].number,
                            numbering.width);
}

void Hall::FillTicket(uint32_t id, v1::Ticket* ticket) const {
  ticket->Clear();  // Keeps its strings' memory.
  const TicketSlot& t = tickets_[id];
  const ServiceRules& numbering = rules_.services()[t.service];
  const ServiceRules& queue = rules_.services()[t.queue_service];
  FormatTicketNumber(numbering.prefix, t.number, numbering.width,
                     ticket->mutable_number());
  ticket->set_service_code(queue.code);
  ticket->set_service_name(queue.name);
  ticket->set_category(CategoryAt(t.category_slot));
  ticket->set_state(static_cast<v1::TicketState>(t.state));
  ticket->set_issued_at_unix_ms(t.issued_at_ms);
  ticket->set_appointment_unix_seconds(t.appointment_s);
  ticket->set_window(t.window >= 0 ? rules_.windows()[t.window].number : 0);
  ticket->set_recalls(t.recalls);
  ticket->set_requeues(t.requeues);
  ticket->set_business_day(t.business_day);
}

void Hall::EmitTicketState(uint32_t id, int64_t now, Outcome* out) {
  v1::HallEvent::TicketStateChanged* e =
      Emit(v1::HallEvent::kTicketStateChanged, now, out)
          ->mutable_ticket_state_changed();
  FillTicket(id, e->mutable_ticket());
  e->set_window(e->ticket().window());
}

void Hall::EmitWindowState(int w, int64_t now, Outcome* out) {
  const WindowSlot& window = windows_[w];
  v1::HallEvent::WindowChanged* e =
      Emit(v1::HallEvent::kWindowChanged, now, out)->mutable_window_changed();
  e->set_window(rules_.windows()[w].number);
  e->set_window_name(rules_.windows()[w].name);
  e->set_state(window.state);
  e->set_clerk_id(window.clerk);
  e->set_reason(window.reason);
  e->set_open_windows(open_windows_);
}

std::string Hall::AlarmMessage(Alarm::Kind kind, int service, int w) const {
  switch (kind) {
    case Alarm::KIND_BELOW_MIN_OPEN:
      return absl::StrCat("hall needs ", min_open_windows_, " open windows, ",
                          open_windows_, " are open");
    case Alarm::KIND_WAIT_OVER_TARGET: {
      // Targets under a minute (tests, express services) keep their seconds.
      const int64_t target_ms = rules_.services()[service].target_wait_ms;
      return absl::StrCat(
          rules_.services()[service].name, ": customers wait longer than the ",
          target_ms % 60000 == 0 ? absl::StrCat(target_ms / 60000, "-minute")
                                 : absl::StrCat(target_ms / 1000, "-second"),
          " target");
    }
    case Alarm::KIND_HANDLING_OVER_TARGET:
      return absl::StrCat(WindowText(rules_.windows()[w].number),
                          " is serving longer than the target handling time");
    case Alarm::KIND_WINDOW_LOST:
      return absl::StrCat(WindowText(rules_.windows()[w].number),
                          " lost its counter (heartbeat stopped)");
    case Alarm::KIND_QUEUE_GROWING:
      return absl::StrCat(rules_.services()[service].name,
                          ": customers arrive faster than the open windows "
                          "serve them");
    default:
      return "";
  }
}

void Hall::EmitAlarm(Alarm::Kind kind, bool raised, int service, int w,
                     int64_t now, Outcome* out) {
  FillAlarm(kind, raised, service, w,
            Emit(v1::HallEvent::kAlarm, now, out)->mutable_alarm());
}

void Hall::FillAlarm(Alarm::Kind kind, bool raised, int service, int w,
                     Alarm* alarm) const {
  static const std::string* const kNoService = new std::string();
  FillAlarm(kind, raised,
            service >= 0 ? rules_.services()[service].code : *kNoService,
            w >= 0 ? rules_.windows()[w].number : 0,
            AlarmMessage(kind, service, w), alarm);
}

void Hall::FillAlarm(Alarm::Kind kind, bool raised,
                     const std::string& service_code, int32_t window,
                     std::string message, Alarm* alarm) {
  alarm->set_kind(kind);
  alarm->set_raised(raised);
  if (!service_code.empty()) alarm->set_service_code(service_code);
  if (window != 0) alarm->set_window(window);
  alarm->set_message(std::move(message));
}

// ---------------------------------------------------------------------------
// Queries

absl::StatusOr<v1::CommandResult> Hall::TicketStatus(absl::string_view ticket,
                                                     absl::Time now) const {
  ASSIGN_OR_RETURN(const uint32_t id, FindTicket(ticket));
  v1::CommandResult result;
  FillTicket(id, result.mutable_ticket());
  if (tickets_[id].state == v1::TICKET_STATE_WAITING) {
    const int32_t ahead = PeopleAhead(id);
    result.set_people_ahead(ahead);
    result.set_estimated_wait_seconds(
        EstimateWaitSeconds(id, ahead, Millis(now)));
  }
  return result;
}

std::vector<double> Hall::ArrivalsPerSecond(int64_t now,
                                            std::vector<double>* transferred_in,
                                            int also_issued) const {
  // Issues of the last 30 minutes, or of the day so far (at least 5
  // minutes, so one early ticket does not look like a rush).
  constexpr int64_t kWindowMs = 30 * 60 * 1000;
  constexpr int64_t kShortestMs = 5 * 60 * 1000;
  const int64_t since = std::max(
      now - kWindowMs,
      std::min(now - kShortestMs, Millis(calendar_.DayStart(business_day_))));
  const double seconds = static_cast<double>(now - since) / 1000.0;
  std::vector<double> arrivals(services_.size(), 0.0);
  double issued_per_second = 0;
  int64_t issued_today = 0;
  for (size_t s = 0; s < services_.size(); ++s) {
    // Today's tickets of a service are in issue order, so a binary search
    // counts them: an estimate at every issue stays cheap in a busy hall.
    const std::vector<uint32_t>& issued = services_[s].ticket_by_number;
    const auto first = std::partition_point(
        issued.begin(), issued.end(),
        [&](uint32_t id) { return tickets_[id].issued_at_ms < since; });
    const int64_t also = static_cast<int>(s) == also_issued ? 1 : 0;
    arrivals[s] = static_cast<double>(issued.end() - first + also) / seconds;
    issued_per_second += arrivals[s];
    issued_today += static_cast<int64_t>(issued.size()) + also;
  }
  // Transfers come from customers served, so they follow the day's load:
  // today's transfers into a service per ticket issued, at today's rate.
  if (transferred_in != nullptr) transferred_in->assign(services_.size(), 0.0);
  if (issued_today == 0) return arrivals;
  for (size_t s = 0; s < services_.size(); ++s) {
    const double transfers =
        static_cast<double>(services_[s].transferred_in_today) *
        issued_per_second / static_cast<double>(issued_today);
    arrivals[s] += transfers;
    if (transferred_in != nullptr) (*transferred_in)[s] = transfers;
  }
  return arrivals;
}

void Hall::CheckLoad(int64_t now, Outcome* out) {
  // A line grows when the offered load (arrivals x handling) is at or above
  // what the open windows give the service, and people queue beyond them;
  // cleared below 90 % of it or when nobody waits, so it does not flicker.
  const std::vector<double> arrivals = ArrivalsPerSecond(now);
  for (size_t s = 0; s < services_.size(); ++s) {
    ServiceSlot& service = services_[s];
    const double load =
        arrivals[s] * static_cast<double>(service.mean_handling_ms) / 1000.0;
    const double capacity =
        static_cast<double>(OpenShareNow(static_cast<int>(s))) / 1000.0;
    const bool growing = service.growing_alarm
                             ? service.waiting > 0 && load >= 0.9 * capacity
                             : service.waiting > std::max(1.0, capacity) &&
                                   load >= capacity && load > 0;
    if (growing != service.growing_alarm) {
      service.growing_alarm = growing;
      EmitAlarm(Alarm::KIND_QUEUE_GROWING, growing, static_cast<int>(s), -1,
                now, out);
    }
  }
  // Every tick, so that nothing changes without an event (the journal keeps
  // only ticks that emitted some); announced only when the advice changes.
  const StaffingPlan plan = PlanStaffingAt(now, arrivals);
  v1::HallEvent::StaffingAdvised advice;
  advice.set_recommended_open_windows(plan.recommended_open);
  advice.set_open_windows(open_windows_);
  if (plan.open_window >= 0) {
    advice.set_open_window(rules_.windows()[plan.open_window].number);
    advice.set_open_for_service(rules_.services()[plan.open_for_service].code);
  }
  if (plan.close_window >= 0) {
    advice.set_close_window(rules_.windows()[plan.close_window].number);
  }
  // Announced when what to do changes, not when a count moves by one.
  if (advice.open_window() == last_advice_.open_window() &&
      advice.open_for_service() == last_advice_.open_for_service() &&
      advice.close_window() == last_advice_.close_window()) {
    return;
  }
  const bool chinese = rules_.config().language() != v1::LANGUAGE_EN;
  if (plan.open_window >= 0) {
    const ServiceRules& svc = rules_.services()[plan.open_for_service];
    advice.set_text(chinese ? absl::StrCat("建议开 ", advice.open_window(),
                                           " 号窗口办理", svc.name)
                            : absl::StrCat("open window ", advice.open_window(),
                                           " for ", svc.name));
  } else if (plan.close_window >= 0) {
    advice.set_text(
        chinese ? absl::StrCat(advice.close_window(), " 号窗口可关闭")
                : absl::StrCat("window ", advice.close_window(), " can close"));
  } else {
    advice.set_text(chinese ? "人手合适" : "staffing is right");
  }
  // A new window to open is a new advice; the same window for another
  // service is the same advice, its clock running on.
  v1::HallState::AdviceFollowing& f = advice_following_;
  if (plan.open_window < 0) {
    f.set_open_advised_at_ms(0);
  } else if (f.open_advised_at_ms() == 0 ||
             advice.open_window() != last_advice_.open_window()) {
    f.set_opens_advised(f.opens_advised() + 1);
    f.set_open_advised_at_ms(now);
  }
  last_advice_ = advice;
  *Emit(v1::HallEvent::kStaffingAdvised, now, out)->mutable_staffing_advised() =
      advice;
}

StaffingPlan Hall::PlanStaffingAt(int64_t now,
                                  const std::vector<double>& arrivals,
                                  int also_waiting) const {
  StaffingInput input;
  input.min_open = BusinessHours(now) ? min_open_windows_ : 0;
  for (size_t s = 0; s < services_.size(); ++s) {
    const int waiting =
        services_[s].waiting + (static_cast<int>(s) == also_waiting ? 1 : 0);
    input.services.push_back(
        {arrivals[s],
         static_cast<double>(services_[s].mean_handling_ms) / 1000.0,
         static_cast<double>(rules_.services()[s].target_wait_ms) / 1000.0,
         waiting});
  }
  for (size_t w = 0; w < windows_.size(); ++w) {
    StaffingInput::Window& window = input.windows.emplace_back();
    window.share.assign(services_.size(), 0.0);
    for (const ServedService& served : rules_.windows()[w].serves) {
      window.share[served.service] =
          static_cast<double>(served.share_permille) / 1000.0;
    }
    window.open = CountsAsOpen(windows_[w].state);
    window.idle = windows_[w].state == v1::WINDOW_STATE_IDLE;
    if (rules_.windows()[w].number == last_advice_.close_window()) {
      input.named_to_close = static_cast<int>(w);
    }
  }
  return PlanStaffing(input);
}

v1::HallView Hall::View(absl::Time now) const {
  const int64_t ms = Millis(now);
  v1::HallView view;
  view.set_hall_id(rules_.config().hall_id());
  view.set_name(rules_.config().name());
  view.set_language(rules_.config().language());
  view.set_business_day(business_day_);
  view.set_business_hours(BusinessHours(ms));
  view.set_open_windows(open_windows_);
  view.set_min_open_windows(min_open_windows_);
  view.set_last_seq(log_.last_seq());
  for (size_t w = 0; w < windows_.size(); ++w) {
    const WindowSlot& window = windows_[w];
    v1::HallView::WindowView* v = view.add_windows();
    v->set_number(rules_.windows()[w].number);
    v->set_name(rules_.windows()[w].name);
    v->set_state(window.state);
    v->set_clerk_id(window.clerk);
    v->set_state_since_unix_ms(window.since_ms);
    v->set_reason(window.reason);
    if (window.ticket != kNone) FillTicket(window.ticket, v->mutable_ticket());
  }
  for (size_t s = 0; s < services_.size(); ++s) {
    const ServiceRules& rules = rules_.services()[s];
    v1::HallView::ServiceView* v = view.add_services();
    v->set_code(rules.code);
    v->set_name(rules.name);
    const int32_t waiting = services_[s].waiting;
    int64_t oldest = 0;
    for (int slot = 0; slot < kCategoryCount; ++slot) {
      const Lane& lane = lanes_[ServiceLane(static_cast<int>(s), slot)];
      if (lane.size == 0) continue;
      const int64_t wait =
          std::max<int64_t>(0, ms - tickets_[lane.head].wait_since_ms) / 1000;
      oldest = std::max(oldest, wait);
      v1::HallView::LaneView* l = view.add_lanes();
      l->set_service_code(rules.code);
      l->set_category(CategoryAt(slot));
      l->set_waiting(static_cast<int32_t>(lane.size));
      l->set_oldest_wait_seconds(wait);
    }
    v->set_waiting(waiting);
    v->set_oldest_wait_seconds(oldest);
    v->set_open_windows(services_[s].open_windows);
    v->set_estimated_wait_seconds(
        EstimateNewTicketWaitSeconds(static_cast<int>(s), waiting, ms));
    v->set_issued_today(
        static_cast<int32_t>(services_[s].ticket_by_number.size()));
    v->set_mean_handling_seconds(services_[s].mean_handling_ms / 1000);
    v->set_target_wait_seconds(rules.target_wait_ms / 1000);
    v->set_target_handling_seconds(rules.target_handling_ms / 1000);
  }
  const StaffingPlan plan = PlanStaffingAt(ms, ArrivalsPerSecond(ms));
  for (size_t s = 0; s < services_.size(); ++s) {
    v1::HallView::ServiceView* v = view.mutable_services(static_cast<int>(s));
    v->set_arrivals_per_hour(plan.services[s].arrivals_per_second * 3600.0);
    v->set_needed_windows(plan.services[s].needed);
  }
  view.set_recommended_open_windows(plan.recommended_open);
  if (plan.open_window >= 0) {
    view.mutable_advice()->set_open_window(
        rules_.windows()[plan.open_window].number);
    view.mutable_advice()->set_open_for_service(
        rules_.services()[plan.open_for_service].code);
  }
  if (plan.close_window >= 0) {
    view.mutable_advice()->set_close_window(
        rules_.windows()[plan.close_window].number);
  }
  auto add_alarm = [&](Alarm::Kind kind, int service, int w) {
    FillAlarm(kind, true, service, w, view.add_alarms());
  };
  if (below_min_alarm_) add_alarm(Alarm::KIND_BELOW_MIN_OPEN, -1, -1);
  for (size_t s = 0; s < services_.size(); ++s) {
    if (services_[s].wait_alarm) {
      add_alarm(Alarm::KIND_WAIT_OVER_TARGET, static_cast<int>(s), -1);
    }
    if (services_[s].growing_alarm) {
      add_alarm(Alarm::KIND_QUEUE_GROWING, static_cast<int>(s), -1);
    }
  }
  for (size_t w = 0; w < windows_.size(); ++w) {
    if (windows_[w].handling_alarm) {
      add_alarm(Alarm::KIND_HANDLING_OVER_TARGET, -1, static_cast<int>(w));
    }
    if (windows_[w].lost) {
      add_alarm(Alarm::KIND_WINDOW_LOST, -1, static_cast<int>(w));
    }
  }
  return view;
}

// ---------------------------------------------------------------------------
// Snapshots

v1::HallState Hall::Snapshot() const {
  v1::HallState state;
  *state.mutable_config() = rules_.config();
  state.set_last_seq(log_.last_seq());
  state.set_business_day(business_day_);
  state.set_min_open_windows(min_open_windows_);
  state.set_below_min_alarm(below_min_alarm_);
  *state.mutable_last_advice() = last_advice_;
  *state.mutable_advice_following() = advice_following_;
  for (uint32_t id = 0; id < tickets_.size(); ++id) {
    const TicketSlot& t = tickets_[id];
    v1::HallState::TicketRecord* r = state.add_tickets();
    r->set_id(id);
    r->set_service(t.service);
    r->set_queue_service(t.queue_service);
    r->set_number(t.number);
    r->set_category(CategoryAt(t.category_slot));
    r->set_state(static_cast<v1::TicketState>(t.state));
    r->set_issued_at_ms(t.issued_at_ms);
    r->set_wait_since_ms(t.wait_since_ms);
    r->set_state_since_ms(t.state_since_ms);
    r->set_appointment_unix_seconds(t.appointment_s);
    r->set_window(t.window + 1);
    r->set_recalls(t.recalls);
    r->set_requeues(t.requeues);
    r->set_business_day(t.business_day);
    if (auto it = phones_.find(id); it != phones_.end()) {
      r->set_phone(it->second);
    }
  }
  auto lane_ids = [&](const Lane& lane,
                      google::protobuf::RepeatedField<uint32_t>* ids) {
    for (uint32_t u = lane.head; u != kNone; u = tickets_[u].next) ids->Add(u);
  };
  for (size_t s = 0; s < services_.size(); ++s) {
    for (int slot = 0; slot < kCategoryCount; ++slot) {
      const Lane& lane = lanes_[ServiceLane(static_cast<int>(s), slot)];
      if (lane.size == 0) continue;
      v1::HallState::LaneRecord* r = state.add_lanes();
      r->set_service(static_cast<uint32_t>(s));
      r->set_category(CategoryAt(slot));
      lane_ids(lane, r->mutable_tickets());
    }
    v1::HallState::ServiceRecord* r = state.add_services();
    r->set_handled_today(services_[s].handled_today);
    r->set_handling_total_ms(services_[s].handling_total_ms);
    r->set_handling_square_total_s2(services_[s].handling_square_total_s2);
    r->set_transferred_in_today(services_[s].transferred_in_today);
    r->set_growing_alarm(services_[s].growing_alarm);
    r->set_wait_alarm(services_[s].wait_alarm);
  }
  for (size_t w = 0; w < windows_.size(); ++w) {
    const WindowSlot& window = windows_[w];
    v1::HallState::WindowRecord* r = state.add_windows();
    r->set_number(rules_.windows()[w].number);
    r->set_state(window.state);
    r->set_clerk_id(window.clerk);
    r->set_ticket(window.ticket == kNone ? 0 : window.ticket + 1);
    r->set_state_since_ms(window.since_ms);
    r->set_reason(window.reason);
    r->set_priority_streak(window.priority_streak);
    r->set_handling_alarm(window.handling_alarm);
    r->set_lost(window.lost);
    lane_ids(lanes_[DirectLane(static_cast<int>(w))], r->mutable_direct_lane());
  }
  return state;
}

absl::StatusOr<Hall> Hall::Restore(const v1::HallState& state,
                                   absl::TimeZone tz) {
  ASSIGN_OR_RETURN(Hall hall, Create(state.config(), tz));
  auto corrupt = [](absl::string_view what) {
    return absl::DataLossError(absl::StrCat("snapshot is corrupt: ", what));
  };
  const size_t service_count = hall.services_.size();
  if (static_cast<size_t>(state.services_size()) != service_count ||
      static_cast<size_t>(state.windows_size()) != hall.windows_.size()) {
    return corrupt("service or window count differs from its config");
  }
  hall.log_ = EventLog(state.last_seq());
  hall.business_day_ = state.business_day();
  hall.min_open_windows_ = state.min_open_windows();
  hall.below_min_alarm_ = state.below_min_alarm();
  hall.last_advice_ = state.last_advice();
  hall.advice_following_ = state.advice_following();
  const v1::HallState::AdviceFollowing& f = state.advice_following();
  if (f.opens_advised() < 0 || f.opens_followed() < 0 ||
      f.opens_followed() > f.opens_advised() || f.follow_delay_total_ms() < 0 ||
      f.open_advised_at_ms() < 0) {
    return corrupt("advice following");
  }
  if (hall.business_day_ != 0) {
    hall.ResetLanes();
    hall.next_day_start_ms_ =
        Millis(hall.calendar_.NextDayStart(hall.business_day_));
  }
  for (const v1::HallState::TicketRecord& r : state.tickets()) {
    if (r.id() != hall.tickets_.size() || r.service() >= service_count ||
        r.queue_service() >= service_count ||
        r.window() > static_cast<int32_t>(hall.windows_.size()) ||
        r.category() == v1::CATEGORY_UNSPECIFIED) {
      return corrupt(absl::StrCat("ticket record ", r.id()));
    }
    TicketSlot& t = hall.tickets_.emplace_back();
    t.issued_at_ms = r.issued_at_ms();
    t.wait_since_ms = r.wait_since_ms();
    t.state_since_ms = r.state_since_ms();
    t.appointment_s = r.appointment_unix_seconds();
    t.number = r.number();
    t.business_day = r.business_day();
    t.service = static_cast<uint16_t>(r.service());
    t.queue_service = static_cast<uint16_t>(r.queue_service());
    t.window = static_cast<int16_t>(r.window() - 1);
    t.category_slot = static_cast<uint8_t>(CategorySlot(r.category()));
    t.state = static_cast<uint8_t>(r.state());
    t.recalls = static_cast<uint8_t>(r.recalls());
    t.requeues = static_cast<uint8_t>(r.requeues());
    if (!r.phone().empty()) hall.phones_[r.id()] = r.phone();
    if (t.business_day == hall.business_day_) {
      std::vector<uint32_t>& today = hall.services_[t.service].ticket_by_number;
      if (t.number != today.size() + 1) {
        return corrupt(absl::StrCat("ticket numbers of service ", t.service,
                                    " are not contiguous"));
      }
      today.push_back(r.id());
    }
  }
  auto fill_lane = [&](uint32_t lane,
                       const google::protobuf::RepeatedField<uint32_t>& ids) {
    for (uint32_t id : ids) {
      if (id >= hall.tickets_.size()) return false;
      hall.PushBack(lane, id);
    }
    return true;
  };
  for (const v1::HallState::LaneRecord& r : state.lanes()) {
    if (r.service() >= service_count ||
        r.category() == v1::CATEGORY_UNSPECIFIED ||
        !fill_lane(hall.ServiceLane(static_cast<int>(r.service()),
                                    CategorySlot(r.category())),
                   r.tickets())) {
      return corrupt("lane record");
    }
  }
  for (size_t s = 0; s < service_count; ++s) {
    const v1::HallState::ServiceRecord& record =
        state.services(static_cast<int>(s));
    ServiceSlot& service = hall.services_[s];
    service.handled_today = record.handled_today();
    service.handling_total_ms = record.handling_total_ms();
    if (record.has_handling_square_total_s2()) {
      service.handling_square_total_s2 = record.handling_square_total_s2();
    } else if (service.handled_today > 0) {
      // A snapshot from before the spread was kept: take the day so far as
      // exponential (E[X²] = 2 mean²), what the estimates assumed then.
      const double mean_s = static_cast<double>(service.handling_total_ms) /
                            1000 / static_cast<double>(service.handled_today);
      service.handling_square_total_s2 =
          2 * static_cast<double>(service.handled_today) * mean_s * mean_s;
    }
    if (!std::isfinite(service.handling_square_total_s2) ||
        service.handling_square_total_s2 < 0 || service.handled_today < 0 ||
        service.handling_total_ms < 0) {
      return corrupt("service handling figures");
    }
    hall.UpdateHandling(static_cast<int>(s));
    hall.services_[s].transferred_in_today =
        state.services(static_cast<int>(s)).transferred_in_today();
    hall.services_[s].growing_alarm =
        state.services(static_cast<int>(s)).growing_alarm();
    hall.services_[s].wait_alarm =
        state.services(static_cast<int>(s)).wait_alarm();
  }
  for (size_t w = 0; w < hall.windows_.size(); ++w) {
    const v1::HallState::WindowRecord& r = state.windows(static_cast<int>(w));
    if (r.ticket() > hall.tickets_.size() ||
        !fill_lane(hall.DirectLane(static_cast<int>(w)), r.direct_lane())) {
      return corrupt(absl::StrCat("window record ", r.number()));
    }
    WindowSlot& window = hall.windows_[w];
    window.clerk = r.clerk_id();
    window.reason = r.reason();
    window.ticket = r.ticket() == 0 ? kNone : r.ticket() - 1;
    window.priority_streak = r.priority_streak();
    window.handling_alarm = r.handling_alarm();
    window.lost = r.lost();
    hall.SetWindowState(static_cast<int>(w), r.state(), r.state_since_ms());
  }
  // Rebuilding the lanes is no change to announce.
  for (const int s : hall.waiting_changed_) {
    hall.services_[s].waiting_before = -1;
  }
  hall.waiting_changed_.clear();
  return hall;
}

}  // namespace qcall
