// TicketQueue owns the tickets a hall holds and the lanes they wait in:
// today's numbering per service, the intrusive FIFO lanes (one per service
// and category, one per window for tickets transferred to it) with their wait
// histograms, each service's waiting count and which counts the command being
// applied changed (for the events). It holds no personal data: a customer's
// phone never reaches the engine (the dispatcher keeps it apart, encrypted).
//
//   TicketQueue queue(services, windows);
//   const uint32_t id = queue.Issue(slot);
//   queue.PushBack(queue.ServiceLane(service, category_slot), id);
//   ...
//   queue.Unlink(id);  // Called: it waits no more.
//   queue.AttachWaitingCounts(rules, /*all=*/false, &out);
#ifndef QCALL_ENGINE_TICKET_QUEUE_H_
#define QCALL_ENGINE_TICKET_QUEUE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/hall_rules.h"
#include "engine/outcome.h"
#include "engine/wait_histogram.h"
#include "google/protobuf/repeated_field.h"
#include "qcall/v1/engine.pb.h"

namespace qcall {

// No ticket: an empty lane's head, a free window's ticket.
inline constexpr uint32_t kNoTicket = UINT32_MAX;

struct TicketSlot {
  int64_t issued_at_ms = 0;
  // Waiting time counts from here: issue, or the booked slot.
  int64_t wait_since_ms = 0;
  int64_t state_since_ms = 0;
  int64_t appointment_s = 0;
  uint32_t prev = kNoTicket;  // Links within its lane while waiting.
  uint32_t next = kNoTicket;
  uint32_t lane = kNoTicket;
  uint32_t number = 0;
  int32_t business_day = 0;
  uint16_t service = 0;  // Numbering service, the prefix in "A012".
  uint16_t queue_service = 0;
  int16_t window = -1;  // Index of the window holding or last holding it.
  uint8_t category_slot = 0;
  uint8_t state = v1::TICKET_STATE_WAITING;
  uint8_t recalls = 0;
  uint8_t requeues = 0;
  // Its complaint case was opened (it fits in the padding).
  bool complaint_opened = false;
};

// A FIFO of waiting tickets linked through TicketSlot::prev/next, so
// removal from the middle is O(1).
struct Lane {
  uint32_t head = kNoTicket;
  uint32_t tail = kNoTicket;
  uint32_t size = 0;
  WaitHistogram waits;  // Service lanes only.
};

class TicketQueue {
 public:
  TicketQueue(int services, int windows);

  // Lanes: every service's, category by category, then every window's.
  uint32_t ServiceLane(int service, int category_slot) const {
    return static_cast<uint32_t>(service * kCategoryCount + category_slot);
  }
  uint32_t DirectLane(int window) const {
    return static_cast<uint32_t>(services_ * kCategoryCount + window);
  }
  bool IsServiceLane(uint32_t lane) const { return lane < DirectLane(0); }
  size_t lane_count() const { return lanes_.size(); }
  const Lane& lane(uint32_t lane) const { return lanes_[lane]; }

  // Tickets, by id: today's, and yesterday's still at a window.
  size_t size() const { return tickets_.size(); }
  const TicketSlot& ticket(uint32_t id) const { return tickets_[id]; }
  // For state, window and counters; the links and the lane change only
  // through the lane operations below.
  TicketSlot& mutable_ticket(uint32_t id) { return tickets_[id]; }
  // Today's tickets of a service, in issue order (number - 1).
  const std::vector<uint32_t>& issued_today(int service) const {
    return ticket_by_number_[service];
  }

  // The next number of `slot.service` and a new id; the ticket waits in no
  // lane yet.
  uint32_t Issue(const TicketSlot& slot);
  // "A012" as today's ticket, or an error saying why it is none.
  absl::StatusOr<uint32_t> Find(const HallRules& rules,
                                absl::string_view ticket) const;
  void FillTicket(const HallRules& rules, uint32_t id,
                  v1::Ticket* ticket) const;
  std::string TicketText(const HallRules& rules, uint32_t id) const;

  void PushBack(uint32_t lane, uint32_t id);
  void PushFront(uint32_t lane, uint32_t id);
  // Inserts behind the last ticket whose `key` is not later than id's.
  void InsertSorted(uint32_t lane, uint32_t id, int64_t TicketSlot::*key);
  void InsertAtOffset(uint32_t lane, uint32_t id, int offset);
  void Unlink(uint32_t id);

  // Tickets in the service's lanes, kept in step by every lane operation.
  int32_t waiting(int service) const { return waiting_[service].now; }
  // Puts the waiting counts the command changed on its last event (every
  // count when `all`), and forgets the changes.
  void AttachWaitingCounts(const HallRules& rules, bool all, Outcome* out);

  // A new business day: keeps only the tickets at a window, `held` (kNoTicket
  // where a window holds none), which it renumbers in place; empties the
  // lanes, whose minutes count from `lanes_origin_ms`, and today's numbers.
  // Returns how many waiting tickets expired.
  int32_t StartDay(int64_t lanes_origin_ms, std::vector<uint32_t>* held);
  void ResetLanes(int64_t origin_ms);

  // The lanes of `service` that hold someone, into the view; returns the
  // longest wait among them at `now`, in seconds.
  int64_t AddLaneViews(const HallRules& rules, int service, int64_t now,
                       v1::HallView* view) const;

  // Tickets and service lanes into `state`; a window's direct lane into
  // `ids`.
  void SaveTickets(v1::HallState* state) const;
  void SaveLane(uint32_t lane,
                google::protobuf::RepeatedField<uint32_t>* ids) const;
  // The reverse, for a hall whose business day is `business_day` (0: none
  // begun yet) and which has `windows` windows. Checks each record before
  // it trusts it: DATA_LOSS saying what does not hold.
  absl::Status RestoreTickets(const v1::HallState& state, int32_t business_day,
                              int windows);
  // Appends `ids` to `lane`, which `what` names in an error: each must be a
  // waiting ticket in no lane yet, and in a service lane one of its service
  // and category.
  absl::Status RestoreLane(uint32_t lane,
                           const google::protobuf::RepeatedField<uint32_t>& ids,
                           absl::string_view what);
  // Once the lanes and windows are restored: every waiting ticket waits in
  // a lane, and every called or serving one is the ticket its window holds
  // (`held`, by window, as WindowBoard::HeldTickets).
  absl::Status CheckRestored(const std::vector<uint32_t>& held) const;
  // Rebuilding the lanes is no change to announce.
  void ForgetWaitingChanges();

 private:
  struct Waiting {
    int32_t now = 0;
    // `now` before the command being applied, once the command changed it
    // (see NoteWaitingChange); -1 otherwise.
    int32_t before = -1;
  };

  void InsertAfter(uint32_t lane, uint32_t after, uint32_t id);
  // Keeps the lane's wait histogram and waiting count in step.
  void CountWaiting(uint32_t lane, uint32_t id, int delta);
  // Remembers service `s`'s waiting count before the command changes it.
  void NoteWaitingChange(int s);

  int services_;
  std::vector<TicketSlot> tickets_;
  std::vector<Lane> lanes_;
  std::vector<std::vector<uint32_t>> ticket_by_number_;  // Today's, by service.
  std::vector<Waiting> waiting_;
  // Services whose waiting count the command being applied changed.
  std::vector<int> waiting_changed_;
};

}  // namespace qcall

#endif  // QCALL_ENGINE_TICKET_QUEUE_H_
