#include "engine/handling_fit.h"

#include <algorithm>
#include <cmath>

namespace qcall {
namespace {

// For X ~ Erlang(phases, rate) at x >= 0: P(X > x) and E[(X - x)⁺], both
// divided by e^{-rate x}. Of the phases, i are done by x with weight
// e^{-rate x} (rate x)^i / i!, and then phases - i remain, 1 / rate each.
struct Tail {
  double survival = 0;
  double excess = 0;
};
Tail ErlangTailOverExp(int phases, double rate, double x) {
  Tail tail;
  const double rx = rate * x;
  double term = 1;  // i = 0.
  for (int i = 0; i < phases; ++i) {
    tail.survival += term;
    tail.excess += term * (phases - i) / rate;
    term *= rx / (i + 1);
  }
  return tail;
}

}  // namespace

HandlingFit HandlingFit::FromMoments(double mean_ms, double cv_squared) {
  const double c2 = std::clamp(cv_squared, 1.0 / kMaxPhases, 100.0);
  HandlingFit fit;
  fit.mean_ms_ = mean_ms;
  if (c2 <= 1) {
    // The k with 1/k <= c² <= 1/(k-1); Erlang(k-1) with probability p.
    const int k =
        std::clamp(static_cast<int>(std::ceil(1 / c2 - 1e-9)), 1, kMaxPhases);
    const double p = std::max(
        0.0, (k * c2 - std::sqrt(std::max(0.0, k * (1 + c2) - k * k * c2))) /
                 (1 + c2));
    const double rate = (k - p) / mean_ms;
    fit.first_share_ = p;
    fit.first_phases_ = k - 1;
    fit.first_rate_ = rate;
    fit.second_phases_ = k;
    fit.second_rate_ = rate;
  } else {
    const double p = (1 + std::sqrt((c2 - 1) / (c2 + 1))) / 2;
    fit.first_share_ = p;
    fit.first_rate_ = 2 * p / mean_ms;
    fit.second_rate_ = 2 * (1 - p) / mean_ms;
  }
  return fit;
}

double HandlingFit::RemainingMs(double elapsed_ms) const {
  if (elapsed_ms <= 0) return std::max(1.0, mean_ms_);
  Tail first = ErlangTailOverExp(first_phases_, first_rate_, elapsed_ms);
  Tail second = ErlangTailOverExp(second_phases_, second_rate_, elapsed_ms);
  if (first_rate_ != second_rate_) {
    // Two exponentials: weigh them by how likely each is to last this
    // long. Relative to the slow one, so nothing underflows however long.
    const double slow = std::min(first_rate_, second_rate_);
    const double first_weight = std::exp(-(first_rate_ - slow) * elapsed_ms);
    const double second_weight = std::exp(-(second_rate_ - slow) * elapsed_ms);
    first.survival *= first_weight;
    first.excess *= first_weight;
    second.survival *= second_weight;
    second.excess *= second_weight;
  }
  // (With one rate the common factor e^{-rate x} cancels in the ratio.)
  const double survival =
      first_share_ * first.survival + (1 - first_share_) * second.survival;
  const double excess =
      first_share_ * first.excess + (1 - first_share_) * second.excess;
  return std::max(1.0, excess / survival);
}

double HandlingFit::Mean() const {
  return first_share_ * first_phases_ / first_rate_ +
         (1 - first_share_) * second_phases_ / second_rate_;
}

double HandlingFit::SecondMoment() const {
  const auto erlang = [](int n, double rate) {
    return n * (n + 1.0) / (rate * rate);
  };
  return first_share_ * erlang(first_phases_, first_rate_) +
         (1 - first_share_) * erlang(second_phases_, second_rate_);
}

}  // namespace qcall
