// IssueLimiter: a kiosk token's tickets a minute, refilled evenly.
#include "dispatcher/issue_limiter.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace qcall {
namespace {

v1::TokenConfig Kiosk(const char* name) {
  v1::TokenConfig token;
  token.set_name(name);
  token.set_role(v1::ROLE_KIOSK);
  return token;
}

TEST(IssueLimiterTest, AMinutesWorthAtOnceThenOneEveryShare) {
  SimulatedClock clock(absl::FromUnixSeconds(1'800'000'000));
  IssueLimiter limiter(&clock, /*default_per_minute=*/60);
  v1::TokenConfig three = Kiosk("kiosk 1");
  three.set_issues_per_minute(3);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.Admit(&three).ok()) << i;
  const absl::Status refused = limiter.Admit(&three);
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(refused.message(),
              ::testing::HasSubstr("kiosk 'kiosk 1' has issued its 3 tickets "
                                   "a minute; the next in 20 s"));
  clock.Advance(absl::Seconds(19));
  EXPECT_FALSE(limiter.Admit(&three).ok());
  clock.Advance(absl::Seconds(1));
  EXPECT_TRUE(limiter.Admit(&three).ok()) << "one back every 20 s";
  EXPECT_FALSE(limiter.Admit(&three).ok());
  clock.Advance(absl::Minutes(10));
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.Admit(&three).ok());
  EXPECT_FALSE(limiter.Admit(&three).ok()) << "never more than a minute's";
}

TEST(IssueLimiterTest, TokensAreCountedApartAndZeroIsNoLimit) {
  SimulatedClock clock(absl::FromUnixSeconds(1'800'000'000));
  IssueLimiter limiter(&clock, /*default_per_minute=*/2);
  v1::TokenConfig a = Kiosk("a");
  v1::TokenConfig b = Kiosk("b");
  v1::TokenConfig unlimited = Kiosk("load");
  unlimited.set_issues_per_minute(0);
  EXPECT_TRUE(limiter.Admit(&a).ok());
  EXPECT_TRUE(limiter.Admit(&a).ok());
  EXPECT_FALSE(limiter.Admit(&a).ok()) << "the default of 2";
  EXPECT_TRUE(limiter.Admit(&b).ok());
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(limiter.Admit(&unlimited).ok());
}

}  // namespace
}  // namespace qcall
