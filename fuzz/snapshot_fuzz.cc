// libFuzzer target: the bytes of a snapshot (a serialized v1::HallState).
// Hall::Restore must answer a status for anything, never crash; a state it
// accepts must snapshot back to itself on a second restore and take commands.
//
//   scripts/fuzz snapshot 600
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "engine/hall.h"
#include "fuzz/quiet_log.h"
#include "qcall/v1/engine.pb.h"
#include "tests/engine/hall_invariants.h"
#include "tests/engine/test_hall.h"

namespace qcall {
namespace {

using ::qcall::testing::Bytes;

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "snapshot_fuzz: %s\n", what.c_str());
  std::abort();
}

void Run(const uint8_t* data, size_t size) {
  v1::HallState state;
  if (!state.ParseFromArray(data, static_cast<int>(size))) return;
  static const absl::TimeZone tz = testing::LoadZone("Asia/Shanghai");
  absl::StatusOr<Hall> restored = Hall::Restore(state, tz);
  if (!restored.ok()) {
    if (restored.status().message().empty()) Fail("a refusal without reason");
    return;
  }
  const v1::HallState once = restored->Snapshot();
  absl::StatusOr<Hall> again = Hall::Restore(once, tz);
  if (!again.ok()) {
    Fail("the snapshot of a restored hall is refused: " +
         again.status().ToString());
  }
  if (Bytes(again->Snapshot()) != Bytes(once)) {
    Fail("Snapshot(Restore(Snapshot(Restore(s)))) != Snapshot(Restore(s))");
  }
  // The restored hall works: views, statuses and commands, at a time after
  // everything it holds.
  int64_t latest_ms = 1'795'000'000'000;  // 2026-11-18.
  for (const auto& t : once.tickets()) {
    latest_ms = std::max(
        {latest_ms, t.issued_at_ms(), t.wait_since_ms(), t.state_since_ms()});
  }
  for (const auto& w : once.windows()) {
    latest_ms = std::max(latest_ms, w.state_since_ms());
  }
  if (latest_ms > int64_t{1} << 50) return;  // Past the year 37,000.
  const absl::Time now = absl::FromUnixMillis(latest_ms) + absl::Seconds(1);
  (void)restored->View(now);
  Hall::Outcome out;
  for (const auto& window : once.windows()) {
    v1::Command call;
    call.mutable_call_next()->set_window(window.number());
    (void)restored->Apply(call, now, &out);
    (void)restored->TicketStatus("A001", now);
  }
  v1::Command tick;
  tick.mutable_tick();
  (void)restored->Apply(tick, now + absl::Hours(30), &out);
  (void)restored->View(now + absl::Hours(30));
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
