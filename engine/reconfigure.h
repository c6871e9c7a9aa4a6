// ReconfigureState carries a hall's state over to a new configuration of the
// same hall, so a supervisor can add a service, rename a window or change
// targets while the hall runs. Services are matched by code and windows by
// number; what has no counterpart starts fresh (a new window closed, a new
// service with its prior handling time).
//
//   ASSIGN_OR_RETURN(v1::HallState next,
//                    ReconfigureState(hall.Snapshot(), new_config));
//   ASSIGN_OR_RETURN(Hall reconfigured, Hall::Restore(next, tz));
#ifndef QCALL_ENGINE_RECONFIGURE_H_
#define QCALL_ENGINE_RECONFIGURE_H_

#include "absl/status/statusor.h"
#include "qcall/v1/engine.pb.h"
#include "qcall/v1/hall_config.pb.h"

namespace qcall {

// INVALID_ARGUMENT when `config` names another hall; FAILED_PRECONDITION,
// with the reason, when it would drop a service that has tickets today,
// change the prefix or width of one that has (renumbering issued tickets),
// drop a window that is not closed or has tickets transferred to it, or
// change the time zone. The minimum of open windows follows the new config
// only when the config changes it; otherwise the one set live stays.
absl::StatusOr<v1::HallState> ReconfigureState(const v1::HallState& state,
                                               const v1::HallConfig& config);

}  // namespace qcall

#endif  // QCALL_ENGINE_RECONFIGURE_H_
