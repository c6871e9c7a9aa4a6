// ServiceStats owns what the day has shown of each service: customers
// completed and their handling times, the handling-time distribution fitted
// to them (HandlingFit) and its mean, transfers in; and from those and the
// issue times, the rate at which customers join each service.
//
//   ServiceStats stats(rules);
//   stats.RecordHandling(rules, service, handling_ms);  // On Complete.
//   int64_t mean_ms = stats.mean_handling_ms(service);
//   std::vector<double> per_second =
//       stats.ArrivalsPerSecond(queue, day_start_ms, now);
#ifndef QCALL_ENGINE_SERVICE_STATS_H_
#define QCALL_ENGINE_SERVICE_STATS_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "engine/hall_rules.h"
#include "engine/handling_fit.h"
#include "engine/ticket_queue.h"
#include "qcall/v1/engine.pb.h"

namespace qcall {

class ServiceStats {
 public:
  explicit ServiceStats(const HallRules& rules);

  int64_t mean_handling_ms(int service) const {
    return services_[service].mean_handling_ms;
  }
  // What a customer already served for a while still needs.
  const HandlingFit& handling_fit(int service) const {
    return services_[service].handling_fit;
  }

  void RecordHandling(const HallRules& rules, int service, int64_t handling_ms);
  void NoteTransferIn(int service) {
    ++services_[service].transferred_in_today;
  }
  // Today's figures start afresh from the prior.
  void StartDay(const HallRules& rules);

  // Customers joining each service per second: issues over the last 30
  // minutes (the day so far since `day_start_ms`, at least 5 minutes) plus
  // transfers in. Those alone go to `transferred_in` when it is given. The
  // next ticket of service `also_issued` counts as issued already.
  std::vector<double> ArrivalsPerSecond(
      const TicketQueue& queue, int64_t day_start_ms, int64_t now,
      std::vector<double>* transferred_in = nullptr,
      int also_issued = -1) const;

  // Adds the services' records to `state`.
  void Save(v1::HallState* state) const;
  // After the service count of `state` was checked against the config.
  absl::Status Restore(const HallRules& rules, const v1::HallState& state);

 private:
  struct Service {
    int64_t mean_handling_ms = 0;
    // Today's completed customers and their handling time.
    int64_t handled_today = 0;
    int64_t handling_total_ms = 0;
    double handling_square_total_s2 = 0;
    // Today's handling times as a distribution. Derived from the figures
    // above.
    HandlingFit handling_fit;
    int64_t transferred_in_today = 0;
  };

  // The service's mean handling time and handling-time distribution, from
  // the prior and today's figures.
  void UpdateHandling(const HallRules& rules, int service);

  std::vector<Service> services_;
};

}  // namespace qcall

#endif  // QCALL_ENGINE_SERVICE_STATS_H_
