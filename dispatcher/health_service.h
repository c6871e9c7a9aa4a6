// grpc.health.v1.Health for qcalld: SERVING while the journal can write,
// NOT_SERVING once a write failed (the server then refuses every change).
// Known services: "" (the whole server) and the four qcall.v1 services.
#ifndef QCALL_DISPATCHER_HEALTH_SERVICE_H_
#define QCALL_DISPATCHER_HEALTH_SERVICE_H_

#include <functional>

#include "grpc/health/v1/health.grpc.pb.h"

namespace qcall {

class HealthService final : public grpc::health::v1::Health::CallbackService {
 public:
  // `serving` says whether the server can take changes right now.
  explicit HealthService(std::function<bool()> serving)
      : serving_(std::move(serving)) {}

  grpc::ServerUnaryReactor* Check(
      grpc::CallbackServerContext* context,
      const grpc::health::v1::HealthCheckRequest* request,
      grpc::health::v1::HealthCheckResponse* response) override;
  // Sends the current status, then holds the stream open until the client
  // leaves or the server stops.
  grpc::ServerWriteReactor<grpc::health::v1::HealthCheckResponse>* Watch(
      grpc::CallbackServerContext* context,
      const grpc::health::v1::HealthCheckRequest* request) override;

 private:
  std::function<bool()> serving_;
};

}  // namespace qcall

#endif  // QCALL_DISPATCHER_HEALTH_SERVICE_H_
