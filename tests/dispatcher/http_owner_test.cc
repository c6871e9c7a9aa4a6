// With a HallLocator (several nodes on one store), the HTTP side sends a
// request for a hall this node does not serve to the owner: a page or event
// stream by 307 to the same path and query on the owner's origin (a page
// also learns where it entered), a JSON call by 503 naming the owner in
// Qcall-Owner and "owner"; while the hall moves, 503 with Retry-After.
// Without a locator, or for a hall served here or nowhere, nothing changes.
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "dispatcher/http_gateway.h"
#include "dispatcher/owner_redirect.h"
#include "gtest/gtest.h"
#include "qcall/v1/api.grpc.pb.h"

namespace qcall {
namespace {

namespace http = boost::beast::http;

// An exchange that keeps the answer (it may come from a gRPC thread).
class RecordedExchange final : public HttpExchange {
 public:
  RecordedExchange(http::verb method, const std::string& target,
                   std::string body = "") {
    request_.method(method);
    request_.target(target);
    request_.version(11);
    request_.set(http::field::host, "node-a:8080");
    request_.body() = std::move(body);
  }
  const HttpRequest& request() const override { return request_; }
  void Respond(unsigned answer_status, absl::string_view answer_type,
               std::string answer_body, HttpHeaders answer_headers) override {
    absl::MutexLock lock(&mu_);
    status_ = answer_status;
    content_type_ = std::string(answer_type);
    body_ = std::move(answer_body);
    for (auto& [name, value] : answer_headers) headers_[name] = value;
  }
  void StartStream(absl::string_view, std::string) override {
    absl::MutexLock lock(&mu_);
    status_ = 200;
  }
  bool Send(std::string) override { return true; }
  void EndStream() override {}
  void OnStreamClosed(std::function<void()>) override {}

  // Waits for the answer; 0 when none came within 10 s.
  unsigned status() {
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(
                             +[](unsigned* s) { return *s != 0; }, &status_),
                         absl::Seconds(10));
    return status_;
  }
  std::string body() {
    absl::MutexLock lock(&mu_);
    return body_;
  }
  std::string content_type() {
    absl::MutexLock lock(&mu_);
    return content_type_;
  }
  std::string header(const std::string& name) {
    absl::MutexLock lock(&mu_);
    auto it = headers_.find(name);
    return it == headers_.end() ? "" : it->second;
  }

 private:
  HttpRequest request_;
  absl::Mutex mu_;
  unsigned status_ ABSL_GUARDED_BY(mu_) = 0;
  std::string content_type_ ABSL_GUARDED_BY(mu_);
  std::string body_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, std::string> headers_ ABSL_GUARDED_BY(mu_);
};

// Halls by id: an owner, nullopt (moving), or an error; absent: NOT_FOUND.
class FakeLocator final : public HallLocator {
 public:
  absl::StatusOr<std::optional<NodeAddress>> Locate(
      absl::string_view hall_id) override {
    ++asked;
    auto it = halls.find(hall_id);
    if (it == halls.end()) return absl::NotFoundError("no such hall");
    return it->second;
  }
  absl::flat_hash_map<std::string, absl::StatusOr<std::optional<NodeAddress>>>
      halls;
  int asked = 0;
};

const NodeAddress kNodeB{
    .node = "node-b", .grpc = "node-b:50051", .http = "http://node-b:8080"};

class HttpOwnerTest : public ::testing::Test {
 protected:
  HttpOwnerTest() {
    std::filesystem::create_directories(web_root_);
    for (const char* page : {"board.html", "ticket.html"}) {
      std::ofstream(web_root_ / page) << "<!doctype html>" << page;
    }
    locator_.halls["far"] = std::optional<NodeAddress>(kNodeB);
    locator_.halls["moving"] = std::optional<NodeAddress>();
    locator_.halls["broken"] = absl::UnavailableError("database gone");
  }
  ~HttpOwnerTest() override { std::filesystem::remove_all(web_root_); }

  std::unique_ptr<HttpGateway> Gateway(
      HallLocator* locator,
      std::shared_ptr<grpc::Channel> channel = grpc::CreateChannel(
          "127.0.0.1:1", grpc::InsecureChannelCredentials())) {
    HttpGateway::Options options;
    options.web_root = web_root_.string();
    options.locator = locator;
    options.serves = [](const std::string& id) { return id == "here"; };
    return std::make_unique<HttpGateway>(
        std::move(channel), nullptr, nullptr, std::move(options),
        [] { return absl::OkStatus(); }, [] { return std::string(); });
  }

  std::shared_ptr<RecordedExchange> Get(HttpGateway& gateway,
                                        const std::string& target) {
    auto exchange = std::make_shared<RecordedExchange>(http::verb::get, target);
    gateway.Handle(exchange);
    return exchange;
  }

  std::filesystem::path web_root_ =
      std::filesystem::temp_directory_path() /
      ("http_owner_test_" + std::to_string(::getpid()));
  FakeLocator locator_;
};

TEST_F(HttpOwnerTest, WithoutALocatorEveryPageIsServedHere) {
  auto gateway = Gateway(nullptr);
  auto page = Get(*gateway, "/board?hall=far");
  EXPECT_EQ(page->status(), 200u);
  EXPECT_EQ(page->body(), "<!doctype html>board.html");
}

TEST_F(HttpOwnerTest, APageOfAHallServedElsewhereGoesToItsOwner) {
  auto gateway = Gateway(&locator_);
  auto page = Get(*gateway, "/board?hall=far&lang=en&token=t%2B1");
  EXPECT_EQ(page->status(), 307u);
  EXPECT_EQ(page->header("Location"),
            "http://node-b:8080/board?hall=far&lang=en&token=t%2B1"
            "&entry=http%3A%2F%2Fnode-a%3A8080");
  EXPECT_EQ(page->header("Cache-Control"), "no-store");
}

TEST_F(HttpOwnerTest, APageThatKnowsItsEntryKeepsIt) {
  auto gateway = Gateway(&locator_);
  auto page = Get(*gateway, "/board?hall=far&entry=http%3A%2F%2Flb");
  EXPECT_EQ(page->status(), 307u);
  EXPECT_EQ(page->header("Location"),
            "http://node-b:8080/board?hall=far&entry=http%3A%2F%2Flb");
}

TEST_F(HttpOwnerTest, TheTicketPageGoesToTheOwnerOfItsHall) {
  auto gateway = Gateway(&locator_);
  auto page = Get(*gateway, "/t/far/A012");
  EXPECT_EQ(page->status(), 307u);
  EXPECT_EQ(page->header("Location"),
            "http://node-b:8080/t/far/A012?entry=http%3A%2F%2Fnode-a%3A8080");
}

TEST_F(HttpOwnerTest, AnEventStreamIsRedirectedWithItsQueryAsIs) {
  auto gateway = Gateway(&locator_);
  auto stream = Get(*gateway, "/events?hall=far&after=41");
  EXPECT_EQ(stream->status(), 307u);
  EXPECT_EQ(stream->header("Location"),
            "http://node-b:8080/events?hall=far&after=41");
}

TEST_F(HttpOwnerTest, AJsonCallIsToldTheOwner) {
  auto gateway = Gateway(&locator_);
  auto call = std::make_shared<RecordedExchange>(
      http::verb::post, "/qcall.v1.Counter/CallNext",
      R"({"hallId": "far", "window": 3})");
  gateway->Handle(call);
  EXPECT_EQ(call->status(), 503u);
  EXPECT_EQ(call->header("Qcall-Owner"), "http://node-b:8080");
  EXPECT_EQ(call->content_type(), "application/json");
  EXPECT_EQ(
      call->body(),
      R"({"code":"unavailable",)"
      R"("message":"hall far is served by node node-b at node-b:50051; ask there",)"
      R"("error":"hall far is served by node node-b at node-b:50051; ask there",)"
      R"("owner":"http://node-b:8080"})");
}

TEST_F(HttpOwnerTest, TheTicketStatusIsAJsonCall) {
  auto gateway = Gateway(&locator_);
  auto call = Get(*gateway, "/ticket/far/A012");
  EXPECT_EQ(call->status(), 503u);
  EXPECT_EQ(call->header("Qcall-Owner"), "http://node-b:8080");
}

TEST_F(HttpOwnerTest, AMovingHallAsksToRetry) {
  auto gateway = Gateway(&locator_);
  auto page = Get(*gateway, "/board?hall=moving");
  EXPECT_EQ(page->status(), 503u);
  EXPECT_EQ(page->header("Retry-After"), "2");
  EXPECT_EQ(page->header("Location"), "");
  EXPECT_NE(page->body().find("<meta http-equiv=refresh content=2>"),
            std::string::npos);
  EXPECT_NE(page->body().find(
                "hall moving is moving to another node; retry in a moment"),
            std::string::npos);
  auto call = std::make_shared<RecordedExchange>(http::verb::post,
                                                 "/qcall.v1.Kiosk/ListServices",
                                                 R"({"hallId": "moving"})");
  gateway->Handle(call);
  EXPECT_EQ(call->status(), 503u);
  EXPECT_EQ(call->header("Retry-After"), "2");
  EXPECT_EQ(call->header("Qcall-Owner"), "");
  EXPECT_NE(call->body().find(R"("owner":"")"), std::string::npos);
  auto stream = Get(*gateway, "/events?hall=moving");
  EXPECT_EQ(stream->status(), 503u);
  EXPECT_EQ(stream->header("Retry-After"), "2");
}

TEST_F(HttpOwnerTest, AnOwnerWithoutHttpIsAsGoodAsMovingToABrowser) {
  locator_.halls["grpc-only"] = std::optional<NodeAddress>(
      NodeAddress{.node = "c", .grpc = "c:1", .http = ""});
  auto gateway = Gateway(&locator_);
  auto page = Get(*gateway, "/board?hall=grpc-only");
  EXPECT_EQ(page->status(), 503u);
  EXPECT_EQ(page->header("Location"), "");
}

TEST_F(HttpOwnerTest, HallsServedHereOrNowhereAreAnsweredHere) {
  auto gateway = Gateway(&locator_);
  EXPECT_EQ(Get(*gateway, "/board?hall=here")->status(), 200u);
  EXPECT_EQ(locator_.asked, 0);  // A hall served here costs no look-up.
  EXPECT_EQ(Get(*gateway, "/board?hall=unknown")->status(), 200u);
  EXPECT_EQ(Get(*gateway, "/board")->status(), 200u);
}

TEST_F(HttpOwnerTest, ALocatorThatFailsIsAnUnavailableHttpSide) {
  auto gateway = Gateway(&locator_);
  auto page = Get(*gateway, "/board?hall=broken");
  EXPECT_EQ(page->status(), 503u);
  EXPECT_NE(page->body().find(
                "cannot tell which node serves hall broken: database gone"),
            std::string::npos);
}

// The hall leaves this node between the gateway's look and the service's
// answer: the service's UNAVAILABLE with the owner in its trailers becomes
// the same 503.
class GoneKiosk final : public v1::Kiosk::CallbackService {
 public:
  grpc::ServerUnaryReactor* ListServices(grpc::CallbackServerContext* context,
                                         const v1::ListServicesRequest* request,
                                         v1::ListServicesResponse*) override {
    auto* reactor = context->DefaultReactor();
    reactor->Finish(OwnerRedirect(request->hall_id(), kNodeB, context));
    return reactor;
  }
};

TEST_F(HttpOwnerTest, AServiceThatNamesTheOwnerIsTranslated) {
  GoneKiosk kiosk;
  grpc::ServerBuilder builder;
  builder.RegisterService(&kiosk);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  {
    auto gateway = Gateway(&locator_, server->InProcessChannel({}));
    auto call = std::make_shared<RecordedExchange>(
        http::verb::post, "/qcall.v1.Kiosk/ListServices",
        R"({"hallId": "here"})");
    gateway->Handle(call);
    EXPECT_EQ(call->status(), 503u);
    EXPECT_EQ(call->header("Qcall-Owner"), "http://node-b:8080");
    EXPECT_NE(call->body().find(R"("owner":"http://node-b:8080")"),
              std::string::npos);
    gateway->Stop(std::chrono::seconds(5));
  }
  server->Shutdown();
}

}  // namespace
}  // namespace qcall
