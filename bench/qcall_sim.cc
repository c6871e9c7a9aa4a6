// qcall-sim: the hall simulator from the command line.
//
//   build/bench/qcall-sim --validate          # M/M/s against Erlang C
//   build/bench/qcall-sim --validate --days 4 # quicker, looser
//
//   build/bench/qcall-sim --day demo/halls.textproto --csv d.csv --svg d.svg
//
// --validate runs one service with 5 windows and exponential handling at
// utilizations 0.5 ... 0.95 through the real engine, days of simulated time
// each, and compares the mean wait with Erlang C's. The first half hour of
// each day is left out (the hall opens empty).
//
// --day simulates a business day of a configured hall, 08:30-18:00 in
// 15-minute slots, with a morning and an afternoon peak: once with clerks
// following the engine's staffing advice, once with a fixed roster of the
// same clerk-hours; per-slot figures as CSV and an SVG chart.
//
//   build/bench/qcall-sim --day demo/halls.textproto --seeds 24
//
// --seeds N runs that day with clerks following the advice for seeds
// --seed ... --seed + N - 1 and prints, per seed and in all, what a duty
// manager is told (staffing advices and queue-growing alarms a day) against
// the slots meeting their target (80 % of calls within the service's
// target wait): how much the advice asks for what it gets.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "bench/hall_simulator.h"
#include "engine/erlang_c.h"
#include "engine/staffing.h"
#include "google/protobuf/text_format.h"
#include "qcall/v1/server_config.pb.h"

namespace qcall {
namespace {

constexpr int kWindows = 5;
constexpr double kHandlingSeconds = 2.0;
constexpr int kSlotsPerDay = 47;  // 23.5 hours of half-hour slots.

int Validate(int days, uint64_t seed) {
  std::printf("M/M/%d, mean handling %.0f s, %d simulated day(s) per load\n",
              kWindows, kHandlingSeconds, days);
  std::printf("%-6s %12s %14s %14s %8s\n", "rho", "customers", "Erlang C Wq s",
              "simulated s", "error");
  bool ok = true;
  for (double rho : {0.5, 0.7, 0.8, 0.9, 0.95}) {
    double waited = 0;
    long customers = 0;
    for (int day = 0; day < days; ++day) {
      absl::StatusOr<SimulationResult> result = RunSimulation(MmsSimulation(
          kWindows, kHandlingSeconds, rho, kSlotsPerDay,
          seed + 1000 * static_cast<uint64_t>(rho * 100 + 0.5) + day));
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

// The share of each service in a telecom hall's arrivals, by code; others
// get an equal part of what is left.
double MixOf(const std::string& code) {
  if (code == "BILL") return 0.40;
  if (code == "PLAN") return 0.25;
  if (code == "SIM") return 0.15;
  if (code == "REPAIR") return 0.10;
  if (code == "COMPLAINT") return 0.10;
  return 0.10;
}

// Arrivals per hour for the whole hall in a 15-minute slot from 08:30: a
// base, a morning peak about 10:00 and a taller afternoon one about 15:00.
double DayProfile(int slot, double peak_per_hour) {
  const double hour = 8.5 + slot / 4.0;
  auto bump = [&](double at, double width) {
    return std::exp(-(hour - at) * (hour - at) / (2 * width * width));
  };
  return peak_per_hour *
         std::min(1.0, 0.35 + 0.55 * bump(10.0, 0.9) + 0.65 * bump(15.0, 1.0));
}

struct DayRun {
  const char* name;
  SimulationResult result;
};

// What Erlang C needs in each slot for the customers the simulation sends:
// the engine's pooled plan (engine/staffing) fed the true arrival rates,
// transfers included, and the true mean handling times, with nobody
// waiting. The advice cannot know the rates ahead and must clear lines that
// chance builds, so it should stay near this, not below it.
std::vector<int> ErlangCPlan(const SimulationConfig& config) {
  const v1::HallConfig& hall = config.hall;
  const int services = hall.services_size();
  StaffingInput input;
  input.min_open = hall.min_open_windows();
  for (const v1::WindowConfig& w : hall.windows()) {
    StaffingInput::Window window;
    window.share.assign(static_cast<size_t>(services), 0.0);
    double total = 0;
    for (const v1::ProfileEntry& served : w.serves()) {
      total += served.weight() > 0 ? served.weight() : 100;
    }
    for (const v1::ProfileEntry& served : w.serves()) {
      for (int s = 0; s < services; ++s) {
        if (hall.services(s).code() == served.service_code()) {
          window.share[static_cast<size_t>(s)] =
              (served.weight() > 0 ? served.weight() : 100) / total;
        }
      }
    }
    input.windows.push_back(window);
  }
  // A rate per service and slot; a row that ends early means none after.
  auto rate = [&](int s, size_t slot) {
    const std::vector<double>& row =
        config.arrivals_per_hour[static_cast<size_t>(s)];
    return slot < row.size() ? row[slot] : 0.0;
  };
  size_t slots = 0;
  for (const auto& row : config.arrivals_per_hour) {
    slots = std::max(slots, row.size());
  }
  std::vector<int> plan;
  for (size_t slot = 0; slot < slots; ++slot) {
    double all = 0;
    for (int s = 0; s < services; ++s) all += rate(s, slot);
    input.services.clear();
    for (int s = 0; s < services; ++s) {
      const double own = rate(s, slot);
      // Transfers go to each other service alike.
      const double transfers =
          services > 1 ? config.transfer_share * (all - own) / (services - 1)
                       : 0;
      input.services.push_back(
          {(own + transfers) / 3600.0,
           config.mean_handling_seconds[static_cast<size_t>(s)],
           static_cast<double>(hall.services(s).target_wait_seconds())});
    }
    plan.push_back(PlanStaffing(input).recommended_open);
  }
  return plan;
}

std::string Svg(const std::vector<DayRun>& runs, int slots) {
  // Three panels over the day: arrivals, open windows, mean wait.
  constexpr int kWidth = 900, kPanel = 180, kLeft = 60, kTop = 30;
  const char* colours[] = {"#1565c0", "#e65100"};
  std::ostringstream svg;
  svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << kWidth
      << "\" height=\"" << kTop + 3 * (kPanel + 40) << "\" "
      << "font-family=\"sans-serif\" font-size=\"12\">\n";
  struct Panel {
    const char* title;
    std::function<double(const SlotFigures&)> value;
  };
  const Panel panels[] = {
      {"arrivals per 15 min",
       [](const SlotFigures& s) { return double(s.arrivals); }},
      {"open windows (mean)",
       [](const SlotFigures& s) { return s.mean_open_windows; }},
      {"mean wait, minutes",
       [](const SlotFigures& s) { return s.mean_wait_seconds / 60; }},
  };
  for (int p = 0; p < 3; ++p) {
    const int top = kTop + p * (kPanel + 40);
    double max = 1;
    for (const DayRun& run : runs) {
      for (const SlotFigures& s : run.result.slots) {
        max = std::max(max, panels[p].value(s));
      }
    }
    svg << "<text x=\"" << kLeft << "\" y=\"" << top - 8 << "\">"
        << panels[p].title << " (max " << absl::StrFormat("%.1f", max)
        << ")</text>\n<rect x=\"" << kLeft << "\" y=\"" << top << "\" width=\""
        << kWidth - kLeft - 20 << "\" height=\"" << kPanel
        << "\" fill=\"none\" stroke=\"#999\"/>\n";
    for (size_t r = 0; r < runs.size(); ++r) {
      svg << "<polyline fill=\"none\" stroke-width=\"2\" stroke=\""
          << colours[r % 2] << "\" points=\"";
      for (int i = 0; i < slots; ++i) {
        const double x = kLeft + (kWidth - kLeft - 20) * (i + 0.5) / slots;
        const double y =
            top + kPanel -
            kPanel * panels[p].value(runs[r].result.slots[i]) / max;
        svg << absl::StrFormat("%.1f,%.1f ", x, y);
      }
      svg << "\"/>\n";
    }
  }
  for (size_t r = 0; r < runs.size(); ++r) {
    svg << "<text x=\"" << kLeft + 200 * r << "\" y=\""
        << kTop + 3 * (kPanel + 40) - 12 << "\" fill=\"" << colours[r % 2]
        << "\">" << runs[r].name << "</text>\n";
  }
  svg << "</svg>\n";
  return svg.str();
}

// The hall `hall_id` of the textproto ServerConfig at `path`.
absl::StatusOr<v1::HallConfig> LoadHall(const std::string& path,
                                        const std::string& hall_id) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  v1::ServerConfig server;
  if (!file ||
      !google::protobuf::TextFormat::ParseFromString(text.str(), &server)) {
    return absl::InvalidArgumentError(absl::StrCat("cannot read ", path));
  }
  for (const v1::HallConfig& h : server.halls()) {
    if (h.hall_id() == hall_id) return h;
  }
  return absl::NotFoundError(absl::StrCat("no hall ", hall_id, " in ", path));
}

constexpr int kDaySlots = 38;  // 08:30-18:00.

// A business day of `hall`: 08:30-18:00 in 15-minute slots, the day
// profile and service mix above, log-normal handling at the services'
// priors, 5 % no-shows, 5 % recalled, 3 % transferred, 8 % priority and 5 %
// appointment customers; clerks follow the advice.
absl::StatusOr<SimulationConfig> DayConfig(const v1::HallConfig& hall,
                                           double peak, uint64_t seed) {
  SimulationConfig config;
  config.hall = hall;
  absl::TimeZone tz;
  if (!absl::LoadTimeZone(hall.time_zone(), &tz)) {
    return absl::InvalidArgumentError("unknown time zone");
  }
  config.start = absl::FromCivil(absl::CivilSecond(2026, 11, 27, 8, 30, 0), tz);
  config.slot = absl::Minutes(15);
  for (const v1::ServiceConfig& service : hall.services()) {
    std::vector<double> row;
    for (int slot = 0; slot < kDaySlots; ++slot) {
      row.push_back(DayProfile(slot, peak) * MixOf(service.code()));
    }
    config.arrivals_per_hour.push_back(row);
    config.mean_handling_seconds.push_back(static_cast<double>(
        std::max<int64_t>(60, service.prior_handling_seconds())));
  }
  config.handling = SimulationConfig::Handling::kLogNormal;
  config.no_show_share = 0.05;
  config.priority_share = 0.08;
  config.recall_share = 0.05;
  config.transfer_share = 0.03;
  config.appointment_share = 0.05;
  config.staffing = SimulationConfig::Staffing::kAdvice;
  config.initial_open = hall.min_open_windows();
  config.seed = seed;
  return config;
}

// Slots with calls, and of them those where 80 % were within target.
struct SlotsMet {
  int met = 0;
  int counted = 0;
};
SlotsMet CountSlotsMet(const SimulationResult& result) {
  SlotsMet slots;
  for (const SlotFigures& s : result.slots) {
    if (s.called == 0) continue;
    ++slots.counted;
    if (s.within_target >= 0.8) ++slots.met;
  }
  return slots;
}

int Day(const std::string& config_path, const std::string& hall_id, double peak,
        uint64_t seed, v1::Command::Tick::AdviceRules advice_rules,
        const std::string& csv_path, const std::string& svg_path) {
  absl::StatusOr<v1::HallConfig> loaded = LoadHall(config_path, hall_id);
  if (!loaded.ok()) {
    std::fprintf(stderr, "qcall-sim: %s\n", loaded.status().ToString().c_str());
    return 2;
  }
  const v1::HallConfig* hall = &*loaded;
  constexpr int kSlots = kDaySlots;
  absl::StatusOr<SimulationConfig> made = DayConfig(*hall, peak, seed);
  if (!made.ok()) return 2;
  SimulationConfig config = *made;
  config.advice_rules = advice_rules;
  std::vector<DayRun> runs;
  absl::StatusOr<SimulationResult> advice = RunSimulation(config);
  if (!advice.ok()) {
    std::fprintf(stderr, "qcall-sim: %s\n", advice.status().ToString().c_str());
    return 1;
  }
  runs.push_back({"following the advice", *advice});
  // A fixed roster with the same clerk-hours, spread evenly.
  const double hours = kSlots / 4.0;
  config.staffing = SimulationConfig::Staffing::kFixed;
  config.fixed_open = {
      std::max(hall->min_open_windows(),
               static_cast<int>(std::lround(advice->window_hours / hours)))};
  absl::StatusOr<SimulationResult> fixed = RunSimulation(config);
  if (!fixed.ok()) return 1;
  runs.push_back({"fixed roster, same clerk-hours", *fixed});

  std::printf(
      "%s, %s: peak %.0f arrivals/h, log-normal handling, 5 %% "
      "no-shows, 5 %% recalls, 3 %% transfers, 8 %% priority, 5 %% "
      "appointments, seed %llu\n",
      hall->hall_id().c_str(), "08:30-18:00", peak,
      static_cast<unsigned long long>(seed));
  const std::vector<int> erlang_c = ErlangCPlan(config);
  double erlang_c_hours = 0;
  for (int need : erlang_c) erlang_c_hours += need / 4.0;
  std::printf("Erlang C for these customers: %.1f window-hours\n",
              erlang_c_hours);
  std::printf("%-32s %9s %7s %9s %9s %12s %12s %12s %8s %8s %10s\n", "staffing",
              "customers", "missed", "mean min", "p90 min", "within tgt",
              "slots >=80%", "window-hours", "advice", "growing", "over ErlC");
  std::ofstream csv;
  if (!csv_path.empty()) {
    csv.open(csv_path);
    csv << "run,slot,start,arrivals,called,mean_wait_s,p90_wait_s,"
           "within_target,open_windows,recommended,utilization\n";
  }
  for (const DayRun& run : runs) {
    const SlotsMet slots = CountSlotsMet(run.result);
    int over = 0;
    for (size_t i = 0; i < run.result.slots.size(); ++i) {
      const SlotFigures& s = run.result.slots[i];
      // More windows open on average than Erlang C needs for the slot's
      // customers (half a window of slack for the minute the advice lags).
      if (s.mean_open_windows > erlang_c[i] + 0.5) ++over;
      if (csv.is_open()) {
        const int minute = 510 + 15 * static_cast<int>(i);
        csv << '"' << run.name << "\"," << i << ','
            << absl::StrFormat("%02d:%02d", minute / 60, minute % 60) << ','
            << s.arrivals << ',' << s.called << ','
            << absl::StrFormat("%.1f,%.1f,%.3f,%.2f,%d,%.3f",
                               s.mean_wait_seconds, s.p90_wait_seconds,
                               s.within_target, s.mean_open_windows,
                               s.recommended_open, s.utilization)
            << "\n";
      }
    }
    std::printf(
        "%-32s %9d %7d %9.1f %9.1f %11.1f%% %6d of %-3d %12.1f %8d %8d %10d\n",
        run.name, run.result.customers, run.result.never_called,
        run.result.mean_wait_seconds / 60, run.result.p90_wait_seconds / 60,
        100 * run.result.within_target, slots.met, slots.counted,
        run.result.window_hours, run.result.advice_events,
        run.result.growing_alarms, over);
  }
  if (!svg_path.empty()) std::ofstream(svg_path) << Svg(runs, kSlots);
  return 0;
}

// What a duty manager can take in a day (issue 16, item 12).
constexpr int kToldADay = 40;

int Sweep(const std::string& config_path, const std::string& hall_id,
          double peak, uint64_t first_seed, int seeds,
          v1::Command::Tick::AdviceRules advice_rules) {
  absl::StatusOr<v1::HallConfig> hall = LoadHall(config_path, hall_id);
  if (!hall.ok()) {
    std::fprintf(stderr, "qcall-sim: %s\n", hall.status().ToString().c_str());
    return 2;
  }
  const char* advice_name =
      advice_rules == v1::Command::Tick::ADVICE_RULES_WINDOW_SETS
          ? "steady advice on sets of windows"
      : advice_rules == v1::Command::Tick::ADVICE_RULES_STEADY
          ? "steady advice on one window"
          : "every-change advice";
  std::printf("%s, peak %.0f arrivals/h, clerks following the %s\n",
              hall_id.c_str(), peak, advice_name);
  std::printf("%6s %8s %8s %8s %12s %12s\n", "seed", "advice", "growing",
              "told", "slots >=80%", "window-hours");
  int advice = 0, growing = 0, most_told = 0, days_within = 0;
  SlotsMet all;
  double hours = 0;
  for (int i = 0; i < seeds; ++i) {
    const uint64_t seed = first_seed + static_cast<uint64_t>(i);
    absl::StatusOr<SimulationConfig> config = DayConfig(*hall, peak, seed);
    if (!config.ok()) return 2;
    config->advice_rules = advice_rules;
    absl::StatusOr<SimulationResult> r = RunSimulation(*config);
    if (!r.ok()) {
      std::fprintf(stderr, "qcall-sim: %s\n", r.status().ToString().c_str());
      return 1;
    }
    const SlotsMet slots = CountSlotsMet(*r);
    const int told = r->advice_events + r->growing_alarms;
    std::printf("%6llu %8d %8d %8d %6d of %-3d %12.1f\n",
                static_cast<unsigned long long>(seed), r->advice_events,
                r->growing_alarms, told, slots.met, slots.counted,
                r->window_hours);
    advice += r->advice_events;
    growing += r->growing_alarms;
    most_told = std::max(most_told, told);
    if (told <= kToldADay) ++days_within;
    all.met += slots.met;
    all.counted += slots.counted;
    hours += r->window_hours;
  }
  const double days = seeds > 0 ? seeds : 1;
  std::printf(
      "a day on average: %.1f advices, %.1f growing alarms, %.1f told (at "
      "most %d in a day; %d of %d days within %d), %.1f window-hours; slots "
      "meeting the target: %d of %d (%.1f %%)\n",
      advice / days, growing / days, (advice + growing) / days, most_told,
      days_within, seeds, kToldADay, hours / days, all.met, all.counted,
      all.counted > 0 ? 100.0 * all.met / all.counted : 0.0);
  return 0;
}

// Mean absolute error and share of under-estimates of each estimator.
void PrintEstimators(const char* scenario,
                     const std::vector<TicketFigures>& tickets) {
  struct Estimator {
    const char* name;
    double TicketFigures::*field;
  };
  const Estimator estimators[] = {
      {"qcall engine", &TicketFigures::predicted_wait_seconds},
      {"naive (ahead x mean / open)", &TicketFigures::naive_wait_seconds},
      {"queue length", &TicketFigures::queue_length_wait_seconds},
      {"last to enter service", &TicketFigures::les_wait_seconds},
  };
  std::printf("%s, %zu customers\n", scenario, tickets.size());
  std::printf("  %-30s %8s %8s %16s\n", "estimator", "MAE s", "bias s",
              "under-estimates");
  const double n = static_cast<double>(tickets.size());
  for (const Estimator& e : estimators) {
    double error = 0, bias = 0;
    long under = 0;
    for (const TicketFigures& t : tickets) {
      error += std::abs(t.*e.field - t.actual_wait_seconds);
      bias += t.*e.field - t.actual_wait_seconds;
      if (t.*e.field < t.actual_wait_seconds) ++under;
    }
    std::printf("  %-30s %8.1f %+8.1f %15.1f%%\n", e.name, error / n, bias / n,
                100.0 * static_cast<double>(under) / n);
  }
}

int Estimators(const std::string& config_path, const std::string& hall_id,
               int days, uint64_t seed) {
  // (1) One line, M/M/5 at 0.9, handling 3 minutes.
  std::vector<TicketFigures> single;
  for (uint64_t day = 0; day < static_cast<uint64_t>(days); ++day) {
    absl::StatusOr<SimulationResult> r =
        RunSimulation(MmsSimulation(5, 180, 0.9, 47, seed + day));
    if (!r.ok()) return 1;
    single.insert(single.end(), r->tickets.begin(), r->tickets.end());
  }
  PrintEstimators(
      absl::StrCat("M/M/5, utilization 0.9, 3 min handling, ", days, " days")
          .c_str(),
      single);
  // (2) A hall's day: services sharing windows, priorities, no-shows,
  // log-normal handling, a changing load, clerks by the advice.
  absl::StatusOr<v1::HallConfig> hall = LoadHall(config_path, hall_id);
  if (!hall.ok()) {
    std::fprintf(stderr, "qcall-sim: %s\n", hall.status().ToString().c_str());
    return 2;
  }
  std::vector<TicketFigures> day;
  for (uint64_t d = 0; d < static_cast<uint64_t>(days); ++d) {
    absl::StatusOr<SimulationConfig> config = DayConfig(*hall, 90, seed + d);
    if (!config.ok()) return 2;
    absl::StatusOr<SimulationResult> r = RunSimulation(*config);
    if (!r.ok()) return 1;
    day.insert(day.end(), r->tickets.begin(), r->tickets.end());
  }
  std::printf("\n");
  PrintEstimators(
      absl::StrCat(hall_id, ", a day with peaks, ", days, " days").c_str(),
      day);
  // (3) The same days with a roster planned from Erlang C: windows change
  // every 15 minutes by the plan for the slot's expected customers, not in
  // answer to the line.
  std::vector<TicketFigures> planned;
  for (uint64_t d = 0; d < static_cast<uint64_t>(days); ++d) {
    absl::StatusOr<SimulationConfig> config = DayConfig(*hall, 90, seed + d);
    if (!config.ok()) return 2;
    config->fixed_open = ErlangCPlan(*config);
    config->staffing = SimulationConfig::Staffing::kFixed;
    absl::StatusOr<SimulationResult> r = RunSimulation(*config);
    if (!r.ok()) return 1;
    planned.insert(planned.end(), r->tickets.begin(), r->tickets.end());
  }
  std::printf("\n");
  PrintEstimators(absl::StrCat(hall_id, ", the same days with a roster ",
                               "planned from Erlang C")
                      .c_str(),
                  planned);
  return 0;
}

int Run(int argc, char** argv) {
  CLI::App app{"qcall-sim: a hall's day through the real engine"};
  bool validate = false;
  int days = 24;
  app.add_flag("--validate", validate, "M/M/s against Erlang C");
  bool estimators = false;
  app.add_flag("--estimators", estimators,
               "waiting-time estimators against the waits that happened");
  app.add_option("--days", days, "simulated days per load")
      ->capture_default_str();
  uint64_t seed = 1;
  app.add_option("--seed", seed, "first seed")->capture_default_str();
  std::string day_config, hall_id = "sh-xujiahui", csv, svg;
  double peak = 90;
  app.add_option("--day", day_config,
                 "simulate a day of a hall of this config");
  app.add_option("--hall", hall_id, "the hall to simulate")
      ->capture_default_str();
  app.add_option("--peak", peak, "arrivals per hour at the busiest time")
      ->capture_default_str();
  app.add_option("--csv", csv, "write per-slot figures here");
  app.add_option("--svg", svg, "write a chart of the day here");
  int seeds = 0;
  app.add_option("--seeds", seeds,
                 "with --day: that many seeds from --seed, advice and alarms "
                 "a day against slots meeting the target");
  bool every_change = false, one_window = false;
  app.add_flag("--every-change", every_change,
               "with --day: the advice of journals before the steady advice, "
               "told at every change of the plan");
  app.add_flag("--one-window", one_window,
               "with --day: the steady advice on one window at a time (before "
               "sets of windows)");
  CLI11_PARSE(app, argc, argv);
  if (validate) return Validate(days, seed);
  if (estimators) {
    return Estimators(day_config.empty() ? "demo/halls.textproto" : day_config,
                      hall_id, days, seed);
  }
  const v1::Command::Tick::AdviceRules advice_rules =
      every_change ? v1::Command::Tick::ADVICE_RULES_EVERY_CHANGE
      : one_window ? v1::Command::Tick::ADVICE_RULES_STEADY
                   : v1::Command::Tick::ADVICE_RULES_WINDOW_SETS;
  if (!day_config.empty() && seeds > 0) {
    return Sweep(day_config, hall_id, peak, seed, seeds, advice_rules);
  }
  if (!day_config.empty()) {
    return Day(day_config, hall_id, peak, seed, advice_rules, csv, svg);
  }
  std::fprintf(stderr, "qcall-sim: say --validate or --day CONFIG\n");
  return 2;
}

}  // namespace
}  // namespace qcall

int main(int argc, char** argv) { return qcall::Run(argc, argv); }
