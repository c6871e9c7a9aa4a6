#include "dispatcher/health_service.h"

#include <mutex>
#include <set>
#include <string>

namespace qcall {
namespace {

using grpc::health::v1::HealthCheckResponse;

bool Known(const std::string& service) {
  static const std::set<std::string> kServices = {
      "", "qcall.v1.Kiosk", "qcall.v1.Counter", "qcall.v1.Display",
      "qcall.v1.Supervisor"};
  return kServices.contains(service);
}

class HealthWatch : public grpc::ServerWriteReactor<HealthCheckResponse> {
 public:
  explicit HealthWatch(HealthCheckResponse::ServingStatus status) {
    response_.set_status(status);
    StartWrite(&response_);
  }
  void OnWriteDone(bool ok) override {
    if (!ok) Finish(grpc::Status::CANCELLED);
  }
  void OnCancel() override { Finish(grpc::Status::CANCELLED); }
  void OnDone() override { delete this; }

 private:
  HealthCheckResponse response_;
};

}  // namespace

grpc::ServerUnaryReactor* HealthService::Check(
    grpc::CallbackServerContext* context,
    const grpc::health::v1::HealthCheckRequest* request,
    HealthCheckResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (!Known(request->service())) {
    reactor->Finish(grpc::Status(grpc::StatusCode::NOT_FOUND,
                                 "unknown service " + request->service()));
    return reactor;
  }
  response->set_status(serving_() ? HealthCheckResponse::SERVING
                                  : HealthCheckResponse::NOT_SERVING);
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerWriteReactor<HealthCheckResponse>* HealthService::Watch(
    grpc::CallbackServerContext*,
    const grpc::health::v1::HealthCheckRequest* request) {
  if (!Known(request->service())) {
    return new HealthWatch(HealthCheckResponse::SERVICE_UNKNOWN);
  }
  return new HealthWatch(serving_() ? HealthCheckResponse::SERVING
                                    : HealthCheckResponse::NOT_SERVING);
}

}  // namespace qcall
