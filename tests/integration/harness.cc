#include "tests/integration/harness.h"

#include <grpcpp/generic/generic_stub.h>

#include <ctime>
#include <sstream>

#include "absl/synchronization/notification.h"
#include "google/protobuf/util/message_differencer.h"

namespace qcall::testing {

// ---------------------------------------------------------------------------
// The test config

std::string NoonTimeZone() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  // Local hour = UTC hour + offset; offsets -11..+12 all exist as Etc/GMT
  // zones, whose names carry the POSIX sign (Etc/GMT-8 is UTC+8).
  const int offset = 12 - utc.tm_hour;
  if (offset == 0) return "Etc/GMT";
  return offset > 0 ? "Etc/GMT-" + std::to_string(offset)
                    : "Etc/GMT+" + std::to_string(-offset);
}

std::string TestConfig(int min_open_windows) {
  std::ostringstream c;
  c << R"pb(halls { hall_id: "it-hall" name: "Integration Hall" time_zone: ")pb"
    << NoonTimeZone() << R"pb("
                              language: LANGUAGE_ZH
                              services {
                                code: "BILL"
                                name: "话费缴纳 Bill payment"
                                ticket_prefix: "A"
                                number_width: 4
                                prior_handling_seconds: 120
                              }
                              services {
                                code: "SIM"
                                name: "新卡办理 New SIM"
                                ticket_prefix: "B"
                                number_width: 4
                                prior_handling_seconds: 300
                              }
                              services {
                                code: "PLAN"
                                name: "套餐变更 Plan change"
                                ticket_prefix: "C"
                                number_width: 4
                                prior_handling_seconds: 200
                              }
                              windows {
                                number: 1
                                name: "1号窗口"
                                serves { service_code: "BILL" }
                                serves { service_code: "SIM" }
                              }
                              windows {
                                number: 2
                                name: "2号窗口"
                                serves { service_code: "BILL" }
                                serves { service_code: "SIM" }
                              }
                              windows {
                                number: 3
                                name: "3号窗口"
                                serves { service_code: "BILL" }
                              }
                              windows {
                                number: 4
                                name: "4号窗口"
                                serves { service_code: "SIM" }
                                serves { service_code: "PLAN" }
                              }
                              windows {
                                number: 5
                                name: "5号窗口"
                                serves { service_code: "BILL" }
                                serves { service_code: "SIM" }
                                serves { service_code: "PLAN" }
                              }
                              windows {
                                number: 6
                                name: "6号窗口"
                                serves { service_code: "BILL" }
                                serves { service_code: "SIM" }
                                serves { service_code: "PLAN" }
                              }
                              min_open_windows:)pb"
    << min_open_windows << R"pb(
  hours { weekday: 1 open_minute: 0 close_minute: 1440 }
  hours { weekday: 2 open_minute: 0 close_minute: 1440 }
  hours { weekday: 3 open_minute: 0 close_minute: 1440 }
  hours { weekday: 4 open_minute: 0 close_minute: 1440 }
  hours { weekday: 5 open_minute: 0 close_minute: 1440 }
  hours { weekday: 6 open_minute: 0 close_minute: 1440 }
  hours { weekday: 7 open_minute: 0 close_minute: 1440 }
  business_day_start_minute: 0
  policy { max_recalls: 2 requeue_offset: 3 max_requeues: 1 no_show_timeout_seconds: 0 }
}
      halls {
  hall_id: "other-hall"
  name: "Other Hall"
  time_zone: "Etc/GMT"
  services { code: "BILL" name: "Bill payment" ticket_prefix: "A" }
  windows { number: 1 serves { service_code: "BILL" } }
}
tokens { token: "it-kiosk-token" role: ROLE_KIOSK halls: ["it-hall"] name: "it kiosks" issues_per_minute: 0 }
tokens { token: "it-counter-token" role: ROLE_COUNTER halls: ["it-hall"] name: "it counters" }
tokens { token: "it-counter3-token" role: ROLE_COUNTER halls: ["it-hall"] windows: [3] name: "it window 3" }
tokens { token: "it-display-token" role: ROLE_DISPLAY halls: ["*"] name: "it boards" }
tokens { token: "it-supervisor-token" role: ROLE_SUPERVISOR halls: ["*"] name: "it duty manager" }
tokens { token: "other-kiosk-token" role: ROLE_KIOSK halls: ["other-hall"] name: "other kiosks" issues_per_minute: 0 }
tokens { token: "other-supervisor-token" role: ROLE_SUPERVISOR halls: ["other-hall"] name: "other duty manager" }
)pb";
  return c.str();
}

// ---------------------------------------------------------------------------
// Calls

std::string CodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return "OK";
    case grpc::StatusCode::CANCELLED:
      return "CANCELLED";
    case grpc::StatusCode::UNKNOWN:
      return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND:
      return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS:
      return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "PERMISSION_DENIED";
    case grpc::StatusCode::UNAUTHENTICATED:
      return "UNAUTHENTICATED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED:
      return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE:
      return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED:
      return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL:
      return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE:
      return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS:
      return "DATA_LOSS";
    default:
      return "code " + std::to_string(static_cast<int>(code));
  }
}

std::string Describe(const grpc::Status& status) {
  std::string text = CodeName(status.error_code());
  if (!status.error_message().empty()) {
    text += ": " + status.error_message().substr(0, 300);
  }
  return text;
}

::testing::AssertionResult IsOk(const grpc::Status& status) {
  if (status.ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "expected OK, got " << Describe(status);
}

::testing::AssertionResult HasCode(const grpc::Status& status,
                                   grpc::StatusCode code) {
  if (status.error_code() != code) {
    return ::testing::AssertionFailure()
           << "expected " << CodeName(code) << ", got " << Describe(status);
  }
  // What the server refuses it must explain (cancellations and deadlines
  // are the client's own doing).
  if (code != grpc::StatusCode::OK && code != grpc::StatusCode::CANCELLED &&
      code != grpc::StatusCode::DEADLINE_EXCEEDED &&
      status.error_message().empty()) {
    return ::testing::AssertionFailure()
           << CodeName(code) << " without a message saying what is wrong";
  }
  return ::testing::AssertionSuccess() << Describe(status);
}

void Prepare(grpc::ClientContext* context, const std::string& token,
             std::chrono::milliseconds deadline) {
  if (!token.empty()) context->AddMetadata("authorization", "Bearer " + token);
  context->set_deadline(std::chrono::system_clock::now() + deadline);
}

Api::Api(std::shared_ptr<grpc::Channel> channel)
    : kiosk(channel), counter(channel), display(channel), supervisor(channel) {}

Result<v1::ListServicesResponse> Api::ListServices(const std::string& token,
                                                   const std::string& hall_id) {
  v1::ListServicesRequest r;
  r.set_hall_id(hall_id);
  return Call(&kiosk, &v1::Kiosk::Stub::ListServices, token, r);
}

Api::Reply Api::Issue(const std::string& service, v1::Category category,
                      const std::string& request_id, const std::string& phone,
                      const std::string& token) {
  v1::IssueTicketRequest r;
  r.set_hall_id(hall);
  r.set_service_code(service);
  r.set_category(category);
  r.set_request_id(request_id);
  r.set_phone(phone);
  return Call(&kiosk, &v1::Kiosk::Stub::IssueTicket, token, r);
}

Api::Reply Api::GetTicket(const std::string& ticket, const std::string& token) {
  v1::GetTicketRequest r;
  r.set_hall_id(hall);
  r.set_ticket(ticket);
  return Call(&kiosk, &v1::Kiosk::Stub::GetTicket, token, r);
}

Api::Reply Api::Cancel(const std::string& ticket, const std::string& request_id,
                       const std::string& token) {
  v1::CancelTicketRequest r;
  r.set_hall_id(hall);
  r.set_ticket(ticket);
  r.set_request_id(request_id);
  return Call(&kiosk, &v1::Kiosk::Stub::CancelTicket, token, r);
}

Api::Reply Api::Open(int window, const std::string& clerk,
                     const std::string& request_id, const std::string& token) {
  v1::OpenWindowRequest r;
  r.set_hall_id(hall);
  r.set_window(window);
  r.set_clerk_id(clerk);
  r.set_request_id(request_id);
  return Call(&counter, &v1::Counter::Stub::OpenWindow, token, r);
}

Api::Reply Api::Close(int window, const std::string& reason,
                      const std::optional<v1::Override>& override,
                      const std::string& token) {
  v1::CloseWindowRequest r;
  r.set_hall_id(hall);
  r.set_window(window);
  r.set_reason(reason);
  if (override) *r.mutable_override() = *override;
  return Call(&counter, &v1::Counter::Stub::CloseWindow, token, r);
}

Api::Reply Api::Pause(int window, const std::string& reason,
                      const std::optional<v1::Override>& override,
                      const std::string& token) {
  v1::PauseWindowRequest r;
  r.set_hall_id(hall);
  r.set_window(window);
  r.set_reason(reason);
  if (override) *r.mutable_override() = *override;
  return Call(&counter, &v1::Counter::Stub::PauseWindow, token, r);
}

namespace {
v1::WindowRequest Window(const std::string& hall, int window,
                         const std::string& request_id = "") {
  v1::WindowRequest r;
  r.set_hall_id(hall);
  r.set_window(window);
  r.set_request_id(request_id);
  return r;
}
}  // namespace

Api::Reply Api::Resume(int window, const std::string& token) {
  return Call(&counter, &v1::Counter::Stub::ResumeWindow, token,
              Window(hall, window));
}

Api::Reply Api::CallNext(int window, const std::string& request_id,
                         const std::string& token) {
  return Call(&counter, &v1::Counter::Stub::CallNext, token,
              Window(hall, window, request_id));
}

Api::Reply Api::CallTicket(int window, const std::string& ticket,
                           const std::string& token) {
  v1::CallTicketRequest r;
  r.set_hall_id(hall);
  r.set_window(window);
  r.set_ticket(ticket);
  return Call(&counter, &v1::Counter::Stub::CallTicket, token, r);
}

Api::Reply Api::Recall(int window, const std::string& token) {
  return Call(&counter, &v1::Counter::Stub::Recall, token,
              Window(hall, window));
}

Api::Reply Api::StartServing(int window, const std::string& token) {
  return Call(&counter, &v1::Counter::Stub::StartServing, token,
              Window(hall, window));
}

Api::Reply Api::Complete(int window, int rating, const std::string& token) {
  v1::CompleteRequest r;
  r.set_hall_id(hall);
  r.set_window(window);
  r.set_rating(rating);
  return Call(&counter, &v1::Counter::Stub::Complete, token, r);
}

Api::Reply Api::NoShow(int window, const std::string& token) {
  return Call(&counter, &v1::Counter::Stub::NoShow, token,
              Window(hall, window));
}

Api::Reply Api::Requeue(int window, const std::string& ticket,
                        const std::string& token) {
  v1::RequeueRequest r;
  r.set_hall_id(hall);
  r.set_window(window);
  r.set_ticket(ticket);
  return Call(&counter, &v1::Counter::Stub::Requeue, token, r);
}

Api::Reply Api::TransferToService(int window, const std::string& service,
                                  v1::Placement placement,
                                  const std::string& token) {
  v1::TransferRequest r;
  r.set_hall_id(hall);
  r.set_window(window);
  r.set_to_service_code(service);
  r.set_placement(placement);
  return Call(&counter, &v1::Counter::Stub::Transfer, token, r);
}

Api::Reply Api::TransferToWindow(int window, int to_window,
                                 v1::Placement placement,
                                 const std::string& token) {
  v1::TransferRequest r;
  r.set_hall_id(hall);
  r.set_window(window);
  r.set_to_window(to_window);
  r.set_placement(placement);
  return Call(&counter, &v1::Counter::Stub::Transfer, token, r);
}

Result<v1::HeartbeatResponse> Api::Heartbeat(int window,
                                             const std::string& token) {
  v1::HeartbeatRequest r;
  r.set_hall_id(hall);
  r.set_window(window);
  return Call(&counter, &v1::Counter::Stub::Heartbeat, token, r);
}

Result<v1::HeartbeatResponse> Api::SignedHeartbeat(int window,
                                                   const std::string& clerk) {
  v1::HeartbeatRequest r;
  r.set_hall_id(hall);
  r.set_window(window);
  r.set_clerk_id(clerk);
  return Call(&counter, &v1::Counter::Stub::Heartbeat, kCounterToken, r);
}

Result<v1::HeartbeatResponse> Api::SignOut(int window,
                                           const std::string& clerk) {
  v1::HeartbeatRequest r;
  r.set_hall_id(hall);
  r.set_window(window);
  r.set_clerk_id(clerk);
  r.set_sign_out(true);
  return Call(&counter, &v1::Counter::Stub::Heartbeat, kCounterToken, r);
}

Result<v1::HallView> Api::GetHall(const std::string& token,
                                  const std::string& hall_id) {
  v1::GetHallRequest r;
  r.set_hall_id(hall_id);
  return Call(&supervisor, &v1::Supervisor::Stub::GetHall, token, r);
}

Result<v1::ListHallsResponse> Api::ListHalls(const std::string& token) {
  return Call(&supervisor, &v1::Supervisor::Stub::ListHalls, token,
              v1::ListHallsRequest());
}

Api::Reply Api::SetMinOpenWindows(int min_open_windows,
                                  const std::string& token) {
  v1::SetMinOpenWindowsRequest r;
  r.set_hall_id(hall);
  r.set_min_open_windows(min_open_windows);
  return Call(&supervisor, &v1::Supervisor::Stub::SetMinOpenWindows, token, r);
}

Api::Reply Api::Void(const std::string& ticket, const std::string& reason,
                     const std::string& token) {
  v1::VoidTicketRequest r;
  r.set_hall_id(hall);
  r.set_ticket(ticket);
  r.set_reason(reason);
  return Call(&supervisor, &v1::Supervisor::Stub::VoidTicket, token, r);
}

// ---------------------------------------------------------------------------
// Watch

Watcher::Watcher(v1::Display::Stub* stub, const std::string& token,
                 const v1::WatchRequest& request,
                 std::chrono::milliseconds deadline) {
  Prepare(&context_, token, deadline);
  reader_ = stub->Watch(&context_, request);
}

Watcher::Watcher(v1::Supervisor::Stub* stub, const std::string& token,
                 const v1::WatchRequest& request,
                 std::chrono::milliseconds deadline) {
  Prepare(&context_, token, deadline);
  reader_ = stub->Watch(&context_, request);
}

Watcher::~Watcher() {
  if (finished_) return;
  context_.TryCancel();
  v1::WatchResponse ignored;
  while (reader_->Read(&ignored)) {
  }
  reader_->Finish();
}

bool Watcher::Read(v1::WatchResponse* response) {
  return reader_->Read(response);
}

::testing::AssertionResult Watcher::NextEvent(v1::HallEvent* event) {
  v1::WatchResponse response;
  if (!Read(&response)) {
    return ::testing::AssertionFailure()
           << "the stream ended: " << Describe(Finish());
  }
  if (!response.has_event()) {
    return ::testing::AssertionFailure()
           << "expected an event, got " << response.ShortDebugString();
  }
  *event = response.event();
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult Watcher::EventsThrough(
    uint64_t last_seq, std::vector<v1::HallEvent>* events) {
  uint64_t previous = events->empty() ? 0 : events->back().seq();
  while (previous < last_seq) {
    v1::HallEvent event;
    if (::testing::AssertionResult next = NextEvent(&event); !next) {
      return next << " (waiting for seq " << last_seq << ", last was "
                  << previous << ")";
    }
    if (previous != 0 && event.seq() != previous + 1) {
      return ::testing::AssertionFailure()
             << "event seq " << event.seq() << " follows " << previous;
    }
    previous = event.seq();
    events->push_back(std::move(event));
  }
  if (previous != last_seq) {
    return ::testing::AssertionFailure()
           << "stream jumped past seq " << last_seq << " to " << previous;
  }
  return ::testing::AssertionSuccess();
}

grpc::Status Watcher::Finish() {
  if (finished_) return grpc::Status(grpc::StatusCode::INTERNAL, "finished");
  finished_ = true;
  return reader_->Finish();
}

grpc::Status CallWithBytes(const std::shared_ptr<grpc::Channel>& channel,
                           const std::string& method, const std::string& bytes,
                           const std::string& token) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + token);
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(10));
  grpc::Slice slice(bytes);
  const grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  grpc::Status result;
  absl::Notification done;
  stub.UnaryCall(&context, method, grpc::StubOptions(), &request, &response,
                 [&](grpc::Status status) {
                   result = std::move(status);
                   done.Notify();
                 });
  done.WaitForNotification();
  return result;
}

v1::WatchRequest WatchFrom(uint64_t after_seq, std::vector<int32_t> windows,
                           const std::string& hall) {
  v1::WatchRequest request;
  request.set_hall_id(hall);
  request.set_after_seq(after_seq);
  for (int32_t w : windows) request.add_windows(w);
  return request;
}

std::string EventTicket(const v1::HallEvent& e) {
  switch (e.kind_case()) {
    case v1::HallEvent::kTicketIssued:
      return e.ticket_issued().ticket().number();
    case v1::HallEvent::kTicketCalled:
      return e.ticket_called().ticket().number();
    case v1::HallEvent::kTicketStateChanged:
      return e.ticket_state_changed().ticket().number();
    case v1::HallEvent::kTicketTransferred:
      return e.ticket_transferred().ticket().number();
    default:
      return "";
  }
}

v1::HallView Timeless(v1::HallView view) {
  for (auto& service : *view.mutable_services()) {
    service.clear_oldest_wait_seconds();
    // Estimates count how long each window's customer has been served.
    service.clear_estimated_wait_seconds();
  }
  for (auto& lane : *view.mutable_lanes()) lane.clear_oldest_wait_seconds();
  return view;
}

::testing::AssertionResult SameView(const v1::HallView& a,
                                    const v1::HallView& b) {
  google::protobuf::util::MessageDifferencer differencer;
  std::string report;
  differencer.ReportDifferencesToString(&report);
  if (differencer.Compare(Timeless(a), Timeless(b))) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "the hall views differ:\n" << report;
}

const v1::HallView::WindowView* FindWindow(const v1::HallView& view,
                                           int number) {
  for (const auto& w : view.windows()) {
    if (w.number() == number) return &w;
  }
  return nullptr;
}

const v1::HallView::ServiceView* FindService(const v1::HallView& view,
                                             const std::string& code) {
  for (const auto& s : view.services()) {
    if (s.code() == code) return &s;
  }
  return nullptr;
}

v1::Override MakeOverride(const std::string& supervisor,
                          const std::string& reason) {
  v1::Override o;
  o.set_supervisor_id(supervisor);
  o.set_reason(reason);
  return o;
}

void ServerTarget::Set(std::shared_ptr<grpc::Channel> channel) {
  std::lock_guard lock(mu_);
  channel_ = std::move(channel);
  ++generation_;
}

Api& ServerTarget::Current(std::unique_ptr<Api>* api, uint64_t* generation) {
  std::lock_guard lock(mu_);
  if (*api == nullptr || *generation != generation_) {
    *api = std::make_unique<Api>(channel_);
    (*api)->deadline = std::chrono::seconds(3);
    *generation = generation_;
  }
  return **api;
}

bool Unacknowledged(const grpc::Status& status) {
  switch (status.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::CANCELLED:
    case grpc::StatusCode::INTERNAL:
    case grpc::StatusCode::UNKNOWN:
      return true;
    default:
      return false;
  }
}

}  // namespace qcall::testing
