// IssueLimiter holds each kiosk token to its tickets a minute (a token
// bucket: the full minute's worth at once, refilled evenly), so that a stuck
// button or a runaway script cannot run a service's numbers out before the
// day is over.
//
//   IssueLimiter limiter(RealClock::Get(), /*default_per_minute=*/60);
//   RETURN_IF_ERROR(limiter.Admit(caller));  // RESOURCE_EXHAUSTED when over.
#ifndef QCALL_DISPATCHER_ISSUE_LIMITER_H_
#define QCALL_DISPATCHER_ISSUE_LIMITER_H_

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "dispatcher/auth.h"
#include "dispatcher/clock.h"

namespace qcall {

class IssueLimiter {
 public:
  // `default_per_minute` for tokens that set no issues_per_minute; 0 for no
  // limit.
  IssueLimiter(const Clock* clock, int default_per_minute)
      : clock_(clock), default_per_minute_(default_per_minute) {}

  // OK and counted, or RESOURCE_EXHAUSTED saying when the next ticket may be
  // issued. Thread-safe.
  absl::Status Admit(Caller caller);

 private:
  struct Bucket {
    double tickets;
    absl::Time updated;
  };

  const Clock* const clock_;
  const int default_per_minute_;
  absl::Mutex mu_;
  // Tokens live as long as the Authenticator, which outlives this.
  absl::flat_hash_map<Caller, Bucket> buckets_ ABSL_GUARDED_BY(mu_);
};

}  // namespace qcall

#endif  // QCALL_DISPATCHER_ISSUE_LIMITER_H_
