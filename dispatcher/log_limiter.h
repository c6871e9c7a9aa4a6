// LogLimiter lets one line of a kind through per window and counts the rest,
// so that input an unauthenticated client controls (a flood of requests that
// do not parse, say) cannot fill the log: the first line of a kind is
// written, then at most one a minute, each with the count of those dropped
// since the last (so a flood that stops leaves its last count unwritten).
//
//   LogLimiter limiter(RealClock::Get(), absl::Minutes(1));
//   if (std::optional<int64_t> dropped = limiter.Admit(key)) {
//     spdlog::warn("{} ({} more like it since the last)", line, *dropped);
//   }
#ifndef QCALL_DISPATCHER_LOG_LIMITER_H_
#define QCALL_DISPATCHER_LOG_LIMITER_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "dispatcher/clock.h"

namespace qcall {

class LogLimiter {
 public:
  LogLimiter(const Clock* clock, absl::Duration window)
      : clock_(clock), window_(window) {}

  // The lines of `kind` dropped since the last one let through, when this
  // one may be written; nullopt when it is to be dropped. Thread-safe.
  std::optional<int64_t> Admit(const std::string& kind);

 private:
  struct Seen {
    absl::Time next_allowed;
    int64_t dropped = 0;
  };
  // Kinds are few (a file and line of the library, say), so the map stays
  // small; it is bounded all the same.
  static constexpr size_t kMaxKinds = 1024;

  const Clock* const clock_;
  const absl::Duration window_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Seen> seen_ ABSL_GUARDED_BY(mu_);
};

// Sends libprotobuf's log lines (a string field that is not UTF-8 makes it
// log one per request, before any token is checked) to spdlog through a
// LogLimiter of one minute per source line. Call once at start-up.
void RouteProtobufLogs(const Clock* clock);

// Sends gRPC's own log lines (gpr_log; with TLS, one per failed handshake,
// which any client that does not speak TLS causes) to spdlog the same way.
// Call once at start-up.
void RouteGrpcLogs(const Clock* clock);

}  // namespace qcall

#endif  // QCALL_DISPATCHER_LOG_LIMITER_H_
