// The role table: every RPC of the four services has exactly one policy, and
// Authorize applies it (role, hall scope, a counter's windows).
#include "dispatcher/method_policy.h"

#include <google/protobuf/descriptor.h>

#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
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
  ASSERT_EQ(api->service_count(), 5);
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

#ifndef README_PATH
#error "README_PATH must name the project's README.md"
#endif

// What README.md's "The API in short" says of each method: the roles that
// open its tokens cell, and whether it says "limited to the token's windows".
struct Documented {
  std::set<v1::Role> roles;
  bool window_scoped = false;
};

std::map<std::string, Documented> ReadmeApiTable() {
  std::ifstream in(README_PATH);
  std::stringstream text;
  text << in.rdbuf();
  const std::string readme = text.str();
  const size_t start = readme.find("### The API in short");
  EXPECT_NE(start, std::string::npos);
  const std::map<std::string, v1::Role> kRoles = {
      {"kiosk", v1::ROLE_KIOSK},
      {"counter", v1::ROLE_COUNTER},
      {"display", v1::ROLE_DISPLAY},
      {"evaluator", v1::ROLE_EVALUATOR},
      {"supervisor", v1::ROLE_SUPERVISOR}};
  std::map<std::string, Documented> table;
  std::string service;
  std::istringstream lines(readme.substr(start));
  std::string line;
  bool in_table = false;
  while (std::getline(lines, line)) {
    if (!absl::StartsWith(line, "|")) {
      if (in_table) break;
      continue;
    }
    in_table = true;
    std::vector<std::string> cells = absl::StrSplit(line, '|');
    if (cells.size() < 5 || absl::StartsWith(cells[1], "---") ||
        absl::StripAsciiWhitespace(cells[1]) == "service") {
      continue;
    }
    absl::string_view named = absl::StripAsciiWhitespace(cells[1]);
    if (!named.empty())
      service = std::string(
          absl::StripPrefix(absl::StripSuffix(named, "`"), "`qcall.v1."));
    Documented documented;
    // The roles are the words the cell opens with: "kiosk, counter, ..."
    for (absl::string_view word :
         absl::StrSplit(absl::StripAsciiWhitespace(cells[3]),
                        absl::ByAnyChar(", :"), absl::SkipEmpty())) {
      auto role = kRoles.find(std::string(word));
      if (role == kRoles.end()) break;
      documented.roles.insert(role->second);
    }
    documented.window_scoped =
        cells[3].find("limited to the token's windows") != std::string::npos;
    for (absl::string_view rpc : absl::StrSplit(cells[2], ',')) {
      rpc = absl::StripAsciiWhitespace(rpc);
      rpc = rpc.substr(0, rpc.find(' '));  // "Watch (stream; ...)"
      table["/qcall.v1." + service + "/" + std::string(rpc)] = documented;
    }
  }
  return table;
}

TEST(MethodPolicyTest, TheReadmeSaysWhatTheTableSays) {
  const std::map<std::string, Documented> readme = ReadmeApiTable();
  EXPECT_EQ(readme.size(), AllMethodPolicies().size());
  for (const MethodPolicy& policy : AllMethodPolicies()) {
    const std::string method(policy.method);
    auto it = readme.find(method);
    ASSERT_NE(it, readme.end()) << method << " is not in the README's table";
    for (v1::Role role : {v1::ROLE_KIOSK, v1::ROLE_COUNTER, v1::ROLE_DISPLAY,
                          v1::ROLE_EVALUATOR}) {
      EXPECT_EQ(policy.roles.Has(role), it->second.roles.count(role) == 1)
          << method << ", " << v1::Role_Name(role);
    }
    EXPECT_EQ(policy.scope != WindowScope::kHall, it->second.window_scoped)
        << method;
    const bool only_supervisors = !policy.roles.Has(v1::ROLE_KIOSK) &&
                                  !policy.roles.Has(v1::ROLE_COUNTER) &&
                                  !policy.roles.Has(v1::ROLE_DISPLAY) &&
                                  !policy.roles.Has(v1::ROLE_EVALUATOR);
    EXPECT_EQ(only_supervisors,
              it->second.roles == std::set<v1::Role>{v1::ROLE_SUPERVISOR})
        << method;
  }
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
  EXPECT_FALSE(allowed("counter3", "/qcall.v1.Counter/Requeue", "h1", 0))
      << "a requeue names its window";
  EXPECT_TRUE(allowed("supervisor", "/qcall.v1.Counter/Requeue", "h1", 0));
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
