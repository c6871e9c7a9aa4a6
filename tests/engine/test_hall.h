// Helpers for engine tests: a small telecom hall and terse command builders.
//
//   TestHall h(SmallHallConfig());
//   h.Ok(OpenWindow(1, "c1"));
//   h.Ok(Issue("BILL"));
//   EXPECT_EQ(h.Ok(CallNext(1)).result().ticket().number(), "A001");
#ifndef QCALL_TESTS_ENGINE_TEST_HALL_H_
#define QCALL_TESTS_ENGINE_TEST_HALL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "engine/hall.h"
#include "qcall/v1/engine.pb.h"
#include "qcall/v1/hall_config.pb.h"

namespace qcall::testing {

absl::TimeZone LoadZone(absl::string_view name);

// Two services (BILL "A", SIM "B"), windows 1-4 (1, 2 serve both, 3 only
// BILL, 4 only SIM), minimum 2 open, open 08:30-18:00 every day, Shanghai.
v1::HallConfig SmallHallConfig();
// SmallHallConfig with a complaint service, CMPL (tickets T001...), that
// window 1 serves.
v1::HallConfig ComplaintHallConfig();

// SmallHallConfig varied by `seed % 3`: 0 as is; 1 with a no-show timeout
// and tighter requeue, recall and interleave limits; 2 with ageing, weights,
// a second standby clerk and a minimum of 3 (the random sequences and the
// command fuzzer cover each).
v1::HallConfig VariedHallConfig(uint64_t seed);

// The given local time on Friday 2026-11-27 in Shanghai.
absl::Time ShanghaiTime(int hour, int minute, int second = 0);

// `phone`, when given, rides as the unknown field 4 of IssueTicket: a
// command from a journal written before phones were kept apart, which the
// engine must never show.
v1::Command Issue(absl::string_view service,
                  v1::Category category = v1::CATEGORY_NORMAL,
                  absl::string_view phone = "");
// The phone of such a legacy IssueTicket (field 4, now reserved), or "".
void SetLegacyPhone(absl::string_view phone, v1::Command::IssueTicket* issue);
std::string LegacyPhone(const v1::Command::IssueTicket& issue);
v1::Command OpenWindow(int window, absl::string_view clerk);
v1::Command CloseWindow(int window, absl::string_view supervisor = "");
v1::Command PauseWindow(int window, absl::string_view reason,
                        absl::string_view supervisor = "");
v1::Command ResumeWindow(int window);
v1::Command CallNext(int window);
v1::Command CallTicket(int window, absl::string_view ticket);
v1::Command Recall(int window);
v1::Command Start(int window);
v1::Command Complete(int window, int rating = 0);
v1::Command NoShow(int window);
// `window` 0: any window's no-show may return (a supervisor's requeue).
v1::Command Requeue(absl::string_view ticket, int window = 0);
v1::Command TransferToService(int window, absl::string_view service,
                              v1::Placement placement);
v1::Command TransferToWindow(int window, int to_window,
                             v1::Placement placement);
v1::Command Cancel(absl::string_view ticket);
v1::Command Void(absl::string_view ticket, absl::string_view reason,
                 absl::string_view supervisor);
v1::Command SetMin(int min, absl::string_view supervisor);
v1::Command WindowLost(int window);
// A tick with the advice of journals before the steady advice.
v1::Command Tick();
// A tick of the steady advice on one window (qcalld's before sets).
v1::Command SteadyTick();
// A tick as qcalld's: the steady advice on sets of windows.
v1::Command SetsTick();
v1::Command DismissAdvice(int open_window, int close_window);
// The evaluator pad's rating; follow-ups and complaint cases.
v1::Command Rate(int window, absl::string_view ticket, int level,
                 absl::string_view reason = "");
v1::Command CloseFollowUp(uint32_t id, absl::string_view text,
                          absl::string_view supervisor);
// `window` 0 with a supervisor; day 0 is today.
v1::Command CallBack(absl::string_view ticket, int window,
                     absl::string_view supervisor = "", int32_t day = 0);
v1::Command Resolve(absl::string_view ticket, int window,
                    absl::string_view resolution,
                    absl::string_view supervisor = "", int32_t day = 0);

// A hall plus a clock the test moves by hand.
class TestHall {
 public:
  explicit TestHall(const v1::HallConfig& config,
                    absl::Time start = ShanghaiTime(9, 0));

  // Applies and fails the test unless the status is OK.
  const Hall::Outcome& Ok(const v1::Command& command);
  // Applies and returns the status.
  absl::Status Try(const v1::Command& command);
  void Advance(absl::Duration d) { now_ += d; }
  absl::Time now() const { return now_; }
  void set_now(absl::Time t) { now_ = t; }
  Hall& hall() { return hall_; }
  const Hall::Outcome& last() const { return out_; }
  // Every event emitted so far, in order.
  const std::vector<v1::HallEvent>& events() const { return events_; }

 private:
  absl::Time now_;
  Hall hall_;
  Hall::Outcome out_;
  std::vector<v1::HallEvent> events_;
};

}  // namespace qcall::testing

#endif  // QCALL_TESTS_ENGINE_TEST_HALL_H_
