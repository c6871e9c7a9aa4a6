// What the qcalld integration tests share: a deterministic test config with
// a token per role, terse wrappers around the generated stubs that add the
// bearer token and a deadline, a Watch reader, and status assertions.
//
//   QcalldProcess server({.config_text = TestConfig()});
//   ASSERT_TRUE(server.Start());
//   Api api(server.NewChannel());
//   Result<v1::CommandReply> a = api.Issue("BILL");
//   ASSERT_OK(a);
//   EXPECT_EQ(a->ticket().number(), "A0001");
//   EXPECT_CODE(api.Open(4, "c4", "", kCounter3Token),
//               grpc::StatusCode::PERMISSION_DENIED);
#ifndef QCALL_TESTS_INTEGRATION_HARNESS_H_
#define QCALL_TESTS_INTEGRATION_HARNESS_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "qcall/v1/api.grpc.pb.h"

namespace qcall::testing {

// ---------------------------------------------------------------------------
// The test config

inline constexpr char kHall[] = "it-hall";
inline constexpr char kOtherHall[] = "other-hall";
inline constexpr char kKioskToken[] = "it-kiosk-token";
inline constexpr char kCounterToken[] = "it-counter-token";
inline constexpr char kCounter3Token[] = "it-counter3-token";      // Window 3.
inline constexpr char kDisplayToken[] = "it-display-token";        // All halls.
inline constexpr char kSupervisorToken[] = "it-supervisor-token";  // All.
inline constexpr char kOtherKioskToken[] = "other-kiosk-token";
inline constexpr char kOtherSupervisorToken[] = "other-supervisor-token";
// The name of the supervisor token, recorded as supervisor_id.
inline constexpr char kSupervisorName[] = "it duty manager";

// An Etc/GMT zone in which it is about noon right now, so that no test
// crosses the business day's start (local midnight) while it runs.
std::string NoonTimeZone();

// Hall "it-hall" ("Integration Hall"), Chinese announcements:
//   services BILL "A", SIM "B", PLAN "C", 4 digits (A0001), prior handling
//     120 s, 300 s and 200 s, no wait or handling targets (so no timed
//     alarms);
//   windows 1, 2 (BILL+SIM), 3 (BILL), 4 (SIM+PLAN), 5 and 6 (all three);
//   open 0-1440 every day, so business hours always apply (and with them the
//   minimum of open windows), numbering restarts at local midnight;
//   default policy (2 recalls, 1 requeue at offset 3), no no-show timeout.
// Hall "other-hall": one service and one window. Tokens as above.
std::string TestConfig(int min_open_windows = 0);

// ---------------------------------------------------------------------------
// Calls

template <typename T>
struct Result {
  grpc::Status status;
  T value;
  bool ok() const { return status.ok(); }
  const T* operator->() const { return &value; }
  const T& operator*() const { return value; }
};

std::string CodeName(grpc::StatusCode code);
std::string Describe(const grpc::Status& status);

::testing::AssertionResult IsOk(const grpc::Status& status);
::testing::AssertionResult HasCode(const grpc::Status& status,
                                   grpc::StatusCode code);
template <typename T>
::testing::AssertionResult IsOk(const Result<T>& result) {
  return IsOk(result.status);
}
template <typename T>
::testing::AssertionResult HasCode(const Result<T>& result,
                                   grpc::StatusCode code) {
  return HasCode(result.status, code);
}

#define EXPECT_OK(expr) EXPECT_TRUE(::qcall::testing::IsOk(expr))
#define ASSERT_OK(expr) ASSERT_TRUE(::qcall::testing::IsOk(expr))
#define EXPECT_CODE(expr, code) \
  EXPECT_TRUE(::qcall::testing::HasCode((expr), (code)))
#define ASSERT_CODE(expr, code) \
  ASSERT_TRUE(::qcall::testing::HasCode((expr), (code)))

// A context with "authorization: Bearer <token>" (none when token is empty)
// and a deadline.
void Prepare(grpc::ClientContext* context, const std::string& token,
             std::chrono::milliseconds deadline);

// The four stubs on one channel, and wrappers for the calls the tests make
// most. Every wrapper names kHall and the token of the role that normally
// makes the call unless told otherwise.
class Api {
 public:
  explicit Api(std::shared_ptr<grpc::Channel> channel);

  // Any unary call: Call(&api.kiosk, &v1::Kiosk::Stub::IssueTicket, token,
  // request).
  template <typename Stub, typename Request, typename Response>
  Result<Response> Call(Stub* stub,
                        grpc::Status (Stub::*method)(grpc::ClientContext*,
                                                     const Request&, Response*),
                        const std::string& token, const Request& request) {
    grpc::ClientContext context;
    Prepare(&context, token, deadline);
    Result<Response> result;
    result.status = (stub->*method)(&context, request, &result.value);
    return result;
  }

  using Reply = Result<v1::CommandReply>;

  // Kiosk.
  Result<v1::ListServicesResponse> ListServices(
      const std::string& token = kKioskToken,
      const std::string& hall_id = kHall);
  Reply Issue(const std::string& service,
              v1::Category category = v1::CATEGORY_NORMAL,
              const std::string& request_id = "", const std::string& phone = "",
              const std::string& token = kKioskToken);
  Reply GetTicket(const std::string& ticket,
                  const std::string& token = kKioskToken);
  Reply Cancel(const std::string& ticket, const std::string& request_id = "",
               const std::string& token = kKioskToken);

  // Counter.
  Reply Open(int window, const std::string& clerk,
             const std::string& request_id = "",
             const std::string& token = kCounterToken);
  Reply Close(int window, const std::string& reason = "",
              const std::optional<v1::Override>& override = std::nullopt,
              const std::string& token = kCounterToken);
  Reply Pause(int window, const std::string& reason,
              const std::optional<v1::Override>& override = std::nullopt,
              const std::string& token = kCounterToken);
  Reply Resume(int window, const std::string& token = kCounterToken);
  Reply CallNext(int window, const std::string& request_id = "",
                 const std::string& token = kCounterToken);
  Reply CallTicket(int window, const std::string& ticket,
                   const std::string& token = kCounterToken);
  Reply Recall(int window, const std::string& token = kCounterToken);
  Reply StartServing(int window, const std::string& token = kCounterToken);
  Reply Complete(int window, int rating = 0,
                 const std::string& token = kCounterToken);
  Reply NoShow(int window, const std::string& token = kCounterToken);
  // `window` is the one taking the customer back; 0 names none.
  Reply Requeue(int window, const std::string& ticket,
                const std::string& token = kCounterToken);
  Reply TransferToService(int window, const std::string& service,
                          v1::Placement placement = v1::PLACEMENT_UNSPECIFIED,
                          const std::string& token = kCounterToken);
  Reply TransferToWindow(int window, int to_window,
                         v1::Placement placement = v1::PLACEMENT_UNSPECIFIED,
                         const std::string& token = kCounterToken);
  Result<v1::HeartbeatResponse> Heartbeat(
      int window, const std::string& token = kCounterToken);
  // The heartbeat of a screen where `clerk` signed in.
  Result<v1::HeartbeatResponse> SignedHeartbeat(int window,
                                                const std::string& clerk);
  // Heartbeat's sign_out: the screen of `clerk` leaves the window open.
  Result<v1::HeartbeatResponse> SignOut(int window, const std::string& clerk);

  // Supervisor.
  Result<v1::HallView> GetHall(const std::string& token = kSupervisorToken,
                               const std::string& hall_id = kHall);
  Result<v1::ListHallsResponse> ListHalls(
      const std::string& token = kSupervisorToken);
  Reply SetMinOpenWindows(int min_open_windows,
                          const std::string& token = kSupervisorToken);
  Reply Void(const std::string& ticket, const std::string& reason,
             const std::string& token = kSupervisorToken);

  // Every call's deadline.
  std::chrono::milliseconds deadline{10'000};
  std::string hall = kHall;
  v1::Kiosk::Stub kiosk;
  v1::Counter::Stub counter;
  v1::Display::Stub display;
  v1::Supervisor::Stub supervisor;
};

// ---------------------------------------------------------------------------
// Watch

// One Watch call read synchronously. The stream is cancelled and finished
// when the Watcher goes away.
class Watcher {
 public:
  // Display.Watch (or Supervisor.Watch with a supervisor stub).
  Watcher(v1::Display::Stub* stub, const std::string& token,
          const v1::WatchRequest& request,
          std::chrono::milliseconds deadline = std::chrono::seconds(60));
  Watcher(v1::Supervisor::Stub* stub, const std::string& token,
          const v1::WatchRequest& request,
          std::chrono::milliseconds deadline = std::chrono::seconds(60));
  ~Watcher();

  bool Read(v1::WatchResponse* response);
  // The next message, which must be an event.
  ::testing::AssertionResult NextEvent(v1::HallEvent* event);
  // Events until (and including) the one with seq `last_seq`, appended to
  // `events`; fails on a snapshot, a gap, a repeat or the end of the stream.
  ::testing::AssertionResult EventsThrough(uint64_t last_seq,
                                           std::vector<v1::HallEvent>* events);
  // The final status; call after Read returned false.
  grpc::Status Finish();
  void Cancel() { context_.TryCancel(); }

 private:
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<v1::WatchResponse>> reader_;
  bool finished_ = false;
};

// A unary call of `method` ("/qcall.v1.Kiosk/IssueTicket") with `bytes` as
// its request, whatever they are: for requests built from descriptors, or
// bytes that are no request at all.
grpc::Status CallWithBytes(const std::shared_ptr<grpc::Channel>& channel,
                           const std::string& method, const std::string& bytes,
                           const std::string& token);

v1::WatchRequest WatchFrom(uint64_t after_seq,
                           std::vector<int32_t> windows = {},
                           const std::string& hall = kHall);

// The ticket number an event carries, "" when it carries none.
std::string EventTicket(const v1::HallEvent& event);

// A view with the fields that change by themselves as time passes (how long
// the oldest ticket waits, the estimated waits) cleared, so two views of an
// unchanged hall compare equal.
v1::HallView Timeless(v1::HallView view);
::testing::AssertionResult SameView(const v1::HallView& a,
                                    const v1::HallView& b);

const v1::HallView::WindowView* FindWindow(const v1::HallView& view,
                                           int number);
const v1::HallView::ServiceView* FindService(const v1::HallView& view,
                                             const std::string& code);

v1::Override MakeOverride(const std::string& supervisor,
                          const std::string& reason);

// The channel to the current qcalld, for tests that kill and restart it: a
// restart swaps it, and each thread's Api is renewed on its next call.
class ServerTarget {
 public:
  void Set(std::shared_ptr<grpc::Channel> channel);
  // The caller's Api (3 s deadline), renewed when the server was restarted.
  Api& Current(std::unique_ptr<Api>* api, uint64_t* generation);

 private:
  std::mutex mu_;
  std::shared_ptr<grpc::Channel> channel_;
  uint64_t generation_ = 0;
};

// The server went away mid-call: not acknowledged, so retried with its
// request id.
bool Unacknowledged(const grpc::Status& status);

}  // namespace qcall::testing

#endif  // QCALL_TESTS_INTEGRATION_HARNESS_H_
