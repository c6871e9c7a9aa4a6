// Bookings (预约) against a real qcalld: a booking and its check-in are
// journaled like every command, so after kill -9 the code still checks in,
// once; a retried CreateBooking (same request id) returns the first code,
// also after a restart, though qcalld draws each code at random.
#include <memory>
#include <string>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/integration/harness.h"
#include "tests/integration/qcalld_process.h"

namespace qcall::testing {
namespace {

using grpc::StatusCode;

Result<v1::CommandReply> Book(Api& api, const std::string& service,
                              int64_t slot, const std::string& request_id) {
  v1::CreateBookingRequest request;
  request.set_hall_id(kHall);
  request.set_service_code(service);
  request.set_appointment_unix_seconds(slot);
  request.set_request_id(request_id);
  return api.Call(&api.supervisor, &v1::Supervisor::Stub::CreateBooking,
                  kSupervisorToken, request);
}

Result<v1::CommandReply> CheckIn(Api& api, const std::string& code,
                                 const std::string& request_id = "") {
  v1::CheckInRequest request;
  request.set_hall_id(kHall);
  request.set_code(code);
  request.set_request_id(request_id);
  return api.Call(&api.kiosk, &v1::Kiosk::Stub::CheckIn, kKioskToken, request);
}

TEST(QcalldBookingTest, ABookingSurvivesKill9AndChecksInOnce) {
  QcalldProcess server({.config_text = TestConfig()});
  ASSERT_TRUE(server.Start());
  auto api = std::make_unique<Api>(server.NewChannel());
  const int64_t slot = absl::ToUnixSeconds(absl::Now()) + 300;
  auto booked = Book(*api, "BILL", slot, "booking-system:1");
  ASSERT_OK(booked);
  const std::string code = booked->booking().code();
  ASSERT_EQ(code.size(), 6u);
  auto retry = Book(*api, "BILL", slot, "booking-system:1");
  ASSERT_OK(retry);
  EXPECT_EQ(retry->booking().code(), code) << "a retry booked again";
  auto other = Book(*api, "BILL", slot, "booking-system:2");
  ASSERT_OK(other);
  EXPECT_NE(other->booking().code(), code);

  // Bad input changes nothing.
  EXPECT_CODE(CheckIn(*api, "not a code"), StatusCode::INVALID_ARGUMENT);
  EXPECT_CODE(Book(*api, "NOPE", slot, ""), StatusCode::NOT_FOUND);
  EXPECT_CODE(Book(*api, "BILL", 0, ""), StatusCode::INVALID_ARGUMENT);

  api.reset();
  server.Kill();
  ASSERT_TRUE(server.Restart());
  api = std::make_unique<Api>(server.NewChannel());
  // The retry is still recognised: qcalld's drawn seed is no part of what a
  // retry must repeat.
  auto after_restart = Book(*api, "BILL", slot, "booking-system:1");
  ASSERT_OK(after_restart);
  EXPECT_EQ(after_restart->booking().code(), code);

  auto ticket = CheckIn(*api, code, "kiosk-1:1");
  ASSERT_OK(ticket);
  EXPECT_EQ(ticket->ticket().category(), v1::CATEGORY_APPOINTMENT);
  EXPECT_EQ(ticket->ticket().appointment_unix_seconds(), slot);
  auto again = CheckIn(*api, code, "kiosk-1:1");  // a retry: the same ticket
  ASSERT_OK(again);
  EXPECT_EQ(again->ticket().number(), ticket->ticket().number());

  api.reset();
  server.Kill();
  ASSERT_TRUE(server.Restart());
  api = std::make_unique<Api>(server.NewChannel());
  auto twice = CheckIn(*api, code, "kiosk-1:2");
  EXPECT_CODE(twice, StatusCode::FAILED_PRECONDITION);
  v1::ListBookingsRequest list;
  list.set_hall_id(kHall);
  auto listed = api->Call(&api->supervisor, &v1::Supervisor::Stub::ListBookings,
                          kSupervisorToken, list);
  ASSERT_OK(listed);
  ASSERT_EQ(listed->bookings_size(), 2);
  for (const v1::BookingView& view : listed->bookings()) {
    EXPECT_EQ(view.booking().ticket(),
              view.booking().code() == code ? ticket->ticket().number() : "");
  }
}

}  // namespace
}  // namespace qcall::testing
