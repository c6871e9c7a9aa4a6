#include "dispatcher/services.h"

#include <grpc/grpc.h>
#include <grpcpp/support/proto_buffer_reader.h>
#include <grpcpp/support/proto_buffer_writer.h>

#include <algorithm>
#include <atomic>
#include <type_traits>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/civil_time.h"
#include "dispatcher/command_request.h"
#include "dispatcher/method_policy.h"
#include "dispatcher/owner_redirect.h"
#include "dispatcher/recovery.h"
#include "dispatcher/tsan_annotations.h"
#include "engine/hall_rules.h"
#include "engine/status_macros.h"

namespace qcall {
namespace {

constexpr size_t kMaxRequestIdLength = 128;
constexpr size_t kMaxPhoneLength = 32;
constexpr size_t kMaxReasonLength = 200;
constexpr size_t kMaxTicketLength = 24;
constexpr int kDefaultReadsListed = 100;
constexpr int kMaxReadsListed = 1000;
constexpr char kNoPrivateData[] =
    "this server keeps no private data: start it with --private-key-file";
constexpr char kOverrideNeedsSupervisor[] =
    "going below the hall's minimum of open windows needs a supervisor token";

// Authenticated caller and the hall it may use.
struct Admitted {
  Caller caller;
  HallRuntime* hall;
};

absl::StatusOr<Admitted> Admit(const ServiceContext& c,
                               grpc::CallbackServerContext* context,
                               absl::string_view method,
                               const std::string& hall_id, int32_t window = 0) {
  ASSIGN_OR_RETURN(const Caller caller, c.auth->Authenticate(context));
  if (hall_id.empty()) {
    return absl::InvalidArgumentError("hall_id is required");
  }
  RETURN_IF_ERROR(c.auth->Authorize(caller, PolicyOf(method), hall_id, window));
  HallRuntime* hall = c.halls->Find(hall_id);
  if (hall == nullptr && c.locator != nullptr) {
    // Another node serves it, or will: the client is told where.
    OwnerAnswer answer = NotServedHere(hall_id, c.locator->Locate(hall_id));
    for (const auto& [key, value] : answer.trailers) {
      context->AddTrailingMetadata(key, value);
    }
    return answer.status;
  }
  if (hall == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("no hall '", hall_id.substr(0, 64), "' on this server"));
  }
  return Admitted{caller, hall};
}

absl::Status CheckRequestId(const std::string& request_id) {
  if (request_id.size() > kMaxRequestIdLength) {
    return absl::InvalidArgumentError(absl::StrCat(
        "request_id is longer than ", kMaxRequestIdLength, " bytes"));
  }
  return absl::OkStatus();
}

// The request of a raw method, parsed; the error a client can act on when
// its bytes are not the message (gRPC's own answer would be UNIMPLEMENTED
// with no message).
template <typename Request>
absl::StatusOr<Request> Parse(const grpc::ByteBuffer* raw) {
  // Written by the HTTP gateway's thread when it came in-process.
  TsanAcquireBytes(*raw);
  Request request;
  grpc::ByteBuffer bytes(*raw);  // Shares the slices.
  grpc::ProtoBufferReader reader(&bytes);
  if (!request.ParseFromZeroCopyStream(&reader)) {
    return absl::InvalidArgumentError(
        absl::StrCat(Request::descriptor()->name(),
                     " does not parse: the bytes are not that message, or a "
                     "string in it is not UTF-8"));
  }
  return request;
}

// Finishes a unary call, with `response` as its bytes when OK. Cheap to copy
// into callbacks; the call's reactor and response buffer outlive it.
template <typename Response>
class Finish {
 public:
  Finish(grpc::ServerUnaryReactor* reactor, grpc::ByteBuffer* out)
      : reactor_(reactor), out_(out) {}

  void operator()(const absl::Status& status,
                  const Response& response = Response()) const {
    if (status.ok()) {
      grpc::ProtoBufferWriter writer(out_,
                                     grpc::kProtoBufferWriterMaxBufferLength,
                                     static_cast<int>(response.ByteSizeLong()));
      if (!response.SerializeToZeroCopyStream(&writer)) {
        reactor_->Finish(
            grpc::Status(grpc::StatusCode::INTERNAL, "reply not serialized"));
        return;
      }
    }
    // Read by the client's callback (the HTTP gateway's, in-process).
    TsanReleaseBytes(*out_);
    reactor_->Finish(ToGrpc(status));
  }

 private:
  grpc::ServerUnaryReactor* reactor_;
  grpc::ByteBuffer* out_;
};

// Every unary call goes this way: its bytes parsed (or refused), then
// `handle(request, finish)`, which finishes now or later.
template <typename Request, typename Response, typename Handle>
grpc::ServerUnaryReactor* Unary(grpc::CallbackServerContext* context,
                                const grpc::ByteBuffer* raw,
                                grpc::ByteBuffer* out, Handle handle) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const Finish<Response> finish(reactor, out);
  absl::StatusOr<Request> request = Parse<Request>(raw);
  if (!request.ok()) {
    finish(request.status());
  } else {
    handle(*request, finish);
  }
  return reactor;
}

// A read's answer: `out` once what the read saw is durable, else the
// journal's failure.
template <typename Response>
DurableReads::Answer Answered(const Finish<Response>& finish,
                              std::shared_ptr<Response> out) {
  return [finish, out = std::move(out)](absl::Status durable) {
    finish(durable, *out);
  };
}

// A read's refusal, which depends on the hall's state as much as an answer.
template <typename Response>
DurableReads::Answer Refused(const Finish<Response>& finish,
                             absl::Status refusal) {
  return [finish, refusal = std::move(refusal)](absl::Status durable) {
    finish(durable.ok() ? refusal : durable);
  };
}

// A phone a kiosk gives: digits with + - ( ) and spaces, up to 32
// characters, and only to a server that can keep it encrypted.
absl::Status CheckPhone(const ServiceContext& c, absl::string_view phone) {
  if (phone.empty()) return absl::OkStatus();
  if (phone.size() > kMaxPhoneLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("phone is longer than ", kMaxPhoneLength, " characters"));
  }
  bool digits = false;
  for (char ch : phone) {
    if (absl::ascii_isdigit(static_cast<unsigned char>(ch))) {
      digits = true;
    } else if (ch != '+' && ch != '-' && ch != ' ' && ch != '(' && ch != ')') {
      return absl::InvalidArgumentError(
          "phone may hold only digits, spaces and + - ( )");
    }
  }
  if (!digits) return absl::InvalidArgumentError("phone holds no digit");
  if (c.private_data == nullptr) {
    return absl::FailedPreconditionError(kNoPrivateData);
  }
  return absl::OkStatus();
}

// A call that is one engine command of `kind`: admitted by the method's
// policy (with the request's window), built from the request by name, signed
// with the token's name, answered once durable.
template <typename Request>
grpc::ServerUnaryReactor* CommandCall(const ServiceContext& c,
                                      grpc::CallbackServerContext* context,
                                      const grpc::ByteBuffer* raw,
                                      grpc::ByteBuffer* out,
                                      absl::string_view method,
                                      v1::Command::KindCase kind) {
  return Unary<Request, v1::CommandReply>(
      context, raw, out,
      [&](const Request& request, const Finish<v1::CommandReply>& finish) {
        absl::StatusOr<Admitted> admitted = Admit(
            c, context, method, request.hall_id(), RequestWindow(request));
        if (!admitted.ok()) return finish(admitted.status());
        if (absl::Status id = CheckRequestId(request.request_id()); !id.ok()) {
          return finish(id);
        }
        // A kiosk is held to its rate on the hall's strand, after a retry
        // has been answered from memory: a retry never costs a ticket.
        HallRuntime::Admit admit;
        // A check-in issues a ticket too, and its rate also bounds how fast
        // a kiosk can try codes.
        if ((kind == v1::Command::kIssueTicket ||
             kind == v1::Command::kCheckIn) &&
            admitted->caller->role() == v1::ROLE_KIOSK) {
          admit = [limiter = c.issue_limiter, caller = admitted->caller] {
            return limiter->Admit(caller);
          };
        }
        if constexpr (std::is_same_v<Request, v1::CompleteRequest>) {
          if (request.rating() != 0) {
            return finish(absl::InvalidArgumentError(
                "ratings come from the evaluator pad (Evaluator.RateTicket); "
                "complete with rating 0"));
          }
        }
        // The customer's phone never enters the command: it goes apart,
        // encrypted, once the ticket is known (HallRuntime::Submit).
        std::string phone;
        if constexpr (std::is_same_v<Request, v1::IssueTicketRequest>) {
          if (absl::Status checked = CheckPhone(c, request.phone());
              !checked.ok()) {
            return finish(checked);
          }
          phone = request.phone();
          // Priority from a kiosk is the guide's to give (issue 16, item 4).
          const v1::Category category = request.category();
          if (admitted->caller->role() == v1::ROLE_KIOSK &&
              (category == v1::CATEGORY_GREEN_CHANNEL ||
               category == v1::CATEGORY_VIP ||
               category == v1::CATEGORY_URGENT) &&
              c.guide_pins->Required(request.hall_id())) {
            if (absl::Status pin =
                    c.guide_pins->Check(request.hall_id(), request.guide_pin());
                !pin.ok()) {
              return finish(pin);
            }
          }
        }
        v1::Command command = CommandFromRequest(request, kind);
        if (HasOverride(command) &&
            admitted->caller->role() != v1::ROLE_SUPERVISOR) {
          return finish(absl::PermissionDeniedError(kOverrideNeedsSupervisor));
        }
        // Who did it comes from the token, never from the request; only a
        // supervisor's name goes into supervisor_id (a complaint case tells
        // its owner clerk from a supervisor by it).
        SignCommand(admitted->caller->role() == v1::ROLE_SUPERVISOR
                        ? admitted->caller->name()
                        : "",
                    &command);
        admitted->hall->Submit(
            std::move(command), request.request_id(),
            [finish, context, hall = admitted->hall](
                absl::Status status, const v1::CommandReply& reply) {
              // Refused by a hall that left this node meanwhile: the
              // client is told where it went.
              if (absl::IsUnavailable(status) && hall->retired()) {
                for (const auto& [key, value] : hall->retired_trailers()) {
                  context->AddTrailingMetadata(key, value);
                }
              }
              finish(status, reply);
            },
            std::move(admit), std::move(phone));
      });
}

// Finishes a Watch that could not start.
class RefusedWatch : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  explicit RefusedWatch(const absl::Status& status) {
    TsanRelease(this);
    Finish(ToGrpc(status));
  }
  void OnDone() override {
    TsanAcquire(this);
    delete this;
  }
};

grpc::ServerWriteReactor<grpc::ByteBuffer>* StartWatch(
    const ServiceContext& c, grpc::CallbackServerContext* context,
    const grpc::ByteBuffer* raw, absl::string_view method) {
  absl::StatusOr<v1::WatchRequest> request = Parse<v1::WatchRequest>(raw);
  if (!request.ok()) return new RefusedWatch(request.status());
  absl::StatusOr<Admitted> admitted =
      Admit(c, context, method, request->hall_id());
  if (!admitted.ok()) return new RefusedWatch(admitted.status());
  if (c.open_streams->fetch_add(1) >= c.max_streams) {
    c.open_streams->fetch_sub(1);
    return new RefusedWatch(absl::ResourceExhaustedError(
        absl::StrCat("this server already serves ", c.max_streams,
                     " streams, its limit; try again later")));
  }
  HallRuntime* hall = admitted->hall;
  std::atomic<int64_t>* open_streams = c.open_streams;
  auto* stream = new WatchStream(
      &hall->hub(),
      std::vector<int32_t>(request->windows().begin(),
                           request->windows().end()),
      [context](const grpc::Status& status) {
        // Sent as trailers, which flow control does not hold back: the
        // board sees this status once it reads what was already sent
        // (ServerContext::TryCancel would reset the stream: CANCELLED).
        grpc_call_cancel_with_status(
            context->c_call(),
            static_cast<grpc_status_code>(status.error_code()),
            status.error_message().c_str(), nullptr);
      },
      [hall, open_streams](std::function<void()> reap) {
        // On the hall's strand, behind the subscription queued
        // below.
        hall->RunOnStrand([reap = std::move(reap), open_streams] {
          reap();
          open_streams->fetch_sub(1);
        });
      },
      [context](const std::string& key, const std::string& value) {
        context->AddTrailingMetadata(key, value);
      });
  hall->Watch(stream, request->after_seq());
  return stream;
}

}  // namespace

// ---------------------------------------------------------------------------
// Kiosk

grpc::ServerUnaryReactor* KioskService::ListServices(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  using Response = v1::ListServicesResponse;
  return Unary<v1::ListServicesRequest, Response>(
      context, request, response,
      [&](const v1::ListServicesRequest& r, const Finish<Response>& finish) {
        absl::StatusOr<Admitted> admitted =
            Admit(c_, context, "/qcall.v1.Kiosk/ListServices", r.hall_id());
        if (!admitted.ok()) return finish(admitted.status());
        admitted->hall->Read([finish, default_url = c_.public_url,
                              guide_pin = c_.guide_pins->Required(r.hall_id())](
                                 const Hall& hall, absl::Time now) {
          const v1::HallView view = hall.View(now);
          auto out = std::make_shared<Response>();
          out->set_hall_name(view.name());
          out->set_language(view.language());
          out->set_guide_pin_required(guide_pin);
          out->set_time_zone(hall.rules().config().time_zone());
          const std::string& own_url = hall.rules().config().public_url();
          out->set_public_url(
              own_url.empty() ? default_url
                              : std::string(absl::StripSuffix(own_url, "/")));
          for (const v1::HallView::ServiceView& s : view.services()) {
            v1::ServiceStatus* status = out->add_services();
            status->set_code(s.code());
            status->set_name(s.name());
            status->set_waiting(s.waiting());
            status->set_open_windows(s.open_windows());
            status->set_estimated_wait_seconds(s.estimated_wait_seconds());
          }
          return Answered(finish, out);
        });
      });
}

grpc::ServerUnaryReactor* KioskService::IssueTicket(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return CommandCall<v1::IssueTicketRequest>(c_, context, request, response,
                                             "/qcall.v1.Kiosk/IssueTicket",
                                             v1::Command::kIssueTicket);
}

grpc::ServerUnaryReactor* KioskService::GetTicket(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  using Response = v1::CommandReply;
  return Unary<v1::GetTicketRequest, Response>(
      context, request, response,
      [&](const v1::GetTicketRequest& r, const Finish<Response>& finish) {
        absl::StatusOr<Admitted> admitted =
            Admit(c_, context, "/qcall.v1.Kiosk/GetTicket", r.hall_id());
        if (!admitted.ok()) return finish(admitted.status());
        admitted->hall->Read(
            [finish, ticket = r.ticket()](const Hall& hall, absl::Time now) {
              absl::StatusOr<v1::CommandResult> status =
                  hall.TicketStatus(ticket, now);
              if (!status.ok()) return Refused(finish, status.status());
              auto out = std::make_shared<Response>();
              *out->mutable_ticket() = status->ticket();
              out->set_people_ahead(status->people_ahead());
              out->set_estimated_wait_seconds(status->estimated_wait_seconds());
              out->set_seq(hall.last_seq());
              out->set_time_zone(hall.rules().config().time_zone());
              return Answered(finish, out);
            });
      });
}

// A customer gives up at the kiosk; a clerk ends a called ticket with NoShow,
// Complete or Transfer instead.
grpc::ServerUnaryReactor* KioskService::CancelTicket(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return CommandCall<v1::CancelTicketRequest>(c_, context, request, response,
                                              "/qcall.v1.Kiosk/CancelTicket",
                                              v1::Command::kCancelTicket);
}

grpc::ServerUnaryReactor* KioskService::CheckGuidePin(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  using Response = v1::CheckGuidePinResponse;
  return Unary<v1::CheckGuidePinRequest, Response>(
      context, request, response,
      [&](const v1::CheckGuidePinRequest& r, const Finish<Response>& finish) {
        absl::StatusOr<Admitted> admitted =
            Admit(c_, context, "/qcall.v1.Kiosk/CheckGuidePin", r.hall_id());
        if (!admitted.ok()) return finish(admitted.status());
        if (!c_.guide_pins->Required(r.hall_id())) {
          return finish(absl::FailedPreconditionError(
              absl::StrCat("hall ", r.hall_id(), " has no guide PIN")));
        }
        finish(c_.guide_pins->Check(r.hall_id(), r.pin()), Response());
      });
}

grpc::ServerUnaryReactor* KioskService::GetBooking(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  using Response = v1::BookingView;
  return Unary<v1::GetBookingRequest, Response>(
      context, request, response,
      [&](const v1::GetBookingRequest& r, const Finish<Response>& finish) {
        absl::StatusOr<Admitted> admitted =
            Admit(c_, context, "/qcall.v1.Kiosk/GetBooking", r.hall_id());
        if (!admitted.ok()) return finish(admitted.status());
        // Each look-up counts against the kiosk's issue rate, like a
        // check-in: codes cannot be tried faster than tickets are issued.
        if (admitted->caller->role() == v1::ROLE_KIOSK) {
          if (absl::Status rate = c_.issue_limiter->Admit(admitted->caller);
              !rate.ok()) {
            return finish(rate);
          }
        }
        admitted->hall->Read([finish, code = r.code()](const Hall& hall,
                                                       absl::Time) {
          absl::StatusOr<v1::BookingView> view = hall.FindBooking(code);
          if (!view.ok()) return Refused(finish, view.status());
          return Answered(finish, std::make_shared<Response>(*std::move(view)));
        });
      });
}

grpc::ServerUnaryReactor* KioskService::CheckIn(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return CommandCall<v1::CheckInRequest>(c_, context, request, response,
                                         "/qcall.v1.Kiosk/CheckIn",
                                         v1::Command::kCheckIn);
}

// ---------------------------------------------------------------------------
// Counter

grpc::ServerUnaryReactor* CounterService::OpenWindow(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return CommandCall<v1::OpenWindowRequest>(c_, context, request, response,
                                            "/qcall.v1.Counter/OpenWindow",
                                            v1::Command::kOpenWindow);
}

grpc::ServerUnaryReactor* CounterService::CloseWindow(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return CommandCall<v1::CloseWindowRequest>(c_, context, request, response,
                                             "/qcall.v1.Counter/CloseWindow",
                                             v1::Command::kCloseWindow);
}

grpc::ServerUnaryReactor* CounterService::PauseWindow(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return CommandCall<v1::PauseWindowRequest>(c_, context, request, response,
                                             "/qcall.v1.Counter/PauseWindow",
                                             v1::Command::kPauseWindow);
}

grpc::ServerUnaryReactor* CounterService::ResumeWindow(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return CommandCall<v1::WindowRequest>(c_, context, request, response,
                                        "/qcall.v1.Counter/ResumeWindow",
                                        v1::Command::kResumeWindow);
}

grpc::ServerUnaryReactor* CounterService::CallNext(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return CommandCall<v1::WindowRequest>(c_, context, request, response,
                                        "/qcall.v1.Counter/CallNext",
                                        v1::Command::kCallNext);
}

grpc::ServerUnaryReactor* CounterService::CallTicket(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return CommandCall<v1::CallTicketRequest>(c_, context, request, response,
                                            "/qcall.v1.Counter/CallTicket",
                                            v1::Command::kCallTicket);
}

grpc::ServerUnaryReactor* CounterService::Recall(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return CommandCall<v1::WindowRequest>(c_, context, request, response,
                                        "/qcall.v1.Counter/Recall",
                                        v1::Command::kRecall);
}

grpc::ServerUnaryReactor* CounterService::StartServing(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return CommandCall<v1::WindowRequest>(c_, context, request, response,
                                        "/qcall.v1.Counter/StartServing",
                                        v1::Command::kStartServing);
}

grpc::ServerUnaryReactor* CounterService::Complete(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return CommandCall<v1::CompleteRequest>(c_, context, request, response,
                                          "/qcall.v1.Counter/Complete",
                                          v1::Command::kComplete);
}

grpc::ServerUnaryReactor* CounterService::NoShow(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return CommandCall<v1::WindowRequest>(c_, context, request, response,
                                        "/qcall.v1.Counter/NoShow",
                                        v1::Command::kNoShow);
}

// The engine takes the customer back only at the window whose call they
// missed.
grpc::ServerUnaryReactor* CounterService::Requeue(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return CommandCall<v1::RequeueRequest>(c_, context, request, response,
                                         "/qcall.v1.Counter/Requeue",
                                         v1::Command::kRequeue);
}

grpc::ServerUnaryReactor* CounterService::Transfer(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return CommandCall<v1::TransferRequest>(c_, context, request, response,
                                          "/qcall.v1.Counter/Transfer",
                                          v1::Command::kTransfer);
}

grpc::ServerUnaryReactor* CounterService::Heartbeat(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  using Response = v1::HeartbeatResponse;
  return Unary<v1::HeartbeatRequest, Response>(
      context, request, response,
      [&](const v1::HeartbeatRequest& r, const Finish<Response>& finish) {
        absl::StatusOr<Admitted> admitted =
            Admit(c_, context, "/qcall.v1.Counter/Heartbeat", r.hall_id(),
                  r.window());
        if (!admitted.ok()) return finish(admitted.status());
        if (r.sign_out() && r.clerk_id().empty()) {
          // Only the signed-in clerk's screen may stop the window's watch.
          return finish(absl::InvalidArgumentError(
              "sign_out names the clerk_id signed in at the window"));
        }
        // A heartbeat names a window of the hall; checked on the hall's
        // strand, where its rules live.
        admitted->hall->Read([finish, hall = admitted->hall,
                              window = r.window(), clerk = r.clerk_id(),
                              sign_out = r.sign_out(),
                              timeout = c_.heartbeat_timeout_seconds](
                                 const Hall& h, absl::Time) {
          if (!h.rules().FindWindow(window)) {
            return Refused(finish, absl::NotFoundError(absl::StrCat(
                                       "no window ", window, " in this hall")));
          }
          if (!clerk.empty()) {
            if (absl::Status signed_in = h.CheckSignIn(window, clerk);
                !signed_in.ok()) {
              return Refused(finish, signed_in);
            }
          }
          if (sign_out) {
            hall->ForgetHeartbeat(window);
          } else {
            hall->Heartbeat(window);
          }
          auto out = std::make_shared<Response>();
          out->set_timeout_seconds(timeout);
          return Answered(finish, out);
        });
      });
}

grpc::ServerUnaryReactor* CounterService::CallBackComplaint(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return CommandCall<v1::CallBackComplaintRequest>(
      c_, context, request, response, "/qcall.v1.Counter/CallBackComplaint",
      v1::Command::kCallBackComplaint);
}

grpc::ServerUnaryReactor* CounterService::ResolveComplaint(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return CommandCall<v1::ResolveComplaintRequest>(
      c_, context, request, response, "/qcall.v1.Counter/ResolveComplaint",
      v1::Command::kResolveComplaint);
}

// ---------------------------------------------------------------------------
// Evaluator

grpc::ServerUnaryReactor* EvaluatorService::RateTicket(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return CommandCall<v1::RateTicketRequest>(c_, context, request, response,
                                            "/qcall.v1.Evaluator/RateTicket",
                                            v1::Command::kRateTicket);
}

// ---------------------------------------------------------------------------
// Display and Supervisor

grpc::ServerWriteReactor<grpc::ByteBuffer>* DisplayService::Watch(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request) {
  return StartWatch(c_, context, request, "/qcall.v1.Display/Watch");
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* SupervisorService::Watch(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request) {
  return StartWatch(c_, context, request, "/qcall.v1.Supervisor/Watch");
}

grpc::ServerUnaryReactor* SupervisorService::ListHalls(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  using Response = v1::ListHallsResponse;
  return Unary<v1::ListHallsRequest, Response>(
      context, request, response,
      [&](const v1::ListHallsRequest&, const Finish<Response>& finish) {
        absl::StatusOr<Caller> caller = c_.auth->Authenticate(context);
        if (!caller.ok()) return finish(caller.status());
        std::vector<HallRuntime*> visible;
        for (HallRuntime* runtime : c_.halls->All()) {
          if (c_.auth
                  ->Authorize(*caller,
                              PolicyOf("/qcall.v1.Supervisor/ListHalls"),
                              runtime->hall_id())
                  .ok()) {
            visible.push_back(runtime);
          }
        }
        if (visible.empty()) {
          if ((*caller)->role() != v1::ROLE_SUPERVISOR) {
            return finish(absl::PermissionDeniedError(
                "only a supervisor token may list halls"));
          }
          return finish(absl::OkStatus());
        }
        // Each hall answers on its own strand; the last one finishes.
        struct Gather {
          absl::Mutex mu;
          std::vector<v1::HallSummary> halls ABSL_GUARDED_BY(mu);
          absl::Status failure ABSL_GUARDED_BY(mu);
          std::atomic<size_t> left;
        };
        auto gather = std::make_shared<Gather>();
        {
          absl::MutexLock lock(&gather->mu);
          gather->halls.resize(visible.size());
        }
        gather->left = visible.size();
        for (size_t i = 0; i < visible.size(); ++i) {
          visible[i]->Read(
              [gather, i, finish](const Hall& hall, absl::Time now) {
                const v1::HallView view = hall.View(now);
                v1::HallSummary summary;
                summary.set_hall_id(view.hall_id());
                summary.set_name(view.name());
                for (const auto& s : view.services()) {
                  summary.set_waiting(summary.waiting() + s.waiting());
                }
                summary.set_open_windows(view.open_windows());
                summary.set_min_open_windows(view.min_open_windows());
                summary.set_alarms(view.alarms_size());
                return [gather, i, finish,
                        summary = std::move(summary)](absl::Status durable) {
                  {
                    absl::MutexLock lock(&gather->mu);
                    gather->halls[i] = summary;
                    if (!durable.ok()) gather->failure = durable;
                  }
                  if (--gather->left > 0) return;
                  Response out;
                  absl::Status failure;
                  {
                    absl::MutexLock lock(&gather->mu);
                    for (v1::HallSummary& h : gather->halls) {
                      *out.add_halls() = std::move(h);
                    }
                    failure = gather->failure;
                  }
                  finish(failure, out);
                };
              });
        }
      });
}

grpc::ServerUnaryReactor* SupervisorService::GetHall(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  using Response = v1::HallView;
  return Unary<v1::GetHallRequest, Response>(
      context, request, response,
      [&](const v1::GetHallRequest& r, const Finish<Response>& finish) {
        absl::StatusOr<Admitted> admitted =
            Admit(c_, context, "/qcall.v1.Supervisor/GetHall", r.hall_id());
        if (!admitted.ok()) return finish(admitted.status());
        admitted->hall->Read([finish](const Hall& hall, absl::Time now) {
          return Answered(finish, std::make_shared<Response>(hall.View(now)));
        });
      });
}

grpc::ServerUnaryReactor* SupervisorService::GetLoadHistory(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  using Response = v1::LoadHistory;
  return Unary<v1::GetLoadHistoryRequest, Response>(
      context, request, response,
      [&](const v1::GetLoadHistoryRequest& r, const Finish<Response>& finish) {
        absl::StatusOr<Admitted> admitted = Admit(
            c_, context, "/qcall.v1.Supervisor/GetLoadHistory", r.hall_id());
        if (!admitted.ok()) return finish(admitted.status());
        if (c_.records == nullptr) {
          return finish(absl::UnimplementedError(
              "this store keeps no records, so no load history"));
        }
        // The hall's day and time, once what it has applied is durable;
        // then the records, which hold all of that, are read off the
        // journal's writer.
        admitted->hall->Read(
            [finish, records = c_.records, background = c_.background,
             hall_id = r.hall_id()](const Hall& hall, absl::Time now) {
              const int32_t day = hall.business_day();
              return [=](absl::Status durable) {
                if (!durable.ok()) return finish(durable);
                background([=] {
                  absl::StatusOr<Response> history =
                      records->LoadHistory(hall_id, day, now);
                  if (!history.ok()) return finish(history.status());
                  finish(absl::OkStatus(), *history);
                });
              };
            });
      });
}

grpc::ServerUnaryReactor* SupervisorService::GetReport(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  using Response = v1::Report;
  return Unary<v1::ReportRequest, Response>(
      context, request, response,
      [&](const v1::ReportRequest& r, const Finish<Response>& finish) {
        constexpr absl::string_view kMethod = "/qcall.v1.Supervisor/GetReport";
        absl::StatusOr<Caller> caller = c_.auth->Authenticate(context);
        if (!caller.ok()) return finish(caller.status());
        // Who may see what first: a kiosk learns nothing from a bad period.
        std::vector<std::string> hall_ids;
        if (!r.hall_id().empty()) {
          if (absl::Status allowed =
                  c_.auth->Authorize(*caller, PolicyOf(kMethod), r.hall_id());
              !allowed.ok()) {
            return finish(allowed);
          }
          if (c_.halls->Find(r.hall_id()) == nullptr) {
            return finish(absl::NotFoundError(absl::StrCat(
                "no hall '", r.hall_id().substr(0, 64), "' on this server")));
          }
          hall_ids.push_back(r.hall_id());
        } else {
          for (HallRuntime* runtime : c_.halls->All()) {
            if (c_.auth
                    ->Authorize(*caller, PolicyOf(kMethod), runtime->hall_id())
                    .ok()) {
              hall_ids.push_back(runtime->hall_id());
            }
          }
          if (hall_ids.empty()) {
            return finish(absl::PermissionDeniedError(
                "this token may see no hall's reports: a report needs a "
                "supervisor token of the hall"));
          }
          std::sort(hall_ids.begin(), hall_ids.end());
        }
        absl::StatusOr<ReportQuery> query = ReportQuery::From(r);
        if (!query.ok()) return finish(query.status());
        query->hall_ids = std::move(hall_ids);
        if (c_.clock != nullptr) query->now = c_.clock->Now();
        if (c_.records == nullptr) {
          return finish(
              absl::UnimplementedError("this store keeps no records"));
        }
        c_.background([finish, records = c_.records, query = *query] {
          absl::StatusOr<Response> report = records->Report(query);
          if (!report.ok()) return finish(report.status());
          finish(absl::OkStatus(), *report);
        });
      });
}

grpc::ServerUnaryReactor* SupervisorService::SetMinOpenWindows(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return CommandCall<v1::SetMinOpenWindowsRequest>(
      c_, context, request, response, "/qcall.v1.Supervisor/SetMinOpenWindows",
      v1::Command::kSetMinOpenWindows);
}

grpc::ServerUnaryReactor* SupervisorService::DismissAdvice(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return CommandCall<v1::DismissAdviceRequest>(
      c_, context, request, response, "/qcall.v1.Supervisor/DismissAdvice",
      v1::Command::kDismissAdvice);
}

grpc::ServerUnaryReactor* SupervisorService::VoidTicket(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return CommandCall<v1::VoidTicketRequest>(c_, context, request, response,
                                            "/qcall.v1.Supervisor/VoidTicket",
                                            v1::Command::kVoidTicket);
}

grpc::ServerUnaryReactor* SupervisorService::SetNotice(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return CommandCall<v1::SetNoticeRequest>(c_, context, request, response,
                                           "/qcall.v1.Supervisor/SetNotice",
                                           v1::Command::kSetNotice);
}

grpc::ServerUnaryReactor* SupervisorService::CreateBooking(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return CommandCall<v1::CreateBookingRequest>(
      c_, context, request, response, "/qcall.v1.Supervisor/CreateBooking",
      v1::Command::kCreateBooking);
}

grpc::ServerUnaryReactor* SupervisorService::ListBookings(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  using Response = v1::ListBookingsResponse;
  return Unary<v1::ListBookingsRequest, Response>(
      context, request, response,
      [&](const v1::ListBookingsRequest& r, const Finish<Response>& finish) {
        absl::StatusOr<Admitted> admitted = Admit(
            c_, context, "/qcall.v1.Supervisor/ListBookings", r.hall_id());
        if (!admitted.ok()) return finish(admitted.status());
        admitted->hall->Read([finish](const Hall& hall, absl::Time) {
          auto out = std::make_shared<Response>();
          for (v1::BookingView& view : hall.Bookings()) {
            *out->add_bookings() = std::move(view);
          }
          return Answered(finish, out);
        });
      });
}

grpc::ServerUnaryReactor* SupervisorService::AcknowledgeAlarm(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return CommandCall<v1::AcknowledgeAlarmRequest>(
      c_, context, request, response, "/qcall.v1.Supervisor/AcknowledgeAlarm",
      v1::Command::kAcknowledgeAlarm);
}

grpc::ServerUnaryReactor* SupervisorService::CloseFollowUp(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return CommandCall<v1::CloseFollowUpRequest>(
      c_, context, request, response, "/qcall.v1.Supervisor/CloseFollowUp",
      v1::Command::kCloseFollowUp);
}

grpc::ServerUnaryReactor* SupervisorService::ConfigureHall(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  using Response = v1::ConfigureHallResponse;
  return Unary<v1::ConfigureHallRequest, Response>(
      context, request, response,
      [&](const v1::ConfigureHallRequest& r, const Finish<Response>& finish) {
        absl::StatusOr<Caller> caller = c_.auth->Authenticate(context);
        if (!caller.ok()) return finish(caller.status());
        const v1::HallConfig& config = r.config();
        if (config.hall_id().empty()) {
          return finish(
              absl::InvalidArgumentError("config.hall_id is required"));
        }
        // The hall may not exist yet, so Admit, which finds it, cannot.
        if (absl::Status allowed = c_.auth->Authorize(
                *caller, PolicyOf("/qcall.v1.Supervisor/ConfigureHall"),
                config.hall_id());
            !allowed.ok()) {
          return finish(allowed);
        }
        if (absl::Status id = CheckRequestId(r.request_id()); !id.ok()) {
          return finish(id);
        }
        // A hall is only ever built from a config the engine accepts.
        absl::StatusOr<HallRules> rules = HallRules::FromConfig(config);
        if (!rules.ok()) return finish(rules.status());
        std::vector<std::string> warnings = rules->Warnings();
        // The zone is loaded here, not under the hall directory's lock,
        // which every call of every hall takes.
        if (absl::StatusOr<absl::TimeZone> zone = LoadZone(config.time_zone());
            !zone.ok()) {
          return finish(zone.status());
        }
        // A new hall's journal begins with this Configure, which is how
        // recovery finds its configuration: it is submitted before the hall
        // is published, so no other command can come first. An existing
        // hall takes it as a command.
        v1::Command command;
        *command.mutable_configure()->mutable_config() = config;
        SignCommand((*caller)->name(), &command);
        auto reply_created = [finish, warnings](bool created) {
          return [finish, created, warnings](absl::Status status,
                                             const v1::CommandReply&) {
            Response out;
            out.set_created(created);
            for (const std::string& warning : warnings) {
              out.add_warnings(warning);
            }
            finish(status, out);
          };
        };
        if (c_.locator != nullptr &&
            c_.halls->Find(config.hall_id()) == nullptr) {
          // A hall another node serves is configured there.
          absl::StatusOr<std::optional<NodeAddress>> located =
              c_.locator->Locate(config.hall_id());
          if (!absl::IsNotFound(located.status())) {
            OwnerAnswer answer = NotServedHere(config.hall_id(), located);
            for (const auto& [key, value] : answer.trailers) {
              context->AddTrailingMetadata(key, value);
            }
            return finish(answer.status);
          }
        }
        absl::StatusOr<std::pair<HallRuntime*, bool>> hall =
            c_.halls->AddIfAbsent(config.hall_id(), [&] {
              return c_.new_hall(command, r.request_id(), reply_created(true));
            });
        if (!hall.ok()) return finish(hall.status());
        if (!hall->second) {
          hall->first->Submit(std::move(command), r.request_id(),
                              reply_created(false));
        }
      });
}

// ---------------------------------------------------------------------------
// Private data

namespace {

// A business day as YYYYMMDD that exists (20260230 does not).
bool IsBusinessDay(int32_t day) {
  const absl::CivilDay civil(day / 10000, day / 100 % 100, day % 100);
  return day >= 19700101 && day <= 99991231 &&
         civil.year() * 10000 + civil.month() * 100 + civil.day() == day;
}

}  // namespace

grpc::ServerUnaryReactor* SupervisorService::ReadPrivateData(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  using Response = v1::PrivateData;
  return Unary<v1::ReadPrivateDataRequest, Response>(
      context, request, response,
      [&](const v1::ReadPrivateDataRequest& r, const Finish<Response>& finish) {
        absl::StatusOr<Admitted> admitted = Admit(
            c_, context, "/qcall.v1.Supervisor/ReadPrivateData", r.hall_id());
        if (!admitted.ok()) return finish(admitted.status());
        const absl::string_view reason = absl::StripAsciiWhitespace(r.reason());
        if (reason.empty()) {
          return finish(absl::InvalidArgumentError(
              "reason is required: say why the customer's data is read "
              "(it is recorded with the read)"));
        }
        if (r.reason().size() > kMaxReasonLength) {
          return finish(absl::InvalidArgumentError(absl::StrCat(
              "reason is longer than ", kMaxReasonLength, " bytes")));
        }
        if (r.ticket().empty() || r.ticket().size() > kMaxTicketLength) {
          return finish(absl::InvalidArgumentError(
              "ticket is required, as it was printed (\"A012\")"));
        }
        if (r.business_day() != 0 && !IsBusinessDay(r.business_day())) {
          return finish(absl::InvalidArgumentError(absl::StrCat(
              "business_day ", r.business_day(),
              " is no day: YYYYMMDD, or 0 for the hall's current day")));
        }
        if (c_.private_data == nullptr) {
          return finish(absl::FailedPreconditionError(kNoPrivateData));
        }
        // The hall's day and time come from its strand; the read, once what
        // the hall showed is durable (a ticket just issued), from the pool.
        PrivateRead read{.reader = admitted->caller->name(),
                         .hall_id = r.hall_id(),
                         .business_day = r.business_day(),
                         .ticket = r.ticket(),
                         .reason = std::string(reason)};
        admitted->hall->Read([finish, read = std::move(read),
                              vault = c_.private_data, offload = c_.background](
                                 const Hall& hall, absl::Time now) mutable {
          if (read.business_day == 0) read.business_day = hall.business_day();
          read.at_unix_ms = absl::ToUnixMillis(now);
          return [finish, read = std::move(read), vault,
                  offload](absl::Status durable) {
            if (!durable.ok()) return finish(durable);
            offload([finish, read, vault] {
              absl::StatusOr<std::string> phone = vault->Read(read);
              if (!phone.ok()) return finish(phone.status());
              Response out;
              out.set_hall_id(read.hall_id);
              out.set_ticket(read.ticket);
              out.set_business_day(read.business_day);
              out.set_phone(*std::move(phone));
              finish(absl::OkStatus(), out);
            });
          };
        });
      });
}

grpc::ServerUnaryReactor* SupervisorService::ListPrivateDataReads(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  using Response = v1::PrivateDataReads;
  return Unary<v1::ListPrivateDataReadsRequest, Response>(
      context, request, response,
      [&](const v1::ListPrivateDataReadsRequest& r,
          const Finish<Response>& finish) {
        absl::StatusOr<Admitted> admitted =
            Admit(c_, context, "/qcall.v1.Supervisor/ListPrivateDataReads",
                  r.hall_id());
        if (!admitted.ok()) return finish(admitted.status());
        if (r.limit() < 0 || r.limit() > kMaxReadsListed) {
          return finish(absl::InvalidArgumentError(absl::StrCat(
              "limit must be 0-", kMaxReadsListed, " (0: ", kDefaultReadsListed,
              "), got ", r.limit())));
        }
        if (r.since_unix_ms() < 0) {
          return finish(
              absl::InvalidArgumentError("since_unix_ms must not be negative"));
        }
        if (c_.private_data == nullptr) {
          return finish(absl::FailedPreconditionError(kNoPrivateData));
        }
        c_.background(
            [finish, vault = c_.private_data, hall_id = r.hall_id(),
             since = r.since_unix_ms(),
             limit = r.limit() == 0 ? kDefaultReadsListed : r.limit()] {
              absl::StatusOr<std::vector<v1::PrivateDataRead>> reads =
                  vault->ListReads(hall_id, since, limit);
              if (!reads.ok()) return finish(reads.status());
              Response out;
              for (v1::PrivateDataRead& read : *reads) {
                *out.add_reads() = std::move(read);
              }
              finish(absl::OkStatus(), out);
            });
      });
}

}  // namespace qcall
