// The staffing plan: Erlang C per service and per group of shared windows,
// never below the minimum, and advice on which window to open or close.
#include "engine/staffing.h"

#include "engine/erlang_c.h"
#include "gtest/gtest.h"

namespace qcall {
namespace {

StaffingInput::Service Load(double per_hour, double handling_s,
                            double target_s) {
  return {per_hour / 3600.0, handling_s, target_s};
}

StaffingInput::Window Window(std::vector<double> share, bool open,
                             bool idle = true) {
  return {std::move(share), open, open && idle};
}

TEST(StaffingTest, DedicatedWindowsNeedWhatErlangCSays) {
  StaffingInput in;
  in.services = {Load(120, 180, 600), Load(30, 600, 900)};
  for (int w = 0; w < 8; ++w) in.windows.push_back(Window({1, 0}, w < 2));
  for (int w = 0; w < 4; ++w) in.windows.push_back(Window({0, 1}, w < 1));
  const StaffingPlan plan = PlanStaffing(in);
  const int bill = ErlangC(120 / 3600.0, 180).LeastServers(600, 0.8);
  const int sim = ErlangC(30 / 3600.0, 600).LeastServers(900, 0.8);
  EXPECT_EQ(plan.services[0].needed, bill);
  EXPECT_EQ(plan.services[1].needed, sim);
  EXPECT_NEAR(plan.services[0].offered_load, 6.0, 1e-9);
  EXPECT_EQ(plan.recommended_open, bill + sim) << "two separate groups";
  EXPECT_EQ(plan.open, 3);
}

TEST(StaffingTest, SharedWindowsPoolTheirServices) {
  StaffingInput in;
  in.services = {Load(60, 240, 600), Load(60, 240, 600)};
  for (int w = 0; w < 10; ++w) in.windows.push_back(Window({0.5, 0.5}, false));
  const StaffingPlan plan = PlanStaffing(in);
  const int alone = plan.services[0].needed + plan.services[1].needed;
  EXPECT_EQ(plan.recommended_open,
            ErlangC(120 / 3600.0, 240).LeastServers(600, 0.8));
  EXPECT_LT(plan.recommended_open, alone) << "one line serves two better";
}

TEST(StaffingTest, NeverBelowTheMinimumAndQuietServicesNeedNothing) {
  StaffingInput in;
  in.services = {Load(0, 180, 600), Load(2, 180, 600)};
  for (int w = 0; w < 6; ++w) in.windows.push_back(Window({1, 1}, w < 4));
  in.min_open = 4;
  const StaffingPlan plan = PlanStaffing(in);
  EXPECT_EQ(plan.services[0].needed, 0);
  EXPECT_EQ(plan.recommended_open, 4);
  EXPECT_EQ(plan.close_window, -1) << "at the minimum nothing closes";
}

TEST(StaffingTest, ALongLineNeedsTheWindowsThatClearItWithinTheTarget) {
  StaffingInput in;
  in.services = {Load(30, 300, 600)};  // 2.5 erlangs.
  in.services[0].waiting = 20;         // 20 x 300 s / 600 s = 10 windows.
  for (int w = 0; w < 12; ++w) in.windows.push_back(Window({1}, w < 3));
  const StaffingPlan plan = PlanStaffing(in);
  EXPECT_LT(ErlangC(30 / 3600.0, 300).LeastServers(600, 0.8), 10);
  EXPECT_EQ(plan.services[0].needed, 10);
  EXPECT_EQ(plan.recommended_open, 10);
}

TEST(StaffingTest, WithoutATargetAServiceOnlyKeepsUp) {
  StaffingInput in;
  in.services = {Load(90, 200, 0)};  // 5 erlangs.
  in.windows.push_back(Window({1}, false));
  EXPECT_EQ(PlanStaffing(in).services[0].needed, 6);
}

TEST(StaffingTest, AdvisesTheClosedWindowThatHelpsTheShortestService) {
  StaffingInput in;
  in.services = {Load(40, 180, 600), Load(100, 300, 300)};
  in.windows = {Window({1, 0}, true), Window({0, 1}, true),
                Window({1, 0}, false), Window({0.3, 0.7}, false),
                Window({0, 1}, false)};
  const StaffingPlan plan = PlanStaffing(in);
  ASSERT_LT(plan.open, plan.recommended_open);
  EXPECT_EQ(plan.open_for_service, 1) << "the second service is far short";
  EXPECT_EQ(plan.open_window, 4) << "all of window 4's time goes to it";
  EXPECT_EQ(plan.close_window, -1);
}

TEST(StaffingTest, AdvisesClosingOnlyAnIdleWindowThatIsNotNeeded) {
  StaffingInput in;
  in.services = {Load(10, 180, 600), Load(10, 180, 600)};
  in.windows = {Window({1, 0}, true, /*idle=*/false), Window({1, 0}, true),
                Window({0, 1}, true), Window({1, 0}, true, /*idle=*/true)};
  const StaffingPlan plan = PlanStaffing(in);
  ASSERT_GT(plan.open, plan.recommended_open);
  EXPECT_EQ(plan.close_window, 1) << "window 0 is busy; window 2 is SIM's only";
  EXPECT_EQ(plan.open_window, -1);
}

TEST(StaffingTest, ClosesOnlyWithTenPercentMoreCustomersCovered) {
  // One service on dedicated windows, at a load where 10 % more customers
  // need one window more: with that one window over the need nothing
  // closes (the hysteresis), with two over one does.
  double per_hour = 10;
  auto least = [](double arrivals_per_hour) {
    return ErlangC(arrivals_per_hour / 3600.0, 180).LeastServers(600, 0.8);
  };
  while (least(per_hour * 1.1) == least(per_hour)) per_hour += 1;
  const int need = least(per_hour);
  for (const int extra : {1, 2}) {
    StaffingInput in;
    in.services = {Load(per_hour, 180, 600)};
    for (int w = 0; w < need + extra; ++w)
      in.windows.push_back(Window({1}, true));
    const StaffingPlan plan = PlanStaffing(in);
    EXPECT_EQ(plan.recommended_open, need);
    EXPECT_EQ(plan.close_window >= 0, extra == 2) << extra << " over the need";
  }
}

TEST(StaffingTest, ClosesTheWindowWhoseServicesKeepTheMost) {
  // BILL is busy (4 erlangs), SIM quiet: of the idle windows, one of SIM's
  // closes, not one of BILL's.
  StaffingInput in;
  in.services = {Load(80, 180, 600), Load(2, 180, 600)};
  for (int w = 0; w < 7; ++w) in.windows.push_back(Window({1, 0}, true));
  for (int w = 0; w < 3; ++w) in.windows.push_back(Window({0, 1}, true));
  in.windows.push_back(Window({0.5, 0.5}, true));  // Links the two.
  const StaffingPlan plan = PlanStaffing(in);
  ASSERT_GT(plan.open, plan.recommended_open);
  EXPECT_EQ(plan.close_window, 7);
}

// A memo changes no plan: one memo through plans whose loads change one
// service at a time, back and forth, gives each the plan made without one.
TEST(StaffingTest, AMemoChangesNoPlan) {
  StaffingMemo memo;
  for (int step = 0; step < 60; ++step) {
    StaffingInput in;
    in.min_open = step % 3;
    in.services = {Load(60 + step % 4 * 30, 240, 600),
                   Load(30 + step % 2 * 90, 400, 900), Load(10, 300, 0),
                   Load(step % 5 == 0 ? 0 : 200, 180, 300)};
    in.services[step % 4].waiting = step % 7;
    for (int w = 0; w < 12; ++w) {
      in.windows.push_back(
          Window({w % 3 == 0 ? 0.5 : 0.0, w % 3 == 1 ? 1.0 : 0.0,
                  w % 3 == 0 ? 0.5 : 0.0, w % 4 == 3 ? 1.0 : 0.0},
                 (w + step) % 3 != 0, w % 2 == 0));
    }
    const StaffingPlan without = PlanStaffing(in);
    const StaffingPlan with = PlanStaffing(in, &memo);
    SCOPED_TRACE(step);
    EXPECT_EQ(with.recommended_open, without.recommended_open);
    EXPECT_EQ(with.open_window, without.open_window);
    EXPECT_EQ(with.open_for_service, without.open_for_service);
    EXPECT_EQ(with.close_window, without.close_window);
    for (size_t s = 0; s < in.services.size(); ++s) {
      EXPECT_EQ(with.services[s].needed, without.services[s].needed);
    }
  }
}

}  // namespace
}  // namespace qcall
