#include "bench/hall_simulator.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <queue>
#include <random>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "engine/hall.h"
#include "engine/status_macros.h"

namespace qcall {
namespace {

enum class Kind { kArrival, kServed, kNoShow, kRecalled, kStaffing, kTick };

struct Event {
  int64_t at_ms;
  uint64_t order;  // Ties keep the order they were scheduled in.
  Kind kind;
  int index;  // The service of an arrival, the window otherwise.
  bool operator>(const Event& o) const {
    return at_ms != o.at_ms ? at_ms > o.at_ms : order > o.order;
  }
};

struct Issued {
  int service;
  int64_t issued_ms;
  int64_t waits_from_ms;  // An appointment's wait counts from its slot.
  double predicted;
  double naive;
  double queue_length;
  double les;
};

struct WindowSim {
  bool open = false;
  bool busy = false;         // Holds a customer (called or serving).
  bool close_after = false;  // Closes when its customer is done.
};

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  const size_t k =
      std::min(values.size() - 1,
               static_cast<size_t>(std::ceil(p / 100.0 * values.size())) - 1);
  std::nth_element(values.begin(), values.begin() + static_cast<long>(k),
                   values.end());
  return values[k];
}

class Simulator {
 public:
  Simulator(const SimulationConfig& config, Hall hall)
      : c_(config),
        hall_(std::move(hall)),
        arrivals_random_(config.seed),
        random_(config.seed ^ 0x9e3779b97f4a7c15ULL),
        windows_(config.hall.windows_size()),
        serving_(config.hall.windows_size(), 0),
        start_ms_(absl::ToUnixMillis(config.start)),
        slot_ms_(absl::ToInt64Milliseconds(config.slot)) {
    size_t slots = 0;
    for (const auto& row : config.arrivals_per_hour) {
      slots = std::max(slots, row.size());
    }
    end_ms_ = start_ms_ + static_cast<int64_t>(slots) * slot_ms_;
    slots_.resize(slots);
    last_called_wait_.resize(config.hall.services_size());
    waits_.resize(slots);
    within_.resize(slots);
    open_hours_.resize(slots);
    busy_hours_.resize(slots);
  }

  absl::StatusOr<SimulationResult> Run() {
    now_ = start_ms_;
    accounted_ = start_ms_;
    for (int s = 0; s < c_.hall.services_size(); ++s) ScheduleArrival(s);
    if (c_.staffing == SimulationConfig::Staffing::kFixed) {
      RETURN_IF_ERROR(SetOpen(c_.fixed_open.empty() ? 1 : c_.fixed_open[0]));
    } else {
      RETURN_IF_ERROR(SetOpen(c_.initial_open));
    }
    Schedule(now_ + 60'000, Kind::kStaffing, 0);
    Schedule(now_ + 10'000, Kind::kTick, 0);
    while (!events_.empty()) {
      const Event e = events_.top();
      events_.pop();
      Account(e.at_ms);
      now_ = e.at_ms;
      switch (e.kind) {
        case Kind::kArrival:
          RETURN_IF_ERROR(OnArrival(e.index));
          break;
        case Kind::kServed:
          RETURN_IF_ERROR(Done(e.index, Finished(e.index)));
          break;
        case Kind::kNoShow:
          RETURN_IF_ERROR(Done(e.index, NoShow(e.index)));
          break;
        case Kind::kRecalled:
          RETURN_IF_ERROR(Recalled(e.index));
          break;
        case Kind::kStaffing:
          RETURN_IF_ERROR(OnStaffing());
          break;
        case Kind::kTick:
          RETURN_IF_ERROR(OnTick());
          break;
      }
    }
    return Finish();
  }

 private:
  int SlotOf(int64_t ms) const {
    return std::clamp(static_cast<int>((ms - start_ms_) / slot_ms_), 0,
                      static_cast<int>(slots_.size()) - 1);
  }

  void Schedule(int64_t at, Kind kind, int index) {
    events_.push({at, next_order_++, kind, index});
  }

  absl::Status Apply(const v1::Command& command) {
    return hall_.Apply(command, absl::FromUnixMillis(now_), &out_);
  }

  // Poisson with a rate per slot: memoryless, so a gap that crosses into
  // the next slot is drawn again from there at that slot's rate.
  void ScheduleArrival(int service) {
    const auto& rates = c_.arrivals_per_hour[service];
    int64_t from = now_;
    while (from < end_ms_) {
      const int slot = SlotOf(from);
      const double rate = slot < static_cast<int>(rates.size())
                              ? rates[slot] / 3'600'000.0
                              : 0.0;
      const int64_t slot_end = start_ms_ + (slot + 1) * slot_ms_;
      if (rate > 0) {
        // Rounded, not cut: cutting every gap would raise the rate.
        const int64_t at =
            from + std::llround(std::exponential_distribution<double>(rate)(
                       arrivals_random_));
        if (at < slot_end) {
          Schedule(at, Kind::kArrival, service);
          return;
        }
      }
      from = slot_end;
    }
  }

  // Open windows serving `service`, and how many of them are idle.
  std::pair<int, int> OpenServing(int service) const {
    int open = 0, idle = 0;
    for (int w = 0; w < c_.hall.windows_size(); ++w) {
      if (!windows_[w].open) continue;
      for (const auto& served : c_.hall.windows(w).serves()) {
        if (served.service_code() == c_.hall.services(service).code()) {
          ++open;
          if (!windows_[w].busy) ++idle;
        }
      }
    }
    return {open, idle};
  }

  absl::Status OnArrival(int service) {
    ScheduleArrival(service);
    v1::Command issue;
    issue.mutable_issue_ticket()->set_service_code(
        c_.hall.services(service).code());
    const double kind =
        std::uniform_real_distribution<double>(0, 1)(arrivals_random_);
    if (kind < c_.priority_share) {
      issue.mutable_issue_ticket()->set_category(v1::CATEGORY_GREEN_CHANNEL);
    } else if (kind < c_.priority_share + c_.appointment_share) {
      // Booked for a time within 5 minutes of now; the wait counts from it.
      const int64_t booked_ms = now_ + std::uniform_int_distribution<int64_t>(
                                           -300'000, 300'000)(arrivals_random_);
      issue.mutable_issue_ticket()->set_category(v1::CATEGORY_APPOINTMENT);
      issue.mutable_issue_ticket()->set_appointment_unix_seconds(booked_ms /
                                                                 1000);
    } else {
      issue.mutable_issue_ticket()->set_category(v1::CATEGORY_NORMAL);
    }
    RETURN_IF_ERROR(Apply(issue));
    const v1::CommandResult& r = out_.result();
    const auto [open, idle] = OpenServing(service);
    const double mean = c_.mean_handling_seconds[service];
    const int64_t waits_from =
        r.ticket().appointment_unix_seconds() > 0
            ? std::max(now_, r.ticket().appointment_unix_seconds() * 1000)
            : now_;
    issued_[r.ticket().number()] = {
        service,
        now_,
        waits_from,
        static_cast<double>(r.estimated_wait_seconds()),
        r.people_ahead() * mean / std::max(1, open),
        idle > 0 ? 0.0 : (r.people_ahead() + 1) * mean / std::max(1, open),
        last_called_wait_[service]};
    ++slots_[SlotOf(now_)].arrivals;
    for (int w = 0; w < c_.hall.windows_size(); ++w) {
      if (windows_[w].open && !windows_[w].busy) RETURN_IF_ERROR(Call(w));
    }
    return absl::OkStatus();
  }

  // An idle open window calls the next customer, if anyone waits for it.
  absl::Status Call(int w) {
    v1::Command call;
    call.mutable_call_next()->set_window(c_.hall.windows(w).number());
    RETURN_IF_ERROR(Apply(call));
    if (!out_.result().has_ticket()) return absl::OkStatus();
    windows_[w].busy = true;
    const int queue_service =
        ServiceIndex(out_.result().ticket().service_code());
    const auto it = issued_.find(out_.result().ticket().number());
    if (it == issued_.end()) {
      // Called again after a transfer: its wait was counted the first time.
      return Serve(w, queue_service);
    }
    const Issued ticket = it->second;
    issued_.erase(it);
    const double wait = std::max(
        0.0, static_cast<double>(now_ - ticket.waits_from_ms) / 1000.0);
    // What the kiosk estimated: the time from the ticket to the call.
    const double since_issue =
        static_cast<double>(now_ - ticket.issued_ms) / 1000.0;
    const int slot = SlotOf(now_);
    waits_[slot].push_back(wait);
    const double target = static_cast<double>(
        c_.hall.services(ticket.service).target_wait_seconds());
    ++slots_[slot].called;
    if (target <= 0 || wait <= target) ++within_[slot];
    tickets_.push_back({ticket.service, ticket.predicted, ticket.naive,
                        ticket.queue_length, ticket.les, since_issue});
    last_called_wait_[ticket.service] = wait;
    if (std::bernoulli_distribution(c_.no_show_share)(random_)) {
      Schedule(now_ + absl::ToInt64Milliseconds(c_.no_show_after),
               Kind::kNoShow, w);
      return absl::OkStatus();
    }
    if (std::bernoulli_distribution(c_.recall_share)(random_)) {
      serving_[w] = ticket.service;
      Schedule(now_ + absl::ToInt64Milliseconds(c_.recall_after),
               Kind::kRecalled, w);
      return absl::OkStatus();
    }
    return Serve(w, ticket.service);
  }

  int WindowIndex(int32_t number) const {
    for (int w = 0; w < c_.hall.windows_size(); ++w) {
      if (c_.hall.windows(w).number() == number) return w;
    }
    return 0;
  }

  int ServiceIndex(const std::string& code) const {
    for (int s = 0; s < c_.hall.services_size(); ++s) {
      if (c_.hall.services(s).code() == code) return s;
    }
    return 0;
  }

  // The customer is at the window: serving starts.
  absl::Status Serve(int w, int service) {
    serving_[w] = service;
    v1::Command start;
    start.mutable_start_serving()->set_window(c_.hall.windows(w).number());
    RETURN_IF_ERROR(Apply(start));
    Schedule(now_ + HandlingMs(service), Kind::kServed, w);
    return absl::OkStatus();
  }

  // The window recalls its customer, who comes now.
  absl::Status Recalled(int w) {
    v1::Command recall;
    recall.mutable_recall()->set_window(c_.hall.windows(w).number());
    RETURN_IF_ERROR(Apply(recall));
    return Serve(w, serving_[w]);
  }

  int64_t HandlingMs(int service) {
    const double mean = c_.mean_handling_seconds[service];
    double seconds;
    if (c_.handling == SimulationConfig::Handling::kExponential) {
      seconds = std::exponential_distribution<double>(1.0 / mean)(random_);
    } else {
      // Log-normal with this mean: mu = ln(mean) - sigma^2 / 2.
      const double sigma = c_.lognormal_sigma;
      seconds = std::lognormal_distribution<double>(
          std::log(mean) - sigma * sigma / 2, sigma)(random_);
    }
    return std::max<int64_t>(1, std::llround(seconds * 1000.0));
  }

  // Served: most leave; some are sent on to another service.
  v1::Command Finished(int w) {
    if (c_.hall.services_size() > 1 &&
        std::bernoulli_distribution(c_.transfer_share)(random_)) {
      const int from = serving_[w];
      int to = std::uniform_int_distribution<int>(
          0, c_.hall.services_size() - 2)(random_);
      if (to >= from) ++to;
      v1::Command transfer;
      transfer.mutable_transfer()->set_window(c_.hall.windows(w).number());
      transfer.mutable_transfer()->set_to_service_code(
          c_.hall.services(to).code());
      transfer.mutable_transfer()->set_placement(v1::PLACEMENT_FIRST);
      ++transfers_;
      return transfer;
    }
    return Complete(w);
  }

  v1::Command Complete(int w) {
    v1::Command c;
    c.mutable_complete()->set_window(c_.hall.windows(w).number());
    return c;
  }
  v1::Command NoShow(int w) {
    v1::Command c;
    c.mutable_no_show()->set_window(c_.hall.windows(w).number());
    return c;
  }

  absl::Status Done(int w, const v1::Command& command) {
    RETURN_IF_ERROR(Apply(command));
    windows_[w].busy = false;
    if (windows_[w].close_after) return CloseWindow(w);
    return Call(w);
  }

  absl::Status OpenWindow(int w) {
    if (windows_[w].open) {
      windows_[w].close_after = false;
      return absl::OkStatus();
    }
    v1::Command open;
    open.mutable_open_window()->set_window(c_.hall.windows(w).number());
    open.mutable_open_window()->set_clerk_id(absl::StrCat("clerk-", w + 1));
    RETURN_IF_ERROR(Apply(open));
    windows_[w].open = true;
    return Call(w);
  }

  absl::Status CloseWindow(int w) {
    if (!windows_[w].open) return absl::OkStatus();
    if (windows_[w].busy) {
      windows_[w].close_after = true;
      return absl::OkStatus();
    }
    v1::Command close;
    close.mutable_close_window()->set_window(c_.hall.windows(w).number());
    close.mutable_close_window()->set_reason("roster");
    if (absl::Status closed = Apply(close); !closed.ok()) {
      // Refused (it would go below the minimum): the clerk stays.
      if (closed.code() != absl::StatusCode::kFailedPrecondition) return closed;
      windows_[w].close_after = false;
      return absl::OkStatus();
    }
    windows_[w].open = false;
    windows_[w].close_after = false;
    return absl::OkStatus();
  }

  // The roster: n windows open, those serving the most services first, the
  // rest close once free.
  absl::Status SetOpen(int n) {
    std::vector<int> order(c_.hall.windows_size());
    for (int w = 0; w < c_.hall.windows_size(); ++w) order[w] = w;
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
      return c_.hall.windows(a).serves_size() >
             c_.hall.windows(b).serves_size();
    });
    for (int i = 0; i < c_.hall.windows_size(); ++i) {
      RETURN_IF_ERROR(i < n ? OpenWindow(order[i]) : CloseWindow(order[i]));
    }
    return absl::OkStatus();
  }

  absl::Status OnTick() {
    if (now_ >= end_ms_) return absl::OkStatus();
    Schedule(now_ + 10'000, Kind::kTick, 0);
    v1::Command tick;
    tick.mutable_tick()->set_advice_rules(c_.advice_rules);
    RETURN_IF_ERROR(Apply(tick));
    for (const v1::HallEvent& e : out_.events()) {
      if (e.has_staffing_advised()) ++advice_events_;
      if (e.has_alarm() && e.alarm().raised() &&
          e.alarm().kind() == v1::HallEvent::Alarm::KIND_QUEUE_GROWING) {
        ++growing_alarms_;
      }
    }
    return absl::OkStatus();
  }

  absl::Status OnStaffing() {
    if (now_ >= end_ms_) return absl::OkStatus();
    Schedule(now_ + 60'000, Kind::kStaffing, 0);
    const v1::HallView view = hall_.View(absl::FromUnixMillis(now_));
    slots_[SlotOf(now_)].recommended_open = view.recommended_open_windows();
    if (c_.staffing == SimulationConfig::Staffing::kFixed) {
      const int slot = SlotOf(now_);
      const int n =
          c_.fixed_open[std::min<size_t>(slot, c_.fixed_open.size() - 1)];
      return SetOpen(n);
    }
    // Clerks follow the advice as it comes. On sets: every window it names
    // opens, or closes (once free), now.
    if (view.advice().openings_size() > 0 ||
        view.advice().closings_size() > 0) {
      for (const auto& opening : view.advice().openings()) {
        RETURN_IF_ERROR(OpenWindow(WindowIndex(opening.window())));
      }
      for (const int32_t number : view.advice().closings()) {
        RETURN_IF_ERROR(CloseWindow(WindowIndex(number)));
      }
      return absl::OkStatus();
    }
    // Otherwise every window it asks to open opens now; at most one closes
    // a minute.
    v1::HallView advised = view;
    for (int step = 0; step <= c_.hall.windows_size(); ++step) {
      // After an opening the plan is read again: it may want another.
      if (step > 0) advised = hall_.View(absl::FromUnixMillis(now_));
      int open = -1, close = -1;
      for (int w = 0; w < c_.hall.windows_size(); ++w) {
        const int32_t number = c_.hall.windows(w).number();
        if (number == advised.advice().open_window()) open = w;
        if (number == advised.advice().close_window()) close = w;
      }
      if (open >= 0) {
        RETURN_IF_ERROR(OpenWindow(open));
        continue;
      }
      if (close >= 0) RETURN_IF_ERROR(CloseWindow(close));
      break;
    }
    return absl::OkStatus();
  }

  // Open and busy window time up to `to`, into the slots it spans.
  void Account(int64_t to) {
    while (accounted_ < to && accounted_ < end_ms_) {
      const int slot = SlotOf(accounted_);
      const int64_t until =
          std::min({to, end_ms_, start_ms_ + (slot + 1) * slot_ms_});
      const double hours = static_cast<double>(until - accounted_) / 3.6e6;
      for (const WindowSim& w : windows_) {
        if (w.open) open_hours_[slot] += hours;
        if (w.busy) busy_hours_[slot] += hours;
      }
      accounted_ = until;
    }
  }

  SimulationResult Finish() {
    SimulationResult result;
    std::vector<double> all;
    int within = 0;
    for (size_t s = 0; s < slots_.size(); ++s) {
      SlotFigures& slot = slots_[s];
      const double slot_hours = static_cast<double>(slot_ms_) / 3.6e6;
      slot.mean_open_windows = open_hours_[s] / slot_hours;
      slot.utilization =
          open_hours_[s] > 0 ? busy_hours_[s] / open_hours_[s] : 0;
      if (!waits_[s].empty()) {
        double sum = 0;
        for (double w : waits_[s]) sum += w;
        slot.mean_wait_seconds = sum / static_cast<double>(waits_[s].size());
        slot.p90_wait_seconds = Percentile(waits_[s], 90);
        slot.within_target =
            static_cast<double>(within_[s]) / static_cast<double>(slot.called);
      }
      all.insert(all.end(), waits_[s].begin(), waits_[s].end());
      within += within_[s];
      result.window_hours += open_hours_[s];
    }
    result.slots = slots_;
    result.advice_events = advice_events_;
    result.growing_alarms = growing_alarms_;
    result.tickets = std::move(tickets_);
    result.customers = static_cast<int>(all.size());
    int arrivals = 0;
    for (const SlotFigures& slot : slots_) arrivals += slot.arrivals;
    result.never_called = arrivals - result.customers;
    if (!all.empty()) {
      double sum = 0;
      for (double w : all) sum += w;
      result.mean_wait_seconds = sum / static_cast<double>(all.size());
      result.p90_wait_seconds = Percentile(all, 90);
      result.within_target =
          static_cast<double>(within) / static_cast<double>(all.size());
    }
    return result;
  }

  const SimulationConfig& c_;
  Hall hall_;
  Hall::Outcome out_;
  // Arrivals draw from their own stream, so runs that staff differently
  // see the same customers.
  std::mt19937_64 arrivals_random_;
  std::mt19937_64 random_;
  std::vector<WindowSim> windows_;
  std::vector<int> serving_;  // The service of each window's customer.
  int transfers_ = 0;
  std::priority_queue<Event, std::vector<Event>, std::greater<Event>> events_;
  uint64_t next_order_ = 0;
  const int64_t start_ms_;
  const int64_t slot_ms_;
  int64_t end_ms_ = 0;
  int64_t now_ = 0;
  int64_t accounted_ = 0;
  absl::flat_hash_map<std::string, Issued> issued_;
  std::vector<SlotFigures> slots_;
  std::vector<std::vector<double>> waits_;
  std::vector<int> within_;
  std::vector<double> open_hours_;
  std::vector<double> busy_hours_;
  std::vector<TicketFigures> tickets_;
  std::vector<double> last_called_wait_;  // Per service, for LES.
  int advice_events_ = 0;
  int growing_alarms_ = 0;
};

}  // namespace

SimulationConfig MmsSimulation(int windows, double handling_seconds,
                               double utilization, int half_hours,
                               uint64_t seed) {
  SimulationConfig config;
  v1::HallConfig& hall = config.hall;
  hall.set_hall_id("mms");
  hall.set_name("M/M/s");
  hall.set_time_zone("Etc/UTC");
  v1::ServiceConfig* service = hall.add_services();
  service->set_code("S");
  service->set_ticket_prefix("A");
  service->set_number_width(7);
  service->set_prior_handling_seconds(
      std::max<int64_t>(1, std::llround(handling_seconds)));
  for (int w = 1; w <= windows; ++w) {
    v1::WindowConfig* window = hall.add_windows();
    window->set_number(w);
    window->add_serves()->set_service_code("S");
  }
  for (int d = 1; d <= 7; ++d) {
    v1::OpeningHours* hours = hall.add_hours();
    hours->set_weekday(d);
    hours->set_open_minute(0);
    hours->set_close_minute(1440);
  }
  config.start = absl::FromCivil(absl::CivilSecond(2026, 11, 27, 0, 0, 0),
                                 absl::UTCTimeZone());
  config.slot = absl::Minutes(30);
  const double per_hour = utilization * windows / handling_seconds * 3600.0;
  config.arrivals_per_hour = {std::vector<double>(half_hours, per_hour)};
  config.mean_handling_seconds = {handling_seconds};
  config.fixed_open = {windows};
  config.seed = seed;
  return config;
}

absl::StatusOr<SimulationResult> RunSimulation(const SimulationConfig& config) {
  const int services = config.hall.services_size();
  if (static_cast<int>(config.arrivals_per_hour.size()) != services ||
      static_cast<int>(config.mean_handling_seconds.size()) != services) {
    return absl::InvalidArgumentError(
        "arrivals_per_hour and mean_handling_seconds need a row per service");
  }
  absl::TimeZone tz;
  if (!absl::LoadTimeZone(config.hall.time_zone(), &tz)) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown time zone ", config.hall.time_zone()));
  }
  ASSIGN_OR_RETURN(Hall hall, Hall::Create(config.hall, tz));
  Simulator simulator(config, std::move(hall));
  return simulator.Run();
}

}  // namespace qcall
