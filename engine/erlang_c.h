// Erlang C: the M/M/s queue (Poisson arrivals, exponential service, s
// servers, one FIFO line) that tells how many windows a service needs.
// Computed through the Erlang B recursion, so it stays finite and accurate
// for hundreds of windows where factorials would overflow.
//
//   const ErlangC queue(/*arrivals_per_second=*/0.05, /*mean_service_s=*/180);
//   queue.ProbabilityOfWaiting(12);          // P(W > 0) with 12 windows
//   queue.ProbabilityWaitAtMost(12, 600);    // P(W <= 10 min)
//   queue.LeastServers(600, 0.8);            // windows for 80 % within 10 min
#ifndef QCALL_ENGINE_ERLANG_C_H_
#define QCALL_ENGINE_ERLANG_C_H_

#include <cstdint>

namespace qcall {

class ErlangC {
 public:
  // The largest number of servers LeastServers tries.
  static constexpr int kMaxServers = 2000;

  // Both must be positive and finite (the caller checks its inputs).
  ErlangC(double arrivals_per_second, double mean_service_seconds);

  // Offered load a = λ / μ, in erlangs: the windows busy on average.
  double offered_load() const { return load_; }

  // P(W > 0): the share of customers who wait at all; 1 when s <= a (the
  // queue grows without bound).
  double ProbabilityOfWaiting(int servers) const;
  // Mean wait in the line, seconds; +infinity when s <= a.
  double MeanWaitSeconds(int servers) const;
  // P(W <= t) = 1 - C(s, a) e^{-(sμ - λ) t}; 0 when s <= a.
  double ProbabilityWaitAtMost(int servers, double seconds) const;

  // The fewest servers with P(W <= seconds) >= share (0 < share < 1);
  // kMaxServers + 1 when even that many do not reach it.
  int LeastServers(double seconds, double share) const;

  // Square-root staffing, the Halfin-Whitt cross-check: s = a + β √a with
  // β solving P(wait) = [1 + β Φ(β) / φ(β)]^-1 for the given P(wait).
  int SquareRootStaffing(double probability_of_waiting) const;

 private:
  double lambda_;
  double mu_;
  double load_;
};

}  // namespace qcall

#endif  // QCALL_ENGINE_ERLANG_C_H_
