// Hall's bookings (预约): a supervisor books a slot of a service and gets its
// code; the customer checks in with it at the kiosk, once, within the hall's
// check-in window around the slot, and gets the appointment ticket.
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "engine/hall.h"
#include "engine/input_checks.h"
#include "engine/status_macros.h"

namespace qcall {
namespace {

// A booking as events carry it: without its code, which every watcher of
// the hall (kiosks, boards) would read.
void EmitBookingChanged(const v1::Booking& booking, EventLog* log, int64_t now,
                        Outcome* out) {
  v1::Booking* b = log->Emit(v1::HallEvent::kBookingChanged, now, out)
                       ->mutable_booking_changed()
                       ->mutable_booking();
  *b = booking;
  b->clear_code();
}

}  // namespace

std::string Hall::LocalMinute(int64_t ms) const {
  return absl::FormatTime("%Y-%m-%d %H:%M", absl::FromUnixMillis(ms),
                          calendar_.time_zone());
}

absl::Status Hall::CreateBooking(const v1::Command::CreateBooking& c,
                                 int64_t now, Outcome* out) {
  RETURN_IF_ERROR(
      CheckText(c.supervisor_id(), "supervisor_id", true, kMaxIdLength));
  if (!rules_.FindService(c.service_code())) {
    return absl::NotFoundError(absl::StrCat(
        "no service '", Clipped(c.service_code()), "' in this hall"));
  }
  const int64_t slot_s = c.appointment_unix_seconds();
  if (slot_s <= 0 || slot_s > kLatestAppointmentSeconds) {
    return absl::InvalidArgumentError(
        absl::StrCat("appointment_unix_seconds ", slot_s,
                     " is not a plausible slot (unix seconds)"));
  }
  const int64_t until_ms = slot_s * 1000 + rules_.policy().appointment_late_ms;
  if (until_ms < now) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the slot ", LocalMinute(slot_s * 1000),
        " has passed; its check-in closed at ", LocalMinute(until_ms)));
  }
  if (bookings_.size() >= BookingBook::kMaxHeld) {
    return absl::ResourceExhaustedError(
        absl::StrCat("this hall holds ", BookingBook::kMaxHeld,
                     " bookings already, its limit"));
  }
  v1::Booking booking;
  booking.set_code(bookings_.NewCode(c.code_seed()));
  booking.set_service_code(c.service_code());
  booking.set_appointment_unix_seconds(slot_s);
  booking.set_business_day(
      calendar_.BusinessDay(absl::FromUnixSeconds(slot_s)));
  booking.set_created_at_unix_ms(now);
  booking.set_created_by(c.supervisor_id());
  const v1::Booking& added = bookings_.Add(std::move(booking));
  *out->mutable_result()->mutable_booking() = added;
  EmitBookingChanged(added, &log_, now, out);
  return absl::OkStatus();
}

absl::Status Hall::CheckIn(const v1::Command::CheckIn& c, int64_t now,
                           Outcome* out) {
  ASSIGN_OR_RETURN(const std::string code,
                   BookingBook::NormalizeCode(c.code()));
  const v1::Booking* booking = bookings_.Find(code);
  if (booking == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("no booking with code ", code, " in this hall"));
  }
  if (!booking->ticket().empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("booking ", code, " was checked in already, at ",
                     LocalMinute(booking->checked_in_at_unix_ms()),
                     " as ticket ", booking->ticket()));
  }
  const v1::BookingView view = ViewOf(*booking);
  if (now < view.check_in_from_unix_ms()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "too early for booking ", code, " (slot ",
        LocalMinute(booking->appointment_unix_seconds() * 1000),
        "); check in from ", LocalMinute(view.check_in_from_unix_ms())));
  }
  if (now > view.check_in_until_unix_ms()) {
    return absl::FailedPreconditionError(
        absl::StrCat("too late for booking ", code, " (slot ",
                     LocalMinute(booking->appointment_unix_seconds() * 1000),
                     "): its check-in closed at ",
                     LocalMinute(view.check_in_until_unix_ms()),
                     "; take a ticket without it"));
  }
  v1::Command::IssueTicket issue;
  issue.set_service_code(booking->service_code());
  issue.set_category(v1::CATEGORY_APPOINTMENT);
  issue.set_appointment_unix_seconds(booking->appointment_unix_seconds());
  RETURN_IF_ERROR(IssueTicket(issue, now, out));
  EmitBookingChanged(
      bookings_.MarkCheckedIn(code, out->result().ticket().number(), now),
      &log_, now, out);
  return absl::OkStatus();
}

v1::BookingView Hall::ViewOf(const v1::Booking& booking) const {
  v1::BookingView view;
  *view.mutable_booking() = booking;
  if (const std::optional<int> s = rules_.FindService(booking.service_code())) {
    view.set_service_name(rules_.services()[*s].name);
  }
  const int64_t slot_ms = booking.appointment_unix_seconds() * 1000;
  view.set_check_in_from_unix_ms(slot_ms -
                                 rules_.policy().appointment_early_ms);
  view.set_check_in_until_unix_ms(slot_ms +
                                  rules_.policy().appointment_late_ms);
  return view;
}

absl::StatusOr<v1::BookingView> Hall::FindBooking(
    absl::string_view typed) const {
  ASSIGN_OR_RETURN(const std::string code, BookingBook::NormalizeCode(typed));
  const v1::Booking* booking = bookings_.Find(code);
  if (booking == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("no booking with code ", code, " in this hall"));
  }
  return ViewOf(*booking);
}

std::vector<v1::BookingView> Hall::Bookings() const {
  std::vector<v1::BookingView> out;
  for (const v1::Booking* booking : bookings_.BySlot()) {
    out.push_back(ViewOf(*booking));
  }
  return out;
}

}  // namespace qcall
