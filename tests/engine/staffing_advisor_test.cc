// The steady advice (Command.Tick.steady_advice): one action a duty manager
// can follow, which holds until done, dismissed or changed. Each rule is
// shown against the advice of older journals (Tick()), which tells every
// change of the plan and must replay as it did.
#include "engine/staffing_advisor.h"

#include <algorithm>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/engine/test_hall.h"

namespace qcall::testing {
namespace {

std::vector<v1::HallEvent::StaffingAdvised> Advised(const Hall::Outcome& out) {
  std::vector<v1::HallEvent::StaffingAdvised> advised;
  for (const v1::HallEvent& e : out.events()) {
    if (e.has_staffing_advised()) advised.push_back(e.staffing_advised());
  }
  return advised;
}

// Four windows open in a quiet hall whose minimum is three: the plan says
// window 1 can close, and once it has, that staffing is right.
TestHall QuietHallOfFour() {
  TestHall h(SmallHallConfig(), ShanghaiTime(10, 0));
  for (int w = 1; w <= 4; ++w) h.Ok(OpenWindow(w, absl::StrCat("c", w)));
  h.Ok(SetMin(3, "lead"));
  return h;
}

// With the steady advice, ticks just before `since` + `wait_ms` (told
// nothing) and at it: what is told then.
std::vector<v1::HallEvent::StaffingAdvised> ToldOnlyAfter(TestHall* h,
                                                          absl::Time since,
                                                          int64_t wait_ms) {
  h->set_now(since + absl::Milliseconds(wait_ms - 1));
  EXPECT_TRUE(Advised(h->Ok(SteadyTick())).empty()) << "before " << wait_ms;
  h->set_now(since + absl::Milliseconds(wait_ms));
  return Advised(h->Ok(SteadyTick()));
}

// Two windows open and a minimum of three: the window the plan asks to
// open (0 if not told once) and when it was told; then a minute passes.
struct Asked {
  int window = 0;
  absl::Time told;
};
Asked AskedToOpen(bool steady, TestHall* h) {
  h->Ok(OpenWindow(1, "c1"));
  h->Ok(OpenWindow(2, "c2"));
  h->Ok(SetMin(3, "lead"));
  const std::vector<v1::HallEvent::StaffingAdvised> advised =
      Advised(h->Ok(steady ? SteadyTick() : Tick()));
  const Asked asked{advised.size() == 1 ? advised[0].open_window() : 0,
                    h->now()};
  h->Advance(absl::Minutes(1));
  return asked;
}

// QuietHallOfFour, told by a steady tick that window 1 can close.
TestHall ToldWindowOneCanClose() {
  TestHall h = QuietHallOfFour();
  const std::vector<v1::HallEvent::StaffingAdvised> advised =
      Advised(h.Ok(SteadyTick()));
  EXPECT_EQ(advised.size(), 1u);
  EXPECT_EQ(advised.empty() ? 0 : advised[0].close_window(), 1);
  return h;
}

TEST(SteadyAdviceTest, AnAdviceDoneNeedsNoFurtherWord) {
  for (const bool steady : {false, true}) {
    TestHall h = QuietHallOfFour();
    std::vector<v1::HallEvent::StaffingAdvised> advised =
        Advised(h.Ok(steady ? SteadyTick() : Tick()));
    ASSERT_EQ(advised.size(), 1u) << steady;
    EXPECT_EQ(advised[0].close_window(), 1);
    EXPECT_EQ(advised[0].text(), "1 号窗口可关闭");
    h.Advance(absl::Seconds(30));
    h.Ok(CloseWindow(1));
    advised = Advised(h.Ok(steady ? SteadyTick() : Tick()));
    if (steady) {
      // The window's own event said it; the dashboard's instruction goes.
      EXPECT_TRUE(advised.empty()) << advised[0].ShortDebugString();
      EXPECT_FALSE(h.hall().View(h.now()).has_advice());
    } else {
      ASSERT_EQ(advised.size(), 1u);
      EXPECT_EQ(advised[0].text(), "人手合适");
    }
  }
}

// Windows 3 (BILL only) and 4 (SIM only) open, 1 and 2 (both) closed; a
// BILL rush asks for window 1 for BILL, then a SIM rush for window 1 for SIM.
TEST(SteadyAdviceTest, TheSameActionForAnotherServiceIsNoNewAdvice) {
  for (const bool steady : {false, true}) {
    TestHall h(SmallHallConfig(), ShanghaiTime(10, 0));
    h.Ok(OpenWindow(3, "c3"));
    h.Ok(OpenWindow(4, "c4"));
    for (int i = 0; i < 20; ++i) h.Ok(Issue("BILL"));
    std::vector<v1::HallEvent::StaffingAdvised> advised =
        Advised(h.Ok(steady ? SteadyTick() : Tick()));
    ASSERT_EQ(advised.size(), 1u);
    ASSERT_EQ(advised[0].open_window(), 1);
    ASSERT_EQ(advised[0].open_for_service(), "BILL");
    for (int i = 0; i < 60; ++i) h.Ok(Issue("SIM"));
    ASSERT_EQ(h.hall().View(h.now()).services(1).needed_windows() > 1, true);
    h.Advance(absl::Minutes(StaffingAdvisor::kMinChangeMs / 60'000 + 1));
    advised = Advised(h.Ok(steady ? SteadyTick() : Tick()));
    if (steady) {
      EXPECT_TRUE(advised.empty()) << advised[0].ShortDebugString();
      EXPECT_EQ(h.hall().View(h.now()).advice().open_window(), 1);
    } else {
      ASSERT_EQ(advised.size(), 1u);
      EXPECT_EQ(advised[0].open_window(), 1);
      EXPECT_EQ(advised[0].open_for_service(), "SIM");
    }
  }
}

// Two open, minimum three: the plan opens one. Then the minimum drops back
// to two, and the opening is no longer needed.
TEST(SteadyAdviceTest, AnOpeningIsWithdrawnOnlyAfterTheMinimumInterval) {
  for (const bool steady : {false, true}) {
    TestHall h(SmallHallConfig(), ShanghaiTime(10, 0));
    const auto [opened, told] = AskedToOpen(steady, &h);
    ASSERT_NE(opened, 0);
    h.Ok(SetMin(2, "lead"));
    std::vector<v1::HallEvent::StaffingAdvised> advised =
        Advised(h.Ok(steady ? SteadyTick() : Tick()));
    if (!steady) {
      ASSERT_EQ(advised.size(), 1u);
      EXPECT_EQ(advised[0].open_window(), 0);
      continue;
    }
    EXPECT_TRUE(advised.empty()) << "a minute after it was told";
    EXPECT_EQ(h.hall().View(h.now()).advice().open_window(), opened);
    EXPECT_EQ(h.hall().View(h.now()).advice().since_unix_ms(),
              absl::ToUnixMillis(told));
    advised = ToldOnlyAfter(&h, told, StaffingAdvisor::kMinChangeMs);
    ASSERT_EQ(advised.size(), 1u);
    EXPECT_EQ(advised[0].open_window(), 0);
    EXPECT_EQ(advised[0].text(), "人手合适");
    EXPECT_FALSE(h.hall().View(h.now()).has_advice());
  }
}

// A window that may close no longer may (the minimum went up): the advice
// to close it goes at the next tick, interval or not.
TEST(SteadyAdviceTest, AClosingThatNoLongerHoldsGoesAtOnce) {
  TestHall h = ToldWindowOneCanClose();
  h.Advance(absl::Seconds(10));
  h.Ok(SetMin(4, "lead"));
  const std::vector<v1::HallEvent::StaffingAdvised> advised =
      Advised(h.Ok(SteadyTick()));
  ASSERT_EQ(advised.size(), 1u);
  EXPECT_EQ(advised[0].close_window(), 0);
  EXPECT_FALSE(h.hall().View(h.now()).has_advice());
}

// Two open, minimum three: the plan opens one, which opens; then the
// minimum drops to two and the hall is quiet, so the plan would close one.
TEST(SteadyAdviceTest, NoClosingSoonAfterAnOpening) {
  for (const bool steady : {false, true}) {
    TestHall h(SmallHallConfig(), ShanghaiTime(10, 0));
    const auto [opened, told] = AskedToOpen(steady, &h);
    ASSERT_NE(opened, 0);
    h.Ok(OpenWindow(opened, "c9"));
    h.Ok(SetMin(2, "lead"));
    std::vector<v1::HallEvent::StaffingAdvised> advised =
        Advised(h.Ok(steady ? SteadyTick() : Tick()));
    if (!steady) {
      ASSERT_FALSE(advised.empty());
      EXPECT_NE(advised.back().close_window(), 0);
      continue;
    }
    EXPECT_TRUE(advised.empty()) << advised[0].ShortDebugString();
    advised = ToldOnlyAfter(&h, told, StaffingAdvisor::kCloseAfterOpenMs);
    ASSERT_EQ(advised.size(), 1u);
    EXPECT_NE(advised[0].close_window(), 0);
  }
}

v1::Command Reconfigure(const v1::HallConfig& config) {
  v1::Command c;
  *c.mutable_configure()->mutable_config() = config;
  c.mutable_configure()->set_supervisor_id("lead");
  return c;
}

// A reconfiguration rebuilds the hall from its state: the hold goes with it.
TEST(SteadyAdviceTest, ADismissalOutlivesAReconfiguration) {
  TestHall h = ToldWindowOneCanClose();
  const absl::Time dismissed = h.now();
  h.Ok(DismissAdvice(0, 1));
  v1::HallConfig renamed = SmallHallConfig();
  renamed.mutable_windows(1)->set_name("2号窗口（新）");
  h.Ok(Reconfigure(renamed));
  h.Advance(absl::Minutes(1));
  EXPECT_TRUE(Advised(h.Ok(SteadyTick())).empty())
      << "the dismissed close came back after the reconfiguration";
  const std::vector<v1::HallEvent::StaffingAdvised> advised =
      ToldOnlyAfter(&h, dismissed, StaffingAdvisor::kDismissMs);
  ASSERT_EQ(advised.size(), 1u);
  EXPECT_EQ(advised[0].close_window(), 1);
}

// The held opening names a closed window that the new config removes: the
// hall shows no advice on a window it lacks, and the next tick tells one
// it has.
TEST(SteadyAdviceTest, AHeldOpeningOfARemovedWindowIsDropped) {
  TestHall h(SmallHallConfig(), ShanghaiTime(10, 0));
  const auto [opened, told] = AskedToOpen(/*steady=*/true, &h);
  ASSERT_GT(opened, 2);
  v1::HallConfig without = SmallHallConfig();
  without.mutable_windows()->DeleteSubrange(opened - 1, 1);
  for (v1::StandbyClerk& standby : *without.mutable_standby_clerks()) {
    auto* windows = standby.mutable_windows();
    windows->erase(std::remove(windows->begin(), windows->end(), opened),
                   windows->end());
  }
  h.Ok(Reconfigure(without));
  EXPECT_NE(h.hall().View(h.now()).advice().open_window(), opened);
  const std::vector<v1::HallEvent::StaffingAdvised> advised =
      Advised(h.Ok(SteadyTick()));
  ASSERT_EQ(advised.size(), 1u);
  EXPECT_NE(advised[0].open_window(), opened);
  EXPECT_NE(advised[0].open_window(), 0);
  EXPECT_EQ(h.hall().View(h.now()).advice().open_window(),
            advised[0].open_window());
}

TEST(SteadyAdviceTest, ADismissedAdviceStaysAwayForAWhileAcrossARestore) {
  TestHall h = ToldWindowOneCanClose();
  // A page showing an older advice dismisses nothing.
  EXPECT_EQ(h.Try(DismissAdvice(3, 0)).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(h.hall().View(h.now()).advice().close_window(), 1);
  const absl::Time dismissed = h.now();
  std::vector<v1::HallEvent::StaffingAdvised> advised =
      Advised(h.Ok(DismissAdvice(0, 1)));
  ASSERT_EQ(advised.size(), 1u);
  EXPECT_EQ(advised[0].dismissed_by(), "lead");
  EXPECT_EQ(advised[0].close_window(), 0);
  EXPECT_FALSE(h.hall().View(h.now()).has_advice());
  EXPECT_EQ(h.Try(DismissAdvice(0, 1)).code(),
            absl::StatusCode::kFailedPrecondition)
      << "nothing left to dismiss";

  // The plan still says window 1 can close; it is not told again soon, by
  // this hall or one restored from its snapshot.
  absl::StatusOr<Hall> restored =
      Hall::Restore(h.hall().Snapshot(), LoadZone("Asia/Shanghai"));
  ASSERT_TRUE(restored.ok()) << restored.status();
  const absl::Time soon =
      dismissed + absl::Milliseconds(StaffingAdvisor::kDismissMs - 1);
  Hall::Outcome out;
  ASSERT_TRUE(restored->Apply(SteadyTick(), soon, &out).ok());
  EXPECT_TRUE(Advised(out).empty());
  advised = ToldOnlyAfter(&h, dismissed, StaffingAdvisor::kDismissMs);
  ASSERT_EQ(advised.size(), 1u);
  EXPECT_EQ(advised[0].close_window(), 1);
}

TEST(SteadyAdviceTest, ADismissalIsRefusedWithoutASupervisor) {
  TestHall h = ToldWindowOneCanClose();
  v1::Command c = DismissAdvice(0, 1);
  c.mutable_dismiss_advice()->clear_supervisor_id();
  EXPECT_EQ(h.Try(c).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(h.hall().View(h.now()).advice().close_window(), 1);
}

// The steady advice on sets of windows (Tick.ADVICE_RULES_WINDOW_SETS).

std::vector<int32_t> Opened(const v1::HallEvent::StaffingAdvised& advised) {
  std::vector<int32_t> windows;
  for (const auto& o : advised.openings()) windows.push_back(o.window());
  return windows;
}
std::vector<int32_t> Opened(const v1::HallView::StaffingAdvice& advice) {
  std::vector<int32_t> windows;
  for (const auto& o : advice.openings()) windows.push_back(o.window());
  return windows;
}

// One window open and a minimum of four: three to open.
TestHall OneOpenMinimumFour() {
  TestHall h(SmallHallConfig(), ShanghaiTime(10, 0));
  h.Ok(OpenWindow(1, "c1"));
  h.Ok(SetMin(4, "lead"));
  return h;
}

TEST(WindowSetsAdviceTest, AnOpeningNamesEveryWindowTheHallNeeds) {
  TestHall h = OneOpenMinimumFour();
  std::vector<v1::HallEvent::StaffingAdvised> advised =
      Advised(h.Ok(SetsTick()));
  ASSERT_EQ(advised.size(), 1u);
  EXPECT_EQ(Opened(advised[0]), (std::vector<int32_t>{2, 3, 4}));
  EXPECT_EQ(advised[0].open_window(), 2) << "the first, for older readers";
  EXPECT_EQ(advised[0].text(), "建议开 2、3、4 号窗口办理话费缴纳、新卡办理");
  const v1::HallView::StaffingAdvice advice = h.hall().View(h.now()).advice();
  EXPECT_EQ(Opened(advice), (std::vector<int32_t>{2, 3, 4}));
  // The one standby clerk is offered for one window only.
  int offered = 0;
  for (const auto& o : advice.openings()) {
    offered += o.standby_clerk_id().empty() ? 0 : 1;
  }
  EXPECT_EQ(offered, 1);
  // One window at a time, before sets.
  TestHall one = OneOpenMinimumFour();
  advised = Advised(one.Ok(SteadyTick()));
  ASSERT_EQ(advised.size(), 1u);
  EXPECT_EQ(advised[0].openings_size(), 0);
  EXPECT_NE(advised[0].open_window(), 0);
}

TEST(WindowSetsAdviceTest, PartlyFollowedIsNoNewAdvice) {
  TestHall h = OneOpenMinimumFour();
  ASSERT_EQ(Advised(h.Ok(SetsTick())).size(), 1u);
  const int64_t since = h.hall().View(h.now()).advice().since_unix_ms();
  h.Advance(absl::Minutes(1));
  h.Ok(OpenWindow(2, "c2"));
  h.Ok(OpenWindow(4, "c4"));
  for (int i = 0; i < 3; ++i) {
    h.Advance(absl::Minutes(5));
    const std::vector<v1::HallEvent::StaffingAdvised> advised =
        Advised(h.Ok(SetsTick()));
    EXPECT_TRUE(advised.empty()) << advised[0].ShortDebugString();
  }
  v1::HallView::StaffingAdvice advice = h.hall().View(h.now()).advice();
  EXPECT_EQ(Opened(advice), (std::vector<int32_t>{3}));
  EXPECT_EQ(advice.open_window(), 3);
  EXPECT_EQ(advice.since_unix_ms(), since) << "the same advice";
  h.Ok(OpenWindow(3, "c3"));
  EXPECT_TRUE(Advised(h.Ok(SetsTick())).empty());
  EXPECT_FALSE(h.hall().View(h.now()).has_advice()) << "all done";
}

// One window open, a minimum of two: one to open. The minimum goes up to
// four: the advice grows at once, the one window too little.
TEST(WindowSetsAdviceTest, AnOpeningTooSmallGrowsAtOnce) {
  TestHall h(SmallHallConfig(), ShanghaiTime(10, 0));
  h.Ok(OpenWindow(1, "c1"));
  std::vector<v1::HallEvent::StaffingAdvised> advised =
      Advised(h.Ok(SetsTick()));
  ASSERT_EQ(advised.size(), 1u);
  ASSERT_EQ(advised[0].openings_size(), 1);
  h.Advance(absl::Seconds(10));
  h.Ok(SetMin(4, "lead"));
  advised = Advised(h.Ok(SetsTick()));
  ASSERT_EQ(advised.size(), 1u);
  EXPECT_EQ(Opened(advised[0]), (std::vector<int32_t>{2, 3, 4}));
}

// Four open in a quiet hall with a minimum of two: two can close together.
TEST(WindowSetsAdviceTest, AClosingNamesEveryWindowThatCanClose) {
  TestHall h(SmallHallConfig(), ShanghaiTime(10, 0));
  for (int w = 1; w <= 4; ++w) h.Ok(OpenWindow(w, absl::StrCat("c", w)));
  std::vector<v1::HallEvent::StaffingAdvised> advised =
      Advised(h.Ok(SetsTick()));
  ASSERT_EQ(advised.size(), 1u);
  ASSERT_EQ(advised[0].closings_size(), 2);
  EXPECT_EQ(advised[0].close_window(), advised[0].closings(0));
  EXPECT_EQ(advised[0].text(),
            absl::StrCat(advised[0].closings(0), "、", advised[0].closings(1),
                         " 号窗口可关闭"));
  const int32_t second = advised[0].closings(1);
  h.Ok(CloseWindow(advised[0].closings(0)));
  EXPECT_TRUE(Advised(h.Ok(SetsTick())).empty());
  const v1::HallView::StaffingAdvice advice = h.hall().View(h.now()).advice();
  ASSERT_EQ(advice.closings_size(), 1);
  EXPECT_EQ(advice.closings(0), second);
  // Closing the rest would now leave the hall below its minimum: it goes.
  h.Ok(SetMin(3, "lead"));
  advised = Advised(h.Ok(SetsTick()));
  ASSERT_EQ(advised.size(), 1u);
  EXPECT_EQ(advised[0].closings_size(), 0);
  EXPECT_FALSE(h.hall().View(h.now()).has_advice());
}

v1::Command DismissTold(int64_t since_unix_ms) {
  v1::Command c = DismissAdvice(0, 0);
  c.mutable_dismiss_advice()->set_since_unix_ms(since_unix_ms);
  return c;
}

TEST(WindowSetsAdviceTest, ADismissalNamesTheAdviceByWhenItWasTold) {
  TestHall h = OneOpenMinimumFour();
  ASSERT_EQ(Advised(h.Ok(SetsTick())).size(), 1u);
  const int64_t since = h.hall().View(h.now()).advice().since_unix_ms();
  EXPECT_EQ(h.Try(DismissTold(since - 1)).code(),
            absl::StatusCode::kFailedPrecondition)
      << "a page behind dismisses nothing";
  std::vector<v1::HallEvent::StaffingAdvised> advised =
      Advised(h.Ok(DismissTold(since)));
  ASSERT_EQ(advised.size(), 1u);
  EXPECT_EQ(advised[0].dismissed_by(), "lead");
  EXPECT_EQ(advised[0].openings_size(), 0);
  EXPECT_FALSE(h.hall().View(h.now()).has_advice());
  // The same three stay away; a need for more comes back at once.
  h.Advance(absl::Minutes(20));
  EXPECT_TRUE(Advised(h.Ok(SetsTick())).empty());
  h.Ok(CloseWindow(1, "lead"));
  advised = Advised(h.Ok(SetsTick()));
  ASSERT_EQ(advised.size(), 1u);
  EXPECT_EQ(advised[0].openings_size(), 4);
}

// A queue-growing alarm says what an advice to open a window for the same
// service says already: on sets it is not raised while such an advice holds.
TEST(WindowSetsAdviceTest, NoGrowingAlarmForAServiceTheAdviceOpensFor) {
  for (const bool sets : {false, true}) {
    v1::HallConfig config = SmallHallConfig();
    config.mutable_policy()->set_idle_window_alarm_seconds(0);
    TestHall h(config, ShanghaiTime(10, 0));
    h.Ok(OpenWindow(3, "c3"));  // BILL only: one window.
    h.Ok(OpenWindow(4, "c4"));
    for (int i = 0; i < 20; ++i) {
      h.Ok(Issue("BILL"));
      h.Advance(absl::Seconds(30));
    }
    int growing = 0;
    std::vector<int32_t> opened;
    for (const v1::HallEvent& e :
         h.Ok(sets ? SetsTick() : SteadyTick()).events()) {
      if (e.has_alarm() && e.alarm().raised() &&
          e.alarm().kind() == v1::HallEvent::Alarm::KIND_QUEUE_GROWING) {
        ++growing;
      }
      if (e.has_staffing_advised()) opened = Opened(e.staffing_advised());
    }
    EXPECT_EQ(growing, sets ? 0 : 1) << sets;
    if (sets) {
      EXPECT_FALSE(opened.empty());
    }
  }
}

// A snapshot holding an advice on a window its config lacks (from another
// configuration of the hall) is restored without it.
TEST(WindowSetsAdviceTest, ARestoreDropsAHeldAdviceOnAWindowTheConfigLacks) {
  TestHall h = OneOpenMinimumFour();
  ASSERT_EQ(Advised(h.Ok(SetsTick())).size(), 1u);
  for (const bool set : {false, true}) {
    v1::HallState state = h.hall().Snapshot();
    ASSERT_GT(state.advice_hold().announced_at_ms(), 0);
    if (set) {
      state.mutable_last_advice()->mutable_openings(1)->set_window(9);
    } else {
      state.mutable_last_advice()->set_open_window(9);
    }
    absl::StatusOr<Hall> restored =
        Hall::Restore(state, LoadZone("Asia/Shanghai"));
    ASSERT_TRUE(restored.ok()) << restored.status();
    const v1::HallState again = restored->Snapshot();
    EXPECT_EQ(again.advice_hold().announced_at_ms(), 0) << set;
    EXPECT_EQ(again.last_advice().openings_size(), 0) << set;
    EXPECT_NE(restored->View(h.now()).advice().open_window(), 9) << set;
    // The next tick tells what this hall needs.
    Hall::Outcome out;
    ASSERT_TRUE(restored->Apply(SetsTick(), h.now(), &out).ok());
    ASSERT_EQ(Advised(out).size(), 1u) << set;
    EXPECT_EQ(Opened(Advised(out)[0]), (std::vector<int32_t>{2, 3, 4}));
  }
}

}  // namespace
}  // namespace qcall::testing
