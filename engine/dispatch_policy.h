// The dispatch policy: which waiting ticket a free window calls next. A
// ticket's score is its waiting time, aged and weighted by the window's
// weight for its service, plus its category's boost; a ticket transferred to
// the window itself comes first; after `priority_interleave` priority calls
// in a row the best normal ticket goes next. Header-only, so the hot path
// inlines it with the real lanes and the wait estimator with its projection.
//
//   const uint32_t id = PickNext(rules, queue, board, w, now);
//   if (id == kNoTicket) return;  // Nobody this window serves waits.
#ifndef QCALL_ENGINE_DISPATCH_POLICY_H_
#define QCALL_ENGINE_DISPATCH_POLICY_H_

#include <cstdint>

#include "engine/hall_rules.h"
#include "engine/ticket_queue.h"
#include "engine/window_board.h"

namespace qcall {

inline int64_t DispatchScore(const HallRules& rules, const TicketSlot& t,
                             int64_t weight, int64_t now) {
  // Waiting time and the category's boost are in the same unit, so a normal
  // ticket's score keeps growing until it outranks any later arrival: that is
  // what bounds its wait.
  const int64_t aged =
      (now - t.wait_since_ms) * rules.policy().ageing_percent / 100;
  return weight * (aged + rules.category(t.category_slot).boost_ms);
}

// The dispatch rule for window `w` over lanes whose heads come from
// `head_of(lane)` and tickets from `slot_of(id)`: the real lanes, or a
// projection's. `queue` gives only the lanes' numbering.
template <typename HeadOf, typename SlotOf>
uint32_t PickFrom(const HallRules& rules, const TicketQueue& queue, int w,
                  int64_t now, int priority_streak, const HeadOf& head_of,
                  const SlotOf& slot_of) {
  struct Best {
    uint32_t id = kNoTicket;
    int64_t score = 0;
    int64_t issued_at_ms = 0;
  };
  Best any, normal;
  auto consider = [&](uint32_t id, int64_t weight) {
    const TicketSlot& t = slot_of(id);
    const int64_t score = DispatchScore(rules, t, weight, now);
    auto better = [&](const Best& b) {
      return b.id == kNoTicket || score > b.score ||
             (score == b.score && t.issued_at_ms < b.issued_at_ms);
    };
    if (better(any)) any = {id, score, t.issued_at_ms};
    if (!rules.category(t.category_slot).priority && better(normal)) {
      normal = {id, score, t.issued_at_ms};
    }
  };
  // A customer sent to this very window by a colleague comes first: they
  // were already served once and were promised this window.
  const uint32_t direct = head_of(queue.DirectLane(w));
  if (direct != kNoTicket) return direct;
  for (const ServedService& served : rules.windows()[w].serves) {
    for (int slot = 0; slot < kCategoryCount; ++slot) {
      const uint32_t head = head_of(queue.ServiceLane(served.service, slot));
      if (head != kNoTicket) consider(head, served.weight);
    }
  }

  const int interleave = rules.policy().priority_interleave;
  if (interleave > 0 && priority_streak >= interleave &&
      normal.id != kNoTicket) {
    return normal.id;
  }
  return any.id;
}

// The ticket window `w` calls now, or kNoTicket.
inline uint32_t PickNext(const HallRules& rules, const TicketQueue& queue,
                         const WindowBoard& board, int w, int64_t now) {
  return PickFrom(
      rules, queue, w, now, board.window(w).priority_streak,
      [&queue](uint32_t lane) { return queue.lane(lane).head; },
      [&queue](uint32_t id) -> const TicketSlot& { return queue.ticket(id); });
}

}  // namespace qcall

#endif  // QCALL_ENGINE_DISPATCH_POLICY_H_
