#include "engine/outcome.h"

#include <cstdlib>

namespace qcall {
namespace {

// Clears an event's payload but keeps its ticket and string buffers; the
// caller rewrites the ticket whole.
template <typename Payload>
void ClearKeepingTicket(Payload* payload) {
  v1::Ticket* ticket = payload->release_ticket();
  payload->Clear();
  payload->set_allocated_ticket(ticket);
}

void SetKind(v1::HallEvent* e, v1::HallEvent::KindCase kind) {
  switch (kind) {
    case v1::HallEvent::kTicketIssued:
      return ClearKeepingTicket(e->mutable_ticket_issued());
    case v1::HallEvent::kTicketCalled:
      return ClearKeepingTicket(e->mutable_ticket_called());
    case v1::HallEvent::kTicketStateChanged:
      return ClearKeepingTicket(e->mutable_ticket_state_changed());
    case v1::HallEvent::kTicketTransferred:
      return ClearKeepingTicket(e->mutable_ticket_transferred());
    case v1::HallEvent::kWindowChanged:
      return e->mutable_window_changed()->Clear();
    case v1::HallEvent::kMinOpenWindowsChanged:
      return e->mutable_min_open_windows_changed()->Clear();
    case v1::HallEvent::kAlarm:
      return e->mutable_alarm()->Clear();
    case v1::HallEvent::kDayStarted:
      return e->mutable_day_started()->Clear();
    case v1::HallEvent::kHallConfigured:
      return e->mutable_hall_configured()->Clear();
    case v1::HallEvent::kStaffingAdvised:
      return e->mutable_staffing_advised()->Clear();
    case v1::HallEvent::kTicketRated:
      return e->mutable_ticket_rated()->Clear();
    case v1::HallEvent::kFollowUpChanged:
      return e->mutable_follow_up_changed()->Clear();
    case v1::HallEvent::kComplaintChanged:
      return e->mutable_complaint_changed()->Clear();
    case v1::HallEvent::kNoticeChanged:
      return e->mutable_notice_changed()->Clear();
    case v1::HallEvent::kBookingChanged:
      return e->mutable_booking_changed()->Clear();
    case v1::HallEvent::kAlarmAcknowledged:
      return e->mutable_alarm_acknowledged()->Clear();
    case v1::HallEvent::KIND_NOT_SET:
      break;
  }
  std::abort();  // Every event has a kind.
}

}  // namespace

void Outcome::Reset() {
  if (result_.has_ticket()) spare_ticket_.reset(result_.release_ticket());
  result_.Clear();
  count_ = 0;
}

v1::Ticket* Outcome::mutable_result_ticket() {
  if (!result_.has_ticket() && spare_ticket_ != nullptr) {
    result_.set_allocated_ticket(spare_ticket_.release());
  }
  return result_.mutable_ticket();
}

v1::HallEvent* Outcome::AddEvent(v1::HallEvent::KindCase kind) {
  // Spare events are kept per kind (up to a bound), so a hall that emits
  // issued, called, started, completed in turn rewrites the same messages.
  constexpr size_t kMaxSpares = 64;
  size_t match = count_;
  while (match < events_.size() && events_[match].kind_case() != kind) ++match;
  if (match == events_.size() && events_.size() < count_ + kMaxSpares) {
    events_.emplace_back();
  }
  if (match < events_.size() && match != count_) {
    events_[match].Swap(&events_[count_]);
  }
  v1::HallEvent* e = &events_[count_++];
  SetKind(e, kind);
  e->clear_waiting();  // Keeps the elements' memory for the next.
  return e;
}

}  // namespace qcall
