// Authenticator checks the bearer token of each call against the configured
// tokens: who the caller is (UNAUTHENTICATED when unknown), and whether the
// method's policy, the hall and the window allow the call (PERMISSION_DENIED
// otherwise). It keeps each token as its SHA-256 (token_hash.h; a config's
// token_sha256 as it is, a plain token hashed at start) and finds a
// request's token by its hash.
//
//   ASSIGN_OR_RETURN(const Caller caller, auth.Authenticate(context));
//   RETURN_IF_ERROR(auth.Authorize(
//       caller, PolicyOf("/qcall.v1.Kiosk/IssueTicket"), hall_id));
#ifndef QCALL_DISPATCHER_AUTH_H_
#define QCALL_DISPATCHER_AUTH_H_

#include <grpcpp/grpcpp.h>

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "dispatcher/method_policy.h"
#include "qcall/v1/server_config.pb.h"

namespace qcall {

using Caller = const v1::TokenConfig*;

class Authenticator {
 public:
  explicit Authenticator(const v1::ServerConfig& config);

  absl::StatusOr<Caller> Authenticate(
      const grpc::CallbackServerContext* context) const;
  // The same for a bare token (the HTTP side's cookie or query parameter).
  absl::StatusOr<Caller> AuthenticateToken(absl::string_view token) const;
  // A supervisor may do everything in its halls; other roles what `policy`
  // lists. `window` 0 means the call names no window.
  absl::Status Authorize(Caller caller, const MethodPolicy& policy,
                         const std::string& hall_id, int32_t window = 0) const;
  // Whether the token may see `hall_id` at all.
  static bool InScope(Caller caller, const std::string& hall_id);

  // The token of an "authorization: Bearer <token>" value; the scheme is
  // case-insensitive (RFC 7235). nullopt for any other value.
  static absl::optional<absl::string_view> BearerToken(
      absl::string_view authorization);

 private:
  // By the token's SHA-256 (32 bytes); the entries hold no token.
  absl::flat_hash_map<std::string, v1::TokenConfig> tokens_;
};

}  // namespace qcall

#endif  // QCALL_DISPATCHER_AUTH_H_
