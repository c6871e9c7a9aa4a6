// HallSimulator runs a hall's day in simulated time through the real engine:
// customers arrive (Poisson, a rate per slot and service), windows call them,
// they come (or not) and are served (exponential or log-normal handling),
// and windows open and close by a fixed roster or by the engine's staffing
// advice. Seeded, so a run repeats exactly.
//
//   SimulationConfig config = ...;
//   SimulationResult result = RunSimulation(config);
//   result.mean_wait_seconds;  // issue -> call, every customer called
#ifndef QCALL_BENCH_HALL_SIMULATOR_H_
#define QCALL_BENCH_HALL_SIMULATOR_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "qcall/v1/engine.pb.h"
#include "qcall/v1/hall_config.pb.h"

namespace qcall {

struct SimulationConfig {
  v1::HallConfig hall;
  absl::Time start;
  absl::Duration slot = absl::Minutes(15);
  // Arrivals per hour, [service][slot]; the day lasts as many slots as the
  // longest row.
  std::vector<std::vector<double>> arrivals_per_hour;
  // Mean handling time per service, seconds.
  std::vector<double> mean_handling_seconds;
  enum class Handling { kExponential, kLogNormal };
  Handling handling = Handling::kExponential;
  double lognormal_sigma = 0.6;
  // Customers called who do not come; the window marks them after this.
  double no_show_share = 0;
  absl::Duration no_show_after = absl::Minutes(2);
  // Customers of a priority category (green channel), issued as such.
  double priority_share = 0;
  // Customers who come only after a recall (the window recalls them after
  // `recall_after`).
  double recall_share = 0;
  absl::Duration recall_after = absl::Seconds(45);
  // Customers who, served, are sent on to another service (a transfer)
  // instead of leaving; they queue again there, first in line.
  double transfer_share = 0;
  // Customers with an appointment: they check in within 5 minutes of their
  // booked time, which is when their wait starts.
  double appointment_share = 0;
  enum class Staffing { kFixed, kAdvice };
  Staffing staffing = Staffing::kFixed;
  // kFixed: windows open in each slot: the N that serve the most services
  // (so every service keeps a window), ties in config order.
  std::vector<int> fixed_open;
  // kAdvice: windows open at the start; the advice is read every minute.
  int initial_open = 1;
  // The advice the ticks ask for: on sets of windows (as qcalld's), or one
  // of the older (the steady advice on one window; every change told).
  v1::Command::Tick::AdviceRules advice_rules =
      v1::Command::Tick::ADVICE_RULES_WINDOW_SETS;
  uint64_t seed = 1;
};

struct SlotFigures {
  int arrivals = 0;
  int called = 0;  // Customers called in this slot (their wait ends here).
  double mean_wait_seconds = 0;
  double p90_wait_seconds = 0;
  // Share of this slot's calls within their service's target.
  double within_target = 1;
  double mean_open_windows = 0;  // Time-weighted.
  double utilization = 0;        // Busy window time / open window time.
  int recommended_open = 0;      // The engine's plan at the slot's end.
};

// Each called customer's wait as predicted at issue by four estimators, and
// as it was.
struct TicketFigures {
  int service = 0;
  double predicted_wait_seconds = 0;  // The engine's estimate.
  // Naive: people ahead × mean handling ÷ open windows serving it.
  double naive_wait_seconds = 0;
  // Queue length: (ahead + 1) × mean handling ÷ open windows, 0 when one
  // of them is idle (optimal for M/M/s).
  double queue_length_wait_seconds = 0;
  // Last to enter service: the wait of the service's latest called customer.
  double les_wait_seconds = 0;
  double actual_wait_seconds = 0;
};

struct SimulationResult {
  std::vector<SlotFigures> slots;
  std::vector<TicketFigures> tickets;  // Called customers, in call order.
  int customers = 0;                   // Called.
  int never_called = 0;  // Still waiting when the simulation ran out.
  double mean_wait_seconds = 0;
  double p90_wait_seconds = 0;
  double within_target = 0;
  double window_hours = 0;  // Open window time, the cost of the roster.
  // Events of the engine's ticks (every 10 s, as qcalld's every second):
  // staffing advice announced, and queue-growing alarms raised.
  int advice_events = 0;
  int growing_alarms = 0;
};

// One service served by `windows` windows with exponential handling and
// Poisson arrivals at `utilization`, open round the clock (UTC), for
// `half_hours` half-hour slots from midnight: M/M/s through the engine.
SimulationConfig MmsSimulation(int windows, double handling_seconds,
                               double utilization, int half_hours,
                               uint64_t seed);

// INVALID_ARGUMENT for a config the engine refuses or rows that do not
// match its services.
absl::StatusOr<SimulationResult> RunSimulation(const SimulationConfig& config);

}  // namespace qcall

#endif  // QCALL_BENCH_HALL_SIMULATOR_H_
