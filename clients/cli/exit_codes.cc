#include "clients/cli/exit_codes.h"

namespace qcall::cli {

ExitCode ExitCodeFor(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return kExitOk;
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::OUT_OF_RANGE:
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::ABORTED:
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return kExitRefused;
    case grpc::StatusCode::NOT_FOUND:
      return kExitNotFound;
    case grpc::StatusCode::UNAUTHENTICATED:
    case grpc::StatusCode::PERMISSION_DENIED:
      return kExitAuth;
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return kExitUnreachable;
    default:
      return kExitFailed;
  }
}

const char kExitCodeHelp[] =
    "Exit codes:\n"
    "  0  ok\n"
    "  1  other failure (internal server error, file not writable)\n"
    "  2  usage error\n"
    "  3  nothing to do: counter call found nobody waiting\n"
    "  4  refused: invalid argument, failed precondition, limit reached\n"
    "  5  not found: hall, ticket or window\n"
    "  6  unknown token or not allowed\n"
    "  7  qcalld unreachable or too slow (retry with the same --request-id)\n"
    "Errors are one line on stderr: qcall: <STATUS>: <what is wrong>\n"
    "Environment: QCALL_SERVER, QCALL_TOKEN, QCALL_HALL, QCALL_WINDOW, "
    "QCALL_CLERK.";

}  // namespace qcall::cli
