// The invariants of a hall, checked after every command of a sequence: the
// ones tests/engine/hall_random_test.cc lists as (a)-(g), (j) and (k), for
// the random sequences there and the command fuzzer (fuzz/engine_fuzz.cc).
//
//   InvariantChecker checker(config);
//   v1::HallState state = hall.Snapshot();
//   std::string state_bytes = Bytes(state);
//   checker.Before(hall, state);
//   absl::Status status = hall.Apply(command, now, &out);
//   v1::HallState next = hall.Snapshot();
//   std::string error = checker.After(hall, command, now, status, out, state,
//                                     state_bytes, next, Bytes(next));
//   // error is "" or the first invariant broken, with its letter.
#ifndef QCALL_TESTS_ENGINE_HALL_INVARIANTS_H_
#define QCALL_TESTS_ENGINE_HALL_INVARIANTS_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "engine/hall.h"
#include "google/protobuf/message_lite.h"
#include "qcall/v1/engine.pb.h"
#include "qcall/v1/hall_config.pb.h"

namespace qcall::testing {

// Deterministic bytes, so equal messages compare equal as strings.
std::string Bytes(const google::protobuf::MessageLite& message);

// A command for a failure message; huge garbage strings are cut.
std::string Describe(const v1::Command& command);

bool HasDayStarted(const Hall::Outcome& out);

class InvariantChecker {
 public:
  // `config` is the hall's config at the start; it must outlive the checker
  // until the first Before.
  explicit InvariantChecker(const v1::HallConfig& config);
  ~InvariantChecker();
  InvariantChecker(const InvariantChecker&) = delete;
  InvariantChecker& operator=(const InvariantChecker&) = delete;

  // Takes the facts the step's checks compare against; call before Apply
  // with the hall and its Snapshot().
  void Before(const Hall& hall, const v1::HallState& state);

  // Returns "" when every invariant holds, else what broke. `before` and
  // `after` are the snapshots around the command, with their Bytes().
  std::string After(const Hall& hall, const v1::Command& command,
                    absl::Time now, const absl::Status& status,
                    const Hall::Outcome& out, const v1::HallState& before,
                    const std::string& before_bytes, const v1::HallState& after,
                    const std::string& after_bytes);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace qcall::testing

#endif  // QCALL_TESTS_ENGINE_HALL_INVARIANTS_H_
