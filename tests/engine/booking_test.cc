// Bookings (预约): a supervisor books a slot and gets a code; the customer
// checks in with it at the kiosk once, within the hall's check-in window,
// and gets the appointment ticket. Codes come from the command's seed, so
// replay and restore give the same ones.
#include <set>
#include <string>

#include "absl/strings/ascii.h"
#include "gtest/gtest.h"
#include "tests/engine/test_hall.h"

namespace qcall::testing {
namespace {

v1::Command Book(absl::string_view service, absl::Time slot, uint64_t seed,
                 absl::string_view supervisor = "duty manager") {
  v1::Command c;
  v1::Command::CreateBooking* b = c.mutable_create_booking();
  b->set_service_code(std::string(service));
  b->set_appointment_unix_seconds(absl::ToUnixSeconds(slot));
  b->set_code_seed(seed);
  b->set_supervisor_id(std::string(supervisor));
  return c;
}

v1::Command CheckIn(absl::string_view code) {
  v1::Command c;
  c.mutable_check_in()->set_code(std::string(code));
  return c;
}

// The hall's check-in window is 15 minutes before to 10 after (defaults).
TEST(BookingTest, ACodeChecksInOnceAndGivesTheAppointmentTicket) {
  TestHall h(SmallHallConfig(), ShanghaiTime(9, 0));
  const v1::Booking booking =
      h.Ok(Book("BILL", ShanghaiTime(10, 0), 42)).result().booking();
  EXPECT_EQ(booking.code().size(), 6u);
  for (const char ch : booking.code()) {
    EXPECT_NE(BookingBook::kAlphabet.find(ch), absl::string_view::npos);
  }
  EXPECT_EQ(booking.business_day(), 20261127);
  EXPECT_EQ(booking.created_by(), "duty manager");
  // The event leaves the code out: kiosks and boards read every event.
  ASSERT_TRUE(h.last().events().back().has_booking_changed());
  EXPECT_EQ(h.last().events().back().booking_changed().booking().code(), "");
  EXPECT_EQ(h.last().events().back().booking_changed().booking().service_code(),
            "BILL");

  h.set_now(ShanghaiTime(9, 50));
  // Typed in lower case, with a space and a dash: the same code.
  std::string typed = absl::AsciiStrToLower(booking.code());
  typed.insert(3, " -");
  const Hall::Outcome& out = h.Ok(CheckIn(typed));
  EXPECT_EQ(out.result().ticket().number(), "A001");
  EXPECT_EQ(out.result().ticket().category(), v1::CATEGORY_APPOINTMENT);
  EXPECT_EQ(out.result().ticket().appointment_unix_seconds(),
            absl::ToUnixSeconds(ShanghaiTime(10, 0)));
  ASSERT_EQ(out.events().size(), 2u);
  EXPECT_TRUE(out.events()[0].has_ticket_issued());
  EXPECT_EQ(out.events()[1].booking_changed().booking().ticket(), "A001");

  // Once: a second check-in says when and as which ticket.
  h.Advance(absl::Minutes(1));
  const absl::Status again = h.Try(CheckIn(booking.code()));
  EXPECT_EQ(again.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(again.message(),
            "booking " + booking.code() +
                " was checked in already, at 2026-11-27 09:50 as ticket A001");
  absl::StatusOr<v1::BookingView> view = h.hall().FindBooking(booking.code());
  ASSERT_TRUE(view.ok()) << view.status();
  EXPECT_EQ(view->booking().ticket(), "A001");
  EXPECT_EQ(view->service_name(), h.hall().rules().services()[0].name);
}

TEST(BookingTest, OutsideItsWindowACheckInIsRefusedSayingWhen) {
  TestHall h(SmallHallConfig(), ShanghaiTime(9, 0));
  const std::string code =
      h.Ok(Book("SIM", ShanghaiTime(11, 0), 7)).result().booking().code();
  h.set_now(ShanghaiTime(10, 44));
  absl::Status early = h.Try(CheckIn(code));
  EXPECT_EQ(early.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(early.message(), "too early for booking " + code +
                                 " (slot 2026-11-27 11:00); check in from "
                                 "2026-11-27 10:45");
  h.set_now(ShanghaiTime(11, 10, 1));
  absl::Status late = h.Try(CheckIn(code));
  EXPECT_EQ(late.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(late.message(), "too late for booking " + code +
                                " (slot 2026-11-27 11:00): its check-in "
                                "closed at 2026-11-27 11:10; take a ticket "
                                "without it");
  // Nothing was issued or marked.
  EXPECT_EQ(h.hall().ticket_count(), 0u);
  EXPECT_EQ(h.hall().FindBooking(code)->booking().ticket(), "");
  // The window's edges are inside it.
  h.set_now(ShanghaiTime(11, 10));
  EXPECT_EQ(h.Ok(CheckIn(code)).result().ticket().number(), "B001");
}

TEST(BookingTest, BadCodesAndBadBookingsChangeNothing) {
  TestHall h(SmallHallConfig(), ShanghaiTime(9, 0));
  const std::string code =
      h.Ok(Book("BILL", ShanghaiTime(9, 30), 1)).result().booking().code();
  const uint64_t seq = h.hall().last_seq();
  for (const char* typed : {"", "ABC", "ABCDEFG", "O0I1L!", "甲乙丙丁戊己"}) {
    EXPECT_EQ(h.Try(CheckIn(typed)).code(), absl::StatusCode::kInvalidArgument)
        << typed;
  }
  // A code of the alphabet that no booking holds (the first code differs
  // from this one in its last character at least).
  std::string other = code;
  other.back() = other.back() == '2' ? '3' : '2';
  const absl::Status unknown = h.Try(CheckIn(other));
  EXPECT_EQ(unknown.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(unknown.message(),
            "no booking with code " + other + " in this hall");
  EXPECT_EQ(h.hall().FindBooking(other).status().code(),
            absl::StatusCode::kNotFound);

  EXPECT_EQ(h.Try(Book("NOPE", ShanghaiTime(10, 0), 2)).code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(h.Try(Book("BILL", absl::FromUnixSeconds(0), 2)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(h.Try(Book("BILL", ShanghaiTime(10, 0), 2, "")).code(),
            absl::StatusCode::kInvalidArgument);
  // A slot whose check-in has closed already.
  const absl::Status passed = h.Try(Book("BILL", ShanghaiTime(8, 49), 2));
  EXPECT_EQ(passed.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(passed.message(),
            "the slot 2026-11-27 08:49 has passed; its check-in closed at "
            "2026-11-27 08:59");
  EXPECT_EQ(h.hall().last_seq(), seq);
  EXPECT_EQ(h.hall().Bookings().size(), 1u);
}

TEST(BookingTest, CodesAreUniqueEvenForTheSameSeedAndSurviveRestoreAndReplay) {
  TestHall h(SmallHallConfig(), ShanghaiTime(9, 0));
  std::set<std::string> codes;
  std::string first;  // Of the 10:00 slot.
  std::vector<v1::Command> commands;
  for (int i = 0; i < 50; ++i) {
    // Every seed twice: the second gets another code.
    commands.push_back(
        Book(i % 2 == 0 ? "BILL" : "SIM", ShanghaiTime(10, i), i / 2));
    codes.insert(h.Ok(commands.back()).result().booking().code());
    if (i == 0) first = *codes.begin();
  }
  EXPECT_EQ(codes.size(), 50u);

  // The same commands at the same times make the same codes.
  TestHall replay(SmallHallConfig(), ShanghaiTime(9, 0));
  for (const v1::Command& c : commands) replay.Ok(c);
  std::string a, b;
  ASSERT_TRUE(h.hall().Snapshot().SerializeToString(&a));
  ASSERT_TRUE(replay.hall().Snapshot().SerializeToString(&b));
  EXPECT_EQ(a, b);

  absl::StatusOr<Hall> restored =
      Hall::Restore(h.hall().Snapshot(), LoadZone("Asia/Shanghai"));
  ASSERT_TRUE(restored.ok()) << restored.status();
  ASSERT_EQ(restored->Bookings().size(), 50u);
  // By slot.
  EXPECT_EQ(restored->Bookings().front().booking().appointment_unix_seconds(),
            absl::ToUnixSeconds(ShanghaiTime(10, 0)));
  Hall::Outcome out;
  ASSERT_TRUE(restored->Apply(CheckIn(first), ShanghaiTime(9, 50), &out).ok());
}

TEST(BookingTest, ASnapshotWithABadOrRepeatedCodeIsRefused) {
  TestHall h(SmallHallConfig(), ShanghaiTime(9, 0));
  h.Ok(Book("BILL", ShanghaiTime(10, 0), 1));
  v1::HallState twice = h.hall().Snapshot();
  *twice.add_bookings() = twice.bookings(0);
  EXPECT_EQ(Hall::Restore(twice, LoadZone("Asia/Shanghai")).status().code(),
            absl::StatusCode::kDataLoss);
  v1::HallState bad = h.hall().Snapshot();
  bad.mutable_bookings(0)->set_code("O0O0O0");
  EXPECT_EQ(Hall::Restore(bad, LoadZone("Asia/Shanghai")).status().code(),
            absl::StatusCode::kDataLoss);
}

TEST(BookingTest, BookingsOfADayGoWhenTheNextBusinessDayStarts) {
  TestHall h(SmallHallConfig(), ShanghaiTime(9, 0));
  h.Ok(Book("BILL", ShanghaiTime(10, 0), 1));
  // Tomorrow's: held across today's end.
  const std::string tomorrow =
      h.Ok(Book("BILL", ShanghaiTime(10, 0) + absl::Hours(24), 2))
          .result()
          .booking()
          .code();
  EXPECT_EQ(h.hall().FindBooking(tomorrow)->booking().business_day(), 20261128);
  h.Advance(absl::Hours(24) + absl::Minutes(50));
  h.Ok(Tick());
  ASSERT_EQ(h.hall().Bookings().size(), 1u);
  EXPECT_EQ(h.hall().Bookings()[0].booking().code(), tomorrow);
  EXPECT_EQ(h.Ok(CheckIn(tomorrow)).result().ticket().business_day(), 20261128);
}

}  // namespace
}  // namespace qcall::testing
