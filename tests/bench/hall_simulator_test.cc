// The simulator drives the real engine; short runs against Erlang C (the
// long ones are `qcall-sim --validate`), reproducibility, and its books.
#include "bench/hall_simulator.h"

#include "engine/erlang_c.h"
#include "gtest/gtest.h"

namespace qcall {
namespace {

double MeanWaitAfterWarmUp(const SimulationResult& result) {
  double waited = 0;
  double customers = 0;
  for (size_t s = 1; s < result.slots.size(); ++s) {
    waited += result.slots[s].mean_wait_seconds * result.slots[s].called;
    customers += result.slots[s].called;
  }
  return waited / customers;
}

TEST(HallSimulatorTest, MMsMeanWaitIsErlangC) {
  for (double rho : {0.7, 0.9}) {
    double waited = 0;
    for (uint64_t day = 0; day < 2; ++day) {
      auto result = RunSimulation(MmsSimulation(5, 2.0, rho, 47, 7 + day));
      ASSERT_TRUE(result.ok()) << result.status();
      waited += MeanWaitAfterWarmUp(*result) / 2;
    }
    const double expected = ErlangC(rho * 5 / 2.0, 2.0).MeanWaitSeconds(5);
    EXPECT_NEAR(waited / expected, 1.0, 0.10) << "rho " << rho;
  }
}

TEST(HallSimulatorTest, TheSameSeedRepeatsTheDay) {
  const auto a = RunSimulation(MmsSimulation(3, 60, 0.8, 8, 42));
  const auto b = RunSimulation(MmsSimulation(3, 60, 0.8, 8, 42));
  const auto c = RunSimulation(MmsSimulation(3, 60, 0.8, 8, 43));
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(a->customers, b->customers);
  EXPECT_EQ(a->mean_wait_seconds, b->mean_wait_seconds);
  EXPECT_NE(a->mean_wait_seconds, c->mean_wait_seconds);
}

TEST(HallSimulatorTest, KeepsTheBooksOfAFixedRoster) {
  SimulationConfig config = MmsSimulation(4, 120, 0.5, 8, 3);
  config.fixed_open = {2, 2, 4, 4, 4, 4, 1, 1};
  // Arrivals only in the middle four slots.
  config.arrivals_per_hour = {{0, 0, 40, 40, 40, 40, 0, 0}};
  const auto result = RunSimulation(config);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->slots[0].arrivals, 0);
  EXPECT_GT(result->slots[2].arrivals, 5);
  EXPECT_NEAR(result->slots[0].mean_open_windows, 2, 0.01);
  EXPECT_NEAR(result->slots[3].mean_open_windows, 4, 0.01);
  // 2+2+4+4+4+4 half hours, then 1 (or still 4 while customers finish).
  EXPECT_GE(result->window_hours, 10.0);
  EXPECT_LE(result->window_hours, 12.0);
  EXPECT_EQ(result->customers, static_cast<int>(result->tickets.size()));
  for (const SlotFigures& slot : result->slots) {
    EXPECT_GE(slot.utilization, 0);
    EXPECT_LE(slot.utilization, 1);
  }
}

TEST(HallSimulatorTest, ClerksFollowingTheAdviceOpenForARush) {
  SimulationConfig config = MmsSimulation(8, 120, 0.9, 6, 5);
  config.staffing = SimulationConfig::Staffing::kAdvice;
  config.initial_open = 1;
  config.hall.mutable_services(0)->set_target_wait_seconds(300);
  const auto result = RunSimulation(config);
  ASSERT_TRUE(result.ok()) << result.status();
  // 0.9 x 8 = 7.2 windows of work: one window cannot stay alone.
  EXPECT_GT(result->slots.back().mean_open_windows, 6);
  EXPECT_GT(result->slots.back().recommended_open, 6);
}

TEST(HallSimulatorTest, RowsMustMatchTheServices) {
  SimulationConfig config = MmsSimulation(2, 60, 0.5, 4, 1);
  config.mean_handling_seconds.clear();
  EXPECT_EQ(RunSimulation(config).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace qcall
