// Hall's ticket and call commands: issuing, cancelling, voiding, requeueing
// and transferring tickets; calling, recalling, serving, completing and
// no-shows at a window. Each checks its input and the state first and
// changes nothing on an error; then it takes its steps across the parts in
// a fixed order, which the events and the snapshot reflect.
#include <algorithm>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "engine/dispatch_policy.h"
#include "engine/hall.h"
#include "engine/hall_texts.h"
#include "engine/input_checks.h"
#include "engine/status_macros.h"

namespace qcall {
namespace {

using Alarm = v1::HallEvent::Alarm;

bool IsFinal(uint8_t state) {
  return state == v1::TICKET_STATE_COMPLETED ||
         state == v1::TICKET_STATE_CANCELLED ||
         state == v1::TICKET_STATE_VOIDED || state == v1::TICKET_STATE_EXPIRED;
}

}  // namespace

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
  const ServiceRules& rules = rules_.services()[service];
  if (queue_.issued_today(service).size() >= rules.daily_cap) {
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
  const uint32_t lane = queue_.ServiceLane(service, category_slot);
  const int32_t ahead = estimator().PeopleAheadInService(
      service, category_slot, wait_since, queue_.lane(lane).size);
  TicketSlot slot;
  slot.issued_at_ms = now;
  slot.wait_since_ms = wait_since;
  slot.state_since_ms = now;
  slot.appointment_s = c.appointment_unix_seconds();
  slot.business_day = business_day_;
  slot.service = static_cast<uint16_t>(service);
  slot.queue_service = slot.service;
  slot.category_slot = static_cast<uint8_t>(category_slot);
  const uint32_t id = queue_.Issue(slot);
  if (category == v1::CATEGORY_APPOINTMENT) {
    // Appointments queue by booked slot, not by check-in, so an early
    // arrival with a later slot never blocks an earlier booking. The walk
    // passes only appointments booked later, which check-in tolerance keeps
    // few.
    queue_.InsertSorted(lane, id, &TicketSlot::wait_since_ms);
  } else {
    queue_.PushBack(lane, id);
  }

  const int64_t estimate = estimator().EstimateWaitSeconds(id, ahead, now);
  FillTicket(id, out->mutable_result_ticket());
  out->mutable_result()->set_people_ahead(ahead);
  out->mutable_result()->set_estimated_wait_seconds(estimate);
  out->mutable_result()->set_no_open_window(NoOpenWindowFor(id));
  v1::HallEvent::TicketIssued* issued =
      log_.Emit(v1::HallEvent::kTicketIssued, now, out)
          ->mutable_ticket_issued();
  *issued->mutable_ticket() = out->mutable_result()->ticket();
  issued->set_people_ahead(ahead);
  issued->set_estimated_wait_seconds(estimate);
  return absl::OkStatus();
}

absl::Status Hall::CancelTicket(const v1::Command::CancelTicket& c, int64_t now,
                                Outcome* out) {
  ASSIGN_OR_RETURN(const uint32_t id, queue_.Find(rules_, c.ticket()));
  TicketSlot& t = queue_.mutable_ticket(id);
  if (t.state != v1::TICKET_STATE_WAITING &&
      t.state != v1::TICKET_STATE_NO_SHOW) {
    return absl::FailedPreconditionError(
        absl::StrCat(c.ticket(), " is ", StateWord(t.state),
                     "; only a waiting or no-show ticket can be cancelled"));
  }
  if (t.state == v1::TICKET_STATE_WAITING) queue_.Unlink(id);
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
  ASSIGN_OR_RETURN(const uint32_t id, queue_.Find(rules_, c.ticket()));
  TicketSlot& t = queue_.mutable_ticket(id);
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
  if (t.state == v1::TICKET_STATE_WAITING) queue_.Unlink(id);
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
  ASSIGN_OR_RETURN(const uint32_t id, queue_.Find(rules_, c.ticket()));
  TicketSlot& t = queue_.mutable_ticket(id);
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
    ASSIGN_OR_RETURN(const int w, board_.Find(rules_, c.window()));
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
  queue_.InsertAtOffset(queue_.ServiceLane(t.queue_service, t.category_slot),
                        id, rules_.policy().requeue_offset);
  FillTicket(id, out->mutable_result_ticket());
  out->mutable_result()->set_people_ahead(estimator().PeopleAhead(id));
  out->mutable_result()->set_estimated_wait_seconds(
      estimator().EstimateWaitSeconds(id, out->mutable_result()->people_ahead(),
                                      now));
  EmitTicketState(id, now, out);
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// Calls

absl::Status Hall::CallNext(const v1::Command::CallNext& c, int64_t now,
                            Outcome* out) {
  ASSIGN_OR_RETURN(const int w, board_.Find(rules_, c.window()));
  const WindowSlot& window = board_.window(w);
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
  const uint32_t id = PickNext(rules_, queue_, board_, w, now);
  // Nobody waits: nothing changes.
  if (id == kNoTicket) return absl::OkStatus();
  const bool priority =
      rules_.category(queue_.ticket(id).category_slot).priority;
  int& streak = board_.mutable_window(w).priority_streak;
  streak = priority ? streak + 1 : 0;
  queue_.Unlink(id);
  AssignTicket(w, id, now, out);
  return absl::OkStatus();
}

absl::Status Hall::CallTicket(const v1::Command::CallTicket& c, int64_t now,
                              Outcome* out) {
  ASSIGN_OR_RETURN(const int w, board_.Find(rules_, c.window()));
  ASSIGN_OR_RETURN(const uint32_t id, queue_.Find(rules_, c.ticket()));
  if (board_.window(w).state != v1::WINDOW_STATE_IDLE) {
    return absl::FailedPreconditionError(absl::StrCat(
        WindowText(c.window()),
        " is not idle; finish its current ticket or open it first"));
  }
  const TicketSlot& t = queue_.ticket(id);
  if (t.state != v1::TICKET_STATE_WAITING) {
    return absl::FailedPreconditionError(
        absl::StrCat(c.ticket(), " is ", StateWord(t.state), ", not waiting"));
  }
  const bool direct = t.lane == queue_.DirectLane(w);
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
  board_.mutable_window(w).priority_streak = 0;
  queue_.Unlink(id);
  AssignTicket(w, id, now, out);
  return absl::OkStatus();
}

absl::Status Hall::Recall(const v1::Command::Recall& c, int64_t now,
                          Outcome* out) {
  ASSIGN_OR_RETURN(const int w, board_.Find(rules_, c.window()));
  const WindowSlot& window = board_.window(w);
  if (window.state != v1::WINDOW_STATE_CALLING) {
    return absl::FailedPreconditionError(absl::StrCat(
        WindowText(c.window()), " has no called ticket to recall"));
  }
  TicketSlot& t = queue_.mutable_ticket(window.ticket);
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
  ASSIGN_OR_RETURN(const int w, board_.Find(rules_, c.window()));
  if (board_.window(w).state != v1::WINDOW_STATE_CALLING) {
    return absl::FailedPreconditionError(
        absl::StrCat(WindowText(c.window()),
                     board_.window(w).state == v1::WINDOW_STATE_SERVING
                         ? " is already serving its ticket"
                         : " has called nobody; call next first"));
  }
  const uint32_t id = board_.window(w).ticket;
  queue_.mutable_ticket(id).state = v1::TICKET_STATE_SERVING;
  queue_.mutable_ticket(id).state_since_ms = now;
  SetWindowState(w, v1::WINDOW_STATE_SERVING, now);
  FillTicket(id, out->mutable_result_ticket());
  EmitTicketState(id, now, out);
  OpenCaseIfComplaint(w, id, now, out);
  return absl::OkStatus();
}

absl::Status Hall::Complete(const v1::Command::Complete& c, int64_t now,
                            Outcome* out) {
  ASSIGN_OR_RETURN(const int w, board_.Find(rules_, c.window()));
  if (c.rating() < 0 || c.rating() > 5) {
    return absl::InvalidArgumentError(absl::StrCat(
        "rating must be 1-5, or 0 for not rated; got ", c.rating()));
  }
  WindowSlot& window = board_.mutable_window(w);
  if (window.state != v1::WINDOW_STATE_SERVING) {
    return absl::FailedPreconditionError(absl::StrCat(
        WindowText(c.window()),
        window.state == v1::WINDOW_STATE_CALLING
            ? " has called its ticket but not started serving it; start "
              "serving first"
            : " is serving nobody; nothing to complete"));
  }
  const uint32_t id = window.ticket;
  TicketSlot& t = queue_.mutable_ticket(id);
  const int64_t handling = std::max<int64_t>(0, now - t.state_since_ms);
  stats_.RecordHandling(rules_, t.queue_service, handling);
  t.state = v1::TICKET_STATE_COMPLETED;
  t.state_since_ms = now;
  FillTicket(id, out->mutable_result_ticket());
  EmitTicketState(id, now, out);
  v1::HallEvent::TicketStateChanged* e =
      out->last_event()->mutable_ticket_state_changed();
  e->set_handling_ms(handling);
  e->set_rating(c.rating());
  NoteCompleted(w, id, handling, now);
  ReleaseTicket(w, now, out);
  return absl::OkStatus();
}

absl::Status Hall::NoShow(const v1::Command::NoShow& c, int64_t now,
                          Outcome* out) {
  ASSIGN_OR_RETURN(const int w, board_.Find(rules_, c.window()));
  if (board_.window(w).state != v1::WINDOW_STATE_CALLING) {
    return absl::FailedPreconditionError(absl::StrCat(
        WindowText(c.window()),
        " has no called ticket; only a called customer can be a no-show"));
  }
  FillTicket(MarkNoShow(w, now, out), out->mutable_result_ticket());
  return absl::OkStatus();
}

absl::Status Hall::Transfer(const v1::Command::Transfer& c, int64_t now,
                            Outcome* out) {
  ASSIGN_OR_RETURN(const int w, board_.Find(rules_, c.window()));
  if (!v1::Placement_IsValid(c.placement())) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown placement ", static_cast<int>(c.placement())));
  }
  const uint32_t id = board_.window(w).ticket;
  if (id == kNoTicket) {
    return absl::FailedPreconditionError(
        absl::StrCat(WindowText(c.window()), " holds no ticket to transfer"));
  }
  uint32_t lane = kNoTicket;
  int queue_service = queue_.ticket(id).queue_service;
  switch (c.target_case()) {
    case v1::Command::Transfer::kToServiceCode: {
      const std::optional<int> s = rules_.FindService(c.to_service_code());
      if (!s) {
        return absl::NotFoundError(absl::StrCat(
            "no service '", Clipped(c.to_service_code()), "' in this hall"));
      }
      queue_service = *s;
      lane = queue_.ServiceLane(*s, queue_.ticket(id).category_slot);
      break;
    }
    case v1::Command::Transfer::kToWindow: {
      ASSIGN_OR_RETURN(const int target, board_.Find(rules_, c.to_window()));
      if (target == w) {
        return absl::InvalidArgumentError(
            "a ticket cannot be transferred to the window that holds it");
      }
      lane = queue_.DirectLane(target);
      break;
    }
    case v1::Command::Transfer::TARGET_NOT_SET:
      return absl::InvalidArgumentError(
          "transfer needs to_service_code or to_window");
  }
  ReleaseTicket(w, now, out);
  if (c.has_to_service_code()) stats_.NoteTransferIn(queue_service);
  TicketSlot& t = queue_.mutable_ticket(id);
  t.queue_service = static_cast<uint16_t>(queue_service);
  t.state = v1::TICKET_STATE_WAITING;
  t.state_since_ms = now;
  t.recalls = 0;
  switch (c.placement()) {
    case v1::PLACEMENT_FIRST:
      queue_.PushFront(lane, id);
      break;
    case v1::PLACEMENT_LAST:
      t.wait_since_ms = now;  // Waits anew, behind everyone.
      queue_.PushBack(lane, id);
      break;
    default:
      queue_.InsertSorted(lane, id, &TicketSlot::issued_at_ms);
      break;
  }
  FillTicket(id, out->mutable_result_ticket());
  v1::HallEvent::TicketTransferred* e =
      log_.Emit(v1::HallEvent::kTicketTransferred, now, out)
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
// Steps the commands share

void Hall::AssignTicket(int w, uint32_t id, int64_t now, Outcome* out) {
  TicketSlot& t = queue_.mutable_ticket(id);
  t.state = v1::TICKET_STATE_CALLED;
  t.state_since_ms = now;
  t.window = static_cast<int16_t>(w);
  t.recalls = 0;
  board_.mutable_window(w).ticket = id;
  SetWindowState(w, v1::WINDOW_STATE_CALLING, now);
  EmitCall(w, id, now, out);
  SetAlarm(v1::HallEvent::Alarm::KIND_WINDOW_IDLE, w, false, now, out);
}

void Hall::EmitCall(int w, uint32_t id, int64_t now, Outcome* out) {
  v1::HallEvent::TicketCalled* called =
      log_.Emit(v1::HallEvent::kTicketCalled, now, out)
          ->mutable_ticket_called();
  FillTicket(id, called->mutable_ticket());
  called->set_window(rules_.windows()[w].number);
  called->set_window_name(rules_.windows()[w].name);
  FormatAnnouncement(rules_.config().language(), called->ticket().number(),
                     rules_.windows()[w].number,
                     called->mutable_announcement());
  called->set_recall(queue_.ticket(id).recalls);
  *out->mutable_result_ticket() = called->ticket();
  recent_calls_.Add(*called, now);
}

void Hall::ReleaseTicket(int w, int64_t now, Outcome* out) {
  board_.mutable_window(w).ticket = kNoTicket;
  SetWindowState(w, v1::WINDOW_STATE_IDLE, now);
  SetAlarm(Alarm::KIND_HANDLING_OVER_TARGET, w, false, now, out);
}

uint32_t Hall::MarkNoShow(int w, int64_t now, Outcome* out) {
  const uint32_t id = board_.window(w).ticket;
  TicketSlot& t = queue_.mutable_ticket(id);
  t.state = v1::TICKET_STATE_NO_SHOW;
  t.state_since_ms = now;
  ReleaseTicket(w, now, out);
  EmitTicketState(id, now, out);
  return id;
}

void Hall::EmitTicketState(uint32_t id, int64_t now, Outcome* out) {
  v1::HallEvent::TicketStateChanged* e =
      log_.Emit(v1::HallEvent::kTicketStateChanged, now, out)
          ->mutable_ticket_state_changed();
  FillTicket(id, e->mutable_ticket());
  e->set_window(e->ticket().window());
}

void Hall::EmitWindowState(int w, int64_t now, Outcome* out) {
  const WindowSlot& window = board_.window(w);
  v1::HallEvent::WindowChanged* e =
      log_.Emit(v1::HallEvent::kWindowChanged, now, out)
          ->mutable_window_changed();
  e->set_window(rules_.windows()[w].number);
  e->set_window_name(rules_.windows()[w].name);
  e->set_state(window.state);
  e->set_clerk_id(window.clerk);
  e->set_reason(window.reason);
  e->set_open_windows(board_.open_windows());
}

}  // namespace qcall
