// Randomized command sequences against the hall engine. Each sequence drives a
// small hall with every kind of command, sane and garbage, while time moves by
// seconds, minutes, across closing time and across the business day's start
// at local midnight in Shanghai. After every step the invariants of
// DESIGN.md are checked against the events, Snapshot() and View():
//
//   a. event sequence numbers are gapless, also across failed commands, each
//      event carries the command's time, and calls are announced in full;
//   b. a failed command changes nothing (unless a new business day began);
//      an outcome without events changes nothing either (what the journal
//      relies on);
//   c. numbers per (service, business day) are exactly 1..n, n only grows,
//      TicketIssued events count the same and TicketStatus agrees; a new day
//      expires exactly the waiting tickets and keeps only those at a window;
//   d. a ticket is held by at most one window, calling/serving windows hold
//      exactly one called/serving ticket and vice versa, no ticket gets a
//      first call twice without going back to waiting in between, recalls
//      and requeues stay within the policy, open-window counts agree;
//   e. a close or pause that takes the hall below its minimum during business
//      hours succeeds only with a supervisor override; a lost window below the
//      minimum opens a standby window when a standby clerk is free;
//   f. no phone number (a legacy command's unknown field 4) appears in an
//      event, a result, the view or the snapshot;
//   g. lanes and direct lanes hold exactly the waiting tickets, each once, and
//      the view's waiting counts agree;
//   j. alarms raised minus alarms cleared by events equal the view's alarms;
//   k. a board that only takes the waiting counts the events carry shows the
//      view's waiting count of every service after every command;
//
// At the end of each sequence:
//   h. a fresh hall given the same commands at the same times, and one given
//      only the commands whose outcome had events (the journal), emit
//      identical events and end in a byte-identical snapshot;
//   i. Snapshot at a random step, Restore, and continuing gives the same events
//      and final snapshot as never stopping.
//
// Reproduce one sequence with QCALL_RANDOM_SEED=<seed>; QCALL_RANDOM_SEQUENCES
// and QCALL_RANDOM_STEPS change the size of the run. QCALL_RANDOM_DIGEST=<file>
// writes every status, event, snapshot and view there, so two builds of the
// engine (a refactoring) can be compared byte for byte with cmp.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "engine/hall.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "gtest/gtest.h"
#include "qcall/v1/engine.pb.h"
#include "qcall/v1/hall_config.pb.h"
#include "tests/engine/hall_invariants.h"
#include "tests/engine/test_hall.h"

namespace qcall {
namespace {

using ::qcall::testing::Bytes;
using ::qcall::testing::Describe;
using ::qcall::testing::InvariantChecker;
using ::qcall::testing::LoadZone;
using ::qcall::testing::SmallHallConfig;
using ::qcall::testing::VariedHallConfig;
using Alarm = v1::HallEvent::Alarm;

constexpr int32_t kInt32Max = std::numeric_limits<int32_t>::max();
constexpr int32_t kInt32Min = std::numeric_limits<int32_t>::min();

int EnvInt(const char* name, int fallback) {
  const char* value = std::getenv(name);
  return value == nullptr ? fallback : std::atoi(value);
}

// ---------------------------------------------------------------------------
// Randomness

class Rng {
 public:
  explicit Rng(uint64_t seed) : gen_(seed) {}
  int Int(int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(gen_);
  }
  bool Chance(int percent) { return Int(0, 99) < percent; }
  template <typename T>
  T Pick(const std::vector<T>& values) {
    return values[static_cast<size_t>(
        Int(0, static_cast<int>(values.size()) - 1))];
  }

 private:
  std::mt19937_64 gen_;
};

absl::Time StartForSeed(uint64_t seed, absl::TimeZone tz) {
  static const int kStarts[][2] = {{8, 0},   {8, 25},  {9, 0}, {12, 0},
                                   {17, 45}, {23, 40}, {5, 0}};
  const auto& start = kStarts[seed % 7];
  return absl::FromCivil(absl::CivilSecond(2026, 11, 27, start[0], start[1], 0),
                         tz);
}

// Moves time forward: mostly seconds to minutes, sometimes right up to local
// midnight (the day start) or to just before opening or closing time.
absl::Time AdvanceTime(Rng& rng, absl::Time now, absl::TimeZone tz) {
  const int r = rng.Int(0, 999);
  if (r < 600) return now + absl::Seconds(rng.Int(0, 90));
  if (r < 900) {
    return now + absl::Seconds(rng.Int(60, 600)) +
           absl::Milliseconds(rng.Int(0, 999));
  }
  if (r < 960) return now + absl::Seconds(rng.Int(600, 3600));
  const absl::CivilDay today(absl::ToCivilSecond(now, tz));
  if (r < 975) {
    const absl::Time midnight =
        absl::FromCivil(absl::CivilSecond(today + 1), tz);
    return std::max(now, midnight - absl::Seconds(rng.Int(1, 120)));
  }
  const absl::Time edges[] = {
      absl::FromCivil(
          absl::CivilMinute(today.year(), today.month(), today.day(), 8, 30),
          tz),
      absl::FromCivil(
          absl::CivilMinute(today.year(), today.month(), today.day(), 18, 0),
          tz),
      absl::FromCivil(absl::CivilSecond(today + 1), tz) + absl::Minutes(510)};
  for (absl::Time edge : edges) {
    if (edge > now) return std::max(now, edge - absl::Seconds(rng.Int(1, 90)));
  }
  return now;
}

// ---------------------------------------------------------------------------
// Commands

class CommandGenerator {
 public:
  CommandGenerator(Rng* rng, const v1::HallConfig& config)
      : rng_(*rng), config_(&config) {}

  v1::Command Next(const v1::HallState& state, absl::Time now) {
    config_ = &state.config();
    v1::Command c;
    if (rng_.Chance(1)) return Notice();
    if (rng_.Chance(2)) return Booking(state, now);
    if (rng_.Chance(2)) return Acknowledge(state);
    if (rng_.Chance(14)) return Feedback(state);
    const int r = rng_.Int(0, 999);
    if (r < 150) {
      Issue(now, c.mutable_issue_ticket());
    } else if (r < 200) {
      auto* m = c.mutable_open_window();
      m->set_window(WindowRef(state, {v1::WINDOW_STATE_CLOSED}));
      m->set_clerk_id(Clerk());
    } else if (r < 235) {
      auto* m = c.mutable_close_window();
      m->set_window(
          WindowRef(state, {v1::WINDOW_STATE_IDLE, v1::WINDOW_STATE_PAUSED}));
      m->set_reason(Reason(false));
      MaybeOverride(m->mutable_override(), [&] { m->clear_override(); });
    } else if (r < 265) {
      auto* m = c.mutable_pause_window();
      m->set_window(WindowRef(state, {v1::WINDOW_STATE_IDLE}));
      m->set_reason(Reason(true));
      MaybeOverride(m->mutable_override(), [&] { m->clear_override(); });
    } else if (r < 295) {
      c.mutable_resume_window()->set_window(
          WindowRef(state, {v1::WINDOW_STATE_PAUSED}));
    } else if (r < 465) {
      c.mutable_call_next()->set_window(
          WindowRef(state, {v1::WINDOW_STATE_IDLE}));
    } else if (r < 495) {
      auto* m = c.mutable_call_ticket();
      m->set_window(WindowRef(state, {v1::WINDOW_STATE_IDLE}));
      m->set_ticket(TicketRef(state, v1::TICKET_STATE_WAITING));
    } else if (r < 525) {
      c.mutable_recall()->set_window(
          WindowRef(state, {v1::WINDOW_STATE_CALLING}));
    } else if (r < 625) {
      c.mutable_start_serving()->set_window(
          WindowRef(state, {v1::WINDOW_STATE_CALLING}));
    } else if (r < 725) {
      auto* m = c.mutable_complete();
      m->set_window(WindowRef(state, {v1::WINDOW_STATE_SERVING}));
      m->set_rating(Rating());
    } else if (r < 765) {
      c.mutable_no_show()->set_window(
          WindowRef(state, {v1::WINDOW_STATE_CALLING}));
    } else if (r < 800) {
      c.mutable_requeue()->set_ticket(
          TicketRef(state, v1::TICKET_STATE_NO_SHOW));
    } else if (r < 840) {
      Transfer(state, c.mutable_transfer());
    } else if (r < 860) {
      c.mutable_cancel_ticket()->set_ticket(
          TicketRef(state, rng_.Chance(50) ? v1::TICKET_STATE_WAITING
                                           : v1::TICKET_STATE_NO_SHOW));
    } else if (r < 880) {
      auto* m = c.mutable_void_ticket();
      m->set_ticket(TicketRef(state, v1::TICKET_STATE_WAITING));
      m->set_reason(rng_.Chance(85) ? "misprinted" : Reason(false));
      m->set_supervisor_id(Supervisor());
    } else if (r < 895) {
      auto* m = c.mutable_set_min_open_windows();
      m->set_min_open_windows(rng_.Chance(90) ? rng_.Int(0, 4)
                                              : rng_.Pick(kBadCounts));
      m->set_supervisor_id(Supervisor());
    } else if (r < 915) {
      c.mutable_window_lost()->set_window(WindowRef(
          state, {v1::WINDOW_STATE_IDLE, v1::WINDOW_STATE_CALLING,
                  v1::WINDOW_STATE_SERVING, v1::WINDOW_STATE_PAUSED}));
    } else if (r < 925) {
      // Mostly the advice announced (as the dashboard shows it), at times
      // one that is not (a page behind), refused.
      auto* m = c.mutable_dismiss_advice();
      const v1::HallEvent::StaffingAdvised& advice = state.last_advice();
      m->set_open_window(rng_.Chance(85) ? advice.open_window()
                                         : rng_.Int(0, 6));
      m->set_close_window(rng_.Chance(85) ? advice.close_window()
                                          : rng_.Int(0, 6));
      // Or by when it was told, as the dashboard names a set of windows.
      if (rng_.Chance(50)) {
        m->set_since_unix_ms(rng_.Chance(85)
                                 ? state.advice_hold().announced_at_ms()
                                 : rng_.Int(1, 1000));
      }
      m->set_supervisor_id(Supervisor());
    } else if (r < 970) {
      // Every kind of tick: old journals replay with the advice of their
      // day; mostly qcalld's, on sets of windows.
      const int kind = rng_.Int(0, 9);
      if (kind < 2) {
        c.mutable_tick()->set_steady_advice(kind == 1);
      } else if (kind < 4) {
        c.mutable_tick()->set_advice_rules(
            kind == 2 ? v1::Command::Tick::ADVICE_RULES_EVERY_CHANGE
                      : v1::Command::Tick::ADVICE_RULES_STEADY);
      } else {
        c.mutable_tick()->set_advice_rules(
            v1::Command::Tick::ADVICE_RULES_WINDOW_SETS);
      }
    } else if (r < 980) {
      c.mutable_roll_over_day();
    } else if (r < 992) {
      auto* m = c.mutable_configure();
      *m->mutable_config() = Reconfigured(state.config());
      m->set_supervisor_id(Supervisor());
    }
    // else: no kind set at all.
    return c;
  }

 private:
  inline static const std::vector<int32_t> kBadWindows = {
      0, -1, 5, 9999, 10000, kInt32Max, kInt32Min};
  inline static const std::vector<int32_t> kBadCounts = {-1, 5, 1000,
                                                         kInt32Min};

  std::string Huge(char c) {
    return std::string(rng_.Chance(50) ? 201 : 100'000, c);
  }

  std::string Garbage() {
    static const std::vector<std::string> kGarbage = {"",
                                                      "A",
                                                      "A0",
                                                      "A000",
                                                      "A999",
                                                      "Z001",
                                                      "a001",
                                                      "A-1",
                                                      "A 001",
                                                      "A1",
                                                      "B01",
                                                      "A0000000001",
                                                      "A4294967297",
                                                      "B999999999",
                                                      "AB001",
                                                      "001",
                                                      "\xef\xbc\xa1"
                                                      "001",
                                                      "\xff\xfe",
                                                      std::string("A001\0x", 6),
                                                      "BILL",
                                                      "A001 ",
                                                      "+86 13900000000"};
    if (rng_.Chance(10)) return Huge(rng_.Chance(50) ? 'A' : '9');
    return rng_.Pick(kGarbage);
  }

  int32_t WindowRef(const v1::HallState& state,
                    std::vector<v1::WindowState> wanted) {
    if (rng_.Chance(8)) return rng_.Pick(kBadWindows);
    std::vector<int32_t> fitting;
    for (const auto& w : state.windows()) {
      if (std::find(wanted.begin(), wanted.end(), w.state()) != wanted.end()) {
        fitting.push_back(w.number());
      }
    }
    if (!fitting.empty() && rng_.Chance(75)) return rng_.Pick(fitting);
    return config_->windows(rng_.Int(0, config_->windows_size() - 1)).number();
  }

  std::string Number(const v1::HallState::TicketRecord& t) {
    const v1::ServiceConfig& s =
        config_->services(static_cast<int>(t.service()));
    const int width = s.number_width() == 0 ? 3 : s.number_width();
    return absl::StrCat(s.ticket_prefix(),
                        absl::StrFormat("%0*d", width, t.number()));
  }

  std::string TicketRef(const v1::HallState& state, v1::TicketState wanted) {
    if (rng_.Chance(12)) return Garbage();
    std::vector<const v1::HallState::TicketRecord*> today, fitting;
    for (const auto& t : state.tickets()) {
      if (t.business_day() != state.business_day()) continue;
      today.push_back(&t);
      if (t.state() == wanted) fitting.push_back(&t);
    }
    if (!fitting.empty() && rng_.Chance(70)) return Number(*rng_.Pick(fitting));
    if (!today.empty()) return Number(*rng_.Pick(today));
    return Garbage();
  }

  std::string Service() {
    if (rng_.Chance(5)) {
      static const std::vector<std::string> kBad = {"", "bill", "NOPE", "A",
                                                    "BILL "};
      return rng_.Chance(20) ? Huge('B') : rng_.Pick(kBad);
    }
    return config_->services(rng_.Int(0, config_->services_size() - 1)).code();
  }

  std::string Clerk() {
    if (rng_.Chance(5)) return rng_.Chance(50) ? "" : Huge('c');
    if (rng_.Chance(10)) return "standby-1";
    return absl::StrCat("c", rng_.Int(1, 5));
  }

  // The running config with one change: most are allowed, some are
  // refused while tickets or open windows depend on what they change.
  v1::HallConfig Reconfigured(const v1::HallConfig& current) {
    v1::HallConfig config = current;
    auto find_window = [&](int32_t number) {
      for (int i = 0; i < config.windows_size(); ++i) {
        if (config.windows(i).number() == number) return i;
      }
      return -1;
    };
    switch (rng_.Int(0, 7)) {
      case 0:  // Window 5 comes or goes (refused while it is open).
        if (const int i = find_window(5); i >= 0) {
          config.mutable_windows()->DeleteSubrange(i, 1);
        } else {
          v1::WindowConfig* w = config.add_windows();
          w->set_number(5);
          w->set_name("5号窗口");
          w->add_serves()->set_service_code("BILL");
          w->add_serves()->set_service_code("SIM");
        }
        break;
      case 1:
        config.mutable_services(rng_.Int(0, config.services_size() - 1))
            ->set_target_wait_seconds(rng_.Int(60, 1800));
        break;
      case 2:  // Renumbers: refused once the service has tickets today.
        config.mutable_services(rng_.Int(0, config.services_size() - 1))
            ->set_number_width(rng_.Int(3, 4));
        break;
      case 3:
        config.mutable_services()->SwapElements(0, config.services_size() - 1);
        config.mutable_windows()->SwapElements(0, config.windows_size() - 1);
        break;
      case 4:
        config.set_min_open_windows(rng_.Int(0, 3));
        break;
      case 5:
        config.set_hall_id("another-hall");
        break;
      case 6:
        config.set_time_zone("Europe/Berlin");
        break;
      default:
        config.set_name(rng_.Chance(50) ? "新名字" : "Renamed");
        break;
    }
    return config;
  }

  std::string Supervisor() {
    if (rng_.Chance(8)) return rng_.Chance(50) ? "" : Huge('s');
    return "sup1";
  }

  std::string Reason(bool required) {
    if (rng_.Chance(8)) return rng_.Chance(50) ? "" : Huge('r');
    if (!required && rng_.Chance(30)) return "";
    return rng_.Chance(50) ? "lunch" : "午休";
  }

  // Bookings: made for slots around now (some passed, some far off, some
  // for no service, seeds repeated), and checked in by their codes (some
  // twice, some typed in lower case, some garbage).
  v1::Command Booking(const v1::HallState& state, absl::Time now) {
    v1::Command c;
    if (state.bookings_size() == 0 || rng_.Chance(45)) {
      auto* m = c.mutable_create_booking();
      m->set_service_code(Service());
      const int64_t now_s = absl::ToUnixSeconds(now);
      m->set_appointment_unix_seconds(
          rng_.Chance(5)    ? rng_.Pick(std::vector<int64_t>{0, -5, 1LL << 40})
          : rng_.Chance(10) ? now_s + rng_.Int(2, 30) * 86'400
                            : now_s + rng_.Int(-1200, 2400));
      m->set_code_seed(static_cast<uint64_t>(rng_.Int(0, 40)) << 32 |
                       static_cast<uint32_t>(rng_.Int(0, 1 << 30)));
      m->set_supervisor_id(rng_.Chance(3) ? "" : Supervisor());
      return c;
    }
    auto* m = c.mutable_check_in();
    if (rng_.Chance(85)) {
      std::string code =
          state.bookings(rng_.Int(0, state.bookings_size() - 1)).code();
      if (rng_.Chance(20)) code = absl::AsciiStrToLower(code);
      m->set_code(code);
    } else {
      m->set_code(rng_.Chance(50) ? Garbage() : "ABCDEF");
    }
    return c;
  }

  // The boards' notice line: set, repeated (refused), taken down, too long.
  v1::Command Notice() {
    v1::Command c;
    auto* m = c.mutable_set_notice();
    m->set_text(rng_.Chance(10)   ? Huge('n')
                : rng_.Chance(40) ? ""
                                  : rng_.Pick(std::vector<std::string>{
                                        "午休时间仅开放 2 个窗口", "lunch"}));
    m->set_supervisor_id(Supervisor());
    return c;
  }

  // Acknowledging an alarm: mostly one raised now, at times one acknowledged
  // already, one not raised, or no alarm at all (all refused).
  v1::Command Acknowledge(const v1::HallState& state) {
    std::vector<Alarm> raised;
    const auto add = [&raised](Alarm::Kind kind) -> Alarm& {
      Alarm& a = raised.emplace_back();
      a.set_kind(kind);
      return a;
    };
    if (state.below_min_alarm()) add(Alarm::KIND_BELOW_MIN_OPEN);
    for (int s = 0; s < state.services_size(); ++s) {
      const auto& r = state.services(s);
      const std::string& code = state.config().services(s).code();
      if (r.wait_alarm())
        add(Alarm::KIND_WAIT_OVER_TARGET).set_service_code(code);
      if (r.growing_alarm())
        add(Alarm::KIND_QUEUE_GROWING).set_service_code(code);
      if (r.no_window_alarm()) {
        add(Alarm::KIND_NO_WINDOW_SERVES).set_service_code(code);
      }
    }
    for (const auto& w : state.windows()) {
      if (w.handling_alarm()) {
        add(Alarm::KIND_HANDLING_OVER_TARGET).set_window(w.number());
      }
      if (w.lost()) add(Alarm::KIND_WINDOW_LOST).set_window(w.number());
      if (w.idle_alarm()) add(Alarm::KIND_WINDOW_IDLE).set_window(w.number());
    }
    for (const auto& k : state.complaints()) {
      for (const Alarm::Kind kind :
           {Alarm::KIND_COMPLAINT_DUE_SOON, Alarm::KIND_COMPLAINT_OVERDUE}) {
        if (kind == Alarm::KIND_COMPLAINT_DUE_SOON ? k.due_soon()
                                                   : k.overdue()) {
          Alarm& a = add(kind);
          a.set_ticket(k.ticket());
          a.set_business_day(k.business_day());
          // A complaint's alarm also names its service and window
          // (FeedbackBook::FillAlarm): the key has every field.
          a.set_service_code(k.service_code());
          a.set_window(k.window());
        }
      }
    }
    Alarm target;
    if (!raised.empty() && rng_.Chance(80)) {
      target = rng_.Pick(raised);
    } else if (state.acknowledged_alarms_size() > 0 && rng_.Chance(60)) {
      target = state.acknowledged_alarms(
          rng_.Int(0, state.acknowledged_alarms_size() - 1));
    } else {
      target.set_kind(static_cast<Alarm::Kind>(rng_.Int(0, 11)));
      target.set_window(rng_.Int(0, 6));
    }
    v1::Command c;
    auto* m = c.mutable_acknowledge_alarm();
    m->set_kind(target.kind());
    m->set_service_code(target.service_code());
    m->set_window(target.window());
    m->set_ticket(target.ticket());
    m->set_business_day(target.business_day());
    m->set_supervisor_id(Supervisor());
    return c;
  }

  // Ratings, follow-ups and complaint cases: mostly of what the state
  // holds, sometimes of what it does not.
  v1::Command Feedback(const v1::HallState& state) {
    v1::Command c;
    const int r = rng_.Int(0, 99);
    if (r < 50) {
      auto* m = c.mutable_rate_ticket();
      if (state.ratables_size() > 0 && rng_.Chance(80)) {
        const auto& ratable =
            state.ratables(rng_.Int(0, state.ratables_size() - 1));
        m->set_window(ratable.window());
        m->set_ticket(ratable.ticket());
      } else {
        m->set_window(WindowRef(state, {v1::WINDOW_STATE_IDLE}));
        m->set_ticket(TicketRef(state, v1::TICKET_STATE_COMPLETED));
      }
      m->set_level(rng_.Chance(8)    ? rng_.Pick(kBadLevels)
                   : rng_.Chance(50) ? rng_.Int(1, 2)
                                     : rng_.Int(3, 5));
      const std::vector<std::string> reasons =
          state.config().feedback().bad_rating_reasons().empty()
              ? DefaultBadRatingReasons()
              : std::vector<std::string>(
                    state.config().feedback().bad_rating_reasons().begin(),
                    state.config().feedback().bad_rating_reasons().end());
      if (m->level() <= 2 ? rng_.Chance(90) : rng_.Chance(5)) {
        m->set_reason(rng_.Pick(reasons));
      } else if (rng_.Chance(20)) {
        m->set_reason(Garbage());
      }
    } else if (r < 72) {
      auto* m = c.mutable_close_follow_up();
      m->set_id(
          state.follow_ups_size() > 0 && rng_.Chance(80)
              ? state.follow_ups(rng_.Int(0, state.follow_ups_size() - 1)).id()
              : static_cast<uint32_t>(rng_.Int(0, 5)));
      m->set_text(rng_.Chance(85) ? "talked with the clerk" : Reason(false));
      m->set_supervisor_id(Supervisor());
    } else {
      std::string ticket = Garbage();
      int32_t day = 0;
      int32_t window = rng_.Chance(30) ? 0 : WindowRef(state, {});
      if (state.complaints_size() > 0 && rng_.Chance(80)) {
        const auto& k =
            state.complaints(rng_.Int(0, state.complaints_size() - 1));
        ticket = k.ticket();
        day = rng_.Chance(80) ? k.business_day() : 0;
        if (rng_.Chance(60)) window = k.window();
      }
      const std::string supervisor = rng_.Chance(30) ? Supervisor() : "";
      if (r < 86) {
        auto* m = c.mutable_call_back_complaint();
        m->set_ticket(ticket);
        m->set_business_day(day);
        m->set_window(window);
        m->set_note(rng_.Chance(50) ? "" : "customer reached");
        m->set_supervisor_id(supervisor);
      } else {
        auto* m = c.mutable_resolve_complaint();
        m->set_ticket(ticket);
        m->set_business_day(day);
        m->set_window(window);
        m->set_resolution(rng_.Chance(85) ? "refunded" : Reason(false));
        m->set_supervisor_id(supervisor);
      }
    }
    return c;
  }

  inline static const std::vector<int32_t> kBadLevels = {0, -1, 6, 100,
                                                         kInt32Min};

  int32_t Rating() {
    if (rng_.Chance(10))
      return rng_.Pick(std::vector<int32_t>{-1, 6, 100, kInt32Min});
    return rng_.Int(0, 5);
  }

  template <typename Clear>
  void MaybeOverride(v1::Override* o, Clear clear) {
    const int r = rng_.Int(0, 99);
    if (r < 60) {
      clear();
    } else if (r < 92) {
      o->set_supervisor_id("sup1");
      o->set_reason("approved");
    } else {
      o->set_supervisor_id(rng_.Chance(50) ? "" : "sup1");
      o->set_reason(rng_.Chance(50) ? "" : Huge('o'));
    }
  }

  std::string Phone() {
    const int r = rng_.Int(0, 99);
    if (r < 40) return "";
    std::string digits;
    for (int i = 0; i < 8; ++i)
      digits += static_cast<char>('0' + rng_.Int(0, 9));
    if (r < 80) return absl::StrCat("139", digits);
    if (r < 95) return absl::StrCat("+86 138", digits);
    return absl::StrCat("1370", Huge('7'));  // Too long: refused.
  }

  void Issue(absl::Time now, v1::Command::IssueTicket* m) {
    m->set_service_code(Service());
    const int r = rng_.Int(0, 99);
    v1::Category category;
    if (r < 45) {
      category = v1::CATEGORY_NORMAL;
    } else if (r < 55) {
      category = v1::CATEGORY_UNSPECIFIED;
    } else if (r < 65) {
      category = v1::CATEGORY_GREEN_CHANNEL;
    } else if (r < 73) {
      category = v1::CATEGORY_VIP;
    } else if (r < 81) {
      category = v1::CATEGORY_URGENT;
    } else if (r < 96) {
      category = v1::CATEGORY_APPOINTMENT;
    } else {
      category =
          static_cast<v1::Category>(rng_.Pick(std::vector<int>{6, 99, -1}));
    }
    m->set_category(category);
    const int64_t now_s = absl::ToUnixSeconds(now);
    if (category == v1::CATEGORY_APPOINTMENT) {
      if (rng_.Chance(90)) {
        // Mostly within tolerance, some too early, some late.
        m->set_appointment_unix_seconds(now_s + rng_.Int(-1500, 1500));
      } else {
        // Garbage, including a value whose milliseconds would overflow.
        m->set_appointment_unix_seconds(rng_.Pick(std::vector<int64_t>{
            0, -5, 1, 9'000'000'000'000'000LL, 18'446'745'869'450'751LL}));
      }
    } else if (rng_.Chance(3)) {
      m->set_appointment_unix_seconds(now_s);  // Only for appointments.
    }
    const std::string phone = Phone();
    if (!phone.empty()) ::qcall::testing::SetLegacyPhone(phone, m);
  }

  void Transfer(const v1::HallState& state, v1::Command::Transfer* m) {
    m->set_window(
        WindowRef(state, {v1::WINDOW_STATE_CALLING, v1::WINDOW_STATE_SERVING}));
    const int r = rng_.Int(0, 99);
    if (r < 50) {
      m->set_to_service_code(Service());
    } else if (r < 95) {
      m->set_to_window(rng_.Chance(90) ? rng_.Int(1, 4)
                                       : rng_.Pick(kBadWindows));
    }  // else: no target.
    m->set_placement(rng_.Chance(95)
                         ? static_cast<v1::Placement>(rng_.Int(0, 3))
                         : static_cast<v1::Placement>(
                               rng_.Pick(std::vector<int>{4, 42, -2})));
  }

  Rng& rng_;
  // The config the hall runs now (a Configure command changes it).
  const v1::HallConfig* config_;
};

// ---------------------------------------------------------------------------
// Sequences

struct Step {
  v1::Command command;
  absl::Time at;
  bool journaled = false;  // Its outcome had events.
};

// What the sequences exercised: successful and failed commands by kind and
// events by kind, so a generator that stops reaching a rule fails the test.
struct Coverage {
  std::map<std::string, int> ok, failed, events;
  std::map<std::string, int> codes;
  // Events that come in variants, by variant: "alarm KIND_WINDOW_LOST
  // raised", "staffing_advised close".
  std::map<std::string, int> variants;
};

std::string KindName(const v1::Command& command) {
  const auto* field = v1::Command::descriptor()->FindFieldByNumber(
      static_cast<int>(command.kind_case()));
  return field == nullptr ? "none" : std::string(field->name());
}

std::string KindName(const v1::HallEvent& event) {
  const auto* field = v1::HallEvent::descriptor()->FindFieldByNumber(
      static_cast<int>(event.kind_case()));
  return field == nullptr ? "none" : std::string(field->name());
}

// The variant of an alarm or a staffing advice; "" for other events.
std::string VariantName(const v1::HallEvent& event) {
  if (event.has_alarm()) {
    return absl::StrCat("alarm ", Alarm::Kind_Name(event.alarm().kind()),
                        event.alarm().raised() ? " raised" : " cleared");
  }
  if (event.has_staffing_advised()) {
    const v1::HallEvent::StaffingAdvised& a = event.staffing_advised();
    return absl::StrCat("staffing_advised ", a.open_window() != 0    ? "open"
                                             : a.close_window() != 0 ? "close"
                                                                     : "right");
  }
  return "";
}

struct Sequence {
  v1::HallConfig config;
  std::vector<Step> steps;
  std::vector<std::string> events;   // Serialized, in order.
  std::vector<size_t> events_after;  // events.size() after each step.
  size_t cut = 0;                    // Snapshot taken after step `cut`.
  std::string cut_snapshot;
  std::string final_snapshot;
};

// Where QCALL_RANDOM_DIGEST asks every step's output to go; null: nowhere.
std::FILE* DigestFile() {
  static std::FILE* const file = [] {
    const char* path = std::getenv("QCALL_RANDOM_DIGEST");
    return path == nullptr ? nullptr : std::fopen(path, "wb");
  }();
  return file;
}

void Digest(absl::string_view bytes) {
  if (std::FILE* file = DigestFile(); file != nullptr) {
    const std::string line = absl::StrCat(bytes.size(), ":");
    std::fwrite(line.data(), 1, line.size(), file);
    std::fwrite(bytes.data(), 1, bytes.size(), file);
  }
}

Hall MakeHall(const v1::HallConfig& config) {
  absl::StatusOr<Hall> hall =
      Hall::Create(config, LoadZone(config.time_zone()));
  EXPECT_TRUE(hall.ok()) << hall.status();
  return *std::move(hall);
}

// Runs one random sequence, checking every step. Returns "" or the first
// broken invariant with where it broke.
std::string RunSequence(uint64_t seed, int step_count, Sequence* seq,
                        Coverage* coverage) {
  Rng rng(seed);
  seq->config = VariedHallConfig(seed);
  const absl::TimeZone tz = LoadZone(seq->config.time_zone());
  Hall hall = MakeHall(seq->config);
  CommandGenerator generator(&rng, seq->config);
  InvariantChecker checker(seq->config);
  seq->cut = static_cast<size_t>(rng.Int(0, step_count - 2));
  absl::Time now = StartForSeed(seed, tz);
  v1::HallState state = hall.Snapshot();
  std::string state_bytes = Bytes(state);
  Hall::Outcome out;
  for (int i = 0; i < step_count; ++i) {
    now = AdvanceTime(rng, now, tz);
    Step step{generator.Next(state, now), now};
    checker.Before(hall, state);
    const absl::Status status = hall.Apply(step.command, now, &out);
    step.journaled = !out.events().empty();
    (status.ok() ? coverage->ok : coverage->failed)[KindName(step.command)]++;
    coverage->codes[absl::StatusCodeToString(status.code())]++;
    for (const v1::HallEvent& e : out.events()) {
      coverage->events[KindName(e)]++;
      if (const std::string v = VariantName(e); !v.empty()) {
        coverage->variants[v]++;
      }
    }
    for (const v1::HallEvent& e : out.events()) seq->events.push_back(Bytes(e));
    seq->events_after.push_back(seq->events.size());
    v1::HallState next = hall.Snapshot();
    std::string next_bytes = Bytes(next);
    if (DigestFile() != nullptr) {
      Digest(status.ToString());
      for (const v1::HallEvent& e : out.events()) Digest(Bytes(e));
      Digest(Bytes(out.result()));
      Digest(next_bytes);
      Digest(Bytes(hall.View(now)));
    }
    const std::string error =
        checker.After(hall, step.command, now, status, out, state, state_bytes,
                      next, next_bytes);
    if (!error.empty()) {
      return absl::StrCat("seed ", seed, " step ", i, " at ",
                          absl::FormatTime("%Y-%m-%d %H:%M:%E3S", now, tz), " ",
                          Describe(step.command), " -> ", status.ToString(),
                          ": ", error);
    }
    seq->steps.push_back(std::move(step));
    state = std::move(next);
    state_bytes = std::move(next_bytes);
    if (static_cast<size_t>(i) == seq->cut) seq->cut_snapshot = state_bytes;
  }
  seq->final_snapshot = state_bytes;
  return "";
}

// (h) The same commands at the same times, all of them or only the journaled
// ones, give the same events and snapshot.
void ExpectReplayIdentical(uint64_t seed, const Sequence& seq,
                           bool journal_only) {
  Hall hall = MakeHall(seq.config);
  Hall::Outcome out;
  std::vector<std::string> events;
  for (const Step& step : seq.steps) {
    if (journal_only && !step.journaled) continue;
    (void)hall.Apply(step.command, step.at, &out);
    for (const v1::HallEvent& e : out.events()) events.push_back(Bytes(e));
  }
  ASSERT_EQ(events.size(), seq.events.size())
      << "seed " << seed << (journal_only ? " journal" : "") << " replay";
  for (size_t i = 0; i < events.size(); ++i) {
    ASSERT_EQ(events[i], seq.events[i])
        << "seed " << seed << (journal_only ? " journal" : "")
        << " replay, event " << i;
  }
  EXPECT_EQ(Bytes(hall.Snapshot()), seq.final_snapshot)
      << "seed " << seed << (journal_only ? " journal" : "") << " replay";
}

// (i) Snapshot after step `cut`, Restore, continue: same as never stopping.
void ExpectRestoreContinues(uint64_t seed, const Sequence& seq) {
  v1::HallState state;
  ASSERT_TRUE(state.ParseFromString(seq.cut_snapshot));
  absl::StatusOr<Hall> restored =
      Hall::Restore(state, LoadZone(seq.config.time_zone()));
  ASSERT_TRUE(restored.ok()) << "seed " << seed << ": " << restored.status();
  Hall hall = *std::move(restored);
  ASSERT_EQ(Bytes(hall.Snapshot()), seq.cut_snapshot)
      << "seed " << seed << ": Snapshot(Restore(s)) != s at step " << seq.cut;
  Hall::Outcome out;
  size_t next_event = seq.events_after[seq.cut];
  for (size_t i = seq.cut + 1; i < seq.steps.size(); ++i) {
    (void)hall.Apply(seq.steps[i].command, seq.steps[i].at, &out);
    for (const v1::HallEvent& e : out.events()) {
      ASSERT_LT(next_event, seq.events.size())
          << "seed " << seed << " restored at " << seq.cut << ": extra event "
          << e.ShortDebugString() << " at step " << i;
      ASSERT_EQ(Bytes(e), seq.events[next_event])
          << "seed " << seed << " restored at " << seq.cut << ": event "
          << next_event << " at step " << i
          << " differs: " << e.ShortDebugString();
      ++next_event;
    }
  }
  EXPECT_EQ(next_event, seq.events.size()) << "seed " << seed;
  EXPECT_EQ(Bytes(hall.Snapshot()), seq.final_snapshot)
      << "seed " << seed << " restored after step " << seq.cut;
}

void RunSeeds() {
  const int forced = EnvInt("QCALL_RANDOM_SEED", -1);
  const int sequences = EnvInt("QCALL_RANDOM_SEQUENCES", 2000);
  const int steps = EnvInt("QCALL_RANDOM_STEPS", 150);
  Coverage coverage;
  int failures = 0;
  for (int s = 0; s < sequences && failures < 5; ++s) {
    const uint64_t seed = static_cast<uint64_t>(forced >= 0 ? forced : s);
    Sequence seq;
    const std::string error = RunSequence(seed, steps, &seq, &coverage);
    if (!error.empty()) {
      ADD_FAILURE() << error << "\n(rerun alone with QCALL_RANDOM_SEED=" << seed
                    << ")";
      ++failures;
      continue;
    }
    ExpectReplayIdentical(seed, seq, /*journal_only=*/false);
    ExpectReplayIdentical(seed, seq, /*journal_only=*/true);
    ExpectRestoreContinues(seed, seq);
    if (forced >= 0) break;
  }
  if (DigestFile() != nullptr) std::fflush(DigestFile());
  if (std::getenv("QCALL_RANDOM_STATS") != nullptr) {
    for (const auto& [name, counts] :
         {std::pair{"ok", &coverage.ok}, std::pair{"failed", &coverage.failed},
          std::pair{"events", &coverage.events},
          std::pair{"variants", &coverage.variants},
          std::pair{"codes", &coverage.codes}}) {
      std::string line;
      for (const auto& [kind, n] : *counts)
        absl::StrAppend(&line, " ", kind, "=", n);
      std::printf("%s:%s\n", name, line.c_str());
    }
  }
  if (forced >= 0 || int64_t{sequences} * steps < 60'000) return;
  // The run must reach every rule: each command kind succeeds and fails, and
  // every kind of event happens, many times over.
  // By index: the kinds' numbers have gaps (set_notice is 40).
  for (int k = 0; k < v1::Command::descriptor()->field_count(); ++k) {
    const std::string kind(v1::Command::descriptor()->field(k)->name());
    EXPECT_GE(coverage.ok[kind], 50) << kind << " rarely succeeded";
    if (kind != "tick" && kind != "roll_over_day") {
      EXPECT_GE(coverage.failed[kind], 20) << kind << " rarely failed";
    }
  }
  // Every kind the event oneof has, so a new kind must be reached too.
  const google::protobuf::OneofDescriptor* kinds =
      v1::HallEvent::descriptor()->FindOneofByName("kind");
  ASSERT_NE(kinds, nullptr);
  ASSERT_GE(kinds->field_count(), 10);
  for (int k = 0; k < kinds->field_count(); ++k) {
    const std::string kind(kinds->field(k)->name());
    EXPECT_GE(coverage.events[kind], 50) << kind << " rarely happened";
  }
  // Each kind of alarm is raised and cleared; the staffing plan advises to
  // open a window, to close one, and that staffing is right.
  for (int k = Alarm::Kind_MIN; k <= Alarm::Kind_MAX; ++k) {
    if (!Alarm::Kind_IsValid(k) || k == Alarm::KIND_UNSPECIFIED) continue;
    for (const char* how : {" raised", " cleared"}) {
      const std::string variant = absl::StrCat(
          "alarm ", Alarm::Kind_Name(static_cast<Alarm::Kind>(k)), how);
      EXPECT_GE(coverage.variants[variant], 20) << variant << " was rare";
    }
  }
  for (const char* advice : {"open", "close", "right"}) {
    const std::string variant = absl::StrCat("staffing_advised ", advice);
    EXPECT_GE(coverage.variants[variant], 20) << variant << " was rare";
  }
}

TEST(HallRandomTest, InvariantsHoldReplayAndRestoreAreExact) { RunSeeds(); }

// ---------------------------------------------------------------------------
// Regression tests for engine bugs the random sequences found, each reduced to
// its shortest form. All three are fixed.

// A handling-time alarm raised by Tick must be cleared by an event when the
// ticket leaves the window by Complete, Transfer or WindowLost. (It used to be
// reset silently, so a dashboard following events kept it for ever.)
TEST(HallEngineRegressionTest,
     HandlingAlarmIsClearedWhenTheTicketLeavesTheWindow) {
  using namespace ::qcall::testing;  // NOLINT: the command builders.
  const std::vector<std::pair<std::string, v1::Command>> exits = {
      {"complete", Complete(1, 5)},
      {"transfer", TransferToService(1, "SIM", v1::PLACEMENT_LAST)},
      {"window lost", WindowLost(1)}};
  for (const auto& [name, exit] : exits) {
    TestHall h(SmallHallConfig(), ShanghaiTime(9, 0));
    for (int w = 1; w <= 3; ++w) h.Ok(OpenWindow(w, absl::StrCat("c", w)));
    h.Ok(Issue("BILL"));
    h.Ok(CallNext(1));
    h.Ok(Start(1));
    h.Advance(absl::Seconds(301));  // BILL's target handling time is 300 s.
    std::vector<v1::HallEvent> tick;
    for (const v1::HallEvent& e : h.Ok(Tick()).events()) {
      if (!e.has_staffing_advised()) tick.push_back(e);
    }
    ASSERT_EQ(tick.size(), 1u) << name;
    ASSERT_EQ(tick[0].alarm().kind(), Alarm::KIND_HANDLING_OVER_TARGET);
    ASSERT_TRUE(tick[0].alarm().raised());
    ASSERT_EQ(h.hall().View(h.now()).alarms_size(), 1) << name;

    const Hall::Outcome& out = h.Ok(exit);
    EXPECT_EQ(h.hall().View(h.now()).alarms_size(),
              name == "window lost" ? 1 : 0)
        << name << ": only the lost-window alarm may remain";
    bool cleared = false;
    for (const v1::HallEvent& e : out.events()) {
      cleared =
          cleared || (e.has_alarm() &&
                      e.alarm().kind() == Alarm::KIND_HANDLING_OVER_TARGET &&
                      !e.alarm().raised() && e.alarm().window() == 1);
    }
    EXPECT_TRUE(cleared) << name
                         << " left the handling alarm of window 1 "
                            "raised for anyone following the events";
  }
}

// appointment_unix_seconds becomes milliseconds. A value near
// (2^64 + now_ms) / 1000, about the year 584,556,000, used to overflow to just
// before `now` and be accepted as an on-time appointment; it must be refused.
TEST(HallEngineRegressionTest, AppointmentSecondsThatOverflowAreRefused) {
  using namespace ::qcall::testing;  // NOLINT: the command builders.
  TestHall h(SmallHallConfig(), ShanghaiTime(9, 0));
  const uint64_t now_ms = static_cast<uint64_t>(absl::ToUnixMillis(h.now()));
  // floor((2^64 + now_ms) / 1000); 2^64 = 18446744073709551 * 1000 + 616.
  const int64_t seconds =
      static_cast<int64_t>(18446744073709551ULL + (now_ms + 616) / 1000);
  v1::Command c = Issue("BILL", v1::CATEGORY_APPOINTMENT);
  c.mutable_issue_ticket()->set_appointment_unix_seconds(seconds);
  const absl::Status status = h.Try(c);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument)
      << "appointment_unix_seconds " << seconds << " gave " << status
      << ", ticket " << h.last().result().ticket().ShortDebugString();
}

}  // namespace
}  // namespace qcall
