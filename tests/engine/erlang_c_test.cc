// Erlang C against the textbook example, an independent direct formula, and
// the limits where the direct formula overflows.
#include "engine/erlang_c.h"

#include <cmath>

#include "gtest/gtest.h"

namespace qcall {
namespace {

// 100 customers in 30 minutes, 3 minutes each: 10 erlangs (the example of
// most call-centre textbooks).
ErlangC TextbookQueue() { return ErlangC(100.0 / 1800.0, 180.0); }

// C(s, a) from the definition, in long double: fine for small s only.
double DirectErlangC(int s, double a) {
  long double term = 1, sum = 0;
  for (int k = 0; k < s; ++k) {
    sum += term;
    term *= a / (k + 1);
  }
  const long double top = term * s / (s - a);
  return static_cast<double>(top / (sum + top));
}

TEST(ErlangCTest, TextbookExample) {
  const ErlangC q = TextbookQueue();
  EXPECT_DOUBLE_EQ(q.offered_load(), 10.0);
  EXPECT_NEAR(q.ProbabilityOfWaiting(11), 0.6821, 5e-5);
  EXPECT_NEAR(q.ProbabilityOfWaiting(12), 0.4494, 5e-5);
  EXPECT_NEAR(q.ProbabilityOfWaiting(14), 0.1741, 5e-5);
  EXPECT_NEAR(q.MeanWaitSeconds(12), 40.44, 0.01);
  EXPECT_NEAR(q.ProbabilityWaitAtMost(13, 20), 0.7956, 5e-5);
  EXPECT_NEAR(q.ProbabilityWaitAtMost(14, 20), 0.8884, 5e-5);
  // 80 % within 20 s needs 14 windows (13 give 79.6 %).
  EXPECT_EQ(q.LeastServers(20, 0.8), 14);
}

TEST(ErlangCTest, MatchesTheDefinitionWhereItCanBeComputed) {
  for (double a : {0.3, 2.5, 9.0, 40.0}) {
    const ErlangC q(a / 100.0, 100.0);
    for (int s = static_cast<int>(a) + 1; s < static_cast<int>(a) + 15; ++s) {
      EXPECT_NEAR(q.ProbabilityOfWaiting(s), DirectErlangC(s, a), 1e-12)
          << "a=" << a << " s=" << s;
    }
  }
}

TEST(ErlangCTest, SaturatedQueueWaitsForever) {
  const ErlangC q = TextbookQueue();
  EXPECT_EQ(q.ProbabilityOfWaiting(10), 1.0);
  EXPECT_EQ(q.ProbabilityOfWaiting(3), 1.0);
  EXPECT_TRUE(std::isinf(q.MeanWaitSeconds(10)));
  EXPECT_EQ(q.ProbabilityWaitAtMost(10, 1e9), 0.0);
}

TEST(ErlangCTest, StaysFiniteAndMonotoneForHundredsOfWindows) {
  // 450 erlangs: 450! overflows a double by far.
  const ErlangC q(4.5, 100.0);
  double previous = 1.0;
  for (int s = 451; s <= 520; ++s) {
    const double c = q.ProbabilityOfWaiting(s);
    ASSERT_TRUE(std::isfinite(c)) << s;
    EXPECT_GT(c, 0.0);
    EXPECT_LT(c, previous) << "more windows, less waiting (s=" << s << ")";
    previous = c;
  }
  const int s = q.LeastServers(60, 0.8);
  EXPECT_GT(s, 450);
  EXPECT_LT(s, 500);
  EXPECT_GE(q.ProbabilityWaitAtMost(s, 60), 0.8);
  EXPECT_LT(q.ProbabilityWaitAtMost(s - 1, 60), 0.8);
}

TEST(ErlangCTest, SquareRootStaffingAgreesWithinAWindowOrTwo) {
  for (double a : {10.0, 50.0, 200.0, 450.0}) {
    const ErlangC q(a / 100.0, 100.0);
    // The servers Erlang C needs for P(wait) <= 0.2, and Halfin-Whitt's.
    int exact = static_cast<int>(a) + 1;
    while (q.ProbabilityOfWaiting(exact) > 0.2) ++exact;
    EXPECT_NEAR(q.SquareRootStaffing(0.2), exact, 2) << "a=" << a;
  }
}

TEST(ErlangCTest, TargetOutOfReachSaysSo) {
  const ErlangC q(1.0, 3000.0);  // 3,000 erlangs.
  EXPECT_EQ(q.LeastServers(10, 0.8), ErlangC::kMaxServers + 1);
}

TEST(ErlangCTest, LeastServersIsTheFirstCountThatMeetsTheTarget) {
  for (const double load : {0.3, 1.0, 4.5, 37.2, 180.0, 450.0}) {
    const ErlangC q(load / 300, 300);
    for (const double seconds : {0.0, 20.0, 600.0}) {
      const int least = q.LeastServers(seconds, 0.8);
      ASSERT_LE(least, ErlangC::kMaxServers) << load;
      EXPECT_GE(q.ProbabilityWaitAtMost(least, seconds), 0.8) << load;
      EXPECT_LT(q.ProbabilityWaitAtMost(least - 1, seconds), 0.8) << load;
    }
  }
  // A load beyond any count of servers, however large.
  EXPECT_EQ(ErlangC(1e15, 300).LeastServers(20, 0.8), ErlangC::kMaxServers + 1);
}

}  // namespace
}  // namespace qcall
