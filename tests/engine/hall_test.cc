#include "engine/hall.h"

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "engine/alarm_book.h"
#include "engine/erlang_c.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/engine/test_hall.h"

namespace qcall {
namespace {

using ::qcall::testing::CallNext;
using ::qcall::testing::CallTicket;
using ::qcall::testing::Cancel;
using ::qcall::testing::CloseWindow;
using ::qcall::testing::Complete;
using ::qcall::testing::Issue;
using ::qcall::testing::LoadZone;
using ::qcall::testing::NoShow;
using ::qcall::testing::OpenWindow;
using ::qcall::testing::PauseWindow;
using ::qcall::testing::Recall;
using ::qcall::testing::Requeue;
using ::qcall::testing::ResumeWindow;
using ::qcall::testing::SetMin;
using ::qcall::testing::ShanghaiTime;
using ::qcall::testing::SmallHallConfig;
using ::qcall::testing::Start;
using ::qcall::testing::TestHall;
using ::qcall::testing::Tick;
using ::qcall::testing::TransferToService;
using ::qcall::testing::TransferToWindow;
using ::qcall::testing::Void;
using ::qcall::testing::WindowLost;
using ::testing::HasSubstr;
using Alarm = v1::HallEvent::Alarm;

std::string Number(const Hall::Outcome& out) {
  return out.result().ticket().number();
}

void ExpectError(const absl::Status& status, absl::StatusCode code,
                 absl::string_view message) {
  EXPECT_EQ(status.code(), code) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr(std::string(message)));
}

// Events of one kind among everything the hall emitted.
std::vector<v1::HallEvent> EventsOf(const TestHall& h,
                                    v1::HallEvent::KindCase kind) {
  std::vector<v1::HallEvent> found;
  for (const v1::HallEvent& e : h.events()) {
    if (e.kind_case() == kind) found.push_back(e);
  }
  return found;
}

// A tick's events other than the staffing advice, which a hall with
// windows to open announces on its first tick.
std::vector<v1::HallEvent> TickTimers(TestHall& h) {
  std::vector<v1::HallEvent> events;
  for (const v1::HallEvent& e : h.Ok(Tick()).events()) {
    if (!e.has_staffing_advised()) events.push_back(e);
  }
  return events;
}

// --- Rule 1: numbering -----------------------------------------------------

TEST(HallNumberingTest, RunsWithoutGapsPerServiceAndSkipsNothingOnErrors) {
  TestHall h(SmallHallConfig());
  EXPECT_EQ(Number(h.Ok(Issue("BILL"))), "A001");
  EXPECT_EQ(Number(h.Ok(Issue("SIM"))), "B001");
  EXPECT_EQ(h.Try(Issue("NOPE")).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Number(h.Ok(Issue("BILL"))), "A002");
  h.Ok(Cancel("A002"));  // A cancelled number is not reissued.
  EXPECT_EQ(Number(h.Ok(Issue("BILL"))), "A003");
}

TEST(HallNumberingTest, RestartsAtLocalMidnightOfTheHall) {
  TestHall h(SmallHallConfig(), ShanghaiTime(23, 50));
  EXPECT_EQ(Number(h.Ok(Issue("BILL"))), "A001");
  EXPECT_EQ(Number(h.Ok(Issue("BILL"))), "A002");
  EXPECT_EQ(h.hall().business_day(), 20261127);
  h.Advance(absl::Minutes(15));  // 00:05 in Shanghai, still 16:05 UTC.
  const Hall::Outcome& out = h.Ok(Issue("BILL"));
  EXPECT_EQ(Number(out), "A001");
  EXPECT_EQ(out.result().ticket().business_day(), 20261128);
  ASSERT_GE(out.events().size(), 2);
  EXPECT_EQ(out.events()[0].day_started().business_day(), 20261128);
  EXPECT_EQ(out.events()[0].day_started().expired(), 2);
  // Yesterday's numbers are gone for good.
  EXPECT_EQ(h.Try(Cancel("A002")).code(), absl::StatusCode::kNotFound);
}

TEST(HallNumberingTest, DaylightSavingChangeRestartsOnceAtLocalMidnight) {
  // Berlin leaves summer time at 03:00 on Sunday 2026-10-25: that day has 25
  // hours. Numbering must restart at local midnight on both sides, never at
  // 23:00 or 01:00.
  v1::HallConfig config = SmallHallConfig();
  config.set_time_zone("Europe/Berlin");
  config.clear_hours();
  const absl::TimeZone berlin = LoadZone("Europe/Berlin");
  auto local = [&](int d, int hh, int mm) {
    return absl::FromCivil(absl::CivilMinute(2026, 10, d, hh, mm), berlin);
  };
  TestHall h(config, local(24, 23, 59));
  EXPECT_EQ(Number(h.Ok(Issue("BILL"))), "A001");
  h.set_now(local(25, 0, 1));
  EXPECT_EQ(Number(h.Ok(Issue("BILL"))), "A001");
  // The repeated hour 02:00-03:00 and the rest of the long day.
  h.set_now(local(25, 2, 30));
  EXPECT_EQ(Number(h.Ok(Issue("BILL"))), "A002");
  h.Advance(absl::Hours(1));  // 02:30 again, after the clocks went back.
  EXPECT_EQ(Number(h.Ok(Issue("BILL"))), "A003");
  h.set_now(local(25, 23, 59));  // 24 local hours but 25 real ones later.
  EXPECT_EQ(Number(h.Ok(Issue("BILL"))), "A004");
  h.set_now(local(26, 0, 0));
  EXPECT_EQ(Number(h.Ok(Issue("BILL"))), "A001");
  EXPECT_EQ(h.hall().business_day(), 20261026);
}

TEST(HallNumberingTest, NeverGoesBackWhenTheLocalClockRepeats) {
  // Day start 02:30 in Berlin: on 2026-10-25 local 02:30 happens twice. The
  // second time must not start yet another day.
  v1::HallConfig config = SmallHallConfig();
  config.set_time_zone("Europe/Berlin");
  config.clear_hours();
  config.set_business_day_start_minute(150);
  const absl::TimeZone berlin = LoadZone("Europe/Berlin");
  const absl::Time first = absl::FromCivil(
      absl::CivilMinute(2026, 10, 25, 2, 40), berlin);  // Earlier of the two.
  TestHall h(config, first - absl::Minutes(20));        // 02:20, day before.
  EXPECT_EQ(Number(h.Ok(Issue("BILL"))), "A001");
  h.set_now(first);
  EXPECT_EQ(Number(h.Ok(Issue("BILL"))), "A001");  // New day from 02:30.
  EXPECT_EQ(Number(h.Ok(Issue("BILL"))), "A002");
  h.Advance(absl::Minutes(40));  // 02:20 local again (second pass).
  EXPECT_EQ(Number(h.Ok(Issue("BILL"))), "A003");
  EXPECT_EQ(h.hall().business_day(), 20261025);
}

TEST(HallNumberingTest, HallOpenAcrossMidnightKeepsOneDay) {
  v1::HallConfig config = SmallHallConfig();
  config.clear_hours();
  for (int day = 1; day <= 7; ++day) {
    v1::OpeningHours* hours = config.add_hours();
    hours->set_weekday(day);
    hours->set_open_minute(18 * 60);
    hours->set_close_minute(26 * 60);  // Until 02:00.
  }
  config.set_business_day_start_minute(6 * 60);
  TestHall h(config, ShanghaiTime(23, 0));
  EXPECT_EQ(Number(h.Ok(Issue("BILL"))), "A001");
  h.Advance(absl::Hours(2));  // 01:00 next calendar day.
  EXPECT_EQ(Number(h.Ok(Issue("BILL"))), "A002");
  h.Advance(absl::Hours(5));  // 06:00: the next business day.
  EXPECT_EQ(Number(h.Ok(Issue("BILL"))), "A001");
}

TEST(HallNumberingTest, DailyCapIsResourceExhaustedAndSkipsNothing) {
  v1::HallConfig config = SmallHallConfig();
  config.mutable_services(0)->set_number_width(1);  // A1 ... A9.
  TestHall h(config);
  for (int i = 1; i <= 9; ++i) {
    EXPECT_EQ(Number(h.Ok(Issue("BILL"))), "A" + std::to_string(i));
  }
  const uint64_t seq = h.hall().last_seq();
  ExpectError(h.Try(Issue("BILL")), absl::StatusCode::kResourceExhausted,
              "issued all 9 tickets");
  EXPECT_EQ(h.hall().last_seq(), seq);
  EXPECT_EQ(Number(h.Ok(Issue("SIM"))), "B001");  // Other services go on.
  h.set_now(ShanghaiTime(9, 0) + absl::Hours(24));
  EXPECT_EQ(Number(h.Ok(Issue("BILL"))), "A1");
}

// --- Rule 2: one ticket, one window; precise errors ------------------------

TEST(HallWindowsTest, CallNextHandsATicketToExactlyOneWindow) {
  TestHall h(SmallHallConfig());
  h.Ok(OpenWindow(1, "c1"));
  h.Ok(OpenWindow(2, "c2"));
  h.Ok(Issue("BILL"));
  EXPECT_EQ(Number(h.Ok(CallNext(1))), "A001");
  // Window 2 finds nobody: OK, ticket unset, nothing emitted.
  const Hall::Outcome& none = h.Ok(CallNext(2));
  EXPECT_FALSE(none.result().has_ticket());
  EXPECT_TRUE(none.events().empty());
  ExpectError(h.Try(CallTicket(2, "A001")),
              absl::StatusCode::kFailedPrecondition, "A001 is called");
}

TEST(HallWindowsTest, RefusesWhatAClerkCannotDoWithAReason) {
  TestHall h(SmallHallConfig());
  ExpectError(h.Try(CallNext(1)), absl::StatusCode::kFailedPrecondition,
              "window 1 is closed; open it first");
  ExpectError(h.Try(CallNext(9)), absl::StatusCode::kNotFound, "no window 9");
  h.Ok(OpenWindow(1, "c1"));
  ExpectError(h.Try(OpenWindow(1, "c9")), absl::StatusCode::kFailedPrecondition,
              "already open");
  ExpectError(h.Try(OpenWindow(2, "c1")), absl::StatusCode::kFailedPrecondition,
              "clerk c1 is already at window 1");
  ExpectError(h.Try(Complete(1)), absl::StatusCode::kFailedPrecondition,
              "serving nobody");
  ExpectError(h.Try(Start(1)), absl::StatusCode::kFailedPrecondition,
              "called nobody");
  ExpectError(h.Try(Recall(1)), absl::StatusCode::kFailedPrecondition,
              "no called ticket");
  ExpectError(h.Try(Cancel("A001")), absl::StatusCode::kNotFound,
              "no ticket A001 was issued today");
  ExpectError(h.Try(Cancel("Z001")), absl::StatusCode::kInvalidArgument,
              "not a ticket number");
  ExpectError(h.Try(OpenWindow(2, "")), absl::StatusCode::kInvalidArgument,
              "clerk_id is required");
  ExpectError(h.Try(OpenWindow(2, std::string(500, 'x'))),
              absl::StatusCode::kInvalidArgument, "too long");
  ExpectError(h.Try(v1::Command()), absl::StatusCode::kInvalidArgument,
              "no kind");
  h.Ok(Issue("BILL"));
  h.Ok(CallNext(1));
  ExpectError(h.Try(Complete(1)), absl::StatusCode::kFailedPrecondition,
              "start serving first");
  ExpectError(h.Try(CallNext(1)), absl::StatusCode::kFailedPrecondition,
              "is calling a ticket");
  h.Ok(Start(1));
  ExpectError(h.Try(Complete(1, 6)), absl::StatusCode::kInvalidArgument,
              "rating must be 1-5");
  ExpectError(h.Try(CloseWindow(1)), absl::StatusCode::kFailedPrecondition,
              "still holds A001");
  const Hall::Outcome& done = h.Ok(Complete(1, 5));
  EXPECT_EQ(done.events()[0].ticket_state_changed().rating(), 5);
  h.Ok(PauseWindow(1, "lunch", "boss"));
  ExpectError(h.Try(CallNext(1)), absl::StatusCode::kFailedPrecondition,
              "paused (lunch)");
}

TEST(HallWindowsTest, ErrorsChangeNothing) {
  TestHall h(SmallHallConfig());
  h.Ok(OpenWindow(1, "c1"));
  h.Ok(Issue("BILL"));
  std::string before;
  ASSERT_TRUE(h.hall().Snapshot().SerializeToString(&before));
  const uint64_t seq = h.hall().last_seq();
  EXPECT_FALSE(h.Try(Complete(1)).ok());
  EXPECT_FALSE(h.Try(Issue("BILL", static_cast<v1::Category>(42))).ok());
  EXPECT_FALSE(h.Try(TransferToService(1, "SIM", v1::PLACEMENT_FIRST)).ok());
  EXPECT_FALSE(h.Try(Void("A001", "", "boss")).ok());
  std::string after;
  ASSERT_TRUE(h.hall().Snapshot().SerializeToString(&after));
  EXPECT_EQ(before, after);
  EXPECT_EQ(h.hall().last_seq(), seq);
}

// --- Rule 3: minimum open windows ------------------------------------------

TEST(HallMinimumOpenTest, CloseAndPauseBelowTheMinimumNeedAnOverride) {
  TestHall h(SmallHallConfig());  // Minimum 2, 09:00 is business hours.
  h.Ok(OpenWindow(1, "c1"));
  h.Ok(OpenWindow(2, "c2"));
  ExpectError(h.Try(CloseWindow(1)), absl::StatusCode::kFailedPrecondition,
              "hall needs 2 open windows, 2 are open");
  ExpectError(h.Try(PauseWindow(2, "tea")),
              absl::StatusCode::kFailedPrecondition,
              "hall needs 2 open windows, 2 are open");
  EXPECT_EQ(h.hall().open_windows(), 2);
  const Hall::Outcome& closed = h.Ok(CloseWindow(1, "duty-manager"));
  const v1::HallEvent::WindowChanged& changed =
      closed.events()[0].window_changed();
  EXPECT_EQ(changed.state(), v1::WINDOW_STATE_CLOSED);
  EXPECT_EQ(changed.override().supervisor_id(), "duty-manager");
  EXPECT_EQ(changed.override().reason(), "staff meeting");
  // Going below raises an alarm; opening again clears it.
  ASSERT_EQ(closed.events().size(), 2);
  EXPECT_EQ(closed.events()[1].alarm().kind(), Alarm::KIND_BELOW_MIN_OPEN);
  EXPECT_TRUE(closed.events()[1].alarm().raised());
  const Hall::Outcome& reopened = h.Ok(OpenWindow(3, "c3"));
  EXPECT_FALSE(reopened.events().rbegin()->alarm().raised());
}

TEST(HallMinimumOpenTest, AllowsClosingOutsideBusinessHoursAndAboveTheMinimum) {
  TestHall h(SmallHallConfig(), ShanghaiTime(8, 0));
  h.Ok(OpenWindow(1, "c1"));
  h.Ok(OpenWindow(2, "c2"));
  h.Ok(OpenWindow(3, "c3"));
  h.Ok(CloseWindow(1));                // 3 open, minimum 2.
  h.Ok(PauseWindow(2, "setting up"));  // 08:00: before opening.
  h.set_now(ShanghaiTime(18, 30));
  h.Ok(CloseWindow(3));  // After closing time.
}

TEST(HallMinimumOpenTest, OverrideNeedsASupervisorAndAReason) {
  TestHall h(SmallHallConfig());
  h.Ok(OpenWindow(1, "c1"));
  v1::Command close = CloseWindow(1, "boss");
  close.mutable_close_window()->mutable_override()->clear_reason();
  ExpectError(h.Try(close), absl::StatusCode::kInvalidArgument,
              "override.reason is required");
}

TEST(HallMinimumOpenTest, LostWindowRaisesAlarmsAndOpensAStandbyWindow) {
  TestHall h(SmallHallConfig());
  h.Ok(OpenWindow(1, "c1"));
  h.Ok(OpenWindow(2, "c2"));
  h.Ok(Issue("BILL"));
  h.Ok(CallNext(1));
  const Hall::Outcome& out = h.Ok(WindowLost(1));
  // The ticket goes back first in line, the window closes, an alarm is
  // raised, and standby-1 opens window 3: back at the minimum, no alarm.
  ASSERT_EQ(out.events().size(), 4);
  EXPECT_EQ(out.events()[0].ticket_state_changed().ticket().state(),
            v1::TICKET_STATE_WAITING);
  EXPECT_TRUE(out.events()[1].window_changed().lost());
  EXPECT_EQ(out.events()[2].alarm().kind(), Alarm::KIND_WINDOW_LOST);
  EXPECT_TRUE(out.events()[2].alarm().raised());
  const v1::HallEvent::WindowChanged& standby =
      out.events()[3].window_changed();
  EXPECT_EQ(standby.window(), 3);
  EXPECT_TRUE(standby.standby());
  EXPECT_EQ(standby.clerk_id(), "standby-1");
  EXPECT_EQ(h.hall().open_windows(), 2);
  EXPECT_EQ(Number(h.Ok(CallNext(3))), "A001");
  // Reopening the lost window clears its alarm.
  EXPECT_FALSE(h.Ok(OpenWindow(1, "c1")).events().rbegin()->alarm().raised());
}

// The board marks a standby-opened window: the view says so, across a
// snapshot, until a clerk of its own opens or closes it.
TEST(HallMinimumOpenTest, AStandbyOpenedWindowIsMarkedUntilAClerkTakesIt) {
  TestHall h(SmallHallConfig());
  h.Ok(OpenWindow(1, "c1"));
  h.Ok(OpenWindow(2, "c2"));
  h.Ok(WindowLost(1));
  const auto window = [](const v1::HallView& view, int number) {
    for (const auto& w : view.windows()) {
      if (w.number() == number) return w;
    }
    return v1::HallView::WindowView();
  };
  EXPECT_TRUE(window(h.hall().View(h.now()), 3).standby());
  EXPECT_FALSE(window(h.hall().View(h.now()), 2).standby());
  absl::StatusOr<Hall> restored =
      Hall::Restore(h.hall().Snapshot(), LoadZone("Asia/Shanghai"));
  ASSERT_TRUE(restored.ok()) << restored.status();
  EXPECT_TRUE(window(restored->View(h.now()), 3).standby());
  h.Ok(OpenWindow(4, "c4"));
  h.Ok(CloseWindow(3));
  EXPECT_FALSE(window(h.hall().View(h.now()), 3).standby());
  h.Ok(OpenWindow(3, "c3"));
  EXPECT_FALSE(window(h.hall().View(h.now()), 3).standby());
}

// A counter screen signs in to a window only while it is open under that
// clerk; the view names each window's services for the counter's count.
TEST(HallMinimumOpenTest, SignInNeedsTheWindowOpenUnderThatClerk) {
  TestHall h(SmallHallConfig());
  ExpectError(h.hall().CheckSignIn(1, "c1"),
              absl::StatusCode::kFailedPrecondition,
              "is closed; open it to sign in");
  h.Ok(OpenWindow(1, "c1"));
  EXPECT_TRUE(h.hall().CheckSignIn(1, "c1").ok());
  ExpectError(h.hall().CheckSignIn(1, "c2"),
              absl::StatusCode::kFailedPrecondition,
              "is signed in by clerk c1, not c2");
  h.Ok(PauseWindow(1, "lunch", "boss"));
  EXPECT_TRUE(h.hall().CheckSignIn(1, "c1").ok()) << "paused is still open";
  EXPECT_EQ(h.hall().CheckSignIn(99, "c1").code(), absl::StatusCode::kNotFound);
  // The id comes from the screen: bounded before it is compared or echoed.
  const absl::Status long_id = h.hall().CheckSignIn(1, std::string(5000, 'x'));
  EXPECT_EQ(long_id.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_LT(long_id.message().size(), 200u) << long_id.message();
  const v1::HallView view = h.hall().View(h.now());
  EXPECT_THAT(view.windows(0).service_codes(),
              ::testing::ElementsAre("BILL", "SIM"));
  EXPECT_THAT(view.windows(2).service_codes(), ::testing::ElementsAre("BILL"));
}

TEST(HallMinimumOpenTest, LostWindowWithoutAFreeStandbyLeavesTheAlarmRaised) {
  TestHall h(SmallHallConfig());
  h.Ok(OpenWindow(1, "c1"));
  h.Ok(OpenWindow(2, "standby-1"));  // The only standby clerk is busy.
  const Hall::Outcome& out = h.Ok(WindowLost(1));
  EXPECT_EQ(h.hall().open_windows(), 1);
  EXPECT_EQ(out.events().rbegin()->alarm().kind(), Alarm::KIND_BELOW_MIN_OPEN);
  EXPECT_TRUE(out.events().rbegin()->alarm().raised());
  const v1::HallView view = h.hall().View(h.now());
  EXPECT_EQ(view.alarms_size(), 2);  // Below minimum, window lost.
}

TEST(HallMinimumOpenTest, SupervisorChangesTheMinimum) {
  TestHall h(SmallHallConfig());
  h.Ok(OpenWindow(1, "c1"));
  h.Ok(OpenWindow(2, "c2"));
  ExpectError(h.Try(SetMin(9, "boss")), absl::StatusCode::kInvalidArgument,
              "min_open_windows must be 0-4");
  ExpectError(h.Try(SetMin(1, "")), absl::StatusCode::kInvalidArgument,
              "supervisor_id is required");
  h.Ok(SetMin(1, "boss"));
  h.Ok(CloseWindow(1));
  const Hall::Outcome& out = h.Ok(SetMin(3, "boss"));
  EXPECT_EQ(out.events()[0].min_open_windows_changed().min_open_windows(), 3);
  EXPECT_TRUE(out.events()[1].alarm().raised());
}

TEST(HallMinimumOpenTest, OpeningTimeWithTooFewWindowsRaisesTheAlarmOnTick) {
  TestHall h(SmallHallConfig(), ShanghaiTime(8, 0));
  h.Ok(OpenWindow(1, "c1"));
  h.Ok(Tick());
  EXPECT_EQ(EventsOf(h, v1::HallEvent::kAlarm).size(), 0u);
  h.set_now(ShanghaiTime(8, 30));
  const std::vector<v1::HallEvent> out = TickTimers(h);
  ASSERT_EQ(out.size(), 1);
  EXPECT_EQ(out[0].alarm().message(), "hall needs 2 open windows, 1 are open");
}

// --- Rule 4: dispatch --------------------------------------------------------

TEST(HallDispatchTest, PriorityCategoryGoesFirstUntilWaitingCatchesUp) {
  TestHall h(SmallHallConfig());
  h.Ok(OpenWindow(3, "c3"));  // BILL only.
  h.Ok(Issue("BILL"));        // A001 normal.
  h.Advance(absl::Minutes(5));
  h.Ok(Issue("BILL", v1::CATEGORY_GREEN_CHANNEL));  // A002, boost 10 min.
  EXPECT_EQ(Number(h.Ok(CallNext(3))), "A002");
  h.Ok(Start(3));
  h.Ok(Complete(3));
  // A normal ticket that has waited longer than a green one's boost wins.
  h.Advance(absl::Minutes(12));
  h.Ok(Issue("BILL", v1::CATEGORY_GREEN_CHANNEL));  // A003.
  EXPECT_EQ(Number(h.Ok(CallNext(3))), "A001");
}

TEST(HallDispatchTest, WindowWeightsPreferTheirService) {
  v1::HallConfig config = SmallHallConfig();
  config.mutable_windows(0)->mutable_serves(0)->set_weight(100);  // BILL.
  config.mutable_windows(0)->mutable_serves(1)->set_weight(300);  // SIM.
  TestHall h(config);
  h.Ok(OpenWindow(1, "c1"));
  h.Ok(Issue("BILL"));
  h.Advance(absl::Minutes(2));
  h.Ok(Issue("SIM"));
  h.Advance(absl::Minutes(1));
  // BILL waited 3 min x 100 = 300; SIM 1 min x 300 = 300, tie goes to the
  // older ticket. A minute later SIM (2x300) beats BILL (4x100).
  EXPECT_EQ(Number(h.Ok(CallNext(1))), "A001");
  h.Ok(NoShow(1));
  h.Ok(Issue("BILL"));
  h.Advance(absl::Minutes(1));
  EXPECT_EQ(Number(h.Ok(CallNext(1))), "B001");
}

TEST(HallDispatchTest, InterleaveCallsANormalTicketAfterNPriorityOnes) {
  v1::HallConfig config = SmallHallConfig();
  config.mutable_policy()->set_priority_interleave(2);
  TestHall h(config);
  h.Ok(OpenWindow(3, "c3"));
  h.Ok(Issue("BILL"));  // A001 normal.
  for (int i = 0; i < 4; ++i) h.Ok(Issue("BILL", v1::CATEGORY_VIP));
  std::vector<std::string> called;
  for (int i = 0; i < 4; ++i) {
    called.push_back(Number(h.Ok(CallNext(3))));
    h.Ok(Start(3));
    h.Ok(Complete(3));
  }
  EXPECT_EQ(called, (std::vector<std::string>{"A002", "A003", "A001", "A004"}));
}

TEST(HallDispatchTest, OnlyHeadsOfServedLanesAreConsidered) {
  TestHall h(SmallHallConfig());
  h.Ok(OpenWindow(4, "c4"));  // SIM only.
  h.Ok(Issue("BILL", v1::CATEGORY_URGENT));
  EXPECT_FALSE(h.Ok(CallNext(4)).result().has_ticket());
  ExpectError(h.Try(CallTicket(4, "A001")),
              absl::StatusCode::kFailedPrecondition,
              "window 4 does not serve 话费缴纳");
}

TEST(HallDispatchTest,
     AppointmentsAreCheckedInWithinTheirToleranceAndCalledNearTheSlot) {
  TestHall h(SmallHallConfig(), ShanghaiTime(9, 0));
  h.Ok(OpenWindow(3, "c3"));
  for (int i = 0; i < 5; ++i) h.Ok(Issue("BILL"));  // A busy walk-in queue.
  const absl::Time slot = ShanghaiTime(10, 0);
  v1::Command appointment = Issue("BILL", v1::CATEGORY_APPOINTMENT);
  appointment.mutable_issue_ticket()->set_appointment_unix_seconds(
      absl::ToUnixSeconds(slot));
  h.set_now(ShanghaiTime(9, 30));
  ExpectError(h.Try(appointment), absl::StatusCode::kFailedPrecondition,
              "check in from 2026-11-27T09:45");
  h.set_now(ShanghaiTime(9, 50));
  EXPECT_EQ(Number(h.Ok(appointment)), "A006");
  // An appointment's two-hour boost puts it before walk-ins that have waited
  // 50 minutes, so it is called inside its tolerance, not after the backlog.
  EXPECT_EQ(Number(h.Ok(CallNext(3))), "A006");
  // Late beyond tolerance: joins the walk-ins as a normal ticket.
  h.set_now(ShanghaiTime(10, 11));
  const Hall::Outcome& late = h.Ok(appointment);
  EXPECT_EQ(late.result().ticket().category(), v1::CATEGORY_NORMAL);
  v1::Command no_slot = Issue("BILL", v1::CATEGORY_APPOINTMENT);
  ExpectError(h.Try(no_slot), absl::StatusCode::kInvalidArgument,
              "needs appointment_unix_seconds");
}

// --- Ticket life cycle -------------------------------------------------------

TEST(HallLifecycleTest,
     RecallsAreLimitedThenNoShowAndRequeueGoesBehindTheHead) {
  v1::HallConfig config = SmallHallConfig();
  config.mutable_policy()->set_max_recalls(1);
  config.mutable_policy()->set_requeue_offset(2);
  TestHall h(config);
  h.Ok(OpenWindow(3, "c3"));
  for (int i = 0; i < 4; ++i) h.Ok(Issue("BILL"));
  h.Ok(CallNext(3));  // A001.
  const Hall::Outcome& recall = h.Ok(Recall(3));
  EXPECT_EQ(recall.events()[0].ticket_called().recall(), 1);
  EXPECT_EQ(recall.events()[0].ticket_called().announcement(),
            "请 A001 号到 3 号窗口办理");
  ExpectError(h.Try(Recall(3)), absl::StatusCode::kFailedPrecondition,
              "mark it no-show");
  h.Ok(NoShow(3));
  ExpectError(h.Try(Requeue("A002")), absl::StatusCode::kFailedPrecondition,
              "only a no-show ticket");
  ExpectError(h.Try(Requeue("A001", 1)), absl::StatusCode::kFailedPrecondition,
              "missed its call at window 3, which takes it back, not window 1");
  ExpectError(h.Try(Requeue("A001", 99)), absl::StatusCode::kNotFound,
              "window 99");
  const Hall::Outcome& back = h.Ok(Requeue("A001", 3));
  EXPECT_EQ(back.result().people_ahead(), 2);  // Behind A002 and A003.
  EXPECT_EQ(h.hall().TicketStatus("A004", h.now())->people_ahead(), 3);
  std::vector<std::string> order;
  for (int i = 0; i < 4; ++i) {
    order.push_back(Number(h.Ok(CallNext(3))));
    h.Ok(NoShow(3));
  }
  EXPECT_EQ(order, (std::vector<std::string>{"A002", "A003", "A001", "A004"}));
  ExpectError(h.Try(Requeue("A001")), absl::StatusCode::kFailedPrecondition,
              "the most this hall allows");
}

TEST(HallLifecycleTest, TransferPlacesFirstLastOrByIssueTime) {
  TestHall h(SmallHallConfig());
  h.Ok(OpenWindow(1, "c1"));
  h.Ok(OpenWindow(4, "c4"));
  h.Ok(Issue("BILL"));  // A001, the oldest.
  h.Advance(absl::Minutes(1));
  h.Ok(Issue("SIM"));  // B001.
  h.Advance(absl::Minutes(1));
  h.Ok(Issue("SIM"));  // B002.
  h.Ok(CallTicket(1, "A001"));
  h.Ok(Start(1));
  // A001 moves to SIM by issue time: it is older than both, so it goes first.
  const Hall::Outcome& moved =
      h.Ok(TransferToService(1, "SIM", v1::PLACEMENT_BY_ISSUE_TIME));
  EXPECT_EQ(moved.events()[0].ticket_transferred().to_service_code(), "SIM");
  EXPECT_EQ(moved.result().ticket().service_code(), "SIM");
  EXPECT_EQ(Number(h.Ok(CallNext(4))), "A001");
  // Last: behind B002.
  h.Ok(TransferToService(4, "SIM", v1::PLACEMENT_LAST));
  EXPECT_EQ(Number(h.Ok(CallNext(4))), "B001");
  h.Ok(TransferToService(4, "SIM", v1::PLACEMENT_FIRST));
  EXPECT_EQ(Number(h.Ok(CallNext(4))), "B001");
  // To a window: only that window calls it.
  h.Ok(TransferToWindow(4, 2, v1::PLACEMENT_LAST));
  EXPECT_EQ(Number(h.Ok(CallNext(4))), "B002");
  h.Ok(OpenWindow(2, "c2"));
  EXPECT_EQ(Number(h.Ok(CallNext(2))), "B001");
  ExpectError(h.Try(TransferToWindow(2, 2, v1::PLACEMENT_LAST)),
              absl::StatusCode::kInvalidArgument, "window that holds it");
  ExpectError(h.Try(TransferToService(2, "NOPE", v1::PLACEMENT_LAST)),
              absl::StatusCode::kNotFound, "no service 'NOPE'");
}

TEST(HallLifecycleTest, CancelAndVoidRemoveFromTheMiddle) {
  TestHall h(SmallHallConfig());
  h.Ok(OpenWindow(3, "c3"));
  for (int i = 0; i < 3; ++i) h.Ok(Issue("BILL"));
  h.Ok(Cancel("A002"));
  ExpectError(h.Try(Void("A003", "duplicate", "")),
              absl::StatusCode::kInvalidArgument, "supervisor_id is required");
  const Hall::Outcome& voided = h.Ok(Void("A003", "printed twice", "boss"));
  EXPECT_EQ(voided.events()[0].ticket_state_changed().reason(),
            "printed twice");
  EXPECT_EQ(voided.events()[0].ticket_state_changed().supervisor_id(), "boss");
  ExpectError(h.Try(Void("A003", "again", "boss")),
              absl::StatusCode::kFailedPrecondition, "already voided");
  EXPECT_EQ(Number(h.Ok(CallNext(3))), "A001");
  ExpectError(h.Try(Void("A001", "x", "boss")),
              absl::StatusCode::kFailedPrecondition, "is at window 3");
  h.Ok(NoShow(3));
  EXPECT_FALSE(h.Ok(CallNext(3)).result().has_ticket());
}

TEST(HallLifecycleTest, PauseAndResume) {
  TestHall h(SmallHallConfig());
  h.Ok(OpenWindow(1, "c1"));
  h.Ok(OpenWindow(2, "c2"));
  h.Ok(OpenWindow(3, "c3"));
  const Hall::Outcome& paused = h.Ok(PauseWindow(3, "lunch"));
  EXPECT_EQ(paused.events()[0].window_changed().state(),
            v1::WINDOW_STATE_PAUSED);
  EXPECT_EQ(paused.events()[0].window_changed().reason(), "lunch");
  EXPECT_EQ(h.hall().open_windows(), 2);
  ExpectError(h.Try(PauseWindow(3, "")), absl::StatusCode::kInvalidArgument,
              "reason is required");
  h.Ok(ResumeWindow(3));
  ExpectError(h.Try(ResumeWindow(3)), absl::StatusCode::kFailedPrecondition,
              "not paused");
  EXPECT_EQ(h.hall().open_windows(), 3);
}

// --- Timers ------------------------------------------------------------------

TEST(HallTimersTest, NoShowTimeoutAndAlarmsComeFromTick) {
  v1::HallConfig config = SmallHallConfig();
  config.mutable_policy()->set_no_show_timeout_seconds(120);
  // Window 1 idles after the no-show while A003 waits; that alarm has its
  // own test.
  config.mutable_policy()->set_idle_window_alarm_seconds(0);
  TestHall h(config);
  h.Ok(OpenWindow(1, "c1"));
  h.Ok(OpenWindow(3, "c3"));
  h.Ok(Issue("BILL"));
  h.Ok(Issue("BILL"));
  h.Ok(Issue("BILL"));
  h.Ok(CallNext(1));
  h.Ok(CallNext(3));
  h.Ok(Start(3));
  h.Advance(absl::Seconds(119));
  EXPECT_TRUE(TickTimers(h).empty());
  h.Advance(absl::Seconds(1));
  const std::vector<v1::HallEvent> timeout = TickTimers(h);
  ASSERT_EQ(timeout.size(), 1);
  EXPECT_EQ(timeout[0].ticket_state_changed().ticket().state(),
            v1::TICKET_STATE_NO_SHOW);
  // BILL: target handling 5 min, target wait 15 min.
  h.Advance(absl::Minutes(4));
  const std::vector<v1::HallEvent> late = TickTimers(h);
  ASSERT_EQ(late.size(), 1);
  EXPECT_EQ(late[0].alarm().kind(), Alarm::KIND_HANDLING_OVER_TARGET);
  EXPECT_EQ(late[0].alarm().window(), 3);
  h.Advance(absl::Minutes(10));
  const std::vector<v1::HallEvent> waiting = TickTimers(h);
  ASSERT_EQ(waiting.size(), 1);
  EXPECT_EQ(waiting[0].alarm().kind(), Alarm::KIND_WAIT_OVER_TARGET);
  EXPECT_EQ(waiting[0].alarm().service_code(), "BILL");
  EXPECT_EQ(waiting[0].alarm().message(),
            "话费缴纳: customers wait longer than the 15-minute target");
  EXPECT_TRUE(TickTimers(h).empty());  // Raised once, not every tick.
  const Hall::Outcome& done = h.Ok(Complete(3));
  EXPECT_FALSE(done.events().rbegin()->alarm().raised());
  h.Ok(CallNext(3));
  EXPECT_FALSE(TickTimers(h)[0].alarm().raised());
}

TEST(HallTimersTest, WaitAlarmNamesATargetUnderAMinuteInSeconds) {
  v1::HallConfig config = SmallHallConfig();
  config.mutable_services(0)->set_target_wait_seconds(30);
  TestHall h(config);
  h.Ok(OpenWindow(1, "c1"));
  h.Ok(Issue("BILL"));
  h.Advance(absl::Seconds(31));
  const std::vector<v1::HallEvent> out = TickTimers(h);
  ASSERT_EQ(out.size(), 1);
  EXPECT_EQ(out[0].alarm().message(),
            "话费缴纳: customers wait longer than the 30-second target");
}

TEST(HallTimersTest, PeopleWaitingForAServiceNoOpenWindowServesRaiseAnAlarm) {
  TestHall h(SmallHallConfig());
  h.Ok(OpenWindow(3, "c3"));  // BILL only; 1, 2 and 4 serve SIM.
  const Hall::Outcome& issued = h.Ok(Issue("SIM"));
  EXPECT_TRUE(issued.result().no_open_window());
  EXPECT_FALSE(h.Ok(Issue("BILL")).result().no_open_window());
  std::vector<v1::HallEvent> out = TickTimers(h);
  ASSERT_EQ(out.size(), 1);
  EXPECT_EQ(out[0].alarm().kind(), Alarm::KIND_NO_WINDOW_SERVES);
  EXPECT_TRUE(out[0].alarm().raised());
  EXPECT_EQ(out[0].alarm().service_code(), "SIM");
  EXPECT_TRUE(TickTimers(h).empty());  // Raised once.
  absl::StatusOr<v1::CommandResult> status = h.hall().TicketStatus("B001", h.now());
  ASSERT_TRUE(status.ok());
  EXPECT_TRUE(status->no_open_window());
  // A window that serves SIM opens: cleared in the same command.
  bool cleared = false;
  for (const v1::HallEvent& e : h.Ok(OpenWindow(4, "c4")).events()) {
    cleared |= e.alarm().kind() == Alarm::KIND_NO_WINDOW_SERVES &&
               !e.alarm().raised() && e.alarm().service_code() == "SIM";
  }
  EXPECT_TRUE(cleared);
  EXPECT_FALSE(h.hall().TicketStatus("B001", h.now())->no_open_window());
  // It closes again with B001 waiting: raised at the next tick.
  h.Ok(CloseWindow(4, "duty manager"));
  out = TickTimers(h);
  ASSERT_EQ(out.size(), 1);
  EXPECT_TRUE(out[0].alarm().raised());
  // Nobody waits any more: cleared.
  h.Ok(Cancel("B001"));
  out = TickTimers(h);
  ASSERT_EQ(out.size(), 1);
  EXPECT_FALSE(out[0].alarm().raised());
}

TEST(HallTimersTest, AnOpenWindowIdleWhilePeopleItServesWaitRaisesAnAlarm) {
  v1::HallConfig config = SmallHallConfig();
  config.mutable_policy()->set_idle_window_alarm_seconds(120);
  TestHall h(config);
  h.Ok(OpenWindow(3, "c3"));  // BILL only.
  h.Ok(OpenWindow(4, "c4"));  // SIM only.
  h.Advance(absl::Minutes(10));
  // Idle for ten minutes with nobody waiting: no alarm. The clock of a
  // window that could have called starts when someone waits.
  h.Ok(Issue("BILL"));
  h.Advance(absl::Seconds(119));
  EXPECT_TRUE(TickTimers(h).empty());
  h.Advance(absl::Seconds(1));
  std::vector<v1::HallEvent> out = TickTimers(h);
  ASSERT_EQ(out.size(), 1);
  EXPECT_EQ(out[0].alarm().kind(), Alarm::KIND_WINDOW_IDLE);
  EXPECT_EQ(out[0].alarm().window(), 3);  // Window 4 does not serve BILL.
  EXPECT_TRUE(out[0].alarm().raised());
  EXPECT_EQ(out[0].alarm().message(),
            "window 3 is open and calls nobody while customers wait");
  EXPECT_TRUE(TickTimers(h).empty());
  // It calls: cleared by the call itself.
  const Hall::Outcome& called = h.Ok(CallNext(3));
  ASSERT_TRUE(called.events().rbegin()->has_alarm());
  EXPECT_EQ(called.events().rbegin()->alarm().kind(), Alarm::KIND_WINDOW_IDLE);
  EXPECT_FALSE(called.events().rbegin()->alarm().raised());
  // Survives a snapshot: restored raised, cleared once.
  h.Ok(Start(3));
  h.Ok(Complete(3));
  h.Ok(Issue("BILL"));
  h.Advance(absl::Seconds(121));
  ASSERT_EQ(TickTimers(h).size(), 1);
  absl::StatusOr<Hall> copy =
      Hall::Restore(h.hall().Snapshot(), LoadZone("Asia/Shanghai"));
  ASSERT_TRUE(copy.ok()) << copy.status();
  const v1::HallView view = copy->View(h.now());
  ASSERT_EQ(view.alarms_size(), 1);
  EXPECT_EQ(view.alarms(0).kind(), Alarm::KIND_WINDOW_IDLE);
  // A policy of 0 turns it off.
  config.mutable_policy()->set_idle_window_alarm_seconds(0);
  TestHall off(config);
  off.Ok(OpenWindow(3, "c3"));
  off.Ok(Issue("BILL"));
  off.Advance(absl::Hours(1));
  for (const v1::HallEvent& e : TickTimers(off)) {
    EXPECT_NE(e.alarm().kind(), Alarm::KIND_WINDOW_IDLE);
  }
}

TEST(HallTimersTest, NewDayExpiresWaitingTicketsAndKeepsThoseAtAWindow) {
  TestHall h(SmallHallConfig(), ShanghaiTime(17, 50));
  h.Ok(OpenWindow(1, "c1"));
  h.Ok(OpenWindow(2, "c2"));
  h.Ok(Issue("BILL", v1::CATEGORY_NORMAL, "13800001111"));
  h.Ok(Issue("BILL"));
  h.Ok(CallNext(1));
  h.Ok(Start(1));
  h.set_now(ShanghaiTime(17, 50) + absl::Hours(7));  // 00:50.
  v1::Command roll;
  roll.mutable_roll_over_day();
  const Hall::Outcome& out = h.Ok(roll);
  ASSERT_EQ(out.events().size(), 1);
  EXPECT_EQ(out.events()[0].day_started().expired(), 1);
  // A001 from yesterday is still served and completes normally.
  const Hall::Outcome& done = h.Ok(Complete(1));
  EXPECT_EQ(done.result().ticket().number(), "A001");
  EXPECT_EQ(done.result().ticket().business_day(), 20261127);
  EXPECT_EQ(Number(h.Ok(Issue("BILL"))), "A001");
  EXPECT_TRUE(h.Ok(roll).events().empty());  // The same day again: no-op.
}

// --- Rule 6: events ----------------------------------------------------------

TEST(HallEventsTest, CarryTheBoardPayloadAndGaplessSequence) {
  v1::HallConfig config = SmallHallConfig();
  config.set_language(v1::LANGUAGE_EN);
  TestHall h(config);
  h.Ok(OpenWindow(3, "c3"));
  h.Ok(Issue("BILL", v1::CATEGORY_NORMAL, "13912345678"));
  const Hall::Outcome& call = h.Ok(CallNext(3));
  const v1::HallEvent::TicketCalled& called = call.events()[0].ticket_called();
  EXPECT_EQ(called.ticket().number(), "A001");
  EXPECT_EQ(called.ticket().service_code(), "BILL");
  EXPECT_EQ(called.ticket().service_name(), "话费缴纳");
  EXPECT_EQ(called.window(), 3);
  EXPECT_EQ(called.window_name(), "3号窗口");
  EXPECT_EQ(called.announcement(), "Ticket A001, please go to window 3");
  h.Ok(Start(3));
  h.Ok(Complete(3, 4));
  uint64_t seq = 0;
  for (const v1::HallEvent& e : h.events()) {
    EXPECT_EQ(e.seq(), ++seq);
    EXPECT_EQ(e.DebugString().find("13912345678"), std::string::npos);
  }
  EXPECT_EQ(h.hall().last_seq(), seq);
  // A phone from an old journal's command (the engine has no phone field)
  // is not kept either: not in the snapshot, not in the view.
  EXPECT_EQ(h.hall().Snapshot().SerializeAsString().find("13912345678"),
            std::string::npos);
  EXPECT_EQ(h.hall().View(h.now()).SerializeAsString().find("13912345678"),
            std::string::npos);
}

TEST(HallEventsTest, AReusedOutcomeCarriesNothingFromTheCommandBefore) {
  // Outcome recycles its messages for speed; a voided ticket's reason or a
  // close's override must not leak into the next event of the same kind.
  TestHall h(SmallHallConfig());
  h.Ok(OpenWindow(1, "c1"));
  h.Ok(OpenWindow(2, "c2"));
  h.Ok(OpenWindow(3, "c3"));
  h.Ok(Issue("BILL", v1::CATEGORY_VIP));
  h.Ok(Issue("BILL"));
  h.Ok(Void("A001", "printed twice", "boss"));
  const v1::HallEvent::TicketStateChanged& cancelled =
      h.Ok(Cancel("A002")).events()[0].ticket_state_changed();
  EXPECT_EQ(cancelled.reason(), "");
  EXPECT_EQ(cancelled.supervisor_id(), "");
  EXPECT_EQ(cancelled.ticket().number(), "A002");
  EXPECT_EQ(cancelled.ticket().category(), v1::CATEGORY_NORMAL);
  h.Ok(CloseWindow(1, "boss"));
  const v1::HallEvent::WindowChanged& opened =
      h.Ok(OpenWindow(1, "c9")).events()[0].window_changed();
  EXPECT_FALSE(opened.has_override());
  EXPECT_EQ(opened.reason(), "");
  EXPECT_FALSE(h.Ok(CallNext(1)).result().has_ticket());
}

// --- Rule 7: estimates -------------------------------------------------------

TEST(HallEstimatesTest, PriorityTicketsSeeOnlyThoseWhoGoBeforeThem) {
  TestHall h(SmallHallConfig());
  h.Ok(Issue("BILL"));
  h.Ok(Issue("BILL"));
  h.Ok(Issue("BILL", v1::CATEGORY_URGENT));
  const Hall::Outcome& vip = h.Ok(Issue("BILL", v1::CATEGORY_VIP));
  EXPECT_EQ(vip.result().people_ahead(), 1);  // Only the urgent one.
  const Hall::Outcome& normal = h.Ok(Issue("BILL"));
  EXPECT_EQ(normal.result().people_ahead(), 4);
  // Ten minutes on, a new VIP (15 min boost) goes after the urgent and the
  // earlier VIP only; six minutes later the normal tickets have waited past
  // its boost and go before it too.
  h.Advance(absl::Minutes(10));
  EXPECT_EQ(h.Ok(Issue("BILL", v1::CATEGORY_VIP)).result().people_ahead(), 2);
  h.Advance(absl::Minutes(6));
  EXPECT_EQ(h.Ok(Issue("BILL", v1::CATEGORY_VIP)).result().people_ahead(), 6);
}

// --- Rule 5: determinism -----------------------------------------------------

TEST(HallDeterminismTest, SnapshotRestoreContinueEqualsNeverStopping) {
  const v1::HallConfig config = SmallHallConfig();
  std::vector<v1::Command> script = {
      OpenWindow(1, "c1"),
      OpenWindow(3, "c3"),
      Issue("BILL", v1::CATEGORY_NORMAL, "13800000000"),
      Issue("SIM"),
      Issue("BILL", v1::CATEGORY_VIP),
      CallNext(1),
      Start(1),
      TransferToWindow(1, 3, v1::PLACEMENT_FIRST),
      CallNext(1),
      CallNext(3),
      Recall(3),
      NoShow(3),
      Issue("BILL"),
      Tick(),
      Requeue("A001"),
      CallNext(3),
      Start(3),
      Complete(3, 5)};
  auto run = [&](size_t cut) {
    TestHall h(config);
    for (size_t i = 0; i < cut; ++i) {
      (void)h.Try(script[i]);
      h.Advance(absl::Seconds(37));
    }
    absl::StatusOr<Hall> restored =
        Hall::Restore(h.hall().Snapshot(), LoadZone(config.time_zone()));
    EXPECT_TRUE(restored.ok()) << restored.status();
    Hall hall = *std::move(restored);
    std::string events;
    Hall::Outcome out;
    absl::Time now = h.now();
    for (size_t i = cut; i < script.size(); ++i) {
      (void)hall.Apply(script[i], now, &out);
      for (const v1::HallEvent& e : out.events())
        events += e.SerializeAsString();
      now += absl::Seconds(37);
    }
    std::string snapshot;
    EXPECT_TRUE(hall.Snapshot().SerializeToString(&snapshot));
    return std::pair{events, snapshot};
  };
  const auto [all_events, final_snapshot] = run(0);
  for (size_t cut = 1; cut <= script.size(); ++cut) {
    const auto [events, snapshot] = run(cut);
    EXPECT_EQ(snapshot, final_snapshot) << "cut at " << cut;
    EXPECT_TRUE(all_events.ends_with(events)) << "cut at " << cut;
  }
}

TEST(HallDeterminismTest, RestoreRefusesACorruptSnapshot) {
  TestHall h(SmallHallConfig());
  h.Ok(Issue("BILL"));
  v1::HallState state = h.hall().Snapshot();
  state.mutable_lanes(0)->add_tickets(99);
  absl::StatusOr<Hall> restored =
      Hall::Restore(state, LoadZone("Asia/Shanghai"));
  EXPECT_EQ(restored.status().code(), absl::StatusCode::kDataLoss);
}

// A small hall's snapshot with a ticket of every kind a restore links up:
// waiting in three lanes (BILL normal and VIP, SIM normal), called at
// window 1, served at window 3, completed; window 4 is idle, 2 closed.
v1::HallState SnapshotWithEveryKindOfTicket() {
  TestHall h(SmallHallConfig());
  h.Ok(OpenWindow(1, "c1"));
  h.Ok(OpenWindow(3, "c3"));
  h.Ok(OpenWindow(4, "c4"));
  for (int i = 0; i < 4; ++i) h.Ok(Issue("BILL"));
  h.Ok(Issue("SIM"));
  h.Ok(Issue("SIM"));
  h.Ok(CallNext(1));
  h.Ok(Start(1));
  h.Advance(absl::Minutes(3));
  h.Ok(Complete(1));
  h.Ok(CallNext(1));
  h.Ok(CallNext(3));
  h.Ok(Start(3));
  h.Ok(Issue("BILL", v1::CATEGORY_VIP));
  return h.hall().Snapshot();
}

// The first ticket record in `state`.
uint32_t FirstTicket(const v1::HallState& state, v1::TicketState wanted) {
  for (const v1::HallState::TicketRecord& r : state.tickets()) {
    if (r.state() == wanted) return r.id();
  }
  ADD_FAILURE() << "no ticket " << v1::TicketState_Name(wanted);
  return 0;
}

// The window records, by window number - 1.
v1::HallState::WindowRecord& WindowRecord(v1::HallState& state, int number) {
  return *state.mutable_windows(number - 1);
}

struct Corruption {
  std::string name;
  std::function<void(v1::HallState&)> corrupt;
  std::string message;  // What the refusal says.
};

void PrintTo(const Corruption& c, std::ostream* os) { *os << c.name; }

class HallRestoreCorruptTest : public ::testing::TestWithParam<Corruption> {};

TEST(HallRestoreTest, TheSnapshotTheCorruptionsBreakRestoresAsItIs) {
  const v1::HallState state = SnapshotWithEveryKindOfTicket();
  ASSERT_EQ(state.lanes_size(), 3);
  EXPECT_EQ(state.windows(0).state(), v1::WINDOW_STATE_CALLING);
  EXPECT_EQ(state.windows(2).state(), v1::WINDOW_STATE_SERVING);
  EXPECT_EQ(state.windows(3).state(), v1::WINDOW_STATE_IDLE);
  FirstTicket(state, v1::TICKET_STATE_COMPLETED);
  absl::StatusOr<Hall> restored =
      Hall::Restore(state, LoadZone("Asia/Shanghai"));
  ASSERT_TRUE(restored.ok()) << restored.status();
  EXPECT_EQ(restored->Snapshot().SerializeAsString(),
            state.SerializeAsString());
}

TEST_P(HallRestoreCorruptTest, IsRefusedSayingWhatIsWrong) {
  v1::HallState state = SnapshotWithEveryKindOfTicket();
  GetParam().corrupt(state);
  absl::StatusOr<Hall> restored =
      Hall::Restore(state, LoadZone("Asia/Shanghai"));
  EXPECT_EQ(restored.status().code(), absl::StatusCode::kDataLoss)
      << restored.status();
  EXPECT_THAT(std::string(restored.status().message()),
              HasSubstr(GetParam().message));
}

using State = v1::HallState;

INSTANTIATE_TEST_SUITE_P(
    EveryKind, HallRestoreCorruptTest,
    ::testing::Values(
        // Lanes.
        Corruption{"TicketTwiceInOneLane",
                   [](State& s) {
                     s.mutable_lanes(0)->add_tickets(s.lanes(0).tickets(0));
                   },
                   "is listed twice in the lanes, the second time in the lane "
                   "of service 0 CATEGORY_NORMAL"},
        Corruption{"TicketInTwoLanes",
                   [](State& s) {
                     s.mutable_lanes(2)->add_tickets(s.lanes(0).tickets(0));
                   },
                   "is listed twice in the lanes, the second time in the lane "
                   "of service 1 CATEGORY_NORMAL"},
        Corruption{"TicketInALaneAndADirectLane",
                   [](State& s) {
                     WindowRecord(s, 4).add_direct_lane(s.lanes(0).tickets(0));
                   },
                   "the second time in the direct lane of window 4"},
        Corruption{"LaneNamesNoTicket",
                   [](State& s) { s.mutable_lanes(0)->add_tickets(99); },
                   "lists ticket id 99, and there are only 7 tickets"},
        Corruption{"LaneNamesACompletedTicket",
                   [](State& s) {
                     s.mutable_lanes(0)->add_tickets(
                         FirstTicket(s, v1::TICKET_STATE_COMPLETED));
                   },
                   ", which is completed"},
        Corruption{"DirectLaneNamesACalledTicket",
                   [](State& s) {
                     WindowRecord(s, 4).add_direct_lane(
                         FirstTicket(s, v1::TICKET_STATE_CALLED));
                   },
                   "the direct lane of window 4 lists ticket id"},
        Corruption{"TicketInTheLaneOfAnotherCategory",
                   [](State& s) {
                     s.mutable_lanes(0)->set_category(v1::CATEGORY_URGENT);
                   },
                   "which waits for service 0 as CATEGORY_NORMAL"},
        Corruption{"TicketInTheLaneOfAnotherService",
                   [](State& s) {
                     s.mutable_lanes(2)->set_service(0);
                     s.mutable_lanes(2)->set_category(v1::CATEGORY_URGENT);
                   },
                   "which waits for service 1 as CATEGORY_NORMAL"},
        Corruption{"WaitingTicketInNoLane",
                   [](State& s) { s.mutable_lanes()->RemoveLast(); },
                   "is waiting but in no lane"},
        Corruption{"LaneListedTwice",
                   [](State& s) {
                     State::LaneRecord copy = s.lanes(1);
                     copy.clear_tickets();
                     *s.add_lanes() = copy;
                   },
                   "the lane of service 0 CATEGORY_VIP is twice"},
        Corruption{"LaneOfNoService",
                   [](State& s) { s.mutable_lanes(0)->set_service(2); },
                   "a lane record names service 2; the hall has 2"},
        Corruption{"LaneOfNoCategory",
                   [](State& s) {
                     s.mutable_lanes(0)->set_category(
                         static_cast<v1::Category>(42));
                   },
                   "has no known category (42)"},
        // Windows and the tickets they hold.
        Corruption{"WindowHoldsAWaitingTicket",
                   [](State& s) {
                     WindowRecord(s, 1).set_ticket(s.lanes(0).tickets(0) + 1);
                   },
                   ", which is waiting at window record 0"},
        Corruption{"TwoWindowsHoldOneTicket",
                   [](State& s) {
                     WindowRecord(s, 4).set_state(v1::WINDOW_STATE_CALLING);
                     WindowRecord(s, 4).set_ticket(WindowRecord(s, 1).ticket());
                   },
                   "window 4 holds ticket id"},
        Corruption{"ServingWindowHoldsACalledTicket",
                   [](State& s) {
                     WindowRecord(s, 1).set_state(v1::WINDOW_STATE_SERVING);
                   },
                   ", which is called at window record 1"},
        Corruption{"CalledTicketHeldByNoWindow",
                   [](State& s) {
                     WindowRecord(s, 1).set_ticket(0);
                     WindowRecord(s, 1).set_state(v1::WINDOW_STATE_IDLE);
                   },
                   "is called but its window record (1) does not hold it"},
        Corruption{"CallingWindowWithoutATicket",
                   [](State& s) { WindowRecord(s, 1).set_ticket(0); },
                   "window 1 is WINDOW_STATE_CALLING but holds no ticket"},
        Corruption{"IdleWindowHoldsATicket",
                   [](State& s) {
                     WindowRecord(s, 4).set_ticket(
                         FirstTicket(s, v1::TICKET_STATE_COMPLETED) + 1);
                   },
                   "window 4 is WINDOW_STATE_IDLE but holds ticket id"},
        Corruption{"WindowHoldsNoSuchTicket",
                   [](State& s) { WindowRecord(s, 1).set_ticket(1000); },
                   "window 1 holds ticket id 999, and there are only 7"},
        Corruption{"WindowRecordOfAnotherWindow",
                   [](State& s) { WindowRecord(s, 2).set_number(9); },
                   "window record 2 is of window 9; the config has window 2"},
        Corruption{"WindowInNoKnownState",
                   [](State& s) {
                     WindowRecord(s, 2).set_state(
                         static_cast<v1::WindowState>(42));
                   },
                   "window 2 is in no known state (42)"},
        Corruption{"NegativeStreak",
                   [](State& s) { WindowRecord(s, 3).set_priority_streak(-1); },
                   "window 3 has a streak of -1"},
        // Ticket records.
        Corruption{"TicketIdsOutOfOrder",
                   [](State& s) { s.mutable_tickets(1)->set_id(5); },
                   "ticket record 1 has id 5"},
        Corruption{"TicketOfNoService",
                   [](State& s) { s.mutable_tickets(0)->set_queue_service(7); },
                   "ticket id 0 names service 0 and 7; the hall has 2"},
        Corruption{"TicketAtNoWindow",
                   [](State& s) { s.mutable_tickets(0)->set_window(5); },
                   "ticket id 0 names window record 5; there are 4"},
        Corruption{"TicketAtANegativeWindow",
                   [](State& s) { s.mutable_tickets(0)->set_window(-1); },
                   "ticket id 0 names window record -1"},
        Corruption{"TicketInNoKnownState",
                   [](State& s) {
                     s.mutable_tickets(0)->set_state(
                         static_cast<v1::TicketState>(42));
                   },
                   "ticket id 0 is in no known state (42)"},
        Corruption{"TicketOfNoCategory",
                   [](State& s) {
                     s.mutable_tickets(0)->set_category(
                         v1::CATEGORY_UNSPECIFIED);
                   },
                   "ticket id 0 has no known category (0)"},
        Corruption{"TicketRecalledPastItsCounter",
                   [](State& s) { s.mutable_tickets(0)->set_recalls(256); },
                   "ticket id 0 has 256 recalls"},
        Corruption{"TicketOfALaterDay",
                   [](State& s) {
                     s.mutable_tickets(0)->set_business_day(s.business_day() +
                                                            1);
                   },
                   "ticket id 0 is of business day 20261128"},
        Corruption{"TicketNumbersWithAGap",
                   [](State& s) { s.mutable_tickets(1)->set_number(7); },
                   "ticket numbers of service 0 are not contiguous"},
        // The hall's own records and counts.
        Corruption{"TicketsButNoDay", [](State& s) { s.set_business_day(0); },
                   "it holds tickets but no business day has begun"},
        Corruption{"BusinessDayNoDate",
                   [](State& s) { s.set_business_day(20261399); },
                   "business day 20261399 is no date"},
        Corruption{"MinimumAboveTheWindows",
                   [](State& s) { s.set_min_open_windows(5); },
                   "min_open_windows 5 is more than the windows there are"},
        Corruption{"ServiceRecordsDisagreeWithTheConfig",
                   [](State& s) { s.add_services(); },
                   "service or window count differs from its config"},
        Corruption{
            "NegativeHandledCount",
            [](State& s) { s.mutable_services(0)->set_handled_today(-1); },
            "service handling figures"}),
    [](const ::testing::TestParamInfo<Corruption>& p) { return p.param.name; });

}  // namespace
}  // namespace qcall

namespace qcall::testing {
namespace {

// Where clerks follow the advice every estimate asks the staffing plan which
// window opens, and a hall reuses the plans it made for the same input. A
// hall that has made plans all along, at every command and query, answers
// exactly as one restored from its snapshot, which has made none.
std::string Answer(const absl::StatusOr<v1::CommandResult>& result) {
  return result.ok() ? result->SerializeAsString() : result.status().ToString();
}

TEST(HallStaffingViewTest, ReusedPlansAnswerAsFreshOnes) {
  const absl::TimeZone zone = LoadZone("Asia/Shanghai");
  TestHall h(SmallHallConfig(), ShanghaiTime(10, 0));
  h.Ok(OpenWindow(1, "c1"));
  h.Ok(OpenWindow(3, "c3"));
  v1::HallState state = h.hall().Snapshot();
  state.mutable_advice_following()->set_opens_advised(2);
  state.mutable_advice_following()->set_opens_followed(2);
  state.mutable_advice_following()->set_follow_delay_total_ms(60'000);
  h.hall() = *Hall::Restore(state, zone);
  int opening_counted = 0;
  for (int i = 0; i < 80; ++i) {
    SCOPED_TRACE(i);
    const v1::Command command = i % 5 == 4     ? Tick()
                                : i % 7 == 6   ? CallNext(1)
                                : i % 11 == 10 ? NoShow(1)
                                               : Issue(i % 2 ? "SIM" : "BILL");
    Hall fresh = *Hall::Restore(h.hall().Snapshot(), zone);
    Hall::Outcome fresh_out;
    const absl::Status fresh_status = fresh.Apply(command, h.now(), &fresh_out);
    EXPECT_EQ(h.Try(command), fresh_status);
    EXPECT_EQ(h.last().result().SerializeAsString(),
              fresh_out.result().SerializeAsString());
    ASSERT_EQ(h.last().events().size(), fresh_out.events().size());
    for (size_t e = 0; e < fresh_out.events().size(); ++e) {
      EXPECT_EQ(h.last().events()[e].SerializeAsString(),
                fresh_out.events()[e].SerializeAsString());
    }
    // Queries at the time of the command, and a little later.
    for (const absl::Duration later :
         {absl::ZeroDuration(), absl::Seconds(7)}) {
      const absl::Time at = h.now() + later;
      const v1::HallView view = h.hall().View(at);
      EXPECT_EQ(view.SerializeAsString(),
                Hall::Restore(h.hall().Snapshot(), zone)
                    ->View(at)
                    .SerializeAsString());
      EXPECT_EQ(Answer(h.hall().TicketStatus("A004", at)),
                Answer(Hall::Restore(h.hall().Snapshot(), zone)
                           ->TicketStatus("A004", at)));
      opening_counted += view.advice().open_window() != 0 ? 1 : 0;
    }
    h.Advance(absl::Seconds(i % 3 == 0 ? 0 : 20));
  }
  // The plan had a window to open, which the estimates count on.
  EXPECT_GT(opening_counted, 0);
}

TEST(HallStaffingViewTest, NeedsFollowTheLastHalfHourAndAdviseAWindow) {
  TestHall h(SmallHallConfig(), ShanghaiTime(10, 0));
  h.Ok(OpenWindow(1, "c1"));
  h.Ok(OpenWindow(2, "c2"));
  for (int i = 0; i < 60; ++i) {  // BILL: 120 an hour.
    h.Ok(Issue("BILL"));
    h.Advance(absl::Seconds(30));
  }
  const v1::HallView view = h.hall().View(h.now());
  EXPECT_NEAR(view.services(0).arrivals_per_hour(), 120, 0.5);
  EXPECT_EQ(view.services(1).arrivals_per_hour(), 0);
  // BILL's prior handling is 240 s and its target 15 minutes: Erlang C for
  // the steady state, but the 60 already waiting need 60 x 240 / 900 = 16
  // windows to be cleared within the target.
  const int steady = ErlangC(120 / 3600.0, 240).LeastServers(900, 0.8);
  const int bill = 16;
  EXPECT_LT(steady, bill);
  EXPECT_EQ(view.services(0).needed_windows(), bill);
  // BILL and SIM share windows 1 and 2: one pooled group.
  EXPECT_EQ(view.recommended_open_windows(), bill);
  // Window 3 gives all its time to BILL.
  EXPECT_EQ(view.advice().open_window(), 3);
  EXPECT_EQ(view.advice().open_for_service(), "BILL");
  EXPECT_EQ(view.advice().close_window(), 0);
}

TEST(HallStaffingViewTest, AQuietHallIsAdvisedTheMinimum) {
  TestHall h(SmallHallConfig(), ShanghaiTime(10, 0));
  for (int w = 1; w <= 4; ++w) h.Ok(OpenWindow(w, absl::StrCat("c", w)));
  const v1::HallView view = h.hall().View(h.now());
  EXPECT_EQ(view.recommended_open_windows(), 2);
  // Nobody comes, so any of them leaves all the headroom there is: the
  // first is named.
  EXPECT_EQ(view.advice().close_window(), 1) << "4 open, 2 needed";
}

TEST(HallStaffingViewTest, AWindowToldToCloseStaysTheOneWhileItFinishes) {
  TestHall h(SmallHallConfig(), ShanghaiTime(10, 0));
  for (int w = 1; w <= 4; ++w) h.Ok(OpenWindow(w, absl::StrCat("c", w)));
  h.Ok(Tick());
  ASSERT_EQ(h.hall().View(h.now()).advice().close_window(), 1);
  // Its clerk takes one more customer first: the advice does not move to
  // an idle window and back with every call.
  h.Ok(Issue("BILL"));
  h.Ok(CallNext(1));
  for (const v1::HallEvent& e : h.Ok(Tick()).events()) {
    EXPECT_FALSE(e.has_staffing_advised()) << e.ShortDebugString();
  }
  EXPECT_EQ(h.hall().View(h.now()).advice().close_window(), 1);
}

}  // namespace
}  // namespace qcall::testing

namespace qcall::testing {
namespace {

std::vector<v1::HallEvent> OfKind(const Hall::Outcome& out,
                                  v1::HallEvent::KindCase kind) {
  std::vector<v1::HallEvent> events;
  for (const v1::HallEvent& e : out.events()) {
    if (e.kind_case() == kind) events.push_back(e);
  }
  return events;
}

TEST(HallLoadAlarmsTest,
     AQueueGrowingFasterThanItsWindowsServeIsAnAlarmUntilItIsNot) {
  v1::HallConfig config = SmallHallConfig();
  // Window 3 calls nobody here; that alarm has its own test.
  config.mutable_policy()->set_idle_window_alarm_seconds(0);
  TestHall h(config, ShanghaiTime(10, 0));
  h.Ok(OpenWindow(3, "c3"));      // BILL only: one window.
  h.Ok(OpenWindow(4, "c4"));      // SIM only.
  for (int i = 0; i < 20; ++i) {  // 120 BILL an hour x 240 s = 8 windows.
    h.Ok(Issue("BILL"));
    h.Advance(absl::Seconds(30));
  }
  std::vector<v1::HallEvent> alarms =
      OfKind(h.Ok(Tick()), v1::HallEvent::kAlarm);
  ASSERT_EQ(alarms.size(), 1u);
  EXPECT_EQ(alarms[0].alarm().kind(), Alarm::KIND_QUEUE_GROWING);
  EXPECT_TRUE(alarms[0].alarm().raised());
  EXPECT_EQ(alarms[0].alarm().service_code(), "BILL");
  EXPECT_TRUE(OfKind(h.Ok(Tick()), v1::HallEvent::kAlarm).empty())
      << "raised once";
  bool shown = false;
  const v1::HallView view = h.hall().View(h.now());
  for (const auto& a : view.alarms()) {
    shown |= a.kind() == Alarm::KIND_QUEUE_GROWING;
  }
  EXPECT_TRUE(shown);
  // The rush ends: half an hour later nobody new has come.
  h.Advance(absl::Minutes(31));
  alarms = OfKind(h.Ok(Tick()), v1::HallEvent::kAlarm);
  bool cleared = false;
  for (const auto& a : alarms) {
    cleared |=
        a.alarm().kind() == Alarm::KIND_QUEUE_GROWING && !a.alarm().raised();
  }
  EXPECT_TRUE(cleared);
}

// A line that empties for a moment at a busy time: on steady ticks the
// alarm is not raised again for kGrowingQuietMs after it was cleared.
TEST(HallLoadAlarmsTest, OnSteadyTicksAGrowingAlarmStaysQuietAfterItClears) {
  for (const bool steady : {false, true}) {
    v1::HallConfig config = SmallHallConfig();
    config.mutable_policy()->set_idle_window_alarm_seconds(0);
    TestHall h(config, ShanghaiTime(10, 0));
    const auto tick = [&]() -> const Hall::Outcome& {
      return h.Ok(steady ? SteadyTick() : Tick());
    };
    const auto growing = [&](const Hall::Outcome& out) {
      int raised = 0;
      for (const v1::HallEvent& e : OfKind(out, v1::HallEvent::kAlarm)) {
        if (e.alarm().kind() == Alarm::KIND_QUEUE_GROWING) {
          raised += e.alarm().raised() ? 1 : -1;
        }
      }
      return raised;
    };
    h.Ok(OpenWindow(3, "c3"));  // BILL only: one window.
    h.Ok(OpenWindow(4, "c4"));
    for (int i = 0; i < 20; ++i) {
      h.Ok(Issue("BILL"));
      h.Advance(absl::Seconds(30));
    }
    ASSERT_EQ(growing(tick()), 1);
    for (int i = 1; i <= 20; ++i) {
      h.Ok(Cancel(absl::StrFormat("A%03d", i)));
    }
    ASSERT_EQ(growing(tick()), -1) << "nobody waits";
    const absl::Time cleared = h.now();
    for (int i = 0; i < 3; ++i) h.Ok(Issue("BILL"));
    if (!steady) {
      EXPECT_EQ(growing(tick()), 1);
      continue;
    }
    h.set_now(cleared + absl::Milliseconds(AlarmBook::kGrowingQuietMs - 1));
    EXPECT_EQ(growing(tick()), 0);
    h.set_now(cleared + absl::Milliseconds(AlarmBook::kGrowingQuietMs));
    EXPECT_EQ(growing(tick()), 1);
  }
}

TEST(HallLoadAlarmsTest, AdviceIsAnnouncedWhenItChanges) {
  TestHall h(SmallHallConfig(), ShanghaiTime(10, 0));
  h.Ok(OpenWindow(1, "c1"));
  h.Ok(OpenWindow(2, "c2"));
  for (int i = 0; i < 60; ++i) {
    h.Ok(Issue("BILL"));
    h.Advance(absl::Seconds(30));
  }
  std::vector<v1::HallEvent> advised =
      OfKind(h.Ok(Tick()), v1::HallEvent::kStaffingAdvised);
  ASSERT_EQ(advised.size(), 1u);
  EXPECT_EQ(advised[0].staffing_advised().open_window(), 3);
  EXPECT_EQ(advised[0].staffing_advised().open_for_service(), "BILL");
  EXPECT_EQ(advised[0].staffing_advised().text(),
            "建议开 3 号窗口办理话费缴纳");
  EXPECT_GT(advised[0].staffing_advised().recommended_open_windows(), 2);
  EXPECT_TRUE(OfKind(h.Ok(Tick()), v1::HallEvent::kStaffingAdvised).empty())
      << "the same advice is not announced again";
  h.Ok(OpenWindow(3, "c3"));
  advised = OfKind(h.Ok(Tick()), v1::HallEvent::kStaffingAdvised);
  ASSERT_EQ(advised.size(), 1u);
  EXPECT_NE(advised[0].staffing_advised().open_window(), 3);
}

}  // namespace
}  // namespace qcall::testing
