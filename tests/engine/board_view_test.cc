// What the hall gives its boards besides windows and queues: the day's last
// ten calls, the supervisor's notice line, the time zone and today's hours,
// and on a reconfiguration the new view inside the event itself.
#include <string>

#include "gtest/gtest.h"
#include "tests/engine/test_hall.h"

namespace qcall::testing {
namespace {

v1::Command SetNotice(absl::string_view text,
                      absl::string_view supervisor = "duty manager") {
  v1::Command c;
  c.mutable_set_notice()->set_text(std::string(text));
  c.mutable_set_notice()->set_supervisor_id(std::string(supervisor));
  return c;
}

std::vector<std::string> RecentNumbers(const v1::HallView& view) {
  std::vector<std::string> numbers;
  for (const v1::RecentCall& call : view.recent_calls()) {
    numbers.push_back(call.number());
  }
  return numbers;
}

TEST(BoardViewTest, RecentCallsAreTheLastTenNewestFirstAndSurviveARestore) {
  TestHall h(SmallHallConfig());
  h.Ok(OpenWindow(1, "c1"));
  for (int i = 0; i < 12; ++i) h.Ok(Issue("BILL"));
  for (int i = 0; i < 12; ++i) {
    h.Ok(CallNext(1));
    h.Ok(Start(1));
    h.Ok(Complete(1));
  }
  v1::HallView view = h.hall().View(h.now());
  EXPECT_EQ(RecentNumbers(view),
            (std::vector<std::string>{"A012", "A011", "A010", "A009", "A008",
                                      "A007", "A006", "A005", "A004", "A003"}));
  EXPECT_EQ(view.recent_calls(0).window(), 1);
  EXPECT_EQ(view.recent_calls(0).window_name(), "1号窗口");
  EXPECT_EQ(view.recent_calls(0).at_unix_ms(), absl::ToUnixMillis(h.now()));

  // A recall moves its number to the top once, marked as a recall.
  h.Ok(Issue("BILL"));
  h.Ok(Issue("BILL"));
  h.Ok(CallNext(1));  // A013
  h.Ok(NoShow(1));
  h.Ok(CallNext(1));  // A014
  h.Ok(Recall(1));
  view = h.hall().View(h.now());
  EXPECT_EQ(RecentNumbers(view)[0], "A014");
  EXPECT_EQ(view.recent_calls(0).recall(), 1);
  EXPECT_EQ(RecentNumbers(view)[1], "A013");
  EXPECT_EQ(view.recent_calls_size(), 10);

  absl::StatusOr<Hall> restored =
      Hall::Restore(h.hall().Snapshot(), LoadZone("Asia/Shanghai"));
  ASSERT_TRUE(restored.ok()) << restored.status();
  EXPECT_EQ(RecentNumbers(restored->View(h.now())), RecentNumbers(view));

  // The next business day starts with none.
  h.Advance(absl::Hours(24));
  h.Ok(Tick());
  EXPECT_EQ(h.hall().View(h.now()).recent_calls_size(), 0);
}

TEST(BoardViewTest, ASnapshotWithMoreThanTenRecentCallsIsRefused) {
  TestHall h(SmallHallConfig());
  v1::HallState state = h.hall().Snapshot();
  for (int i = 0; i < 11; ++i) state.add_recent_calls()->set_number("A001");
  absl::StatusOr<Hall> restored =
      Hall::Restore(state, LoadZone("Asia/Shanghai"));
  EXPECT_EQ(restored.status().code(), absl::StatusCode::kDataLoss);
}

TEST(BoardViewTest, TheNoticeIsSetShownKeptAndTakenDown) {
  TestHall h(SmallHallConfig());
  const Hall::Outcome& out = h.Ok(SetNotice("午休时间仅开放 2 个窗口"));
  // After the day's start, which the first command brings.
  const v1::HallEvent& e = out.events().back();
  EXPECT_EQ(e.notice_changed().text(), "午休时间仅开放 2 个窗口");
  EXPECT_EQ(e.notice_changed().supervisor_id(), "duty manager");
  EXPECT_EQ(h.hall().View(h.now()).notice(), "午休时间仅开放 2 个窗口");

  absl::StatusOr<Hall> restored =
      Hall::Restore(h.hall().Snapshot(), LoadZone("Asia/Shanghai"));
  ASSERT_TRUE(restored.ok()) << restored.status();
  EXPECT_EQ(restored->View(h.now()).notice(), "午休时间仅开放 2 个窗口");

  h.Ok(SetNotice(""));
  EXPECT_EQ(h.hall().View(h.now()).notice(), "");
}

TEST(BoardViewTest, ABadNoticeIsRefusedAndChangesNothing) {
  TestHall h(SmallHallConfig());
  h.Ok(SetNotice("old"));
  const uint64_t seq = h.hall().last_seq();
  EXPECT_EQ(h.Try(SetNotice(std::string(201, 'x'))).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(h.Try(SetNotice("new", "")).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(h.Try(SetNotice("old")).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(h.hall().View(h.now()).notice(), "old");
  EXPECT_EQ(h.hall().last_seq(), seq);
}

TEST(BoardViewTest, TheViewCarriesTheTimeZoneTodaysHoursAndStandbyClerks) {
  v1::HallConfig config = SmallHallConfig();
  config.clear_hours();
  // 2026-11-27 is a Friday (5): a split day; Saturday's hours are not today's.
  for (const auto& [open, close] :
       {std::pair{510, 720}, std::pair{780, 1050}}) {
    v1::OpeningHours* hours = config.add_hours();
    hours->set_weekday(5);
    hours->set_open_minute(open);
    hours->set_close_minute(close);
  }
  v1::OpeningHours* saturday = config.add_hours();
  saturday->set_weekday(6);
  saturday->set_open_minute(600);
  saturday->set_close_minute(900);
  TestHall h(config);
  const v1::HallView view = h.hall().View(h.now());
  EXPECT_EQ(view.time_zone(), "Asia/Shanghai");
  ASSERT_EQ(view.today_hours_size(), 2);
  EXPECT_EQ(view.today_hours(0).open_minute(), 510);
  EXPECT_EQ(view.today_hours(1).close_minute(), 1050);
  ASSERT_EQ(view.standby_clerks_size(), 1);
  EXPECT_EQ(view.standby_clerks(0).clerk_id(), "standby-1");
}

TEST(BoardViewTest, HallConfiguredComesLastAndCarriesTheViewAfterIt) {
  TestHall h(SmallHallConfig());
  h.Ok(OpenWindow(1, "c1"));
  h.Ok(Issue("BILL"));
  h.Ok(CallNext(1));
  h.Ok(SetNotice("notice"));
  v1::HallConfig config = SmallHallConfig();
  config.mutable_windows(0)->set_name("一号窗口");
  v1::Command configure;
  *configure.mutable_configure()->mutable_config() = config;
  configure.mutable_configure()->set_supervisor_id("duty manager");
  const Hall::Outcome& out = h.Ok(configure);
  const v1::HallEvent& e = out.events().back();
  ASSERT_TRUE(e.has_hall_configured());
  const v1::HallView& view = e.hall_configured().view();
  EXPECT_EQ(view.last_seq(), e.seq());
  EXPECT_EQ(view.last_seq(), h.hall().last_seq());
  EXPECT_EQ(view.windows(0).name(), "一号窗口");
  EXPECT_EQ(view.windows(0).ticket().number(), "A001");
  // What the boards showed survives the new configuration.
  EXPECT_EQ(view.notice(), "notice");
  EXPECT_EQ(RecentNumbers(view), (std::vector<std::string>{"A001"}));
}

}  // namespace
}  // namespace qcall::testing
