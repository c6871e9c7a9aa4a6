// The exit codes of `qcall`, which scripts may rely on. One code per class
// of gRPC status, so that a script can tell "try again later" from "fix the
// command" from "nothing to do":
//
//   while qcall counter call 3; do ...; done   # stops at exit 3: nobody waits
//
// `qcall --help` prints the same table (kExitCodeHelp).
#ifndef QCALL_CLIENTS_CLI_EXIT_CODES_H_
#define QCALL_CLIENTS_CLI_EXIT_CODES_H_

#include <grpcpp/grpcpp.h>

namespace qcall::cli {

enum ExitCode : int {
  kExitOk = 0,
  // Anything not below: an internal server error, UNIMPLEMENTED, a file that
  // cannot be written.
  kExitFailed = 1,
  // The command line is wrong (CLI11's parse errors, a missing --hall).
  kExitUsage = 2,
  // The call worked but there was nothing to do: `counter call` found nobody
  // waiting. Not an error; a loop over `counter call` ends on it.
  kExitNothingToDo = 3,
  // The server refused the request as asked: INVALID_ARGUMENT,
  // FAILED_PRECONDITION, OUT_OF_RANGE, ALREADY_EXISTS, ABORTED,
  // RESOURCE_EXHAUSTED. Retrying the same command will not help.
  kExitRefused = 4,
  // NOT_FOUND: no such hall, ticket or window.
  kExitNotFound = 5,
  // UNAUTHENTICATED or PERMISSION_DENIED: the token is unknown or may not do
  // this.
  kExitAuth = 6,
  // UNAVAILABLE or DEADLINE_EXCEEDED: qcalld is not reachable or did not
  // answer in time. Safe to retry a mutating command with its --request-id.
  kExitUnreachable = 7,
};

ExitCode ExitCodeFor(grpc::StatusCode code);

// The table above in words, for the footer of `qcall --help`.
extern const char kExitCodeHelp[];

}  // namespace qcall::cli

#endif  // QCALL_CLIENTS_CLI_EXIT_CODES_H_
