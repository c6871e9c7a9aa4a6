// libFuzzer target: bytes become a sequence of engine commands, applied to a
// Hall while time moves, with the invariants of tests/engine/hall_invariants.h
// checked after every step. At the end, Restore(Snapshot()) must equal the
// live hall, and the journaled commands (those whose outcome had events)
// replayed into a fresh hall must give the same state.
//
// The bytes are decoded by hand rather than parsed as protobuf: each command
// takes a kind, then picks windows, tickets and services mostly from the
// hall's current state (so calls, transfers and requeues reach real tickets)
// and sometimes garbage. A broken invariant prints what broke and aborts.
//
//   scripts/fuzz engine 600
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "engine/hall.h"
#include "fuzz/quiet_log.h"
#include "qcall/v1/engine.pb.h"
#include "qcall/v1/hall_config.pb.h"
#include "tests/engine/hall_invariants.h"
#include "tests/engine/test_hall.h"

namespace qcall {
namespace {

using ::qcall::testing::Bytes;
using ::qcall::testing::Describe;

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "engine_fuzz: %s\n", what.c_str());
  std::abort();
}

class Decoder {
 public:
  explicit Decoder(FuzzedDataProvider* in) : in_(*in) {}

  absl::Time Advance(absl::Time now, absl::TimeZone tz) {
    switch (in_.ConsumeIntegralInRange(0, 7)) {
      case 0:
      case 1:
      case 2:
        return now + absl::Seconds(in_.ConsumeIntegralInRange(0, 90));
      case 3:
      case 4:
        return now +
               absl::Milliseconds(in_.ConsumeIntegralInRange(60'000, 600'000));
      case 5:
        return now + absl::Seconds(in_.ConsumeIntegralInRange(600, 3 * 3600));
      case 6: {  // Just before local midnight: the business day starts.
        const absl::CivilDay today(absl::ToCivilSecond(now, tz));
        const absl::Time next =
            absl::FromCivil(absl::CivilSecond(today + 1), tz);
        return std::max(
            now, next - absl::Seconds(in_.ConsumeIntegralInRange(0, 60)));
      }
      default:
        return now;
    }
  }

  v1::Command Next(const v1::HallState& state) {
    const v1::HallConfig& config = state.config();
    v1::Command c;
    const int kind = in_.ConsumeIntegralInRange(0, 25);
    switch (kind) {
      case 0:
      case 1: {
        auto* m = c.mutable_issue_ticket();
        m->set_service_code(Service(config));
        m->set_category(
            static_cast<v1::Category>(in_.ConsumeIntegralInRange(-1, 7)));
        if (in_.ConsumeBool()) {
          m->set_appointment_unix_seconds(in_.ConsumeIntegral<int64_t>());
        }
        if (in_.ConsumeBool()) ::qcall::testing::SetLegacyPhone(Phone(), m);
        break;
      }
      case 2: {
        auto* m = c.mutable_open_window();
        m->set_window(Window(state));
        m->set_clerk_id(Text({"c1", "c2", "c3", "standby-1", "standby-2"}));
        break;
      }
      case 3: {
        auto* m = c.mutable_close_window();
        m->set_window(Window(state));
        m->set_reason(Text({"", "lunch"}));
        if (in_.ConsumeBool()) Override(m->mutable_override());
        break;
      }
      case 4: {
        auto* m = c.mutable_pause_window();
        m->set_window(Window(state));
        m->set_reason(Text({"lunch", "午休", ""}));
        if (in_.ConsumeBool()) Override(m->mutable_override());
        break;
      }
      case 5:
        c.mutable_resume_window()->set_window(Window(state));
        break;
      case 6:
      case 7:
        c.mutable_call_next()->set_window(Window(state));
        break;
      case 8: {
        auto* m = c.mutable_call_ticket();
        m->set_window(Window(state));
        m->set_ticket(Ticket(state));
        break;
      }
      case 9:
        c.mutable_recall()->set_window(Window(state));
        break;
      case 10:
        c.mutable_start_serving()->set_window(Window(state));
        break;
      case 11: {
        auto* m = c.mutable_complete();
        m->set_window(Window(state));
        m->set_rating(in_.ConsumeIntegralInRange(-1, 6));
        break;
      }
      case 12:
        c.mutable_no_show()->set_window(Window(state));
        break;
      case 13: {
        auto* m = c.mutable_requeue();
        m->set_ticket(Ticket(state));
        if (in_.ConsumeBool()) m->set_window(Window(state));
        break;
      }
      case 14: {
        auto* m = c.mutable_transfer();
        m->set_window(Window(state));
        if (in_.ConsumeBool()) {
          m->set_to_service_code(Service(config));
        } else if (in_.ConsumeBool()) {
          m->set_to_window(Window(state));
        }
        m->set_placement(
            static_cast<v1::Placement>(in_.ConsumeIntegralInRange(-1, 4)));
        break;
      }
      case 15:
        c.mutable_cancel_ticket()->set_ticket(Ticket(state));
        break;
      case 16: {
        auto* m = c.mutable_void_ticket();
        m->set_ticket(Ticket(state));
        m->set_reason(Text({"misprinted", ""}));
        m->set_supervisor_id(Text({"sup1", ""}));
        break;
      }
      case 17: {
        auto* m = c.mutable_set_min_open_windows();
        m->set_min_open_windows(in_.ConsumeIntegralInRange(-1, 6));
        m->set_supervisor_id(Text({"sup1", ""}));
        break;
      }
      case 18:
        c.mutable_window_lost()->set_window(Window(state));
        break;
      case 19:
        if (in_.ConsumeBool()) {
          c.mutable_tick();
        } else {
          c.mutable_roll_over_day();
        }
        break;
      case 21: {  // The evaluator pad: mostly the ticket a window completed.
        auto* m = c.mutable_rate_ticket();
        if (state.ratables_size() > 0 && in_.ConsumeBool()) {
          const auto& r = state.ratables(
              in_.ConsumeIntegralInRange(0, state.ratables_size() - 1));
          m->set_window(r.window());
          m->set_ticket(r.ticket());
        } else {
          m->set_window(Window(state));
          m->set_ticket(Ticket(state));
        }
        m->set_level(in_.ConsumeIntegralInRange(-1, 6));
        m->set_reason(Text({"", "等候时间长 Long wait", "rude", "slow"}));
        break;
      }
      case 22: {
        auto* m = c.mutable_close_follow_up();
        m->set_id(state.follow_ups_size() > 0 && in_.ConsumeBool()
                      ? state.follow_ups(0).id()
                      : in_.ConsumeIntegral<uint32_t>());
        m->set_text(Text({"coached", ""}));
        m->set_supervisor_id(Text({"sup1", ""}));
        break;
      }
      case 23:
      case 24: {
        std::string ticket = Ticket(state);
        int32_t day = 0;
        int32_t window = Window(state);
        if (state.complaints_size() > 0 && in_.ConsumeBool()) {
          const auto& k = state.complaints(
              in_.ConsumeIntegralInRange(0, state.complaints_size() - 1));
          ticket = k.ticket();
          day = k.business_day();
          if (in_.ConsumeBool()) window = k.window();
        }
        const std::string supervisor = Text({"", "sup1"});
        if (kind == 23) {
          auto* m = c.mutable_call_back_complaint();
          m->set_ticket(ticket);
          m->set_business_day(day);
          m->set_window(window);
          m->set_supervisor_id(supervisor);
        } else {
          auto* m = c.mutable_resolve_complaint();
          m->set_ticket(ticket);
          m->set_business_day(day);
          m->set_window(window);
          m->set_resolution(Text({"refunded", ""}));
          m->set_supervisor_id(supervisor);
        }
        break;
      }
      case 25: {  // Acknowledge an alarm: one raised now, or any.
        auto* m = c.mutable_acknowledge_alarm();
        using Alarm = v1::HallEvent::Alarm;
        m->set_kind(
            static_cast<Alarm::Kind>(in_.ConsumeIntegralInRange(0, 11)));
        if (state.below_min_alarm() && in_.ConsumeBool()) {
          m->set_kind(Alarm::KIND_BELOW_MIN_OPEN);
        }
        for (int s = 0; s < state.services_size(); ++s) {
          if (state.services(s).no_window_alarm() && in_.ConsumeBool()) {
            m->set_kind(Alarm::KIND_NO_WINDOW_SERVES);
            m->set_service_code(config.services(s).code());
          }
        }
        for (const auto& w : state.windows()) {
          if (w.lost() && in_.ConsumeBool()) {
            m->set_kind(Alarm::KIND_WINDOW_LOST);
            m->set_service_code("");
            m->set_window(w.number());
          }
        }
        m->set_supervisor_id(Text({"sup1", ""}));
        break;
      }
      default: {
        auto* m = c.mutable_configure();
        *m->mutable_config() = Reconfigured(config);
        m->set_supervisor_id("sup1");
        break;
      }
    }
    return c;
  }

 private:
  // One of `choices`, or now and then the fuzzer's own bytes.
  std::string Text(std::initializer_list<const char*> choices) {
    const size_t pick = in_.ConsumeIntegralInRange<size_t>(0, choices.size());
    if (pick == choices.size()) return in_.ConsumeRandomLengthString(40);
    return *(choices.begin() + pick);
  }

  // A phone number: the checker looks for it in every output, so it must
  // be one (a one-byte "phone" is in any serialized message).
  std::string Phone() {
    if (in_.ConsumeBool()) return "13900001111";
    std::string phone = "+86 1";
    for (int i = 0; i < 10; ++i) {
      phone += static_cast<char>('0' + in_.ConsumeIntegralInRange(0, 9));
    }
    return phone;
  }

  int32_t Window(const v1::HallState& state) {
    const int n = state.windows_size();
    const int pick = in_.ConsumeIntegralInRange(-2, n);
    if (pick >= 0 && pick < n) return state.windows(pick).number();
    return pick == n ? 0 : in_.ConsumeIntegral<int32_t>();
  }

  std::string Service(const v1::HallConfig& config) {
    const int n = config.services_size();
    const int pick = in_.ConsumeIntegralInRange(0, n);
    if (pick < n) return config.services(pick).code();
    return in_.ConsumeRandomLengthString(12);
  }

  // A ticket of the state (today's or an earlier day's) by its number, or
  // the fuzzer's own text.
  std::string Ticket(const v1::HallState& state) {
    const int n = state.tickets_size();
    if (n == 0 || in_.ConsumeIntegralInRange(0, 7) == 0) {
      return in_.ConsumeRandomLengthString(12);
    }
    const auto& t = state.tickets(in_.ConsumeIntegralInRange(0, n - 1));
    if (t.service() >= static_cast<uint32_t>(state.config().services_size())) {
      return "A001";
    }
    const v1::ServiceConfig& s =
        state.config().services(static_cast<int>(t.service()));
    const int width = s.number_width() == 0 ? 3 : s.number_width();
    return absl::StrFormat("%s%0*d", s.ticket_prefix(), width, t.number());
  }

  void Override(v1::Override* o) {
    o->set_supervisor_id(Text({"sup1", ""}));
    o->set_reason(Text({"approved", ""}));
  }

  v1::HallConfig Reconfigured(const v1::HallConfig& current) {
    v1::HallConfig config = current;
    switch (in_.ConsumeIntegralInRange(0, 6)) {
      case 0: {  // Window 5 comes or goes.
        bool removed = false;
        for (int i = 0; i < config.windows_size(); ++i) {
          if (config.windows(i).number() == 5) {
            config.mutable_windows()->DeleteSubrange(i, 1);
            removed = true;
            break;
          }
        }
        if (!removed) {
          v1::WindowConfig* w = config.add_windows();
          w->set_number(5);
          w->set_name("5号窗口");
          w->add_serves()->set_service_code("BILL");
        }
        break;
      }
      case 1:
        config.mutable_services(0)->set_target_wait_seconds(
            in_.ConsumeIntegralInRange(-1, 3600));
        break;
      case 2:
        config.mutable_services(config.services_size() - 1)
            ->set_number_width(in_.ConsumeIntegralInRange(0, 5));
        break;
      case 3:
        config.mutable_services()->SwapElements(0, config.services_size() - 1);
        config.mutable_windows()->SwapElements(0, config.windows_size() - 1);
        break;
      case 4:
        config.set_min_open_windows(in_.ConsumeIntegralInRange(-1, 6));
        break;
      case 5: {
        v1::Policy* p = config.mutable_policy();
        p->set_max_recalls(in_.ConsumeIntegralInRange(-1, 3));
        p->set_no_show_timeout_seconds(in_.ConsumeIntegralInRange(-1, 600));
        break;
      }
      default:
        config.set_name(in_.ConsumeRandomLengthString(20));
        break;
    }
    return config;
  }

  FuzzedDataProvider& in_;
};

absl::TimeZone Shanghai() {
  static const absl::TimeZone tz = testing::LoadZone("Asia/Shanghai");
  return tz;
}

struct Step {
  v1::Command command;
  absl::Time at;
  absl::StatusCode code;
};

void Run(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  const v1::HallConfig config =
      testing::VariedHallConfig(in.ConsumeIntegralInRange(0, 2));
  const absl::TimeZone tz = Shanghai();
  absl::StatusOr<Hall> created = Hall::Create(config, tz);
  if (!created.ok()) Fail(created.status().ToString());
  Hall hall = *std::move(created);
  absl::Time now = absl::FromCivil(
      absl::CivilMinute(2026, 11, 27, in.ConsumeIntegralInRange(0, 23),
                        in.ConsumeIntegralInRange(0, 59)),
      tz);
  Decoder decoder(&in);
  testing::InvariantChecker checker(config);
  std::vector<Step> journal;
  v1::HallState state = hall.Snapshot();
  std::string state_bytes = Bytes(state);
  Hall::Outcome out;
  for (int step = 0; step < 400 && in.remaining_bytes() > 0; ++step) {
    now = decoder.Advance(now, tz);
    // Commands come from the wire: one that does not survive serializing
    // and parsing (a string that is not UTF-8) can never reach the engine.
    v1::Command command;
    if (!command.ParseFromString(decoder.Next(state).SerializeAsString())) {
      continue;
    }
    checker.Before(hall, state);
    const absl::Status status = hall.Apply(command, now, &out);
    v1::HallState next = hall.Snapshot();
    std::string next_bytes = Bytes(next);
    const std::string error = checker.After(
        hall, command, now, status, out, state, state_bytes, next, next_bytes);
    if (!error.empty()) {
      Fail(absl::StrCat("step ", step, " ", Describe(command), " -> ",
                        status.ToString(), ": ", error));
    }
    if (!out.events().empty()) journal.push_back({command, now, status.code()});
    state = std::move(next);
    state_bytes = std::move(next_bytes);
  }
  // Restore(Snapshot()) is the live hall.
  absl::StatusOr<Hall> restored = Hall::Restore(state, tz);
  if (!restored.ok()) {
    Fail(absl::StrCat("Restore of a live snapshot: ",
                      restored.status().ToString()));
  }
  if (Bytes(restored->Snapshot()) != state_bytes) {
    Fail("Snapshot(Restore(s)) != s");
  }
  if (Bytes(restored->View(now)) != Bytes(hall.View(now))) {
    Fail("the restored hall's view differs from the live hall's");
  }
  // The journal alone rebuilds the same hall.
  absl::StatusOr<Hall> replayed = Hall::Create(config, tz);
  for (const Step& s : journal) {
    const absl::Status status = replayed->Apply(s.command, s.at, &out);
    if (status.code() != s.code || out.events().empty()) {
      Fail(absl::StrCat("replay of ", Describe(s.command), " gave ",
                        status.ToString(), " with ", out.events().size(),
                        " events"));
    }
  }
  if (Bytes(replayed->Snapshot()) != state_bytes) {
    Fail("the journal replayed gives another state");
  }
}

}  // namespace
}  // namespace qcall

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  qcall::fuzz::QuietProtobufLog();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  qcall::Run(data, size);
  return 0;
}
