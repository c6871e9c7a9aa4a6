// RETURN_IF_ERROR and ASSIGN_OR_RETURN for absl::Status, which the Abseil we
// build against (20220623) does not ship.
//
//   absl::Status Open(int window) {
//     RETURN_IF_ERROR(CheckWindow(window));
//     ASSIGN_OR_RETURN(Window * w, FindWindow(window));
//     ...
//   }
#ifndef QCALL_ENGINE_STATUS_MACROS_H_
#define QCALL_ENGINE_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define QCALL_CONCAT_INNER_(a, b) a##b
#define QCALL_CONCAT_(a, b) QCALL_CONCAT_INNER_(a, b)

#define RETURN_IF_ERROR(expr)                                     \
  do {                                                            \
    if (absl::Status qcall_status_ = (expr); !qcall_status_.ok()) \
        [[unlikely]] {                                            \
      return qcall_status_;                                       \
    }                                                             \
  } while (false)

#define ASSIGN_OR_RETURN(lhs, expr)                                           \
  QCALL_ASSIGN_OR_RETURN_IMPL_(QCALL_CONCAT_(qcall_statusor_, __LINE__), lhs, \
                               expr)

#define QCALL_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                                 \
  if (!statusor.ok()) [[unlikely]] {                      \
    return std::move(statusor).status();                  \
  }                                                       \
  lhs = *std::move(statusor)

#endif  // QCALL_ENGINE_STATUS_MACROS_H_
