// The role table: every RPC of the four services has exactly one policy, and
// Authorize applies it (role, hall scope, a counter's windows).
#include "dispatcher/method_policy.h"

#include <google/protobuf/descriptor.h>

#include <set>
#include <string>

#include "dispatcher/auth.h"
#include "gtest/gtest.h"
#include "qcall/v1/api.grpc.pb.h"

namespace qcall {
namespace {

TEST(MethodPolicyTest, EveryMethodOfTheApiHasOnePolicy) {
  std::set<std::string> from_proto;
  // api.proto, reached through one of its messages so that it is linked.
  const google::protobuf::FileDescriptor* api =
      v1::IssueTicketRequest::descriptor()->file();
  ASSERT_EQ(api->service_count(), 4);
  for (int s = 0; s < api->service_count(); ++s) {
    const google::protobuf::ServiceDescriptor* service = api->service(s);
    for (int i = 0; i < service->method_count(); ++i) {
      from_proto.insert("/" + service->full_name() + "/" +
                        service->method(i)->name());
    }
  }
  std::set<std::string> from_table;
  for (const MethodPolicy& policy : AllMethodPolicies()) {
    EXPECT_TRUE(from_table.insert(std::string(policy.method)).second)
        << policy.method << " is listed twice";
  }
  EXPECT_EQ(from_table, from_proto);
}

v1::ServerConfig Tokens() {
  v1::ServerConfig config;
  auto add = [&](const char* token, v1::Role role, const char* hall,
                 std::initializer_list<int32_t> windows = {}) {
    v1::TokenConfig* t = config.add_tokens();
    t->set_token(token);
    t->set_role(role);
    t->add_halls(hall);
    t->set_name(token);
    for (int32_t w : windows) t->add_windows(w);
  };
  add("kiosk", v1::ROLE_KIOSK, "h1");
  add("counter3", v1::ROLE_COUNTER, "h1", {3});
  add("display", v1::ROLE_DISPLAY, "*");
  add("supervisor", v1::ROLE_SUPERVISOR, "h1");
  return config;
}

TEST(MethodPolicyTest, AuthorizeAppliesRoleHallAndWindow) {
  const Authenticator auth(Tokens());
  auto caller = [&](const char* token) {
    return *auth.AuthenticateToken(token);
  };
  auto allowed = [&](const char* token, const char* method,
                     const char* hall = "h1", int32_t window = 0) {
    return auth.Authorize(caller(token), PolicyOf(method), hall, window).ok();
  };
  EXPECT_TRUE(allowed("kiosk", "/qcall.v1.Kiosk/IssueTicket"));
  EXPECT_TRUE(allowed("kiosk", "/qcall.v1.Kiosk/CancelTicket"));
  EXPECT_FALSE(allowed("kiosk", "/qcall.v1.Kiosk/IssueTicket", "h2"));
  EXPECT_FALSE(allowed("kiosk", "/qcall.v1.Counter/Requeue", "h1", 3));
  EXPECT_FALSE(allowed("counter3", "/qcall.v1.Kiosk/CancelTicket"));
  EXPECT_TRUE(allowed("counter3", "/qcall.v1.Kiosk/GetTicket"));
  EXPECT_TRUE(allowed("counter3", "/qcall.v1.Counter/Requeue", "h1", 3));
  EXPECT_FALSE(allowed("counter3", "/qcall.v1.Counter/Requeue", "h1", 4));
  EXPECT_FALSE(allowed("counter3", "/qcall.v1.Counter/CallNext", "h1", 4));
  EXPECT_FALSE(allowed("counter3", "/qcall.v1.Supervisor/GetHall"));
  EXPECT_TRUE(allowed("display", "/qcall.v1.Display/Watch", "any-hall"));
  EXPECT_FALSE(allowed("display", "/qcall.v1.Supervisor/Watch"));
  EXPECT_TRUE(allowed("supervisor", "/qcall.v1.Counter/CallNext", "h1", 9));
  EXPECT_FALSE(allowed("supervisor", "/qcall.v1.Supervisor/GetHall", "h2"));
  const absl::Status refused = auth.Authorize(
      caller("kiosk"), PolicyOf("/qcall.v1.Counter/Requeue"), "h1", 3);
  EXPECT_EQ(refused.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(refused.message(),
            "a ROLE_KIOSK token may not call qcall.v1.Counter/Requeue");
}

TEST(MethodPolicyTest, BearerSchemeIsCaseInsensitive) {
  EXPECT_EQ(Authenticator::BearerToken("Bearer abc"), "abc");
  EXPECT_EQ(Authenticator::BearerToken("bearer abc"), "abc");
  EXPECT_EQ(Authenticator::BearerToken("BEARER abc"), "abc");
  EXPECT_EQ(Authenticator::BearerToken("Basic abc"), absl::nullopt);
  EXPECT_EQ(Authenticator::BearerToken("Bearer"), absl::nullopt);
}

}  // namespace
}  // namespace qcall
