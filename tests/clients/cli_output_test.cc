// Unit tests of what qcall shows and reads without a server: words, columns
// with Chinese names, the dashboard frame, appointment times, exit codes.
#include "absl/time/time.h"
#include "clients/cli/appointment.h"
#include "clients/cli/dashboard.h"
#include "clients/cli/exit_codes.h"
#include "clients/cli/output.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace qcall::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(FormatWaitTest, RoundsUpToWholeMinutes) {
  EXPECT_EQ(FormatWait(0), "no wait");
  EXPECT_EQ(FormatWait(1), "about 1 min");
  EXPECT_EQ(FormatWait(60), "about 1 min");
  EXPECT_EQ(FormatWait(61), "about 2 min");
  EXPECT_EQ(FormatWait(512), "about 9 min");
  EXPECT_EQ(FormatWait(3900), "about 1 h 5 min");
}

TEST(FormatDurationTest, MinutesAndSecondsThenHours) {
  EXPECT_EQ(FormatDuration(42), "0:42");
  EXPECT_EQ(FormatDuration(725), "12:05");
  EXPECT_EQ(FormatDuration(3723), "1:02:03");
  EXPECT_EQ(FormatDuration(-5), "0:00");
}

TEST(DisplayWidthTest, ChineseTakesTwoCellsEscapesNone) {
  EXPECT_EQ(DisplayWidth("话费缴纳 Bill"), 13);
  EXPECT_EQ(DisplayWidth("\x1b[31mA012\x1b[0m"), 4);
  EXPECT_EQ(DisplayWidth("A → 3号窗口"), 11);
}

TEST(DisplayWidthTest, FollowsUnicodeForMarksAndEmoji) {
  // Vowel signs and viramas take no cell of their own.
  EXPECT_EQ(DisplayWidth("नमस्ते"), 4);
  EXPECT_EQ(DisplayWidth("สวัสดี"), 4);
  EXPECT_EQ(DisplayWidth("e\u0301"), 1);
  // Emoji outside U+1F300..U+1FAFF are wide too; Yijing hexagrams are not.
  EXPECT_EQ(DisplayWidth("\u2705 ok"), 5);
  EXPECT_EQ(DisplayWidth("\u231A\U0001F004"), 4);
  EXPECT_EQ(DisplayWidth("\u4DC0"), 1);
  // A byte that is not UTF-8 takes a cell.
  EXPECT_EQ(DisplayWidth("ab\xff"), 3);
}

TEST(PadRightTest, AlignsChineseAndLatinColumns) {
  EXPECT_EQ(PadRight("话费", 6), "话费  ");
  EXPECT_EQ(PadRight("SIM", 6), "SIM   ");
  EXPECT_EQ(PadRight("\x1b[32midle\x1b[0m", 6), "\x1b[32midle\x1b[0m  ");
  EXPECT_EQ(PadRight("toolong", 3), "toolong");
}

TEST(FitWidthTest, NeverSplitsAWideCharacter) {
  EXPECT_EQ(FitWidth("话费缴纳", 5), "话费");
  EXPECT_EQ(FitWidth("话费缴纳", 8), "话费缴纳");
  EXPECT_EQ(FitWidth("\u2705 ok", 1), "");
  EXPECT_EQ(FitWidth("नमस्ते", 2), "नम");
}

TEST(FitWidthTest, KeepsEscapesWholeAndResetsACutStyledLine) {
  EXPECT_EQ(FitWidth("\x1b[31mABCDEF\x1b[0m", 3), "\x1b[31mABC\x1b[0m");
  EXPECT_EQ(FitWidth("ABC", 3), "ABC");
}

v1::CommandReply Reply(v1::TicketState state) {
  v1::CommandReply reply;
  v1::Ticket* t = reply.mutable_ticket();
  t->set_number("A012");
  t->set_service_name("话费缴纳 Bill payment");
  t->set_category(v1::CATEGORY_NORMAL);
  t->set_state(state);
  t->set_window(3);
  return reply;
}

TEST(DescribeTicketTest, WaitingTicketSaysWhoIsAheadAndHowLong) {
  v1::CommandReply reply = Reply(v1::TICKET_STATE_WAITING);
  reply.set_people_ahead(3);
  reply.set_estimated_wait_seconds(512);
  EXPECT_EQ(DescribeTicket(reply),
            "A012  话费缴纳 Bill payment  3 ahead, about 9 min");
  reply.set_people_ahead(0);
  reply.set_estimated_wait_seconds(0);
  EXPECT_EQ(DescribeTicket(reply),
            "A012  话费缴纳 Bill payment  nobody ahead, no wait");
}

TEST(DescribeTicketTest, OtherStatesSayWhereTheTicketIs) {
  EXPECT_THAT(DescribeTicket(Reply(v1::TICKET_STATE_CALLED)),
              HasSubstr("called to window 3"));
  EXPECT_THAT(DescribeTicket(Reply(v1::TICKET_STATE_COMPLETED)),
              HasSubstr("completed at window 3"));
  EXPECT_THAT(DescribeTicket(Reply(v1::TICKET_STATE_NO_SHOW)),
              HasSubstr("no-show at window 3"));
  EXPECT_THAT(DescribeTicket(Reply(v1::TICKET_STATE_VOIDED)),
              HasSubstr("voided"));
}

TEST(DescribeTicketTest, NamesACategoryOtherThanNormal) {
  v1::CommandReply reply = Reply(v1::TICKET_STATE_WAITING);
  reply.mutable_ticket()->set_category(v1::CATEGORY_GREEN_CHANNEL);
  EXPECT_THAT(DescribeTicket(reply),
              HasSubstr("话费缴纳 Bill payment (green channel)"));
}

TEST(DescribeEventTest, CallShowsWindowAnnouncementAndRecall) {
  v1::HallEvent event;
  auto* called = event.mutable_ticket_called();
  called->mutable_ticket()->set_number("A012");
  called->set_window(3);
  called->set_window_name("3号窗口");
  called->set_announcement("请 A012 号到 3 号窗口办理");
  EXPECT_EQ(DescribeEvent(event), "A012 → 3号窗口  请 A012 号到 3 号窗口办理");
  called->set_recall(1);
  EXPECT_THAT(DescribeEvent(event), HasSubstr("(recall 1)"));
}

TEST(DescribeEventTest, AlarmSaysRaisedOrCleared) {
  v1::HallEvent event;
  event.mutable_alarm()->set_raised(true);
  event.mutable_alarm()->set_message("hall has 3 open windows, needs 4");
  EXPECT_EQ(DescribeEvent(event), "ALARM: hall has 3 open windows, needs 4");
  event.mutable_alarm()->set_raised(false);
  EXPECT_EQ(DescribeEvent(event),
            "alarm cleared: hall has 3 open windows, needs 4");
}

// ---------------------------------------------------------------------------
// The dashboard

constexpr char kRed[] = "\x1b[31m";
constexpr char kYellow[] = "\x1b[33m";

const absl::Time kTaken = absl::FromUnixSeconds(1767232800);

v1::HallView View() {
  v1::HallView view;
  view.set_hall_id("xjh");
  view.set_name("徐家汇营业厅");
  view.set_business_hours(true);
  view.set_open_windows(2);
  view.set_min_open_windows(2);
  v1::HallView::ServiceView* s = view.add_services();
  s->set_code("BILL");
  s->set_name("话费缴纳");
  s->set_waiting(2);
  s->set_oldest_wait_seconds(100);
  s->set_open_windows(1);
  s->set_target_wait_seconds(600);
  s->set_target_handling_seconds(300);
  v1::HallView::LaneView* lane = view.add_lanes();
  lane->set_service_code("BILL");
  lane->set_category(v1::CATEGORY_VIP);
  lane->set_waiting(1);
  lane->set_oldest_wait_seconds(40);
  v1::HallView::WindowView* w = view.add_windows();
  w->set_number(3);
  w->set_name("3号窗口");
  w->set_state(v1::WINDOW_STATE_SERVING);
  w->set_clerk_id("zhang");
  w->set_state_since_unix_ms(absl::ToUnixMillis(kTaken) - 60'000);
  w->mutable_ticket()->set_number("A012");
  w->mutable_ticket()->set_service_code("BILL");
  v1::HallView::WindowView* closed = view.add_windows();
  closed->set_number(4);
  closed->set_name("4号窗口");
  closed->set_state(v1::WINDOW_STATE_CLOSED);
  return view;
}

// The line of `frame` that contains `text`.
std::string LineWith(const std::string& frame, const std::string& text) {
  size_t at = frame.find(text);
  if (at == std::string::npos) return "";
  size_t begin = frame.rfind('\n', at);
  begin = begin == std::string::npos ? 0 : begin + 1;
  return frame.substr(begin, frame.find('\n', at) - begin);
}

TEST(RenderDashboardTest, TheClockIsTheHallsNotTheMachines) {
  v1::HallView view = View();
  // 02:00 UTC is 10:00 in Shanghai.
  const DashboardStyle utc{.zone = absl::UTCTimeZone()};
  EXPECT_THAT(RenderDashboard(view, kTaken, kTaken, utc),
              HasSubstr("02:00:00"));
  view.set_time_zone("Asia/Shanghai");
  const std::string frame = RenderDashboard(view, kTaken, kTaken, utc);
  EXPECT_THAT(frame, HasSubstr("10:00:00"));
  EXPECT_THAT(frame, Not(HasSubstr("02:00:00")));
}

TEST(RenderDashboardTest, ShowsTheStaffingPlanBesideTheMinimum) {
  v1::HallView view = View();
  view.set_recommended_open_windows(5);
  view.mutable_advice()->set_open_window(7);
  view.mutable_advice()->set_open_for_service("BILL");
  std::string frame = RenderDashboard(view, kTaken, kTaken, {});
  EXPECT_THAT(LineWith(frame, "open windows"), HasSubstr("recommended "));
  EXPECT_THAT(LineWith(frame, "open windows"), HasSubstr("5"));
  EXPECT_THAT(frame, HasSubstr("advice: open window 7 for BILL"));
  view.clear_advice();
  view.mutable_advice()->set_close_window(9);
  frame = RenderDashboard(view, kTaken, kTaken, {});
  EXPECT_THAT(frame, HasSubstr("advice: window 9 can close"));
  // An advice on a set of windows names them all.
  view.clear_advice();
  for (const int window : {4, 5, 6}) {
    auto* o = view.mutable_advice()->add_openings();
    o->set_window(window);
    o->set_for_service(window == 6 ? "SIM" : "BILL");
  }
  view.mutable_advice()->set_open_window(4);
  EXPECT_THAT(RenderDashboard(view, kTaken, kTaken, {}),
              HasSubstr("advice: open windows 4, 5, 6 for BILL, SIM"));
  view.clear_advice();
  view.mutable_advice()->add_closings(2);
  view.mutable_advice()->add_closings(3);
  view.mutable_advice()->set_close_window(2);
  EXPECT_THAT(RenderDashboard(view, kTaken, kTaken, {}),
              HasSubstr("advice: windows 2, 3 can close"));
  view.clear_advice();
  EXPECT_THAT(RenderDashboard(view, kTaken, kTaken, {}),
              Not(HasSubstr("advice:")));
}

TEST(RenderDashboardTest, ShowsWindowsStatesLanesAndOpenAgainstMinimum) {
  const std::string frame = RenderDashboard(View(), kTaken, kTaken, {});
  EXPECT_THAT(frame, HasSubstr("open windows 2 / min 2"));
  EXPECT_THAT(LineWith(frame, "3 3号窗口"), HasSubstr("serving"));
  EXPECT_THAT(LineWith(frame, "3 3号窗口"), HasSubstr("1:00"));
  EXPECT_THAT(LineWith(frame, "3 3号窗口"), HasSubstr("zhang"));
  EXPECT_THAT(LineWith(frame, "3 3号窗口"), HasSubstr("A012"));
  EXPECT_THAT(LineWith(frame, "4 4号窗口"), HasSubstr("closed"));
  EXPECT_THAT(LineWith(frame, "BILL"), HasSubstr("1:40"));
  EXPECT_THAT(LineWith(frame, "· vip"), HasSubstr("0:40"));
  EXPECT_THAT(frame, Not(HasSubstr("\x1b[")));
}

TEST(RenderDashboardTest, AgesWaitsAndTimesInStateFromWhenTheViewWasTaken) {
  const std::string frame =
      RenderDashboard(View(), kTaken, kTaken + absl::Seconds(30), {});
  EXPECT_THAT(LineWith(frame, "BILL"), HasSubstr("2:10"));
  EXPECT_THAT(LineWith(frame, "· vip"), HasSubstr("1:10"));
  EXPECT_THAT(LineWith(frame, "3 3号窗口"), HasSubstr("1:30"));
}

TEST(RenderDashboardTest, ColoursWaitsAgainstTheServiceTarget) {
  const DashboardStyle color{.color = true};
  // 100 s of a 600 s target: fine.
  EXPECT_THAT(LineWith(RenderDashboard(View(), kTaken, kTaken, color), "BILL"),
              Not(HasSubstr(kRed)));
  // 500 s: past 80 %.
  std::string frame =
      RenderDashboard(View(), kTaken, kTaken + absl::Seconds(400), color);
  EXPECT_THAT(LineWith(frame, "BILL"),
              HasSubstr(std::string(kYellow) + "8:20"));
  // 700 s: past the target.
  frame = RenderDashboard(View(), kTaken, kTaken + absl::Seconds(600), color);
  EXPECT_THAT(LineWith(frame, "BILL"), HasSubstr(std::string(kRed) + "11:40"));
}

TEST(RenderDashboardTest, HandlingPastTargetAndBelowMinimumAreRed) {
  const DashboardStyle color{.color = true};
  v1::HallView view = View();
  std::string frame = RenderDashboard(view, kTaken, kTaken, color);
  EXPECT_THAT(LineWith(frame, "3 3号窗口"), Not(HasSubstr(kRed)));
  EXPECT_THAT(LineWith(frame, "open windows"), Not(HasSubstr(kRed)));
  // Served for 60 + 240 s of a 300 s target.
  frame = RenderDashboard(view, kTaken, kTaken + absl::Seconds(240), color);
  EXPECT_THAT(LineWith(frame, "3 3号窗口"),
              HasSubstr(std::string(kRed) + "5:00"));
  view.set_open_windows(1);
  frame = RenderDashboard(view, kTaken, kTaken, color);
  EXPECT_THAT(LineWith(frame, "open windows"),
              HasSubstr(std::string(kRed) + "1 / min 2"));
}

TEST(RenderDashboardTest, ListsRaisedAlarms) {
  v1::HallView view = View();
  view.add_alarms()->set_message("window 5 lost: no heartbeat");
  EXPECT_THAT(RenderDashboard(view, kTaken, kTaken, {}),
              HasSubstr("! window 5 lost: no heartbeat"));
}

TEST(RenderDashboardTest, CutsToTheScreenAndCountsWhatIsLeftOut) {
  v1::HallView view = View();
  for (int i = 10; i < 30; ++i) {
    view.add_windows()->set_number(i);
  }
  const std::string frame =
      RenderDashboard(view, kTaken, kTaken, {.width = 20, .height = 12});
  int lines = 0;
  for (char c : frame) lines += c == '\n';
  EXPECT_EQ(lines, 12);
  EXPECT_THAT(frame, HasSubstr("… 17 more"));
  size_t begin = 0;
  while (begin < frame.size()) {
    const size_t end = frame.find('\n', begin);
    EXPECT_LE(DisplayWidth(frame.substr(begin, end - begin)), 20);
    begin = end + 1;
  }
}

// ---------------------------------------------------------------------------
// Reading and exit codes

TEST(ParseAppointmentTest, TakesUnixSecondsDateTimeOrTimeOfDay) {
  const absl::TimeZone shanghai = absl::FixedTimeZone(8 * 3600);
  const absl::Time now = absl::FromUnixSeconds(1767232800);  // 10:00 +08.
  EXPECT_EQ(ParseAppointment("1767240000", now, shanghai).value(), 1767240000);
  EXPECT_EQ(ParseAppointment("2026-01-01 10:00", now, shanghai).value(),
            1767232800);
  EXPECT_EQ(ParseAppointment("2026-01-01T10:00:30", now, shanghai).value(),
            1767232830);
  EXPECT_EQ(ParseAppointment(" 14:30 ", now, shanghai).value(),
            1767232800 + 4 * 3600 + 30 * 60);
}

TEST(ParseAppointmentTest, RefusesAnythingElseAndSaysWhatItTakes) {
  const absl::Time now = absl::FromUnixSeconds(1767232800);
  for (const char* bad : {"tomorrow", "", "25:00", "-5", "2026-13-01 10:00"}) {
    absl::StatusOr<int64_t> parsed =
        ParseAppointment(bad, now, absl::UTCTimeZone());
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument)
        << bad;
    EXPECT_THAT(std::string(parsed.status().message()),
                HasSubstr("'YYYY-MM-DD HH:MM'"));
  }
}

TEST(ExitCodeForTest, OneCodePerClassOfStatus) {
  using grpc::StatusCode;
  EXPECT_EQ(ExitCodeFor(StatusCode::OK), 0);
  for (StatusCode refused :
       {StatusCode::INVALID_ARGUMENT, StatusCode::FAILED_PRECONDITION,
        StatusCode::OUT_OF_RANGE, StatusCode::ALREADY_EXISTS,
        StatusCode::ABORTED, StatusCode::RESOURCE_EXHAUSTED}) {
    EXPECT_EQ(ExitCodeFor(refused), kExitRefused) << refused;
  }
  EXPECT_EQ(ExitCodeFor(StatusCode::NOT_FOUND), kExitNotFound);
  EXPECT_EQ(ExitCodeFor(StatusCode::UNAUTHENTICATED), kExitAuth);
  EXPECT_EQ(ExitCodeFor(StatusCode::PERMISSION_DENIED), kExitAuth);
  EXPECT_EQ(ExitCodeFor(StatusCode::UNAVAILABLE), kExitUnreachable);
  EXPECT_EQ(ExitCodeFor(StatusCode::DEADLINE_EXCEEDED), kExitUnreachable);
  EXPECT_EQ(ExitCodeFor(StatusCode::INTERNAL), kExitFailed);
  EXPECT_EQ(ExitCodeFor(StatusCode::UNIMPLEMENTED), kExitFailed);
}

}  // namespace
}  // namespace qcall::cli
