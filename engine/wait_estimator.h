// WaitEstimator says how many people are ahead of a ticket and how long it
// will wait. People ahead count the tickets the dispatch rule puts first, in
// every category's lane of the service, in O(1) per lane from the lanes' wait
// histograms. The wait replays the dispatch call by call (up to 100 people
// ahead) over the hall as it is, with the customers still to come at the
// recent rates and a window the staffing advice will have opened; beyond
// that, the people ahead over the rate of the window time the service gets.
// It holds no state: it reads the hall's parts for one question.
//
//   const WaitEstimator estimator(parts());
//   const int32_t ahead = estimator.PeopleAhead(id);
//   const int64_t wait_s = estimator.EstimateWaitSeconds(id, ahead, now);
#ifndef QCALL_ENGINE_WAIT_ESTIMATOR_H_
#define QCALL_ENGINE_WAIT_ESTIMATOR_H_

#include <cstdint>

#include "engine/hall_parts.h"
#include "engine/ticket_queue.h"

namespace qcall {

class WaitEstimator {
 public:
  explicit WaitEstimator(const HallParts& hall) : hall_(hall) {}

  // Of a waiting ticket.
  int32_t PeopleAhead(uint32_t id) const;
  // Of a ticket of `service` and `category_slot` waiting since `wait_since`
  // behind `own_position` tickets of its own lane.
  int32_t PeopleAheadInService(int service, int category_slot,
                               int64_t wait_since, int64_t own_position) const;

  // A waiting ticket's wait, in seconds.
  int64_t EstimateWaitSeconds(uint32_t id, int32_t people_ahead,
                              int64_t now) const {
    return EstimateWaitSeconds(id, hall_.queue.ticket(id), people_ahead, now);
  }
  // A walk-in's who takes a ticket of `service` now.
  int64_t EstimateNewTicketWaitSeconds(int service, int32_t people_ahead,
                                       int64_t now) const;

 private:
  class Projection;  // When a ticket would be called.

  // The wait of ticket `target` (kNoTicket: `target_slot`, not issued yet,
  // at the end of its lane), in seconds.
  int64_t EstimateWaitSeconds(uint32_t target, const TicketSlot& target_slot,
                              int32_t people_ahead, int64_t now) const;

  const HallParts hall_;
};

}  // namespace qcall

#endif  // QCALL_ENGINE_WAIT_ESTIMATOR_H_
