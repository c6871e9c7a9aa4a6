// FeedbackBook owns what customers say about the hall: the ticket each
// window completed last while its evaluator pad may still rate it, the
// follow-up items (整改) that bad ratings open until a supervisor closes them,
// and the complaint cases (投诉: 首问责任制, 限时办结) with their deadline
// alarms. Cases and follow-ups name their ticket by business day and number,
// never by id, so they outlive the day rollover that renumbers ids.
//
//   FeedbackBook book(rules);
//   book.NoteCompleted(w, ratable);                        // On Complete.
//   RETURN_IF_ERROR(book.Rate(c, w, rules, &log, now, &out));
//   book.OpenCase(new_case, &log, now, &out);              // First serve.
//   book.CheckCases(rules, tz, &log, now, &out);           // On a tick.
#ifndef QCALL_ENGINE_FEEDBACK_BOOK_H_
#define QCALL_ENGINE_FEEDBACK_BOOK_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "engine/hall_rules.h"
#include "engine/outcome.h"
#include "qcall/v1/engine.pb.h"

namespace qcall {

class FeedbackBook {
 public:
  using Ratable = v1::HallState::Ratable;

  explicit FeedbackBook(const HallRules& rules);

  // Window `w` completed a ticket: the pad may rate it until the next
  // completion there or rating_ms after this one.
  void NoteCompleted(int w, Ratable ratable);
  // The pad's rating at window `w` (checked to exist); opens a follow-up
  // item for levels 1-2. Refuses, changing nothing, a level outside 1-5, a
  // reason missing or not the hall's for a bad rating or given for a good
  // one, a ticket not the window's last completed, rated already, or late.
  absl::Status Rate(const v1::Command::RateTicket& c, int w,
                    const HallRules& rules, EventLog* log, int64_t now,
                    Outcome* out);
  absl::Status CloseFollowUp(const v1::Command::CloseFollowUp& c, EventLog* log,
                             int64_t now, Outcome* out);

  // A case of a ticket that had none, state OPEN.
  void OpenCase(v1::ComplaintCase c, EventLog* log, int64_t now, Outcome* out);
  // `window_clerk`: the clerk now at the window the command names, or null
  // when it names none. The owner at a window, or a supervisor, may act.
  absl::Status CallBack(const v1::Command::CallBackComplaint& c, int32_t today,
                        const std::string* window_clerk, EventLog* log,
                        int64_t now, Outcome* out);
  absl::Status Resolve(const v1::Command::ResolveComplaint& c, int32_t today,
                       const std::string* window_clerk, EventLog* log,
                       int64_t now, Outcome* out);
  // Raises "due soon" and "overdue" on the open cases as their time comes.
  void CheckCases(const HallRules& rules, absl::TimeZone tz, EventLog* log,
                  int64_t now, Outcome* out);

  // Into the snapshot: window numbers from `rules`.
  void Save(const HallRules& rules, v1::HallState* state) const;
  // Checks what it trusts: DATA_LOSS saying what does not hold.
  absl::Status Restore(const HallRules& rules, const v1::HallState& state);
  // Open follow-ups, unresolved cases and the cases' raised alarms.
  void AddViews(absl::TimeZone tz, v1::HallView* view) const;

  size_t open_follow_ups() const { return follow_ups_.size(); }
  size_t open_cases() const { return cases_.size(); }

 private:
  // The case of (ticket, day), day 0 meaning `today`; NOT_FOUND otherwise.
  absl::StatusOr<size_t> FindCase(absl::string_view ticket, int32_t day,
                                  int32_t today) const;
  // Whether the caller may act on case `i`: a supervisor, or its owner at a
  // window.
  absl::Status MayAct(size_t i, absl::string_view supervisor_id,
                      const std::string* window_clerk) const;
  void EmitCase(const v1::ComplaintCase& c, EventLog* log, int64_t now,
                Outcome* out) const;
  static void FillAlarm(v1::HallEvent::Alarm::Kind kind, bool raised,
                        const v1::ComplaintCase& c, absl::TimeZone tz,
                        v1::HallEvent::Alarm* alarm);

  // By window index; `ticket` empty where the window completed none.
  std::vector<Ratable> ratables_;
  std::vector<v1::FollowUp> follow_ups_;  // Open, oldest first.
  uint32_t last_follow_up_id_ = 0;
  std::vector<v1::ComplaintCase> cases_;  // Unresolved, oldest first.
};

}  // namespace qcall

#endif  // QCALL_ENGINE_FEEDBACK_BOOK_H_
