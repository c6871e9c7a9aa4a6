#include "dispatcher/services.h"

#include <atomic>
#include <utility>

#include "absl/strings/str_cat.h"
#include "dispatcher/method_policy.h"
#include "engine/hall_rules.h"
#include "engine/status_macros.h"

namespace qcall {
namespace {

constexpr size_t kMaxRequestIdLength = 128;

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
  if (hall == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("no hall '", hall_id.substr(0, 64), "' on this server"));
  }
  return Admitted{caller, hall};
}

grpc::ServerUnaryReactor* Fail(grpc::CallbackServerContext* context,
                               const absl::Status& status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpc(status));
  return reactor;
}

// Admits the call and submits `command` to the hall; the reply goes out when
// the command is durable. A non-null `only_supervisor` says why this call
// needs a supervisor token.
grpc::ServerUnaryReactor* RunCommand(
    const ServiceContext& c, grpc::CallbackServerContext* context,
    absl::string_view method, const std::string& hall_id, int32_t window,
    const std::string& request_id, v1::Command command,
    v1::CommandReply* response, const char* only_supervisor = nullptr,
    void (*sign)(Caller, v1::Command*) = nullptr) {
  absl::StatusOr<Admitted> admitted =
      Admit(c, context, method, hall_id, window);
  if (!admitted.ok()) return Fail(context, admitted.status());
  if (request_id.size() > kMaxRequestIdLength) {
    return Fail(context, absl::InvalidArgumentError(
                             absl::StrCat("request_id is longer than ",
                                          kMaxRequestIdLength, " bytes")));
  }
  if (only_supervisor != nullptr &&
      admitted->caller->role() != v1::ROLE_SUPERVISOR) {
    return Fail(context, absl::PermissionDeniedError(only_supervisor));
  }
  // Who did it comes from the token, never from the request.
  if (sign != nullptr) sign(admitted->caller, &command);
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  admitted->hall->Submit(
      std::move(command), request_id,
      [reactor, response](absl::Status status, const v1::CommandReply& reply) {
        if (status.ok()) *response = reply;
        reactor->Finish(ToGrpc(status));
      });
  return reactor;
}

// Finishes a Watch that could not start.
class RefusedWatch : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  explicit RefusedWatch(const absl::Status& status) { Finish(ToGrpc(status)); }
  void OnDone() override { delete this; }
};

grpc::ServerWriteReactor<grpc::ByteBuffer>* StartWatch(
    const ServiceContext& c, grpc::CallbackServerContext* context,
    const grpc::ByteBuffer* raw, absl::string_view method) {
  std::vector<grpc::Slice> slices;
  v1::WatchRequest request;
  std::string bytes;
  if (raw->Dump(&slices).ok()) {
    for (const grpc::Slice& s : slices) {
      bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
    }
  }
  if (!request.ParseFromString(bytes)) {
    return new RefusedWatch(
        absl::InvalidArgumentError("WatchRequest does not parse"));
  }
  absl::StatusOr<Admitted> admitted =
      Admit(c, context, method, request.hall_id());
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
      std::vector<int32_t>(request.windows().begin(), request.windows().end()),
      hall->hub().stream_queue(),
      [hall, open_streams](std::function<void()> reap) {
        // On the hall's strand, behind the subscription queued below.
        hall->Read(
            [reap = std::move(reap), open_streams](const Hall&, absl::Time) {
              reap();
              open_streams->fetch_sub(1);
            });
      });
  hall->Watch(stream, request.after_seq());
  return stream;
}

}  // namespace

// ---------------------------------------------------------------------------
// Kiosk

grpc::ServerUnaryReactor* KioskService::ListServices(
    grpc::CallbackServerContext* context,
    const v1::ListServicesRequest* request,
    v1::ListServicesResponse* response) {
  absl::StatusOr<Admitted> admitted =
      Admit(c_, context, "/qcall.v1.Kiosk/ListServices", request->hall_id());
  if (!admitted.ok()) return Fail(context, admitted.status());
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  admitted->hall->Read([reactor, response](const Hall& hall, absl::Time now) {
    const v1::HallView view = hall.View(now);
    response->set_hall_name(view.name());
    response->set_language(view.language());
    for (const v1::HallView::ServiceView& s : view.services()) {
      v1::ServiceStatus* status = response->add_services();
      status->set_code(s.code());
      status->set_name(s.name());
      status->set_waiting(s.waiting());
      status->set_open_windows(s.open_windows());
      status->set_estimated_wait_seconds(s.estimated_wait_seconds());
    }
    reactor->Finish(grpc::Status::OK);
  });
  return reactor;
}

grpc::ServerUnaryReactor* KioskService::IssueTicket(
    grpc::CallbackServerContext* context, const v1::IssueTicketRequest* request,
    v1::CommandReply* response) {
  v1::Command command;
  v1::Command::IssueTicket* issue = command.mutable_issue_ticket();
  issue->set_service_code(request->service_code());
  issue->set_category(request->category());
  issue->set_phone(request->phone());
  issue->set_appointment_unix_seconds(request->appointment_unix_seconds());
  return RunCommand(c_, context, "/qcall.v1.Kiosk/IssueTicket",
                    request->hall_id(), 0, request->request_id(),
                    std::move(command), response);
}

grpc::ServerUnaryReactor* KioskService::GetTicket(
    grpc::CallbackServerContext* context, const v1::GetTicketRequest* request,
    v1::CommandReply* response) {
  absl::StatusOr<Admitted> admitted =
      Admit(c_, context, "/qcall.v1.Kiosk/GetTicket", request->hall_id());
  if (!admitted.ok()) return Fail(context, admitted.status());
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  admitted->hall->Read([reactor, response, ticket = request->ticket()](
                           const Hall& hall, absl::Time now) {
    absl::StatusOr<v1::CommandResult> status = hall.TicketStatus(ticket, now);
    if (status.ok()) {
      *response->mutable_ticket() = status->ticket();
      response->set_people_ahead(status->people_ahead());
      response->set_estimated_wait_seconds(status->estimated_wait_seconds());
      response->set_seq(hall.last_seq());
    }
    reactor->Finish(ToGrpc(status.status()));
  });
  return reactor;
}

grpc::ServerUnaryReactor* KioskService::CancelTicket(
    grpc::CallbackServerContext* context,
    const v1::CancelTicketRequest* request, v1::CommandReply* response) {
  v1::Command command;
  command.mutable_cancel_ticket()->set_ticket(request->ticket());
  // A customer gives up at the kiosk; a clerk ends a called ticket with
  // NoShow, Complete or Transfer instead.
  return RunCommand(c_, context, "/qcall.v1.Kiosk/CancelTicket",
                    request->hall_id(), 0, request->request_id(),
                    std::move(command), response);
}

// ---------------------------------------------------------------------------
// Counter

namespace {
constexpr char kOverrideNeedsSupervisor[] =
    "going below the hall's minimum of open windows needs a supervisor token";
}  // namespace

grpc::ServerUnaryReactor* CounterService::OpenWindow(
    grpc::CallbackServerContext* context, const v1::OpenWindowRequest* request,
    v1::CommandReply* response) {
  v1::Command command;
  command.mutable_open_window()->set_window(request->window());
  command.mutable_open_window()->set_clerk_id(request->clerk_id());
  return RunCommand(c_, context, "/qcall.v1.Counter/OpenWindow",
                    request->hall_id(), request->window(),
                    request->request_id(), std::move(command), response);
}

namespace {

// An override is the token holder's, whatever the request says.
template <typename WindowCommand>
void SignOverride(Caller caller, WindowCommand* command) {
  if (command->has_override()) {
    command->mutable_override()->set_supervisor_id(caller->name());
  }
}

}  // namespace

grpc::ServerUnaryReactor* CounterService::CloseWindow(
    grpc::CallbackServerContext* context, const v1::CloseWindowRequest* request,
    v1::CommandReply* response) {
  v1::Command command;
  v1::Command::CloseWindow* close = command.mutable_close_window();
  close->set_window(request->window());
  close->set_reason(request->reason());
  if (request->has_override()) *close->mutable_override() = request->override();
  return RunCommand(
      c_, context, "/qcall.v1.Counter/CloseWindow", request->hall_id(),
      request->window(), request->request_id(), std::move(command), response,
      request->has_override() ? kOverrideNeedsSupervisor : nullptr,
      [](Caller caller, v1::Command* c) {
        SignOverride(caller, c->mutable_close_window());
      });
}

grpc::ServerUnaryReactor* CounterService::PauseWindow(
    grpc::CallbackServerContext* context, const v1::PauseWindowRequest* request,
    v1::CommandReply* response) {
  v1::Command command;
  v1::Command::PauseWindow* pause = command.mutable_pause_window();
  pause->set_window(request->window());
  pause->set_reason(request->reason());
  if (request->has_override()) *pause->mutable_override() = request->override();
  return RunCommand(
      c_, context, "/qcall.v1.Counter/PauseWindow", request->hall_id(),
      request->window(), request->request_id(), std::move(command), response,
      request->has_override() ? kOverrideNeedsSupervisor : nullptr,
      [](Caller caller, v1::Command* c) {
        SignOverride(caller, c->mutable_pause_window());
      });
}

grpc::ServerUnaryReactor* CounterService::ResumeWindow(
    grpc::CallbackServerContext* context, const v1::WindowRequest* request,
    v1::CommandReply* response) {
  v1::Command command;
  command.mutable_resume_window()->set_window(request->window());
  return RunCommand(c_, context, "/qcall.v1.Counter/ResumeWindow",
                    request->hall_id(), request->window(),
                    request->request_id(), std::move(command), response);
}

grpc::ServerUnaryReactor* CounterService::CallNext(
    grpc::CallbackServerContext* context, const v1::WindowRequest* request,
    v1::CommandReply* response) {
  v1::Command command;
  command.mutable_call_next()->set_window(request->window());
  return RunCommand(c_, context, "/qcall.v1.Counter/CallNext",
                    request->hall_id(), request->window(),
                    request->request_id(), std::move(command), response);
}

grpc::ServerUnaryReactor* CounterService::CallTicket(
    grpc::CallbackServerContext* context, const v1::CallTicketRequest* request,
    v1::CommandReply* response) {
  v1::Command command;
  command.mutable_call_ticket()->set_window(request->window());
  command.mutable_call_ticket()->set_ticket(request->ticket());
  return RunCommand(c_, context, "/qcall.v1.Counter/CallTicket",
                    request->hall_id(), request->window(),
                    request->request_id(), std::move(command), response);
}

grpc::ServerUnaryReactor* CounterService::Recall(
    grpc::CallbackServerContext* context, const v1::WindowRequest* request,
    v1::CommandReply* response) {
  v1::Command command;
  command.mutable_recall()->set_window(request->window());
  return RunCommand(c_, context, "/qcall.v1.Counter/Recall", request->hall_id(),
                    request->window(), request->request_id(),
                    std::move(command), response);
}

grpc::ServerUnaryReactor* CounterService::StartServing(
    grpc::CallbackServerContext* context, const v1::WindowRequest* request,
    v1::CommandReply* response) {
  v1::Command command;
  command.mutable_start_serving()->set_window(request->window());
  return RunCommand(c_, context, "/qcall.v1.Counter/StartServing",
                    request->hall_id(), request->window(),
                    request->request_id(), std::move(command), response);
}

grpc::ServerUnaryReactor* CounterService::Complete(
    grpc::CallbackServerContext* context, const v1::CompleteRequest* request,
    v1::CommandReply* response) {
  v1::Command command;
  command.mutable_complete()->set_window(request->window());
  command.mutable_complete()->set_rating(request->rating());
  return RunCommand(c_, context, "/qcall.v1.Counter/Complete",
                    request->hall_id(), request->window(),
                    request->request_id(), std::move(command), response);
}

grpc::ServerUnaryReactor* CounterService::NoShow(
    grpc::CallbackServerContext* context, const v1::WindowRequest* request,
    v1::CommandReply* response) {
  v1::Command command;
  command.mutable_no_show()->set_window(request->window());
  return RunCommand(c_, context, "/qcall.v1.Counter/NoShow", request->hall_id(),
                    request->window(), request->request_id(),
                    std::move(command), response);
}

grpc::ServerUnaryReactor* CounterService::Requeue(
    grpc::CallbackServerContext* context, const v1::RequeueRequest* request,
    v1::CommandReply* response) {
  // The customer comes back to the window whose call they missed; the engine
  // checks it is that window.
  v1::Command command;
  command.mutable_requeue()->set_ticket(request->ticket());
  command.mutable_requeue()->set_window(request->window());
  return RunCommand(c_, context, "/qcall.v1.Counter/Requeue",
                    request->hall_id(), request->window(),
                    request->request_id(), std::move(command), response,
                    request->window() == 0
                        ? "a requeue names the window taking the customer "
                          "back (window); only a supervisor token may leave "
                          "it out"
                        : nullptr);
}

grpc::ServerUnaryReactor* CounterService::Transfer(
    grpc::CallbackServerContext* context, const v1::TransferRequest* request,
    v1::CommandReply* response) {
  v1::Command command;
  v1::Command::Transfer* transfer = command.mutable_transfer();
  transfer->set_window(request->window());
  transfer->set_placement(request->placement());
  if (request->has_to_service_code()) {
    transfer->set_to_service_code(request->to_service_code());
  }
  if (request->has_to_window()) transfer->set_to_window(request->to_window());
  return RunCommand(c_, context, "/qcall.v1.Counter/Transfer",
                    request->hall_id(), request->window(),
                    request->request_id(), std::move(command), response);
}

grpc::ServerUnaryReactor* CounterService::Heartbeat(
    grpc::CallbackServerContext* context, const v1::HeartbeatRequest* request,
    v1::HeartbeatResponse* response) {
  absl::StatusOr<Admitted> admitted =
      Admit(c_, context, "/qcall.v1.Counter/Heartbeat", request->hall_id(),
            request->window());
  if (!admitted.ok()) return Fail(context, admitted.status());
  // A heartbeat names a window of the hall; checked on the hall's strand,
  // where its rules live.
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  admitted->hall->Read(
      [reactor, response, hall = admitted->hall, window = request->window(),
       timeout = c_.heartbeat_timeout_seconds](const Hall& h, absl::Time) {
        if (!h.rules().FindWindow(window)) {
          reactor->Finish(ToGrpc(absl::NotFoundError(
              absl::StrCat("no window ", window, " in this hall"))));
          return;
        }
        hall->Heartbeat(window);
        response->set_timeout_seconds(timeout);
        reactor->Finish(grpc::Status::OK);
      });
  return reactor;
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
    grpc::CallbackServerContext* context, const v1::ListHallsRequest*,
    v1::ListHallsResponse* response) {
  absl::StatusOr<Caller> caller = c_.auth->Authenticate(context);
  if (!caller.ok()) return Fail(context, caller.status());
  std::vector<HallRuntime*> visible;
  for (HallRuntime* runtime : c_.halls->All()) {
    if (c_.auth
            ->Authorize(*caller, PolicyOf("/qcall.v1.Supervisor/ListHalls"),
                        runtime->hall_id())
            .ok()) {
      visible.push_back(runtime);
    }
  }
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (visible.empty()) {
    if ((*caller)->role() != v1::ROLE_SUPERVISOR) {
      reactor->Finish(ToGrpc(absl::PermissionDeniedError(
          "only a supervisor token may list halls")));
    } else {
      reactor->Finish(grpc::Status::OK);
    }
    return reactor;
  }
  // Each hall answers on its own strand; the last one finishes the call.
  struct Gather {
    absl::Mutex mu;
    std::vector<v1::HallSummary> halls ABSL_GUARDED_BY(mu);
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
        [gather, i, reactor, response](const Hall& hall, absl::Time now) {
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
          {
            absl::MutexLock lock(&gather->mu);
            gather->halls[i] = std::move(summary);
          }
          if (--gather->left == 0) {
            absl::MutexLock lock(&gather->mu);
            for (v1::HallSummary& h : gather->halls) {
              *response->add_halls() = std::move(h);
            }
            reactor->Finish(grpc::Status::OK);
          }
        });
  }
  return reactor;
}

grpc::ServerUnaryReactor* SupervisorService::GetHall(
    grpc::CallbackServerContext* context, const v1::GetHallRequest* request,
    v1::HallView* response) {
  absl::StatusOr<Admitted> admitted =
      Admit(c_, context, "/qcall.v1.Supervisor/GetHall", request->hall_id());
  if (!admitted.ok()) return Fail(context, admitted.status());
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  admitted->hall->Read([reactor, response](const Hall& hall, absl::Time now) {
    *response = hall.View(now);
    reactor->Finish(grpc::Status::OK);
  });
  return reactor;
}

grpc::ServerUnaryReactor* SupervisorService::GetLoadHistory(
    grpc::CallbackServerContext* context,
    const v1::GetLoadHistoryRequest* request, v1::LoadHistory* response) {
  absl::StatusOr<Admitted> admitted = Admit(
      c_, context, "/qcall.v1.Supervisor/GetLoadHistory", request->hall_id());
  if (!admitted.ok()) return Fail(context, admitted.status());
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  admitted->hall->ReadLoadHistory(
      [reactor, response](const std::deque<v1::LoadSample>& samples) {
        response->mutable_samples()->Assign(samples.begin(), samples.end());
        reactor->Finish(grpc::Status::OK);
      });
  return reactor;
}

grpc::ServerUnaryReactor* SupervisorService::SetMinOpenWindows(
    grpc::CallbackServerContext* context,
    const v1::SetMinOpenWindowsRequest* request, v1::CommandReply* response) {
  v1::Command command;
  command.mutable_set_min_open_windows()->set_min_open_windows(
      request->min_open_windows());
  return RunCommand(
      c_, context, "/qcall.v1.Supervisor/SetMinOpenWindows", request->hall_id(),
      0, request->request_id(), std::move(command), response,
      /*only_supervisor=*/nullptr, [](Caller caller, v1::Command* c) {
        c->mutable_set_min_open_windows()->set_supervisor_id(caller->name());
      });
}

grpc::ServerUnaryReactor* SupervisorService::VoidTicket(
    grpc::CallbackServerContext* context, const v1::VoidTicketRequest* request,
    v1::CommandReply* response) {
  v1::Command command;
  command.mutable_void_ticket()->set_ticket(request->ticket());
  command.mutable_void_ticket()->set_reason(request->reason());
  return RunCommand(
      c_, context, "/qcall.v1.Supervisor/VoidTicket", request->hall_id(), 0,
      request->request_id(), std::move(command), response,
      /*only_supervisor=*/nullptr, [](Caller caller, v1::Command* c) {
        c->mutable_void_ticket()->set_supervisor_id(caller->name());
      });
}

grpc::ServerUnaryReactor* SupervisorService::ConfigureHall(
    grpc::CallbackServerContext* context,
    const v1::ConfigureHallRequest* request,
    v1::ConfigureHallResponse* response) {
  absl::StatusOr<Caller> caller = c_.auth->Authenticate(context);
  if (!caller.ok()) return Fail(context, caller.status());
  const v1::HallConfig& config = request->config();
  if (config.hall_id().empty()) {
    return Fail(context,
                absl::InvalidArgumentError("config.hall_id is required"));
  }
  if ((*caller)->role() != v1::ROLE_SUPERVISOR) {
    return Fail(context, absl::PermissionDeniedError(
                             "only a supervisor token may configure a hall"));
  }
  if (absl::Status allowed = c_.auth->Authorize(
          *caller, PolicyOf("/qcall.v1.Supervisor/ConfigureHall"),
          config.hall_id());
      !allowed.ok()) {
    return Fail(context, allowed);
  }
  if (request->request_id().size() > kMaxRequestIdLength) {
    return Fail(context, absl::InvalidArgumentError(
                             absl::StrCat("request_id is longer than ",
                                          kMaxRequestIdLength, " bytes")));
  }
  // A hall is only ever built from a config the engine accepts.
  if (absl::StatusOr<HallRules> rules = HallRules::FromConfig(config);
      !rules.ok()) {
    return Fail(context, rules.status());
  }
  absl::StatusOr<std::pair<HallRuntime*, bool>> hall = c_.halls->AddIfAbsent(
      config.hall_id(), [&] { return c_.new_hall(config); });
  if (!hall.ok()) return Fail(context, hall.status());
  // A new hall's journal begins with this Configure, which is how recovery
  // finds its configuration; an existing hall takes it as a command.
  v1::Command command;
  *command.mutable_configure()->mutable_config() = config;
  command.mutable_configure()->set_supervisor_id((*caller)->name());
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  hall->first->Submit(std::move(command), request->request_id(),
                      [reactor, response, created = hall->second](
                          absl::Status status, const v1::CommandReply&) {
                        response->set_created(created);
                        reactor->Finish(ToGrpc(status));
                      });
  return reactor;
}

}  // namespace qcall
