// The engine command an API request asks for. The requests of api.proto name
// their fields as the engine's commands do, so one function copies them by
// name into the command's `kind` and no handler copies fields by hand.
// Fields the command lacks (hall_id, request_id) stay behind; who did it
// (`supervisor_id`, an override's `supervisor_id`) is never the request's to
// say and is signed from the token.
//
//   v1::Command command =
//       CommandFromRequest(request, v1::Command::kIssueTicket);
//   SignCommand(caller_name, &command);
#ifndef QCALL_DISPATCHER_COMMAND_REQUEST_H_
#define QCALL_DISPATCHER_COMMAND_REQUEST_H_

#include <google/protobuf/message.h>

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "qcall/v1/engine.pb.h"

namespace qcall {

// A field of the command that the request has under the same name but of
// another type is a programming error, and fatal (a test checks every pair).
v1::Command CommandFromRequest(const google::protobuf::Message& request,
                               v1::Command::KindCase kind);

// Writes `who` into the command's supervisor_id and its override's, where it
// has them.
void SignCommand(absl::string_view who, v1::Command* command);

// Whether the command carries an override of the minimum of open windows.
bool HasOverride(const v1::Command& command);

// Whether qcalld draws something at random for the command (AddRandomness).
bool DrawsAtRandom(const v1::Command& command);

// Fills in what qcalld draws at random for a command before it is applied
// and journaled: a CreateBooking's code_seed (libsodium's randombytes), so
// replay makes the same code and nobody can predict one. Other commands are
// left as they are.
void AddRandomness(v1::Command* command);

// What a retry with the same request id must repeat: the command without
// what AddRandomness drew (a retry draws anew).
std::string RequestFingerprint(const v1::Command& command);

// The request's `window` field; 0 when it has none.
int32_t RequestWindow(const google::protobuf::Message& request);

}  // namespace qcall

#endif  // QCALL_DISPATCHER_COMMAND_REQUEST_H_
