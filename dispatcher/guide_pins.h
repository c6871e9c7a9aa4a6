// GuidePins holds each hall's guide (引导员) PIN, as the config stores it (its
// SHA-256, GuidePin.pin_sha256), and checks what a kiosk sends: entering
// guide mode (Kiosk.CheckGuidePin) and every priority ticket it issues
// (IssueTicketRequest.guide_pin). A PIN is short, so wrong tries are
// limited per hall: after kMaxWrong in a row every try is refused for
// kLockout, right or wrong, so that a customer cannot try PINs out at the
// kiosk.
//
//   absl::StatusOr<std::unique_ptr<GuidePins>> pins = GuidePins::Create(config,
//   clock); if (pins->Required("xujiahui"))
//   RETURN_IF_ERROR(pins->Check("xujiahui", pin));
#ifndef QCALL_DISPATCHER_GUIDE_PINS_H_
#define QCALL_DISPATCHER_GUIDE_PINS_H_

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "dispatcher/clock.h"
#include "qcall/v1/server_config.pb.h"

namespace qcall {

class GuidePins {
 public:
  static constexpr int kMaxWrong = 5;
  static constexpr absl::Duration kLockout = absl::Seconds(60);

  // INVALID_ARGUMENT for a pin_sha256 that is not 64 hex digits, a hall
  // named twice or not at all.
  static absl::StatusOr<std::unique_ptr<GuidePins>> Create(
      const v1::ServerConfig& config, const Clock* clock);

  // Whether the hall has a guide PIN (priority tickets from a kiosk need it).
  bool Required(absl::string_view hall) const;
  // OK for the hall's PIN; PERMISSION_DENIED for a wrong one (or none);
  // RESOURCE_EXHAUSTED, saying when to try again, while the hall is locked
  // out. Thread-safe.
  absl::Status Check(absl::string_view hall, absl::string_view pin);

 private:
  struct Tries {
    int wrong = 0;
    absl::Time locked_until = absl::InfinitePast();
  };

  explicit GuidePins(const Clock* clock) : clock_(clock) {}

  const Clock* const clock_;
  // Hall id → the 32 bytes of SHA-256(PIN). Fixed after Create.
  absl::flat_hash_map<std::string, std::string> digests_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Tries> tries_ ABSL_GUARDED_BY(mu_);
};

}  // namespace qcall

#endif  // QCALL_DISPATCHER_GUIDE_PINS_H_
