#include "engine/alarm_book.h"

#include <algorithm>
#include <cstdlib>
#include <utility>

#include "engine/hall_texts.h"

namespace qcall {
namespace {

using Alarm = v1::HallEvent::Alarm;

bool IsServiceAlarm(Alarm::Kind kind) {
  return kind == Alarm::KIND_WAIT_OVER_TARGET ||
         kind == Alarm::KIND_QUEUE_GROWING ||
         kind == Alarm::KIND_NO_WINDOW_SERVES;
}

bool IsWindowAlarm(Alarm::Kind kind) {
  return kind == Alarm::KIND_HANDLING_OVER_TARGET ||
         kind == Alarm::KIND_WINDOW_LOST || kind == Alarm::KIND_WINDOW_IDLE;
}

// Since when window `w` could have called someone: the later of its
// becoming idle and the oldest wait among the lanes it serves; -1 when
// nobody it serves waits.
int64_t IdleWithCustomersSince(int w, const HallRules& rules,
                               const TicketQueue& queue,
                               const WindowBoard& board) {
  int64_t oldest = -1;
  const auto consider = [&](uint32_t lane_index) {
    const Lane& lane = queue.lane(lane_index);
    if (lane.head == kNoTicket) return;
    const int64_t since = queue.ticket(lane.head).wait_since_ms;
    if (oldest < 0 || since < oldest) oldest = since;
  };
  consider(queue.DirectLane(w));
  for (const ServedService& served : rules.windows()[w].serves) {
    for (int slot = 0; slot < kCategoryCount; ++slot) {
      consider(queue.ServiceLane(served.service, slot));
    }
  }
  if (oldest < 0) return -1;
  return std::max(oldest, board.window(w).since_ms);
}

}  // namespace

AlarmBook::AlarmBook(const HallRules& rules)
    : services_(rules.services().size()), windows_(rules.windows().size()) {}

bool* AlarmBook::flag(Alarm::Kind kind, int index) {
  switch (kind) {
    case Alarm::KIND_BELOW_MIN_OPEN:
      return &below_min_;
    case Alarm::KIND_WAIT_OVER_TARGET:
      return &services_[index].wait;
    case Alarm::KIND_QUEUE_GROWING:
      return &services_[index].growing;
    case Alarm::KIND_HANDLING_OVER_TARGET:
      return &windows_[index].handling;
    case Alarm::KIND_WINDOW_LOST:
      return &windows_[index].lost;
    case Alarm::KIND_NO_WINDOW_SERVES:
      return &services_[index].no_window;
    case Alarm::KIND_WINDOW_IDLE:
      return &windows_[index].idle;
    default:
      break;
  }
  std::abort();  // The hall raises only these.
}

bool AlarmBook::raised(Alarm::Kind kind, int index) const {
  return *const_cast<AlarmBook*>(this)->flag(kind, index);
}

bool AlarmBook::Set(Alarm::Kind kind, int index, bool raised,
                    const HallRules& rules, const WindowBoard& board,
                    EventLog* log, int64_t now, Outcome* out) {
  bool* f = flag(kind, index);
  if (*f == raised) return false;
  *f = raised;
  Fill(kind, raised, rules, board, index,
       log->Emit(v1::HallEvent::kAlarm, now, out)->mutable_alarm());
  return true;
}

void AlarmBook::Fill(Alarm::Kind kind, bool raised, const HallRules& rules,
                     const WindowBoard& board, int index, Alarm* alarm) {
  const int service = IsServiceAlarm(kind) ? index : -1;
  const int w = IsWindowAlarm(kind) ? index : -1;
  Build(kind, raised, service >= 0 ? &rules.services()[service].code : nullptr,
        w >= 0 ? rules.windows()[w].number : 0,
        AlarmText(kind, rules, service, w, board.min_open_windows(),
                  board.open_windows()),
        alarm);
}

void AlarmBook::Build(Alarm::Kind kind, bool raised,
                      const std::string* service_code, int32_t window,
                      std::string message, Alarm* alarm) {
  alarm->set_kind(kind);
  alarm->set_raised(raised);
  if (service_code != nullptr) alarm->set_service_code(*service_code);
  if (window != 0) alarm->set_window(window);
  alarm->set_message(std::move(message));
}

void AlarmBook::EmitWindowRemoved(int32_t number, EventLog* log, int64_t now,
                                  Outcome* out) {
  Build(Alarm::KIND_WINDOW_LOST, false, nullptr, number,
        WindowRemovedText(number),
        log->Emit(v1::HallEvent::kAlarm, now, out)->mutable_alarm());
}

void AlarmBook::CheckHandling(int w, const HallRules& rules,
                              const TicketQueue& queue,
                              const WindowBoard& board, EventLog* log,
                              int64_t now, Outcome* out) {
  const WindowSlot& window = board.window(w);
  if (window.state != v1::WINDOW_STATE_SERVING || windows_[w].handling) return;
  const int64_t target =
      rules.services()[queue.ticket(window.ticket).queue_service]
          .target_handling_ms;
  if (target > 0 && now - window.since_ms > target) {
    Set(Alarm::KIND_HANDLING_OVER_TARGET, w, true, rules, board, log, now, out);
  }
}

void AlarmBook::CheckWaits(const HallRules& rules, const TicketQueue& queue,
                           const WindowBoard& board, EventLog* log, int64_t now,
                           Outcome* out) {
  for (size_t i = 0; i < services_.size(); ++i) {
    const int s = static_cast<int>(i);
    const int64_t target = rules.services()[i].target_wait_ms;
    if (target <= 0) continue;
    bool over = false;
    for (int slot = 0; slot < kCategoryCount; ++slot) {
      const Lane& lane = queue.lane(queue.ServiceLane(s, slot));
      over = over || (lane.head != kNoTicket &&
                      now - queue.ticket(lane.head).wait_since_ms > target);
    }
    Set(Alarm::KIND_WAIT_OVER_TARGET, s, over, rules, board, log, now, out);
  }
}

void AlarmBook::CheckGrowing(int service, double load, double capacity,
                             int32_t waiting, bool steady, bool advised,
                             const HallRules& rules, const WindowBoard& board,
                             EventLog* log, int64_t now, Outcome* out) {
  // Cleared below 90 % of the capacity or when nobody waits, so it does not
  // flicker.
  ServiceAlarms& alarms = services_[service];
  bool growing = alarms.growing ? waiting > 0 && load >= 0.9 * capacity
                                : waiting > std::max(1.0, capacity) &&
                                      load >= capacity && load > 0;
  if (steady && growing && !alarms.growing &&
      ((alarms.growing_cleared_at_ms > 0 &&
        now - alarms.growing_cleared_at_ms < kGrowingQuietMs) ||
       advised)) {
    growing = false;
  }
  if (Set(Alarm::KIND_QUEUE_GROWING, service, growing, rules, board, log, now,
          out) &&
      steady && !growing) {
    alarms.growing_cleared_at_ms = now;
  }
}

void AlarmBook::CheckServed(const HallRules& rules, const TicketQueue& queue,
                            const WindowBoard& board, EventLog* log,
                            int64_t now, Outcome* out) {
  for (size_t i = 0; i < services_.size(); ++i) {
    const int s = static_cast<int>(i);
    bool served = false;
    for (const int w : rules.windows_serving(s)) {
      served = served || CountsAsOpen(board.window(w).state);
    }
    Set(Alarm::KIND_NO_WINDOW_SERVES, s, !served && queue.waiting(s) > 0, rules,
        board, log, now, out);
  }
  const int64_t idle_limit = rules.policy().idle_window_alarm_ms;
  for (size_t i = 0; i < windows_.size(); ++i) {
    const int w = static_cast<int>(i);
    bool idle = false;
    if (idle_limit > 0 && board.window(w).state == v1::WINDOW_STATE_IDLE) {
      const int64_t since = IdleWithCustomersSince(w, rules, queue, board);
      idle = since >= 0 && now - since >= idle_limit;
    }
    Set(Alarm::KIND_WINDOW_IDLE, w, idle, rules, board, log, now, out);
  }
}

void AlarmBook::WindowOpened(int w, const HallRules& rules,
                             const WindowBoard& board, EventLog* log,
                             int64_t now, Outcome* out) {
  for (const ServedService& served : rules.windows()[w].serves) {
    Set(Alarm::KIND_NO_WINDOW_SERVES, served.service, false, rules, board, log,
        now, out);
  }
}

void AlarmBook::StartDay(const HallRules& rules, const WindowBoard& board,
                         EventLog* log, int64_t now, Outcome* out) {
  for (size_t s = 0; s < services_.size(); ++s) {
    const int i = static_cast<int>(s);
    Set(Alarm::KIND_WAIT_OVER_TARGET, i, false, rules, board, log, now, out);
    Set(Alarm::KIND_QUEUE_GROWING, i, false, rules, board, log, now, out);
    Set(Alarm::KIND_NO_WINDOW_SERVES, i, false, rules, board, log, now, out);
  }
  for (size_t w = 0; w < windows_.size(); ++w) {
    Set(Alarm::KIND_WINDOW_LOST, static_cast<int>(w), false, rules, board, log,
        now, out);
    Set(Alarm::KIND_WINDOW_IDLE, static_cast<int>(w), false, rules, board, log,
        now, out);
  }
}

void AlarmBook::Save(v1::HallState* state) const {
  state->set_below_min_alarm(below_min_);
  for (size_t s = 0; s < services_.size(); ++s) {
    v1::HallState::ServiceRecord* r =
        state->mutable_services(static_cast<int>(s));
    r->set_growing_alarm(services_[s].growing);
    r->set_growing_cleared_at_ms(services_[s].growing_cleared_at_ms);
    r->set_wait_alarm(services_[s].wait);
    r->set_no_window_alarm(services_[s].no_window);
  }
  for (size_t w = 0; w < windows_.size(); ++w) {
    v1::HallState::WindowRecord* r =
        state->mutable_windows(static_cast<int>(w));
    r->set_handling_alarm(windows_[w].handling);
    r->set_lost(windows_[w].lost);
    r->set_idle_alarm(windows_[w].idle);
  }
}

void AlarmBook::Restore(const v1::HallState& state) {
  below_min_ = state.below_min_alarm();
  for (size_t s = 0; s < services_.size(); ++s) {
    const v1::HallState::ServiceRecord& r = state.services(static_cast<int>(s));
    services_[s].growing = r.growing_alarm();
    services_[s].growing_cleared_at_ms = r.growing_cleared_at_ms();
    services_[s].wait = r.wait_alarm();
    services_[s].no_window = r.no_window_alarm();
  }
  for (size_t w = 0; w < windows_.size(); ++w) {
    const v1::HallState::WindowRecord& r = state.windows(static_cast<int>(w));
    windows_[w].handling = r.handling_alarm();
    windows_[w].lost = r.lost();
    windows_[w].idle = r.idle_alarm();
  }
}

void AlarmBook::AddViews(const HallRules& rules, const WindowBoard& board,
                         v1::HallView* view) const {
  if (below_min_) {
    Fill(Alarm::KIND_BELOW_MIN_OPEN, true, rules, board, -1,
         view->add_alarms());
  }
  for (size_t s = 0; s < services_.size(); ++s) {
    const int i = static_cast<int>(s);
    if (services_[s].wait) {
      Fill(Alarm::KIND_WAIT_OVER_TARGET, true, rules, board, i,
           view->add_alarms());
    }
    if (services_[s].growing) {
      Fill(Alarm::KIND_QUEUE_GROWING, true, rules, board, i,
           view->add_alarms());
    }
    if (services_[s].no_window) {
      Fill(Alarm::KIND_NO_WINDOW_SERVES, true, rules, board, i,
           view->add_alarms());
    }
  }
  for (size_t w = 0; w < windows_.size(); ++w) {
    const int i = static_cast<int>(w);
    if (windows_[w].handling) {
      Fill(Alarm::KIND_HANDLING_OVER_TARGET, true, rules, board, i,
           view->add_alarms());
    }
    if (windows_[w].lost) {
      Fill(Alarm::KIND_WINDOW_LOST, true, rules, board, i, view->add_alarms());
    }
    if (windows_[w].idle) {
      Fill(Alarm::KIND_WINDOW_IDLE, true, rules, board, i, view->add_alarms());
    }
  }
}

}  // namespace qcall
