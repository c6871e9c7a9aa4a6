// Reads the booked slot of `qcall kiosk issue --appointment`: unix seconds,
// or a local time of this machine (the kiosk stands in the hall):
//
//   ParseAppointment("1767232800", now, zone);        // as it is
//   ParseAppointment("2026-01-01 10:00", now, zone);  // also 2026-01-01T10:00
//   ParseAppointment("14:30", now, zone);             // today at 14:30
#ifndef QCALL_CLIENTS_CLI_APPOINTMENT_H_
#define QCALL_CLIENTS_CLI_APPOINTMENT_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace qcall::cli {

// Unix seconds of the slot; INVALID_ARGUMENT names the accepted forms.
absl::StatusOr<int64_t> ParseAppointment(absl::string_view text, absl::Time now,
                                         absl::TimeZone zone);

}  // namespace qcall::cli

#endif  // QCALL_CLIENTS_CLI_APPOINTMENT_H_
