// Who may call each method of qcalld: the one table that the gRPC services
// and the HTTP gateway both read. A supervisor token may call every method in
// its halls; the table lists the other roles that may.
//
//   const MethodPolicy& policy = PolicyOf("/qcall.v1.Kiosk/IssueTicket");
//   RETURN_IF_ERROR(auth.Authorize(caller, policy, hall_id, window));
#ifndef QCALL_DISPATCHER_METHOD_POLICY_H_
#define QCALL_DISPATCHER_METHOD_POLICY_H_

#include <cstdint>
#include <initializer_list>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "qcall/v1/server_config.pb.h"

namespace qcall {

class RoleSet {
 public:
  constexpr RoleSet(std::initializer_list<v1::Role> roles) {
    for (v1::Role role : roles) bits_ |= Bit(role);
  }
  constexpr bool Has(v1::Role role) const { return (bits_ & Bit(role)) != 0; }

 private:
  static constexpr uint32_t Bit(v1::Role role) {
    return uint32_t{1} << static_cast<int>(role);
  }
  uint32_t bits_ = 0;
};

// What a counter or evaluator token must show of the window a request names.
enum class WindowScope {
  kHall,         // Nothing: the call names no window, or any will do.
  kWindow,       // A window it names must be one of the token's.
  kNamedWindow,  // It must name one of the token's windows (not 0).
};

struct MethodPolicy {
  // The full gRPC name, "/qcall.v1.Kiosk/IssueTicket".
  absl::string_view method;
  // Besides supervisors.
  RoleSet roles;
  WindowScope scope;
};

// Every method of the four services, once.
absl::Span<const MethodPolicy> AllMethodPolicies();

// The policy of `method`; a method missing from the table is a programming
// error and fatal.
const MethodPolicy& PolicyOf(absl::string_view method);

}  // namespace qcall

#endif  // QCALL_DISPATCHER_METHOD_POLICY_H_
