// The gRPC services of qcalld: Kiosk, Counter, Display and Supervisor. Each
// handler authenticates, checks its input, turns the request into an engine
// command or a read, and hands it to the hall's runtime; none blocks.
#ifndef QCALL_DISPATCHER_SERVICES_H_
#define QCALL_DISPATCHER_SERVICES_H_

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "dispatcher/auth.h"
#include "dispatcher/grpc_status.h"
#include "dispatcher/hall_directory.h"
#include "dispatcher/hall_runtime.h"
#include "qcall/v1/api.grpc.pb.h"

namespace qcall {

struct ServiceContext {
  const Authenticator* auth;
  HallDirectory* halls;
  int64_t heartbeat_timeout_seconds;
  // Watch streams open on the whole server, and how many may be.
  std::atomic<int64_t>* open_streams;
  int64_t max_streams;
  // Builds and starts a hall that ConfigureHall adds.
  std::function<absl::StatusOr<std::unique_ptr<HallRuntime>>(
      const v1::HallConfig&)>
      new_hall;
};

class KioskService final : public v1::Kiosk::CallbackService {
 public:
  explicit KioskService(ServiceContext context) : c_(context) {}
  grpc::ServerUnaryReactor* ListServices(
      grpc::CallbackServerContext* context,
      const v1::ListServicesRequest* request,
      v1::ListServicesResponse* response) override;
  grpc::ServerUnaryReactor* IssueTicket(grpc::CallbackServerContext* context,
                                        const v1::IssueTicketRequest* request,
                                        v1::CommandReply* response) override;
  grpc::ServerUnaryReactor* GetTicket(grpc::CallbackServerContext* context,
                                      const v1::GetTicketRequest* request,
                                      v1::CommandReply* response) override;
  grpc::ServerUnaryReactor* CancelTicket(grpc::CallbackServerContext* context,
                                         const v1::CancelTicketRequest* request,
                                         v1::CommandReply* response) override;

 private:
  ServiceContext c_;
};

class CounterService final : public v1::Counter::CallbackService {
 public:
  explicit CounterService(ServiceContext context) : c_(context) {}
  grpc::ServerUnaryReactor* OpenWindow(grpc::CallbackServerContext* context,
                                       const v1::OpenWindowRequest* request,
                                       v1::CommandReply* response) override;
  grpc::ServerUnaryReactor* CloseWindow(grpc::CallbackServerContext* context,
                                        const v1::CloseWindowRequest* request,
                                        v1::CommandReply* response) override;
  grpc::ServerUnaryReactor* PauseWindow(grpc::CallbackServerContext* context,
                                        const v1::PauseWindowRequest* request,
                                        v1::CommandReply* response) override;
  grpc::ServerUnaryReactor* ResumeWindow(grpc::CallbackServerContext* context,
                                         const v1::WindowRequest* request,
                                         v1::CommandReply* response) override;
  grpc::ServerUnaryReactor* CallNext(grpc::CallbackServerContext* context,
                                     const v1::WindowRequest* request,
                                     v1::CommandReply* response) override;
  grpc::ServerUnaryReactor* CallTicket(grpc::CallbackServerContext* context,
                                       const v1::CallTicketRequest* request,
                                       v1::CommandReply* response) override;
  grpc::ServerUnaryReactor* Recall(grpc::CallbackServerContext* context,
                                   const v1::WindowRequest* request,
                                   v1::CommandReply* response) override;
  grpc::ServerUnaryReactor* StartServing(grpc::CallbackServerContext* context,
                                         const v1::WindowRequest* request,
                                         v1::CommandReply* response) override;
  grpc::ServerUnaryReactor* Complete(grpc::CallbackServerContext* context,
                                     const v1::CompleteRequest* request,
                                     v1::CommandReply* response) override;
  grpc::ServerUnaryReactor* NoShow(grpc::CallbackServerContext* context,
                                   const v1::WindowRequest* request,
                                   v1::CommandReply* response) override;
  grpc::ServerUnaryReactor* Requeue(grpc::CallbackServerContext* context,
                                    const v1::RequeueRequest* request,
                                    v1::CommandReply* response) override;
  grpc::ServerUnaryReactor* Transfer(grpc::CallbackServerContext* context,
                                     const v1::TransferRequest* request,
                                     v1::CommandReply* response) override;
  grpc::ServerUnaryReactor* Heartbeat(grpc::CallbackServerContext* context,
                                      const v1::HeartbeatRequest* request,
                                      v1::HeartbeatResponse* response) override;

 private:
  ServiceContext c_;
};

// Watch is a raw method: events go out as bytes serialized once per event.
class DisplayService final
    : public v1::Display::WithRawCallbackMethod_Watch<v1::Display::Service> {
 public:
  explicit DisplayService(ServiceContext context) : c_(context) {}
  grpc::ServerWriteReactor<grpc::ByteBuffer>* Watch(
      grpc::CallbackServerContext* context,
      const grpc::ByteBuffer* request) override;

 private:
  ServiceContext c_;
};

class SupervisorService final
    : public v1::Supervisor::WithRawCallbackMethod_Watch<
          v1::Supervisor::CallbackService> {
 public:
  explicit SupervisorService(ServiceContext context) : c_(context) {}
  grpc::ServerUnaryReactor* ListHalls(grpc::CallbackServerContext* context,
                                      const v1::ListHallsRequest* request,
                                      v1::ListHallsResponse* response) override;
  grpc::ServerUnaryReactor* GetHall(grpc::CallbackServerContext* context,
                                    const v1::GetHallRequest* request,
                                    v1::HallView* response) override;
  grpc::ServerWriteReactor<grpc::ByteBuffer>* Watch(
      grpc::CallbackServerContext* context,
      const grpc::ByteBuffer* request) override;
  grpc::ServerUnaryReactor* SetMinOpenWindows(
      grpc::CallbackServerContext* context,
      const v1::SetMinOpenWindowsRequest* request,
      v1::CommandReply* response) override;
  grpc::ServerUnaryReactor* VoidTicket(grpc::CallbackServerContext* context,
                                       const v1::VoidTicketRequest* request,
                                       v1::CommandReply* response) override;
  grpc::ServerUnaryReactor* ConfigureHall(
      grpc::CallbackServerContext* context,
      const v1::ConfigureHallRequest* request,
      v1::ConfigureHallResponse* response) override;
  grpc::ServerUnaryReactor* GetLoadHistory(
      grpc::CallbackServerContext* context,
      const v1::GetLoadHistoryRequest* request,
      v1::LoadHistory* response) override;

 private:
  ServiceContext c_;
};

}  // namespace qcall

#endif  // QCALL_DISPATCHER_SERVICES_H_
