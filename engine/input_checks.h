// The rules untrusted command fields must meet before a command may change
// anything: lengths, required texts, overrides, plausible appointment slots.
// Errors say which field and what a clerk or kiosk can do about it. Also the
// one error of a snapshot that does not hold together.
//
//   RETURN_IF_ERROR(CheckText(c.reason(), "reason", /*required=*/true));
//   RETURN_IF_ERROR(CheckText(c.clerk_id(), "clerk_id", true, kMaxIdLength));
//   return absl::NotFoundError(
//       absl::StrCat("no service '", Clipped(code), "' in this hall"));
#ifndef QCALL_ENGINE_INPUT_CHECKS_H_
#define QCALL_ENGINE_INPUT_CHECKS_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "qcall/v1/engine.pb.h"

namespace qcall {

inline constexpr size_t kMaxTextLength = 200;
inline constexpr size_t kMaxIdLength = 64;
// 2100-01-01: later slots are garbage, and would overflow as milliseconds.
inline constexpr int64_t kLatestAppointmentSeconds = 4'102'444'800;

// Untrusted input quoted in an error message. A status message travels in a
// trailer, and one longer than the peer's metadata limit (8 KB by default)
// turns the status into RESOURCE_EXHAUSTED on the client.
inline absl::string_view Clipped(absl::string_view text) {
  return text.substr(0, 32);
}

absl::Status CheckText(absl::string_view text, absl::string_view field,
                       bool required, size_t max_length = kMaxTextLength);

// A supervisor's override names the supervisor and says why.
absl::Status CheckOverride(const v1::Override& override);

// A snapshot is untrusted input too: DATA_LOSS, saying what does not hold.
absl::Status CorruptSnapshot(absl::string_view what);

}  // namespace qcall

#endif  // QCALL_ENGINE_INPUT_CHECKS_H_
