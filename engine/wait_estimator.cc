#include "engine/wait_estimator.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <optional>
#include <vector>

#include "engine/dispatch_policy.h"
#include "engine/hall_rules.h"
#include "engine/service_stats.h"
#include "engine/staffing_advisor.h"
#include "engine/window_board.h"

namespace qcall {
namespace {

constexpr int64_t kMaxEstimateSeconds = 24 * 3600;
// Up to this many people ahead an estimate replays the dispatch call by
// call (about 0.1 µs a call); the calls of other services' customers
// replayed on the way count too, up to the second bound.
constexpr int kMaxProjectedAhead = 100;
constexpr int kMaxProjectedCalls = 400;

// Times in the wait replay are ms since the epoch, so positive.
int64_t RoundMs(double ms) { return static_cast<int64_t>(ms + 0.5); }

}  // namespace

int32_t WaitEstimator::PeopleAheadInService(int service, int category_slot,
                                            int64_t wait_since,
                                            int64_t own_position) const {
  // Ticket u goes before t when ageing*(now - w_u) + b_u > ageing*(now - w_t)
  // + b_t, i.e. when w_u < w_t + (b_u - b_t) / ageing: `now` cancels out, and
  // since lanes run oldest first the tickets ahead are the oldest of each lane.
  const HallRules& rules = hall_.rules;
  const TicketQueue& queue = hall_.queue;
  const int64_t ageing = rules.policy().ageing_percent;
  const int64_t boost = rules.category(category_slot).boost_ms;
  int64_t ahead = own_position;
  for (int slot = 0; slot < kCategoryCount; ++slot) {
    if (slot == category_slot) continue;
    const Lane& lane = queue.lane(queue.ServiceLane(service, slot));
    if (lane.size == 0) continue;
    const int64_t before =
        wait_since + (rules.category(slot).boost_ms - boost) * 100 / ageing;
    // Counted to the minute: exact enough for a customer's estimate, and it
    // keeps issuing O(1) however long the lanes grow.
    ahead += queue.ticket(lane.tail).wait_since_ms < before
                 ? lane.size
                 : lane.waits.CountBefore(before);
  }
  return static_cast<int32_t>(std::min<int64_t>(ahead, INT32_MAX));
}

int32_t WaitEstimator::PeopleAhead(uint32_t id) const {
  const TicketQueue& queue = hall_.queue;
  const TicketSlot& t = queue.ticket(id);
  int64_t position = 0;
  for (uint32_t u = queue.lane(t.lane).head; u != id;
       u = queue.ticket(u).next) {
    ++position;
  }
  if (!queue.IsServiceLane(t.lane)) return static_cast<int32_t>(position);
  return PeopleAheadInService(t.queue_service, t.category_slot, t.wait_since_ms,
                              position);
}

// Replays the dispatch rule forward for one ticket: each window calls when
// it is free and holds its customer for the service's mean handling time;
// a customer already at a window, for the expected rest given how long the
// handling has lasted and how spread the day's handling times are
// (HandlingFit).
// Ageing, weights, priority interleave and transfers to a window then split
// shared windows the way they will really be split, which no share formula
// gets right (docs/staffing.md). Customers still to come join at the recent
// rates, one every 1/rate: walk-ins of the other services, who on a shared
// window weighted 2:1 go first once they have waited half as long, and
// customers transferred into the target's service, who go to the head of
// its line. (Its own normal walk-ins queue behind the target. Not modelled:
// priority walk-ins, which go ahead of normal tickets, and transfers placed
// other than first; modelling the ticket's own service's priority walk-ins
// changed nothing measurable on the demo day, docs/staffing.md.)
class WaitEstimator::Projection {
 public:
  // `target` waits in `target_slot.lane`; kNoTicket: `target_slot`, not issued
  // yet, at that lane's end.
  Projection(const HallParts& hall, uint32_t target,
             const TicketSlot& target_slot, int64_t now);

  struct Projected {
    // When the target is called, in ms from now; or, when kMaxProjectedCalls
    // calls did not reach it, how far they went (it waits at least that).
    int64_t ms = 0;
    bool called = false;
  };
  // nullopt when no open window ever reaches the target.
  std::optional<Projected> CallMs();

 private:
  static constexpr uint32_t kTarget =
      kNoTicket - 1;  // A ticket not issued yet.

  // What a window that is free at some time does.
  struct Step {
    enum Kind { kCallsTarget, kHolds, kWaitsUntil, kStops } kind;
    int64_t ms = 0;  // Held for, or waits until.
  };
  Step Call(int window, int64_t at);
  uint32_t HeadOf(uint32_t lane) const;
  const TicketSlot& SlotOf(uint32_t id) const;
  bool ServesTarget(int window) const;
  uint32_t ComingId(size_t service) const {
    return kTarget - 1 - static_cast<uint32_t>(service);
  }
  size_t ComingService(uint32_t id) const { return kTarget - 1 - id; }

  const HallParts& hall_;
  const uint32_t target_lane_;
  const uint32_t wanted_;
  const TicketSlot& target_slot_;
  const int64_t now_;
  const int normal_ = CategorySlot(v1::CATEGORY_NORMAL);
  int64_t clock_ms_;
  std::vector<uint32_t> heads_;  // Of every lane, as the calls go on.
  std::vector<int> streaks_;     // Priority streak of every window.
  // The next customer to come of each service (of the target's, the next
  // transfer), and the gap between them; 0: none expected.
  std::vector<TicketSlot> coming_;
  std::vector<int64_t> gaps_ms_;
  uint32_t first_coming_;
  // A window the advice will have opened, where clerks follow it.
  std::optional<StaffingAdvisor::Opening> opening_;
};

WaitEstimator::Projection::Projection(const HallParts& hall, uint32_t target,
                                      const TicketSlot& target_slot,
                                      int64_t now)
    : hall_(hall),
      target_lane_(target_slot.lane),
      wanted_(target == kNoTicket ? kTarget : target),
      target_slot_(target_slot),
      now_(now),
      clock_ms_(now),
      heads_(hall.queue.lane_count()),
      streaks_(hall.board.size()) {
  for (size_t l = 0; l < heads_.size(); ++l) {
    heads_[l] = hall.queue.lane(static_cast<uint32_t>(l)).head;
  }
  if (wanted_ == kTarget && heads_[target_lane_] == kNoTicket) {
    heads_[target_lane_] = kTarget;
  }
  for (size_t w = 0; w < streaks_.size(); ++w) {
    streaks_[w] = hall.board.window(static_cast<int>(w)).priority_streak;
  }
  // A walk-in not issued yet counts as issued, so the estimate a board
  // shows for the next walk-in is the one their ticket then gets.
  std::vector<double> transfers_in;
  const std::vector<double> arrivals = hall.stats.ArrivalsPerSecond(
      hall.queue, hall.DayStartMs(), now, &transfers_in,
      target == kNoTicket ? target_slot.service : -1);
  if (hall.queue.IsServiceLane(target_slot.lane)) {
    opening_ = hall.advisor.ExpectedOpening(
        hall, now, arrivals, target_slot.queue_service, target == kNoTicket);
  }
  const size_t services = hall.rules.services().size();
  coming_.resize(services);
  gaps_ms_.resize(services);
  first_coming_ = kTarget - static_cast<uint32_t>(services);
  for (size_t s = 0; s < services; ++s) {
    const bool transfer = static_cast<int>(s) == target_slot.queue_service;
    const double per_second = transfer ? transfers_in[s] : arrivals[s];
    gaps_ms_[s] = per_second > 0
                      ? std::max<int64_t>(1, std::llround(1000 / per_second))
                      : 0;
    TicketSlot& next = coming_[s];
    next.queue_service = static_cast<uint16_t>(s);
    next.category_slot = static_cast<uint8_t>(normal_);
    next.issued_at_ms = now + gaps_ms_[s];
    // A transfer has waited and been served once already; its age counts.
    next.wait_since_ms =
        next.issued_at_ms -
        (transfer ? hall.stats.mean_handling_ms(static_cast<int>(s)) : 0);
  }
}

bool WaitEstimator::Projection::ServesTarget(int w) const {
  if (!hall_.queue.IsServiceLane(target_lane_)) {
    return target_lane_ == hall_.queue.DirectLane(w);
  }
  for (const ServedService& served : hall_.rules.windows()[w].serves) {
    if (served.service == target_slot_.queue_service) return true;
  }
  return false;
}

uint32_t WaitEstimator::Projection::HeadOf(uint32_t lane) const {
  if (hall_.queue.IsServiceLane(lane) &&
      static_cast<int>(lane % kCategoryCount) == normal_) {
    const size_t s = lane / kCategoryCount;
    const bool arrived =
        gaps_ms_[s] > 0 && coming_[s].issued_at_ms <= clock_ms_;
    if (arrived && (static_cast<int>(s) == target_slot_.queue_service ||
                    heads_[lane] == kNoTicket)) {
      return ComingId(s);
    }
  }
  return heads_[lane];
}

const TicketSlot& WaitEstimator::Projection::SlotOf(uint32_t id) const {
  if (id == kTarget) return target_slot_;
  if (id >= first_coming_) return coming_[ComingService(id)];
  return hall_.queue.ticket(id);
}

WaitEstimator::Projection::Step WaitEstimator::Projection::Call(int w,
                                                                int64_t at) {
  clock_ms_ = at;
  const uint32_t id = PickFrom(
      hall_.rules, hall_.queue, w, at, streaks_[w],
      [this](uint32_t lane) { return HeadOf(lane); },
      [this](uint32_t ticket) -> const TicketSlot& { return SlotOf(ticket); });
  if (id == wanted_) return {Step::kCallsTarget};
  if (id == kNoTicket) {
    // Nobody this window serves is left ahead: it waits for the next
    // customer to come that it serves, if any is expected.
    int64_t wake_ms = INT64_MAX;
    for (const ServedService& served : hall_.rules.windows()[w].serves) {
      if (gaps_ms_[served.service] > 0) {
        wake_ms = std::min(wake_ms, coming_[served.service].issued_at_ms);
      }
    }
    if (wake_ms == INT64_MAX) return {Step::kStops};
    return {Step::kWaitsUntil, std::max(wake_ms, at)};
  }
  if (id >= first_coming_) {
    const size_t s = ComingService(id);
    coming_[s].issued_at_ms += gaps_ms_[s];
    coming_[s].wait_since_ms += gaps_ms_[s];
    streaks_[w] = 0;
    return {Step::kHolds, hall_.stats.mean_handling_ms(static_cast<int>(s))};
  }
  const TicketSlot& t = hall_.queue.ticket(id);
  streaks_[w] =
      hall_.rules.category(t.category_slot).priority ? streaks_[w] + 1 : 0;
  if (t.next != kNoTicket) {
    heads_[t.lane] = t.next;
  } else {
    heads_[t.lane] =
        t.lane == target_lane_ && wanted_ == kTarget ? kTarget : kNoTicket;
  }
  return {Step::kHolds, hall_.stats.mean_handling_ms(t.queue_service)};
}

std::optional<WaitEstimator::Projection::Projected>
WaitEstimator::Projection::CallMs() {
  // Windows that hold a customer free up one after another at their joint
  // rate, the sum of 1 / (expected rest of each one's customer), as if each
  // rest were exponential (exact for c² = 1; with regular handling the
  // first free window comes somewhat later than this): with five windows
  // busy the first is free after a fifth of a handling time, as in M/M/s,
  // not after a whole one. The one expected to finish first is the
  // one that frees up, and takes its next customer back into the pool, so a
  // window that just started a long customer does not free up again soon.
  // Windows that can call the target form one pool, the others another.
  struct Busy {
    int64_t done_ms;  // When its customer is expected to be done.
    double rate;      // 1 / the customer's expected rest then, per ms.
    int window;
    bool operator>(const Busy& o) const {
      return done_ms != o.done_ms ? done_ms > o.done_ms : window > o.window;
    }
  };
  struct Pool {
    std::vector<Busy> windows;  // A min-heap by done_ms.
    double rate = 0;
    double next_ms = 0;  // When the next of them frees up.
  };
  std::array<Pool, 2> pools;  // [0]: can call the target; [1]: cannot.
  struct Waiting {
    int64_t at_ms;
    int window;
    bool operator>(const Waiting& o) const {
      return at_ms != o.at_ms ? at_ms > o.at_ms : window > o.window;
    }
  };
  std::vector<Waiting> waiting;  // Idle until a customer comes; a min-heap.
  int waiting_for_target = 0;    // Of those, the ones that can call it.
  const auto join = [&](int w, double at_ms, double rest_ms) {
    Pool& pool = pools[ServesTarget(w) ? 0 : 1];
    const double rate = 1 / rest_ms;
    pool.windows.push_back({RoundMs(at_ms + rest_ms), rate, w});
    std::push_heap(pool.windows.begin(), pool.windows.end(),
                   std::greater<Busy>());
    pool.rate += rate;
    // One more window can only bring the next free one closer.
    pool.next_ms = pool.windows.size() == 1
                       ? at_ms + 1 / pool.rate
                       : std::min(pool.next_ms, at_ms + 1 / pool.rate);
  };
  // Idle windows call at once; windows busy now are done in the expected
  // rest of their customer's handling, given how long it has lasted. (A
  // window still calling has its customer's whole handling ahead: handling
  // counts from StartServing.)
  for (int w = 0; w < static_cast<int>(hall_.board.size()); ++w) {
    const WindowSlot& window = hall_.board.window(w);
    if (window.state == v1::WINDOW_STATE_IDLE) {
      const Step step = Call(w, now_);
      if (step.kind == Step::kCallsTarget) return Projected{0, true};
      if (step.kind == Step::kHolds) {
        join(w, static_cast<double>(now_),
             static_cast<double>(std::max<int64_t>(1, step.ms)));
      } else if (step.kind == Step::kWaitsUntil) {
        waiting.push_back({step.ms, w});
        waiting_for_target += ServesTarget(w) ? 1 : 0;
      }
    } else if (window.ticket != kNoTicket &&
               (window.state == v1::WINDOW_STATE_CALLING ||
                window.state == v1::WINDOW_STATE_SERVING)) {
      join(w, static_cast<double>(now_),
           hall_.stats
               .handling_fit(hall_.queue.ticket(window.ticket).queue_service)
               .RemainingMs(window.state == v1::WINDOW_STATE_SERVING
                                ? static_cast<double>(now_ - window.since_ms)
                                : 0));
    }
  }
  if (opening_ && !CountsAsOpen(hall_.board.window(opening_->window).state) &&
      ServesTarget(opening_->window)) {
    waiting.push_back({opening_->at_ms, opening_->window});
    ++waiting_for_target;
  }
  std::make_heap(waiting.begin(), waiting.end(), std::greater<Waiting>());
  for (int calls = 0; calls < kMaxProjectedCalls; ++calls) {
    // With no window left that can call the target, the others calling
    // their own customers say nothing about it.
    if (pools[0].windows.empty() && waiting_for_target == 0) {
      return std::nullopt;
    }
    // The earliest of: a pool's next free window, a waiting window's wake.
    Pool* pool = nullptr;
    for (Pool& p : pools) {
      if (!p.windows.empty() &&
          (pool == nullptr || p.next_ms < pool->next_ms)) {
        pool = &p;
      }
    }
    int w = 0;
    int64_t at_ms = pool != nullptr ? RoundMs(pool->next_ms) : 0;
    if (pool != nullptr &&
        (waiting.empty() || at_ms <= waiting.front().at_ms)) {
      std::pop_heap(pool->windows.begin(), pool->windows.end(),
                    std::greater<Busy>());
      w = pool->windows.back().window;
      pool->rate -= pool->windows.back().rate;
      pool->windows.pop_back();
      if (pool->windows.empty()) {
        pool->rate = 0;  // No rounding left over for the next to join.
      } else {
        pool->next_ms += 1 / pool->rate;
      }
    } else if (!waiting.empty()) {
      std::pop_heap(waiting.begin(), waiting.end(), std::greater<Waiting>());
      w = waiting.back().window;
      at_ms = waiting.back().at_ms;
      waiting.pop_back();
      waiting_for_target -= ServesTarget(w) ? 1 : 0;
    }
    const Step step = Call(w, at_ms);
    if (step.kind == Step::kCallsTarget) return Projected{at_ms - now_, true};
    if (step.kind == Step::kHolds) {
      join(w, static_cast<double>(at_ms),
           static_cast<double>(std::max<int64_t>(1, step.ms)));
    } else if (step.kind == Step::kWaitsUntil) {
      waiting.push_back({step.ms, w});
      std::push_heap(waiting.begin(), waiting.end(), std::greater<Waiting>());
      waiting_for_target += ServesTarget(w) ? 1 : 0;
    }
  }
  if (pools[0].windows.empty() && waiting_for_target == 0) return std::nullopt;
  return Projected{clock_ms_ - now_, false};
}

int64_t WaitEstimator::EstimateWaitSeconds(uint32_t target,
                                           const TicketSlot& target_slot,
                                           int32_t people_ahead,
                                           int64_t now) const {
  const int service = target_slot.queue_service;
  const int idle_windows = hall_.board.idle_windows(service);
  if (people_ahead < idle_windows &&
      hall_.queue.IsServiceLane(target_slot.lane)) {
    return 0;
  }
  int64_t at_least_ms = 0;
  if (people_ahead <= kMaxProjectedAhead) {
    const std::optional<Projection::Projected> projected =
        Projection(hall_, target, target_slot, now).CallMs();
    if (projected && projected->called) {
      return std::clamp<int64_t>(projected->ms / 1000, 0, kMaxEstimateSeconds);
    }
    if (projected) at_least_ms = projected->ms;
  }
  // Too many ahead to replay every call (a long line's wait is its length
  // over the rate anyway), the replay's calls ran out (then at least as
  // long as they went), or no open window reaches the lane: the people
  // ahead plus one cleared at the rate of the window time this service
  // gets. With no window open it assumes one window, so the figure stays
  // finite and pessimistic.
  const int64_t open_share =
      hall_.board.OpenShareNow(hall_.rules, hall_.queue, service);
  const int64_t share = open_share > 0 ? open_share : 1000;
  const int64_t to_clear =
      std::max<int64_t>(0, people_ahead - idle_windows) + 1;
  const int64_t ms =
      std::max(at_least_ms,
               to_clear * hall_.stats.mean_handling_ms(service) * 1000 / share);
  return std::clamp<int64_t>(ms / 1000, 0, kMaxEstimateSeconds);
}

int64_t WaitEstimator::EstimateNewTicketWaitSeconds(int service,
                                                    int32_t people_ahead,
                                                    int64_t now) const {
  TicketSlot walk_in;
  walk_in.issued_at_ms = now;
  walk_in.wait_since_ms = now;
  walk_in.service = static_cast<uint16_t>(service);
  walk_in.queue_service = walk_in.service;
  walk_in.category_slot =
      static_cast<uint8_t>(CategorySlot(v1::CATEGORY_NORMAL));
  walk_in.lane = hall_.queue.ServiceLane(service, walk_in.category_slot);
  return EstimateWaitSeconds(kNoTicket, walk_in, people_ahead, now);
}

}  // namespace qcall
