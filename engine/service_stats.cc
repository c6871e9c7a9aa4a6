#include "engine/service_stats.h"

#include <algorithm>
#include <cmath>

#include "engine/input_checks.h"

namespace qcall {

ServiceStats::ServiceStats(const HallRules& rules)
    : services_(rules.services().size()) {
  for (size_t s = 0; s < services_.size(); ++s) {
    UpdateHandling(rules, static_cast<int>(s));
  }
}

void ServiceStats::RecordHandling(const HallRules& rules, int service,
                                  int64_t handling_ms) {
  Service& s = services_[service];
  ++s.handled_today;
  s.handling_total_ms += handling_ms;
  const double handling_s = static_cast<double>(handling_ms) / 1000;
  s.handling_square_total_s2 += handling_s * handling_s;
  UpdateHandling(rules, service);
}

void ServiceStats::StartDay(const HallRules& rules) {
  for (size_t s = 0; s < services_.size(); ++s) {
    Service& service = services_[s];
    service.handled_today = 0;
    service.handling_total_ms = 0;
    service.handling_square_total_s2 = 0;
    service.transferred_in_today = 0;
    UpdateHandling(rules, static_cast<int>(s));
  }
}

void ServiceStats::UpdateHandling(const HallRules& rules, int service) {
  // The day's figures, starting from the prior as if it had been seen
  // kPriorWeight times: an early unusual customer moves them little, and by
  // midday they are the day's true pace. (An exponential average with
  // weight 1/8 was tried first for the mean: its noise, ±26 % for
  // exponential handling, made the estimated waits 37 % worse than the
  // queue-length estimator in simulation; see docs/staffing.md.) The
  // prior's spread is c² = 1, as for exponential times.
  constexpr int64_t kPriorWeight = 8;
  Service& s = services_[service];
  s.mean_handling_ms =
      (kPriorWeight * rules.services()[service].prior_handling_ms +
       s.handling_total_ms) /
      (kPriorWeight + s.handled_today);
  double cv2 = 1;
  if (s.handled_today > 1 && s.handling_total_ms > 0) {
    const double n = static_cast<double>(s.handled_today);
    const double mean_s = static_cast<double>(s.handling_total_ms) / 1000 / n;
    const double variance =
        std::max(0.0, s.handling_square_total_s2 / n - mean_s * mean_s);
    cv2 = (kPriorWeight + n * variance / (mean_s * mean_s)) /
          static_cast<double>(kPriorWeight + s.handled_today);
  }
  s.handling_fit = HandlingFit::FromMoments(
      static_cast<double>(std::max<int64_t>(1, s.mean_handling_ms)), cv2);
}

std::vector<double> ServiceStats::ArrivalsPerSecond(
    const TicketQueue& queue, int64_t day_start_ms, int64_t now,
    std::vector<double>* transferred_in, int also_issued) const {
  // Issues of the last 30 minutes, or of the day so far (at least 5
  // minutes, so one early ticket does not look like a rush).
  constexpr int64_t kWindowMs = 30 * 60 * 1000;
  constexpr int64_t kShortestMs = 5 * 60 * 1000;
  const int64_t since =
      std::max(now - kWindowMs, std::min(now - kShortestMs, day_start_ms));
  const double seconds = static_cast<double>(now - since) / 1000.0;
  std::vector<double> arrivals(services_.size(), 0.0);
  double issued_per_second = 0;
  int64_t issued_today = 0;
  for (size_t s = 0; s < services_.size(); ++s) {
    // Today's tickets of a service are in issue order, so a binary search
    // counts them: an estimate at every issue stays cheap in a busy hall.
    const std::vector<uint32_t>& issued =
        queue.issued_today(static_cast<int>(s));
    const auto first = std::partition_point(
        issued.begin(), issued.end(),
        [&](uint32_t id) { return queue.ticket(id).issued_at_ms < since; });
    const int64_t also = static_cast<int>(s) == also_issued ? 1 : 0;
    arrivals[s] = static_cast<double>(issued.end() - first + also) / seconds;
    issued_per_second += arrivals[s];
    issued_today += static_cast<int64_t>(issued.size()) + also;
  }
  // Transfers come from customers served, so they follow the day's load:
  // today's transfers into a service per ticket issued, at today's rate.
  if (transferred_in != nullptr) transferred_in->assign(services_.size(), 0.0);
  if (issued_today == 0) return arrivals;
  for (size_t s = 0; s < services_.size(); ++s) {
    const double transfers =
        static_cast<double>(services_[s].transferred_in_today) *
        issued_per_second / static_cast<double>(issued_today);
    arrivals[s] += transfers;
    if (transferred_in != nullptr) (*transferred_in)[s] = transfers;
  }
  return arrivals;
}

void ServiceStats::Save(v1::HallState* state) const {
  for (const Service& s : services_) {
    v1::HallState::ServiceRecord* r = state->add_services();
    r->set_handled_today(s.handled_today);
    r->set_handling_total_ms(s.handling_total_ms);
    r->set_handling_square_total_s2(s.handling_square_total_s2);
    r->set_transferred_in_today(s.transferred_in_today);
  }
}

absl::Status ServiceStats::Restore(const HallRules& rules,
                                   const v1::HallState& state) {
  for (size_t s = 0; s < services_.size(); ++s) {
    const v1::HallState::ServiceRecord& record =
        state.services(static_cast<int>(s));
    Service& service = services_[s];
    service.handled_today = record.handled_today();
    service.handling_total_ms = record.handling_total_ms();
    if (record.has_handling_square_total_s2()) {
      service.handling_square_total_s2 = record.handling_square_total_s2();
    } else if (service.handled_today > 0) {
      // A snapshot from before the spread was kept: take the day so far as
      // exponential (E[X²] = 2 mean²), what the estimates assumed then.
      const double mean_s = static_cast<double>(service.handling_total_ms) /
                            1000 / static_cast<double>(service.handled_today);
      service.handling_square_total_s2 =
          2 * static_cast<double>(service.handled_today) * mean_s * mean_s;
    }
    if (!std::isfinite(service.handling_square_total_s2) ||
        service.handling_square_total_s2 < 0 || service.handled_today < 0 ||
        service.handling_total_ms < 0) {
      return CorruptSnapshot("service handling figures");
    }
    UpdateHandling(rules, static_cast<int>(s));
    service.transferred_in_today = record.transferred_in_today();
  }
  return absl::OkStatus();
}

}  // namespace qcall
