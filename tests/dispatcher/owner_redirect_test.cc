// A node asked for a hall it does not serve answers UNAVAILABLE with the
// owner in the message and in the trailing metadata a client reads; while
// the hall is moving it names no owner.
#include "dispatcher/owner_redirect.h"

#include <grpcpp/grpcpp.h>

#include <memory>
#include <optional>
#include <string>

#include "gtest/gtest.h"
#include "qcall/v1/api.grpc.pb.h"

namespace qcall {
namespace {

// Every ListServices is for a hall served by `owner` (none: moving).
class ElsewhereKiosk final : public v1::Kiosk::CallbackService {
 public:
  grpc::ServerUnaryReactor* ListServices(grpc::CallbackServerContext* context,
                                         const v1::ListServicesRequest* request,
                                         v1::ListServicesResponse*) override {
    auto* reactor = context->DefaultReactor();
    reactor->Finish(OwnerRedirect(request->hall_id(), owner, context));
    return reactor;
  }
  std::optional<NodeAddress> owner;
};

class OwnerRedirectTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    builder.RegisterService(&kiosk_);
    server_ = builder.BuildAndStart();
    stub_ = v1::Kiosk::NewStub(server_->InProcessChannel({}));
  }
  void TearDown() override { server_->Shutdown(); }

  grpc::Status Ask(grpc::ClientContext* context) {
    v1::ListServicesRequest request;
    request.set_hall_id("hall-7");
    v1::ListServicesResponse response;
    return stub_->ListServices(context, request, &response);
  }

  ElsewhereKiosk kiosk_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::Kiosk::Stub> stub_;
};

TEST_F(OwnerRedirectTest, NamesTheOwnerInTheMessageAndTheTrailers) {
  kiosk_.owner = NodeAddress{
      .node = "n2", .grpc = "10.0.0.2:50051", .http = "http://10.0.0.2:8080"};
  grpc::ClientContext context;
  const grpc::Status status = Ask(&context);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(status.error_message(),
            "hall hall-7 is served by node n2 at 10.0.0.2:50051; ask there");
  EXPECT_EQ(OwnerGrpcOf(context), "10.0.0.2:50051");
  EXPECT_EQ(OwnerHttpOf(context), "http://10.0.0.2:8080");
}

TEST_F(OwnerRedirectTest, AnOwnerWithoutHttpSendsNoHttpTrailer) {
  kiosk_.owner =
      NodeAddress{.node = "n3", .grpc = "10.0.0.3:50051", .http = ""};
  grpc::ClientContext context;
  EXPECT_EQ(Ask(&context).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(OwnerGrpcOf(context), "10.0.0.3:50051");
  EXPECT_EQ(context.GetServerTrailingMetadata().count(kOwnerHttpKey), 0u);
}

TEST_F(OwnerRedirectTest, AMovingHallNamesNoOwner) {
  grpc::ClientContext context;
  const grpc::Status status = Ask(&context);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(status.error_message(),
            "hall hall-7 is moving to another node; retry in a moment");
  EXPECT_EQ(OwnerGrpcOf(context), "");
  EXPECT_EQ(OwnerHttpOf(context), "");
}

}  // namespace
}  // namespace qcall
