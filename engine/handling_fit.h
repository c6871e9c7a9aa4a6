// How long a customer already at a window for a while still needs: a
// distribution fitted to the mean and spread of the handling times seen,
// asked for its mean residual life E[X - e | X > e].
//
// The fit is the two-moment phase-type fit of Tijms (A First Course in
// Stochastic Models, 2003, §2.4.1): exact for exponential times, and cheap
// to ask (a few multiplications and two exponentials):
//   c² < 1: Erlang(k - 1) or Erlang(k) at one rate, k = ⌈1 / c²⌉: the more
//           regular the handling, the more phases, and a customer far into
//           it is near the end;
//   c² = 1: exponential, memoryless: the rest is always the mean;
//   c² > 1: two exponentials with balanced means: a long handling is then
//           likely the slow kind, with longer still to go.
// Measured handling times are closer to log-normal (Brown et al., JASA
// 2005); a two-moment fit is what the mean and spread seen support.
//
//   const HandlingFit fit = HandlingFit::FromMoments(/*mean_ms=*/600'000,
//                                                    /*cv_squared=*/0.43);
//   fit.RemainingMs(0);        // 600'000: the mean.
//   fit.RemainingMs(540'000);  // 375'000: 9 minutes in, about 6 to go.
#ifndef QCALL_ENGINE_HANDLING_FIT_H_
#define QCALL_ENGINE_HANDLING_FIT_H_

namespace qcall {

class HandlingFit {
 public:
  // An exponential with a mean of 1 ms; use FromMoments.
  HandlingFit() = default;

  // The most phases: handling more regular than c² = 1 / kMaxPhases is
  // fitted as if it had that spread.
  static constexpr int kMaxPhases = 20;

  // mean_ms > 0; cv_squared is the squared coefficient of variation
  // (variance / mean²), clamped to [1 / kMaxPhases, 100].
  static HandlingFit FromMoments(double mean_ms, double cv_squared);

  // E[X - elapsed | X > elapsed] in ms, at least 1; the mean when
  // elapsed_ms <= 0.
  double RemainingMs(double elapsed_ms) const;

  // Of the fitted distribution, E[X] and E[X²] (in ms, ms²): what the tests
  // check the fit by.
  double Mean() const;
  double SecondMoment() const;

 private:
  // With probability first_share_ Erlang(first_phases_) at first_rate_ (per
  // ms), else Erlang(second_phases_) at second_rate_.
  double first_share_ = 0;
  int first_phases_ = 1;
  double first_rate_ = 1;
  int second_phases_ = 1;
  double second_rate_ = 1;
  double mean_ms_ = 1;
};

}  // namespace qcall

#endif  // QCALL_ENGINE_HANDLING_FIT_H_
