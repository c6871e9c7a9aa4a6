// The gRPC services of qcalld: Kiosk, Counter, Display, Supervisor and
// Evaluator. Every
// call takes one path: its bytes parsed, its token checked against the role
// table (method_policy.h), then an engine command built from the request by
// name (command_request.h) or a read, handed to the hall's runtime; none
// blocks.
#ifndef QCALL_DISPATCHER_SERVICES_H_
#define QCALL_DISPATCHER_SERVICES_H_

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "dispatcher/auth.h"
#include "dispatcher/grpc_status.h"
#include "dispatcher/guide_pins.h"
#include "dispatcher/hall_directory.h"
#include "dispatcher/hall_locator.h"
#include "dispatcher/hall_runtime.h"
#include "dispatcher/issue_limiter.h"
#include "dispatcher/records.h"
#include "qcall/v1/api.grpc.pb.h"

namespace qcall {

struct ServiceContext {
  const Authenticator* auth;
  IssueLimiter* issue_limiter;
  HallDirectory* halls;
  int64_t heartbeat_timeout_seconds;
  // Watch streams open on the whole server, and how many may be.
  std::atomic<int64_t>* open_streams;
  int64_t max_streams;
  // Builds and starts a hall that ConfigureHall adds, its Configure command
  // already submitted (NewHall).
  std::function<absl::StatusOr<std::unique_ptr<HallRuntime>>(
      const v1::Command& configure, const std::string& request_id,
      HallRuntime::Reply reply)>
      new_hall;
  // The default base of customer links (--public-url), for halls without
  // one in their config.
  std::string public_url;
  // The record tables (records.h), for reports and the load history; null
  // when the store keeps none.
  RecordReader* records = nullptr;
  // Runs a task that may take a while (a month's report) off the gRPC
  // threads.
  std::function<void(std::function<void()>)> background;
  // The halls' clock: a report counts windows' running time up to it.
  Clock* clock = nullptr;
  // Where customers' private data is kept; nullptr when the server keeps
  // none (no --private-key-file): a phone is then refused.
  PrivateDataStore* private_data = nullptr;
  // The halls' guide PINs (the kiosk's guide mode, priority tickets).
  GuidePins* guide_pins = nullptr;
  // Where a hall this node does not serve is served, where nodes share the
  // store; null for a single node (SQLite): such a hall is NOT_FOUND.
  HallLocator* locator = nullptr;
};

// Every method is a raw one: the request arrives as bytes and is parsed by
// our one path (services.cc), so a request that does not parse gets
// INVALID_ARGUMENT with a message, not gRPC's UNIMPLEMENTED, and the typed
// bases still register the services for reflection.
class KioskService final
    : public v1::Kiosk::WithRawCallbackMethod_ListServices<
          v1::Kiosk::WithRawCallbackMethod_IssueTicket<
              v1::Kiosk::WithRawCallbackMethod_GetTicket<
                  v1::Kiosk::WithRawCallbackMethod_CancelTicket<
                      v1::Kiosk::WithRawCallbackMethod_CheckGuidePin<
                          v1::Kiosk::WithRawCallbackMethod_GetBooking<
                              v1::Kiosk::WithRawCallbackMethod_CheckIn<
                                  v1::Kiosk::Service>>>>>>> {
 public:
  explicit KioskService(ServiceContext context) : c_(context) {}
  grpc::ServerUnaryReactor* ListServices(grpc::CallbackServerContext* context,
                                         const grpc::ByteBuffer* request,
                                         grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* IssueTicket(grpc::CallbackServerContext* context,
                                        const grpc::ByteBuffer* request,
                                        grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* GetTicket(grpc::CallbackServerContext* context,
                                      const grpc::ByteBuffer* request,
                                      grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* CancelTicket(grpc::CallbackServerContext* context,
                                         const grpc::ByteBuffer* request,
                                         grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* CheckGuidePin(grpc::CallbackServerContext* context,
                                          const grpc::ByteBuffer* request,
                                          grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* GetBooking(grpc::CallbackServerContext* context,
                                       const grpc::ByteBuffer* request,
                                       grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* CheckIn(grpc::CallbackServerContext* context,
                                    const grpc::ByteBuffer* request,
                                    grpc::ByteBuffer* response) override;

 private:
  ServiceContext c_;
};

class CounterService final
    : public v1::Counter::WithRawCallbackMethod_OpenWindow<v1::Counter::WithRawCallbackMethod_CloseWindow<
          v1::Counter::WithRawCallbackMethod_PauseWindow<v1::Counter::WithRawCallbackMethod_ResumeWindow<
              v1::Counter::WithRawCallbackMethod_CallNext<v1::Counter::WithRawCallbackMethod_CallTicket<
                  v1::Counter::WithRawCallbackMethod_Recall<
                      v1::Counter::WithRawCallbackMethod_StartServing<
                          v1::Counter::WithRawCallbackMethod_Complete<
                              v1::Counter::WithRawCallbackMethod_NoShow<
                                  v1::Counter::WithRawCallbackMethod_Requeue<
                                      v1::Counter::WithRawCallbackMethod_Transfer<
                                          v1::Counter::WithRawCallbackMethod_Heartbeat<
                                              v1::Counter::WithRawCallbackMethod_CallBackComplaint<
                                                  v1::Counter::
                                                      WithRawCallbackMethod_ResolveComplaint<
                                                          v1::Counter::
                                                              Service>>>>>>>>>>>>>>> {
 public:
  explicit CounterService(ServiceContext context) : c_(context) {}
  grpc::ServerUnaryReactor* OpenWindow(grpc::CallbackServerContext* context,
                                       const grpc::ByteBuffer* request,
                                       grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* CloseWindow(grpc::CallbackServerContext* context,
                                        const grpc::ByteBuffer* request,
                                        grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* PauseWindow(grpc::CallbackServerContext* context,
                                        const grpc::ByteBuffer* request,
                                        grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ResumeWindow(grpc::CallbackServerContext* context,
                                         const grpc::ByteBuffer* request,
                                         grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* CallNext(grpc::CallbackServerContext* context,
                                     const grpc::ByteBuffer* request,
                                     grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* CallTicket(grpc::CallbackServerContext* context,
                                       const grpc::ByteBuffer* request,
                                       grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* Recall(grpc::CallbackServerContext* context,
                                   const grpc::ByteBuffer* request,
                                   grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* StartServing(grpc::CallbackServerContext* context,
                                         const grpc::ByteBuffer* request,
                                         grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* Complete(grpc::CallbackServerContext* context,
                                     const grpc::ByteBuffer* request,
                                     grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* NoShow(grpc::CallbackServerContext* context,
                                   const grpc::ByteBuffer* request,
                                   grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* Requeue(grpc::CallbackServerContext* context,
                                    const grpc::ByteBuffer* request,
                                    grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* Transfer(grpc::CallbackServerContext* context,
                                     const grpc::ByteBuffer* request,
                                     grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* Heartbeat(grpc::CallbackServerContext* context,
                                      const grpc::ByteBuffer* request,
                                      grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* CallBackComplaint(
      grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
      grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ResolveComplaint(
      grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
      grpc::ByteBuffer* response) override;

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
    : public v1::Supervisor::WithRawCallbackMethod_ListHalls<
          v1::Supervisor::WithRawCallbackMethod_GetHall<
              v1::Supervisor::WithRawCallbackMethod_Watch<
                  v1::Supervisor::WithRawCallbackMethod_SetMinOpenWindows<
                      v1::Supervisor::WithRawCallbackMethod_VoidTicket<
                          v1::Supervisor::WithRawCallbackMethod_ConfigureHall<
                              v1::Supervisor::WithRawCallbackMethod_GetLoadHistory<
                                  v1::Supervisor::WithRawCallbackMethod_CloseFollowUp<
                                      v1::Supervisor::WithRawCallbackMethod_GetReport<
                                          v1::Supervisor::
                                              WithRawCallbackMethod_ReadPrivateData<
                                                  v1::Supervisor::
                                                      WithRawCallbackMethod_ListPrivateDataReads<
                                                          v1::Supervisor::WithRawCallbackMethod_SetNotice<
                                                              v1::Supervisor::WithRawCallbackMethod_DismissAdvice<
                                                                  v1::Supervisor::WithRawCallbackMethod_CreateBooking<
                                                                      v1::Supervisor::WithRawCallbackMethod_ListBookings<
                                                                          v1::Supervisor::WithRawCallbackMethod_AcknowledgeAlarm<
                                                                              v1::Supervisor::
                                                                                  Service>>>>>>>>>>>>>>>> {
 public:
  explicit SupervisorService(ServiceContext context) : c_(context) {}
  grpc::ServerUnaryReactor* ListHalls(grpc::CallbackServerContext* context,
                                      const grpc::ByteBuffer* request,
                                      grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* GetHall(grpc::CallbackServerContext* context,
                                    const grpc::ByteBuffer* request,
                                    grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* SetMinOpenWindows(
      grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
      grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* VoidTicket(grpc::CallbackServerContext* context,
                                       const grpc::ByteBuffer* request,
                                       grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ConfigureHall(grpc::CallbackServerContext* context,
                                          const grpc::ByteBuffer* request,
                                          grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* GetLoadHistory(grpc::CallbackServerContext* context,
                                           const grpc::ByteBuffer* request,
                                           grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* CloseFollowUp(grpc::CallbackServerContext* context,
                                          const grpc::ByteBuffer* request,
                                          grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* GetReport(grpc::CallbackServerContext* context,
                                      const grpc::ByteBuffer* request,
                                      grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ReadPrivateData(
      grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
      grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ListPrivateDataReads(
      grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
      grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* DismissAdvice(grpc::CallbackServerContext* context,
                                          const grpc::ByteBuffer* request,
                                          grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* SetNotice(grpc::CallbackServerContext* context,
                                      const grpc::ByteBuffer* request,
                                      grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* CreateBooking(grpc::CallbackServerContext* context,
                                          const grpc::ByteBuffer* request,
                                          grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ListBookings(grpc::CallbackServerContext* context,
                                         const grpc::ByteBuffer* request,
                                         grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* AcknowledgeAlarm(
      grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
      grpc::ByteBuffer* response) override;
  grpc::ServerWriteReactor<grpc::ByteBuffer>* Watch(
      grpc::CallbackServerContext* context,
      const grpc::ByteBuffer* request) override;

 private:
  ServiceContext c_;
};

// The evaluator pad's one call.
class EvaluatorService final
    : public v1::Evaluator::WithRawCallbackMethod_RateTicket<
          v1::Evaluator::Service> {
 public:
  explicit EvaluatorService(ServiceContext context) : c_(context) {}
  grpc::ServerUnaryReactor* RateTicket(grpc::CallbackServerContext* context,
                                       const grpc::ByteBuffer* request,
                                       grpc::ByteBuffer* response) override;

 private:
  ServiceContext c_;
};

}  // namespace qcall

#endif  // QCALL_DISPATCHER_SERVICES_H_
