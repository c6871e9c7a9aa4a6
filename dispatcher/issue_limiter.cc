#include "dispatcher/issue_limiter.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace qcall {

absl::Status IssueLimiter::Admit(Caller caller) {
  const int per_minute = caller->has_issues_per_minute()
                             ? caller->issues_per_minute()
                             : default_per_minute_;
  if (per_minute <= 0) return absl::OkStatus();
  const double rate = per_minute / 60.0;  // Tickets a second.
  const absl::Time now = clock_->Now();
  absl::MutexLock lock(&mu_);
  auto [it, fresh] =
      buckets_.try_emplace(caller, Bucket{1.0 * per_minute, now});
  Bucket& bucket = it->second;
  if (!fresh) {
    const double seconds =
        std::max(0.0, absl::ToDoubleSeconds(now - bucket.updated));
    bucket.tickets =
        std::min<double>(per_minute, bucket.tickets + seconds * rate);
    bucket.updated = now;
  }
  if (bucket.tickets < 1.0) {
    const int64_t wait =
        static_cast<int64_t>(std::ceil((1.0 - bucket.tickets) / rate));
    return absl::ResourceExhaustedError(
        absl::StrCat("kiosk '", caller->name(), "' has issued its ", per_minute,
                     " tickets a minute; the next in ", wait,
                     " s (a stuck button? staff should look at the kiosk)"));
  }
  bucket.tickets -= 1.0;
  return absl::OkStatus();
}

}  // namespace qcall
