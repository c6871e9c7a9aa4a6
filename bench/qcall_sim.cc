// qcall-sim: the hall simulator from the command line.
//
//   build/bench/qcall-sim --validate          # M/M/s against Erlang C
//   build/bench/qcall-sim --validate --days 4 # quicker, looser
//
// --validate runs one service with 5 windows and exponential handling at
// utilizations 0.5 ... 0.95 through the real engine, days of simulated time
// each, and compares the mean wait with Erlang C's. The first half hour of
// each day is left out (the hall opens empty).
#include <cmath>
#include <cstdio>
#include <vector>

#include "CLI/CLI.hpp"
#include "bench/hall_simulator.h"
#include "engine/erlang_c.h"

namespace qcall {
namespace {

constexpr int kWindows = 5;
constexpr double kHandlingSeconds = 2.0;
constexpr int kSlotsPerDay = 47;  // 23.5 hours of half-hour slots.

int Validate(int days, uint64_t seed) {
  std::printf("M/M/%d, mean handling %.0f s, %d simulated day(s) per load\n",
              kWindows, kHandlingSeconds, days);
  std::printf("%-6s %12s %14s %14s %8s\n", "rho", "customers",
              "Erlang C Wq s", "simulated s", "error");
  bool ok = true;
  for (double rho : {0.5, 0.7, 0.8, 0.9, 0.95}) {
    double waited = 0;
    long customers = 0;
    for (int day = 0; day < days; ++day) {
      absl::StatusOr<SimulationResult> result =
          RunSimulation(MmsSimulation(
              kWindows, kHandlingSeconds, rho, kSlotsPerDay, seed + 1000 * static_cast<uint64_t>(rho * 100 + 0.5) + day));
      if (!result.ok()) {
        std::fprintf(stderr, "qcall-sim: %s\n",
                     result.status().ToString().c_str());
        return 1;
      }
      for (size_t s = 1; s < result->slots.size(); ++s) {
        waited += result->slots[s].mean_wait_seconds * result->slots[s].called;
        customers += result->slots[s].called;
      }
    }
    const double simulated = waited / static_cast<double>(customers);
    const double expected =
        ErlangC(rho * kWindows / kHandlingSeconds, kHandlingSeconds)
            .MeanWaitSeconds(kWindows);
    const double error = simulated / expected - 1;
    ok = ok && std::abs(error) <= 0.03;
    std::printf("%-6.2f %12ld %14.4f %14.4f %+7.2f%%\n", rho, customers,
                expected, simulated, 100 * error);
  }
  std::printf(ok ? "all within 3 %%\n" : "NOT all within 3 %%\n");
  return ok ? 0 : 1;
}

int Run(int argc, char** argv) {
  CLI::App app{"qcall-sim: a hall's day through the real engine"};
  bool validate = false;
  int days = 24;
  app.add_flag("--validate", validate, "M/M/s against Erlang C");
  app.add_option("--days", days, "simulated days per load")
      ->capture_default_str();
  uint64_t seed = 1;
  app.add_option("--seed", seed, "first seed")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  if (validate) return Validate(days, seed);
  std::fprintf(stderr, "qcall-sim: say --validate (the demo day comes next)\n");
  return 2;
}

}  // namespace
}  // namespace qcall

int main(int argc, char** argv) { return qcall::Run(argc, argv); }
