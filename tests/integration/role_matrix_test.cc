// Who may call what, as a matrix: every method of the four services, over
// gRPC and over the HTTP gateway, with every demo token, in its hall and
// window and out of them. The expected matrix is written out here from the
// rules as the README states them, apart from the role table the server
// uses (dispatcher/method_policy.cc), so the test cannot agree with the
// code merely by reading it. An allowed call may fail for what it asks (a
// window already open, a ticket that does not exist); only a refusal for
// who asks, PERMISSION_DENIED (HTTP 403), counts against the rules.
#include <google/protobuf/descriptor.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/util/json_util.h>

#include <map>
#include <memory>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "qcall/v1/api.grpc.pb.h"
#include "tests/integration/harness.h"
#include "tests/integration/http_client.h"
#include "tests/integration/qcalld_process.h"

#ifndef DEMO_CONFIG
#error "DEMO_CONFIG must name demo/halls.textproto"
#endif

namespace qcall::testing {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::MethodDescriptor;

constexpr char kXujiahui[] = "sh-xujiahui";
constexpr char kXidan[] = "bj-xidan";

// The demo tokens (demo/halls.textproto) and what they are.
enum class Who {
  kKiosk,
  kCounter,
  kCounter3,
  kEvaluator3,
  kDisplay,
  kSupervisor
};
const std::map<Who, std::string>& Tokens() {
  static const auto* tokens = new std::map<Who, std::string>{
      {Who::kKiosk, "demo-kiosk-token"},
      {Who::kCounter, "demo-counter-token"},
      {Who::kCounter3, "demo-counter3-token"},  // Xujiahui's window 3 only.
      // The evaluator pad of Xujiahui's window 3.
      {Who::kEvaluator3, "demo-evaluator3-token"},
      {Who::kDisplay, "demo-display-token"},
      {Who::kSupervisor, "demo-supervisor-token"}};
  return *tokens;
}

// The rules: which roles besides supervisors may call each method, and
// whether a counter token is held to its windows.
struct Rule {
  std::set<Who> roles;  // Kiosk, counter (both counter tokens), display.
  bool windows = false;
};
const std::map<std::string, Rule>& Rules() {
  static const auto* rules = [] {
    const std::set<Who> kiosk = {Who::kKiosk};
    const std::set<Who> counter = {Who::kCounter, Who::kCounter3};
    const std::set<Who> shown = {Who::kKiosk, Who::kCounter, Who::kCounter3,
                                 Who::kDisplay};
    std::set<Who> watchers = shown;
    watchers.insert(Who::kEvaluator3);
    auto* r = new std::map<std::string, Rule>{
        {"Kiosk/ListServices", {shown}},
        {"Kiosk/IssueTicket", {kiosk}},
        {"Kiosk/GetTicket", {shown}},
        {"Kiosk/CancelTicket", {kiosk}},
        {"Kiosk/CheckGuidePin", {kiosk}},
        {"Kiosk/GetBooking", {kiosk}},
        {"Kiosk/CheckIn", {kiosk}},
        {"Display/Watch", {watchers}},
        {"Supervisor/ListHalls", {}},
        {"Supervisor/GetHall", {}},
        {"Supervisor/GetLoadHistory", {}},
        {"Supervisor/Watch", {}},
        {"Supervisor/SetMinOpenWindows", {}},
        {"Supervisor/VoidTicket", {}},
        {"Supervisor/ConfigureHall", {}},
        {"Supervisor/CloseFollowUp", {}},
        {"Supervisor/SetNotice", {}},
        {"Supervisor/DismissAdvice", {}},
        // Bookings: a booking system gets a supervisor token.
        {"Supervisor/CreateBooking", {}},
        {"Supervisor/ListBookings", {}},
        {"Supervisor/AcknowledgeAlarm", {}},
        {"Evaluator/RateTicket", {{Who::kEvaluator3}, /*windows=*/true}},
        {"Supervisor/GetReport", {}},
        // A customer's phone: the supervisor's alone.
        {"Supervisor/ReadPrivateData", {}},
        {"Supervisor/ListPrivateDataReads", {}},
    };
    for (const char* m :
         {"OpenWindow", "CloseWindow", "PauseWindow", "ResumeWindow",
          "CallNext", "CallTicket", "Recall", "StartServing", "Complete",
          "NoShow", "Requeue", "Transfer", "Heartbeat", "CallBackComplaint",
          "ResolveComplaint"}) {
      (*r)[absl::StrCat("Counter/", m)] = {counter, /*windows=*/true};
    }
    return r;
  }();
  return *rules;
}

bool Allowed(const std::string& method, Who who, const std::string& hall,
             int32_t window) {
  const bool window3 = who == Who::kCounter3 || who == Who::kEvaluator3;
  if (window3 && hall != kXujiahui) return false;
  if (who == Who::kSupervisor) return true;
  const Rule& rule = Rules().at(method);
  if (!rule.roles.contains(who)) return false;
  return !(rule.windows && window3 && window != 3);
}

// A request for `method` that names `hall` and `window` where it has such
// fields (ConfigureHall names the hall inside its config).
std::unique_ptr<Message> RequestFor(const MethodDescriptor* method,
                                    const std::string& hall, int32_t window) {
  const Descriptor* type = method->input_type();
  std::unique_ptr<Message> request(
      google::protobuf::MessageFactory::generated_factory()
          ->GetPrototype(type)
          ->New());
  const auto* reflection = request->GetReflection();
  if (const FieldDescriptor* f = type->FindFieldByName("hall_id")) {
    reflection->SetString(request.get(), f, hall);
  }
  if (const FieldDescriptor* f = type->FindFieldByName("window")) {
    reflection->SetInt32(request.get(), f, window);
  }
  if (const FieldDescriptor* f = type->FindFieldByName("ticket")) {
    reflection->SetString(request.get(), f, "A001");
  }
  // The demo halls' guide PIN (demo/halls.textproto): CheckGuidePin by a
  // kiosk is then allowed and answers OK, not PERMISSION_DENIED.
  if (const FieldDescriptor* f = type->FindFieldByName("pin")) {
    reflection->SetString(request.get(), f, "2468");
  }
  if (const FieldDescriptor* f = type->FindFieldByName("config")) {
    Message* config = reflection->MutableMessage(request.get(), f);
    config->GetReflection()->SetString(
        config, config->GetDescriptor()->FindFieldByName("hall_id"), hall);
  }
  return request;
}

grpc::Status CallWatch(Api& api, const std::string& method,
                       const std::string& token, const std::string& hall) {
  v1::WatchRequest request;
  request.set_hall_id(hall);
  std::unique_ptr<Watcher> watcher =
      method == "Display/Watch"
          ? std::make_unique<Watcher>(&api.display, token, request,
                                      std::chrono::seconds(10))
          : std::make_unique<Watcher>(&api.supervisor, token, request,
                                      std::chrono::seconds(10));
  v1::WatchResponse response;
  if (watcher->Read(&response)) {
    watcher->Cancel();
    while (watcher->Read(&response)) {
    }
    watcher->Finish();
    return grpc::Status::OK;
  }
  return watcher->Finish();
}

struct Case {
  std::string method;  // "Kiosk/IssueTicket"
  const MethodDescriptor* descriptor;
};

std::vector<Case> AllMethods() {
  std::vector<Case> cases;
  const google::protobuf::FileDescriptor* api =
      v1::IssueTicketRequest::descriptor()->file();
  for (int s = 0; s < api->service_count(); ++s) {
    for (int m = 0; m < api->service(s)->method_count(); ++m) {
      const MethodDescriptor* method = api->service(s)->method(m);
      cases.push_back(
          {absl::StrCat(api->service(s)->name(), "/", method->name()), method});
    }
  }
  return cases;
}

TEST(QcalldRoleMatrixTest, EveryMethodEveryTokenInAndOutOfScope) {
  QcalldProcess server(
      {.config_path = DEMO_CONFIG, .extra_args = {"--http", "127.0.0.1:0"}});
  ASSERT_TRUE(server.Start());
  std::shared_ptr<grpc::Channel> channel = server.NewChannel();
  Api api(channel);
  const std::vector<Case> methods = AllMethods();
  ASSERT_EQ(methods.size(), Rules().size()) << "a method without a rule";
  int checked = 0;
  for (const Case& c : methods) {
    ASSERT_TRUE(Rules().contains(c.method)) << c.method << " has no rule";
    for (const auto& [who, token] : Tokens()) {
      for (const char* hall : {kXujiahui, kXidan}) {
        for (const int32_t window : {3, 4}) {
          const bool allowed = Allowed(c.method, who, hall, window);
          const bool streaming = c.descriptor->server_streaming();
          const grpc::Status status =
              streaming ? CallWatch(api, c.method, token, hall)
                        : CallWithBytes(channel, "/qcall.v1." + c.method,
                                        RequestFor(c.descriptor, hall, window)
                                            ->SerializeAsString(),
                                        token);
          const bool refused =
              status.error_code() == grpc::StatusCode::PERMISSION_DENIED;
          EXPECT_EQ(refused, !allowed)
              << c.method << " by " << token << " in " << hall << ", window "
              << window << ": " << status.error_code() << " "
              << status.error_message();
          EXPECT_NE(status.error_code(), grpc::StatusCode::UNAUTHENTICATED)
              << c.method << " by " << token;
          ++checked;
          // The HTTP gateway takes the same calls as JSON (streams as
          // Server-Sent Events, tested with the pages).
          if (streaming) continue;
          std::string json;
          ASSERT_TRUE(google::protobuf::util::MessageToJsonString(
                          *RequestFor(c.descriptor, hall, window), &json)
                          .ok());
          HttpClient http(server.http_port());
          const HttpReply reply =
              http.Post("/qcall.v1." + c.method, json, token);
          EXPECT_EQ(reply.status == 403, !allowed)
              << "HTTP " << c.method << " by " << token << " in " << hall
              << ", window " << window << ": " << reply.status << " "
              << reply.body;
          EXPECT_NE(reply.status, 401u) << reply.body;
          ++checked;
        }
      }
    }
  }
  // 40 methods, 6 tokens, 2 halls, 2 windows; unary ones over HTTP too.
  EXPECT_EQ(checked, 40 * 6 * 2 * 2 + 38 * 6 * 2 * 2);
}

TEST(QcalldRoleMatrixTest, TheEventStreamsOverHttpFollowTheSameRules) {
  QcalldProcess server(
      {.config_path = DEMO_CONFIG, .extra_args = {"--http", "127.0.0.1:0"}});
  ASSERT_TRUE(server.Start());
  for (const auto& [who, token] : Tokens()) {
    for (const char* hall : {kXujiahui, kXidan}) {
      for (const bool detail : {false, true}) {
        const std::string method =
            detail ? "Supervisor/Watch" : "Display/Watch";
        SseStream stream(
            server.http_port(),
            absl::StrCat("/events?hall=", hall, detail ? "&detail=1" : ""),
            {{"Authorization", "Bearer " + token}});
        EXPECT_EQ(stream.status() == 403, !Allowed(method, who, hall, 0))
            << method << " by " << token << " in " << hall << ": "
            << stream.status() << " " << stream.body();
      }
    }
  }
}

}  // namespace
}  // namespace qcall::testing
