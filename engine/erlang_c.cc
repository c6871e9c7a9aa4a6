#include "engine/erlang_c.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

namespace qcall {

ErlangC::ErlangC(double arrivals_per_second, double mean_service_seconds)
    : lambda_(arrivals_per_second),
      mu_(1.0 / mean_service_seconds),
      load_(arrivals_per_second * mean_service_seconds) {}

double ErlangC::ProbabilityOfWaiting(int servers) const {
  const double s = servers;
  if (servers <= 0 || s <= load_) return 1.0;
  // Erlang B by its recursion B(k) = a B(k-1) / (k + a B(k-1)), B(0) = 1:
  // every step stays within [0, 1].
  double b = 1.0;
  for (int k = 1; k <= servers; ++k) b = load_ * b / (k + load_ * b);
  return s * b / (s - load_ * (1.0 - b));
}

double ErlangC::MeanWaitSeconds(int servers) const {
  if (servers <= 0 || servers <= load_) {
    return std::numeric_limits<double>::infinity();
  }
  return ProbabilityOfWaiting(servers) / (servers * mu_ - lambda_);
}

double ErlangC::ProbabilityWaitAtMost(int servers, double seconds) const {
  if (servers <= 0 || servers <= load_) return 0.0;
  return 1.0 - ProbabilityOfWaiting(servers) *
                   std::exp(-(servers * mu_ - lambda_) * seconds);
}

int ErlangC::LeastServers(double seconds, double share) const {
  // Below the load the line grows for ever; start just above it. Erlang B
  // is carried from one server count to the next (the same recursion as
  // ProbabilityOfWaiting), so the search is linear in the answer.
  if (!(load_ < kMaxServers)) return kMaxServers + 1;
  const int first = std::max(1, static_cast<int>(std::floor(load_)) + 1);
  double b = 1.0;
  for (int k = 1; k < first; ++k) b = load_ * b / (k + load_ * b);
  for (int s = first; s <= kMaxServers; ++s) {
    b = load_ * b / (s + load_ * b);
    const double waiting = s * b / (s - load_ * (1.0 - b));
    if (1.0 - waiting * std::exp(-(s * mu_ - lambda_) * seconds) >= share) {
      return s;
    }
  }
  return kMaxServers + 1;
}

int ErlangC::SquareRootStaffing(double probability_of_waiting) const {
  // Halfin-Whitt: P(wait) ≈ 1 / (1 + β Φ(β) / φ(β)), decreasing in β.
  auto halfin_whitt = [](double beta) {
    const double phi =
        std::exp(-beta * beta / 2) / std::sqrt(2 * std::numbers::pi);
    const double cdf = 0.5 * std::erfc(-beta / std::sqrt(2.0));
    return 1.0 / (1.0 + beta * cdf / phi);
  };
  double low = 0, high = 10;
  for (int i = 0; i < 100; ++i) {
    const double mid = (low + high) / 2;
    (halfin_whitt(mid) > probability_of_waiting ? low : high) = mid;
  }
  return static_cast<int>(std::ceil(load_ + high * std::sqrt(load_)));
}

}  // namespace qcall
