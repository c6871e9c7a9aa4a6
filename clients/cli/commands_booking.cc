// qcall booking create|list (a supervisor's, or a booking system's with a
// supervisor token) and qcall kiosk check-in: appointments (预约) by code.
#include <cstdio>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "clients/cli/appointment.h"
#include "clients/cli/commands.h"
#include "clients/cli/output.h"

namespace qcall::cli {
namespace {

struct CreateOptions {
  std::string service;
  std::string at;
};

// "2026-12-07 10:00" in the hall's zone.
std::string LocalMinute(int64_t unix_seconds, absl::TimeZone zone) {
  return absl::FormatTime("%Y-%m-%d %H:%M", absl::FromUnixSeconds(unix_seconds),
                          zone);
}

// "10:00" in the hall's zone.
std::string HourMinute(int64_t unix_ms, absl::TimeZone zone) {
  return absl::FormatTime("%H:%M", absl::FromUnixMillis(unix_ms), zone);
}

// "7KQ3MX  BILL 话费缴纳  2026-12-07 10:00  checked in 09:52 as A012"
std::string DescribeBooking(const v1::BookingView& view, absl::TimeZone zone) {
  const v1::Booking& b = view.booking();
  std::string line =
      absl::StrCat(PadRight(b.code(), 8), PadRight(b.service_code(), 8),
                   PadRight(view.service_name(), 24), "  ",
                   LocalMinute(b.appointment_unix_seconds(), zone));
  if (b.ticket().empty()) {
    absl::StrAppend(&line, "  check in ",
                    HourMinute(view.check_in_from_unix_ms(), zone), "-",
                    HourMinute(view.check_in_until_unix_ms(), zone));
  } else {
    absl::StrAppend(&line, "  checked in ",
                    HourMinute(b.checked_in_at_unix_ms(), zone), " as ",
                    b.ticket());
  }
  return line;
}

// The hall's zone, from the server (a slot typed as "10:00" is the hall's
// 10:00, whatever zone this machine is set to).
grpc::Status AskHallZone(Client& client, absl::TimeZone* zone) {
  v1::ListServicesRequest request;
  request.set_hall_id(client.hall());
  v1::ListServicesResponse hall;
  const grpc::Status status =
      client.Call(&v1::Kiosk::Stub::ListServices, request, &hall);
  if (status.ok()) *zone = HallZone(hall.time_zone(), absl::LocalTimeZone());
  return status;
}

int Create(Client& client, const CreateOptions& o) {
  absl::TimeZone zone;
  if (grpc::Status asked = AskHallZone(client, &zone); !asked.ok()) {
    return client.Fail(asked);
  }
  absl::StatusOr<int64_t> slot = ParseAppointment(o.at, absl::Now(), zone);
  if (!slot.ok()) {
    std::fprintf(stderr, "qcall: %s\n",
                 std::string(slot.status().message()).c_str());
    return kExitUsage;
  }
  v1::CreateBookingRequest request;
  request.set_hall_id(client.hall());
  request.set_service_code(o.service);
  request.set_appointment_unix_seconds(*slot);
  request.set_request_id(client.RequestId());
  return RunUnary(client, &v1::Supervisor::Stub::CreateBooking, request,
                  [&](const v1::CommandReply& reply) {
                    const v1::Booking& b = reply.booking();
                    return Shown{absl::StrCat(
                        b.code(), "  ", b.service_code(), "  ",
                        LocalMinute(b.appointment_unix_seconds(), zone))};
                  });
}

int List(Client& client) {
  absl::TimeZone zone;
  if (grpc::Status asked = AskHallZone(client, &zone); !asked.ok()) {
    return client.Fail(asked);
  }
  v1::ListBookingsRequest request;
  request.set_hall_id(client.hall());
  return RunUnary(client, &v1::Supervisor::Stub::ListBookings, request,
                  [&](const v1::ListBookingsResponse& response) {
                    std::string text;
                    for (const v1::BookingView& view : response.bookings()) {
                      if (!text.empty()) text += "\n";
                      text += DescribeBooking(view, zone);
                    }
                    return Shown{text.empty() ? "no bookings" : text};
                  });
}

int CheckIn(Client& client, const std::string& code) {
  v1::CheckInRequest request;
  request.set_hall_id(client.hall());
  request.set_code(code);
  request.set_request_id(client.RequestId());
  return RunUnary(client, &v1::Kiosk::Stub::CheckIn, request,
                  [](const v1::CommandReply& reply) {
                    return Shown{DescribeTicket(reply)};
                  });
}

}  // namespace

void AddBookingCommands(CLI::App* app, CLI::App* kiosk, Cli* cli) {
  CLI::App* booking = app->add_subcommand(
      "booking", "appointments (预约): book a slot, list the bookings");
  booking->require_subcommand(1);
  auto create = std::make_shared<CreateOptions>();
  CLI::App* create_command = AddAction(
      booking, cli, "create",
      "book a slot of a service: prints the code the customer types at the "
      "kiosk (supervisor token)",
      Needs::kHallAndRequestId,
      [create](Client& client) { return Create(client, *create); });
  create_command
      ->add_option("service", create->service, "service code, e.g. BILL")
      ->required();
  create_command
      ->add_option("--at", create->at,
                   "the slot: unix seconds, 'YYYY-MM-DD HH:MM' or 'HH:MM' "
                   "(today), in the hall's time zone")
      ->required();
  AddAction(booking, cli, "list",
            "the hall's bookings from today on, by slot (supervisor token)",
            Needs::kHall, List);

  auto code = std::make_shared<std::string>();
  AddAction(kiosk, cli, "check-in",
            "预约签到: issue a booking's appointment ticket by its code",
            Needs::kHallAndRequestId,
            [code](Client& client) { return CheckIn(client, *code); })
      ->add_option("code", *code, "the booking's code, e.g. 7KQ3MX")
      ->required();
}

}  // namespace qcall::cli
