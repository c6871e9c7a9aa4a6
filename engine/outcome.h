// Outcome is what one Hall::Apply produced: the command's result and the
// events it emitted. It owns event recycling: one Outcome reused across calls
// keeps its messages and their strings, so the hot path allocates nothing.
// EventLog numbers the events; a hall owns one, and every part of the hall
// that announces a change emits through it.
//
//   Outcome out;                 // Reused for every command.
//   EventLog log;                // The hall's; last_seq() is in its snapshot.
//   out.Reset();                 // Apply does this first.
//   v1::HallEvent* e = log.Emit(v1::HallEvent::kDayStarted, now_ms, &out);
//   e->mutable_day_started()->set_business_day(20260105);
//   // out.events() holds it, with seq == log.last_seq().
#ifndef QCALL_ENGINE_OUTCOME_H_
#define QCALL_ENGINE_OUTCOME_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/types/span.h"
#include "qcall/v1/engine.pb.h"

namespace qcall {

class Outcome {
 public:
  // What callers read; valid until the Outcome is used again.
  const v1::CommandResult& result() const { return result_; }
  absl::Span<const v1::HallEvent> events() const {
    return absl::MakeConstSpan(events_.data(), count_);
  }

  // What the engine writes.
  // Forgets the last command's result and events, keeping their memory.
  void Reset();
  v1::CommandResult* mutable_result() { return &result_; }
  // The result's ticket, reusing the last command's ticket message.
  v1::Ticket* mutable_result_ticket();
  // The next event, holding a cleared `kind`, reusing an earlier event of
  // that kind and its strings where there is one. EventLog numbers it.
  v1::HallEvent* AddEvent(v1::HallEvent::KindCase kind);
  // The event added last, or null before the first.
  v1::HallEvent* last_event() {
    return count_ == 0 ? nullptr : &events_[count_ - 1];
  }

 private:
  v1::CommandResult result_;
  std::unique_ptr<v1::Ticket> spare_ticket_;
  std::vector<v1::HallEvent> events_;  // The first count_ are current.
  size_t count_ = 0;
};

// The hall's event numbering: gapless sequence numbers across commands.
class EventLog {
 public:
  EventLog() = default;
  explicit EventLog(uint64_t last_seq) : last_seq_(last_seq) {}

  // The next event of `kind`, numbered and stamped with `now_ms`.
  v1::HallEvent* Emit(v1::HallEvent::KindCase kind, int64_t now_ms,
                      Outcome* out) {
    v1::HallEvent* event = out->AddEvent(kind);
    event->set_seq(++last_seq_);
    event->set_at_unix_ms(now_ms);
    return event;
  }
  uint64_t last_seq() const { return last_seq_; }

 private:
  uint64_t last_seq_ = 0;
};

}  // namespace qcall

#endif  // QCALL_ENGINE_OUTCOME_H_
