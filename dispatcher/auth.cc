#include "dispatcher/auth.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace qcall {

Authenticator::Authenticator(const v1::ServerConfig& config) {
  for (const v1::TokenConfig& token : config.tokens()) {
    tokens_[token.token()] = token;
  }
}

absl::StatusOr<Caller> Authenticator::Authenticate(
    const grpc::CallbackServerContext* context) const {
  const auto& metadata = context->client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) {
    return absl::UnauthenticatedError(
        "missing metadata 'authorization: Bearer <token>'");
  }
  const absl::string_view value(it->second.data(), it->second.size());
  constexpr absl::string_view kBearer = "Bearer ";
  if (!absl::StartsWithIgnoreCase(value, kBearer)) {
    return absl::UnauthenticatedError("authorization must be 'Bearer <token>'");
  }
  return AuthenticateToken(value.substr(kBearer.size()));
}

absl::StatusOr<Caller> Authenticator::AuthenticateToken(
    absl::string_view token) const {
  auto it = tokens_.find(token);
  if (it == tokens_.end()) return absl::UnauthenticatedError("unknown token");
  return &it->second;
}

absl::Status Authenticator::Authorize(Caller caller, const std::string& hall_id,
                                      std::initializer_list<v1::Role> roles,
                                      int32_t window) const {
  const bool hall_ok = std::any_of(
      caller->halls().begin(), caller->halls().end(),
      [&](const std::string& h) { return h == "*" || h == hall_id; });
  if (!hall_ok) {
    return absl::PermissionDeniedError(
        absl::StrCat("token '", caller->name(), "' may not use hall '",
                     hall_id.substr(0, 64), "'"));
  }
  if (caller->role() == v1::ROLE_SUPERVISOR) return absl::OkStatus();
  if (std::find(roles.begin(), roles.end(), caller->role()) == roles.end()) {
    return absl::PermissionDeniedError(absl::StrCat(
        "a ", v1::Role_Name(caller->role()), " token may not make this call"));
  }
  if (caller->role() == v1::ROLE_COUNTER && window != 0 &&
      !caller->windows().empty() &&
      std::find(caller->windows().begin(), caller->windows().end(), window) ==
          caller->windows().end()) {
    return absl::PermissionDeniedError(absl::StrCat(
        "token '", caller->name(), "' may not work window ", window));
  }
  return absl::OkStatus();
}

}  // namespace qcall
