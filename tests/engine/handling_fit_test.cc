// The two-moment fit of handling times and what a customer still needs.

#include "engine/handling_fit.h"

#include "gtest/gtest.h"

namespace qcall {
namespace {

constexpr double kMean = 600'000;  // 10 minutes, in ms.

TEST(HandlingFitTest, KeepsTheMeanAndTheSpreadItIsGiven) {
  for (const double c2 : {0.05, 0.2, 1.0 / 3, 0.43, 0.5, 0.8, 1.0, 2.0, 5.0}) {
    const HandlingFit fit = HandlingFit::FromMoments(kMean, c2);
    EXPECT_NEAR(fit.Mean(), kMean, 1e-6 * kMean) << c2;
    EXPECT_NEAR(fit.SecondMoment() / (kMean * kMean) - 1, c2, 1e-9) << c2;
    EXPECT_DOUBLE_EQ(fit.RemainingMs(0), kMean) << c2;
  }
}

TEST(HandlingFitTest, ExponentialTimesAreMemoryless) {
  const HandlingFit fit = HandlingFit::FromMoments(kMean, 1);
  for (const double elapsed : {1.0, 0.5 * kMean, 3 * kMean, 40 * kMean}) {
    EXPECT_NEAR(fit.RemainingMs(elapsed), kMean, 1e-6 * kMean) << elapsed;
  }
}

TEST(HandlingFitTest, RegularTimesAreNearlyDoneLateIn) {
  // c² = 1/4: Erlang(4) at 4 / mean. 0.9 of a mean in (rate × elapsed =
  // 3.6), the phases left weigh (4 + 3 × 3.6 + 2 × 3.6² / 2 + 3.6³ / 6)
  // against (1 + 3.6 + 3.6² / 2 + 3.6³ / 6): 0.4711 of a mean.
  const HandlingFit fit = HandlingFit::FromMoments(kMean, 0.25);
  EXPECT_NEAR(fit.RemainingMs(0.9 * kMean) / kMean, 0.4711, 1e-4);
  // Far out only the last phase is left.
  EXPECT_NEAR(fit.RemainingMs(100 * kMean) / kMean, 0.25, 0.01);
  // Spreads given more regular than the fit can hold: 1/20 and no less
  // (1e-6 would otherwise be Erlang(10⁶)).
  EXPECT_DOUBLE_EQ(
      HandlingFit::FromMoments(kMean, 1e-6).RemainingMs(kMean / 2),
      HandlingFit::FromMoments(kMean, 0.05).RemainingMs(kMean / 2));
  EXPECT_NE(HandlingFit::FromMoments(kMean, 0.05).RemainingMs(kMean / 2),
            HandlingFit::FromMoments(kMean, 0.06).RemainingMs(kMean / 2));
}

TEST(HandlingFitTest, IrregularTimesThatLastHaveLongerToGo) {
  // c² = 3: exponentials with balanced means, the slow one taken with
  // probability 1 - (1 + √(2/4)) / 2 and lasting mean / (2 × that) =
  // 3.414 means. A customer long at the window is likely that kind.
  const HandlingFit fit = HandlingFit::FromMoments(kMean, 3);
  EXPECT_GT(fit.RemainingMs(kMean), kMean);
  EXPECT_GT(fit.RemainingMs(3 * kMean), fit.RemainingMs(kMean));
  EXPECT_NEAR(fit.RemainingMs(200 * kMean) / kMean, 3.4142, 1e-3);
  // Spreads beyond c² = 100 are fitted as 100.
  EXPECT_DOUBLE_EQ(HandlingFit::FromMoments(kMean, 1e6).RemainingMs(kMean),
                   HandlingFit::FromMoments(kMean, 100).RemainingMs(kMean));
  EXPECT_NE(HandlingFit::FromMoments(kMean, 100).RemainingMs(kMean),
            HandlingFit::FromMoments(kMean, 90).RemainingMs(kMean));
}

}  // namespace
}  // namespace qcall
