// HallParts is a read-only view of one hall's parts, for the parts that read
// across the others: the staffing advisor plans from the queue, the windows
// and the statistics, and the wait estimator replays the dispatch over all of
// them. Each part writes only its own state; this view cannot write any.
//
//   const HallParts hall = parts();  // In Hall: references, nothing copied.
//   WaitEstimator estimator(hall);
//   int64_t wait_s = estimator.EstimateWaitSeconds(id, ahead, now);
#ifndef QCALL_ENGINE_HALL_PARTS_H_
#define QCALL_ENGINE_HALL_PARTS_H_

#include <cstdint>

#include "absl/time/time.h"
#include "engine/business_calendar.h"
#include "engine/hall_rules.h"

namespace qcall {

class ServiceStats;
class StaffingAdvisor;
class TicketQueue;
class WindowBoard;

struct HallParts {
  const HallRules& rules;
  const BusinessCalendar& calendar;
  int32_t business_day;
  const TicketQueue& queue;
  const WindowBoard& board;
  const ServiceStats& stats;
  const StaffingAdvisor& advisor;

  bool BusinessHours(int64_t now) const {
    return calendar.IsOpen(absl::FromUnixMillis(now));
  }
  // When today's business day began; a time-zone lookup, so asked only
  // where needed.
  int64_t DayStartMs() const {
    return absl::ToUnixMillis(calendar.DayStart(business_day));
  }
};

}  // namespace qcall

#endif  // QCALL_ENGINE_HALL_PARTS_H_
