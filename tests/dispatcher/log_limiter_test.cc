// LogLimiter: one line of a kind per window, with the count of those dropped.
#include "dispatcher/log_limiter.h"

#include "gtest/gtest.h"

namespace qcall {
namespace {

TEST(LogLimiterTest, OneLineOfAKindPerWindowAndTheCountOfTheRest) {
  SimulatedClock clock(absl::FromUnixSeconds(1'800'000'000));
  LogLimiter limiter(&clock, absl::Minutes(1));
  EXPECT_EQ(limiter.Admit("utf8"), 0);
  for (int i = 0; i < 1000; ++i) {
    EXPECT_EQ(limiter.Admit("utf8"), std::nullopt);
  }
  EXPECT_EQ(limiter.Admit("other"), 0) << "kinds are counted apart";
  clock.Advance(absl::Seconds(59));
  EXPECT_EQ(limiter.Admit("utf8"), std::nullopt);
  clock.Advance(absl::Seconds(1));
  EXPECT_EQ(limiter.Admit("utf8"), 1001) << "the dropped ones, counted";
  EXPECT_EQ(limiter.Admit("utf8"), std::nullopt);
}

}  // namespace
}  // namespace qcall
