#include "dispatcher/method_policy.h"

#include <cstdio>
#include <cstdlib>
#include <string>

namespace qcall {
namespace {

constexpr v1::Role kKiosk = v1::ROLE_KIOSK;
constexpr v1::Role kCounter = v1::ROLE_COUNTER;
constexpr v1::Role kDisplay = v1::ROLE_DISPLAY;
constexpr v1::Role kEvaluator = v1::ROLE_EVALUATOR;
constexpr WindowScope kHall = WindowScope::kHall;
constexpr WindowScope kWindow = WindowScope::kWindow;

// README.md's "The API in short" says the same; a test compares the two.
constexpr MethodPolicy kPolicies[] = {
    // Kiosks issue; boards and counters show what kiosks show. A customer
    // gives up at the kiosk; a clerk ends a called ticket otherwise.
    {"/qcall.v1.Kiosk/ListServices", {kKiosk, kCounter, kDisplay}, kHall},
    {"/qcall.v1.Kiosk/IssueTicket", {kKiosk}, kHall},
    {"/qcall.v1.Kiosk/GetTicket", {kKiosk, kCounter, kDisplay}, kHall},
    {"/qcall.v1.Kiosk/CancelTicket", {kKiosk}, kHall},
    // The guide's PIN is checked at the kiosk.
    {"/qcall.v1.Kiosk/CheckGuidePin", {kKiosk}, kHall},
    // 预约签到: the customer types the booking's code at the kiosk.
    {"/qcall.v1.Kiosk/GetBooking", {kKiosk}, kHall},
    {"/qcall.v1.Kiosk/CheckIn", {kKiosk}, kHall},
    // A counter works only its own windows.
    {"/qcall.v1.Counter/OpenWindow", {kCounter}, kWindow},
    {"/qcall.v1.Counter/CloseWindow", {kCounter}, kWindow},
    {"/qcall.v1.Counter/PauseWindow", {kCounter}, kWindow},
    {"/qcall.v1.Counter/ResumeWindow", {kCounter}, kWindow},
    {"/qcall.v1.Counter/CallNext", {kCounter}, kWindow},
    {"/qcall.v1.Counter/CallTicket", {kCounter}, kWindow},
    {"/qcall.v1.Counter/Recall", {kCounter}, kWindow},
    {"/qcall.v1.Counter/StartServing", {kCounter}, kWindow},
    {"/qcall.v1.Counter/Complete", {kCounter}, kWindow},
    {"/qcall.v1.Counter/NoShow", {kCounter}, kWindow},
    // The customer comes back to the window whose call they missed.
    {"/qcall.v1.Counter/Requeue", {kCounter}, WindowScope::kNamedWindow},
    {"/qcall.v1.Counter/Transfer", {kCounter}, kWindow},
    {"/qcall.v1.Counter/Heartbeat", {kCounter}, kWindow},
    // A complaint's owner acts from a window of theirs; a supervisor from
    // anywhere.
    {"/qcall.v1.Counter/CallBackComplaint", {kCounter}, kWindow},
    {"/qcall.v1.Counter/ResolveComplaint", {kCounter}, kWindow},
    // The evaluator pad watches its window to know when to ask.
    {"/qcall.v1.Display/Watch",
     {kDisplay, kKiosk, kCounter, kEvaluator},
     kHall},
    // The duty manager's.
    {"/qcall.v1.Supervisor/ListHalls", {}, kHall},
    {"/qcall.v1.Supervisor/GetHall", {}, kHall},
    {"/qcall.v1.Supervisor/GetLoadHistory", {}, kHall},
    {"/qcall.v1.Supervisor/Watch", {}, kHall},
    {"/qcall.v1.Supervisor/SetMinOpenWindows", {}, kHall},
    {"/qcall.v1.Supervisor/VoidTicket", {}, kHall},
    {"/qcall.v1.Supervisor/ConfigureHall", {}, kHall},
    {"/qcall.v1.Supervisor/CloseFollowUp", {}, kHall},
    {"/qcall.v1.Supervisor/DismissAdvice", {}, kHall},
    {"/qcall.v1.Supervisor/SetNotice", {}, kHall},
    // Bookings are made with a supervisor token (a booking system gets one
    // scoped to its halls): no role of their own.
    {"/qcall.v1.Supervisor/CreateBooking", {}, kHall},
    {"/qcall.v1.Supervisor/ListBookings", {}, kHall},
    {"/qcall.v1.Supervisor/AcknowledgeAlarm", {}, kHall},
    // The customer rates at the pad of the window that served them.
    {"/qcall.v1.Evaluator/RateTicket", {kEvaluator}, WindowScope::kNamedWindow},
    // The auditor's reports come from the record tables.
    {"/qcall.v1.Supervisor/GetReport", {}, kHall},
    // A customer's phone, read with a reason that is recorded first.
    {"/qcall.v1.Supervisor/ReadPrivateData", {}, kHall},
    {"/qcall.v1.Supervisor/ListPrivateDataReads", {}, kHall},
};

}  // namespace

absl::Span<const MethodPolicy> AllMethodPolicies() { return kPolicies; }

const MethodPolicy& PolicyOf(absl::string_view method) {
  for (const MethodPolicy& policy : kPolicies) {
    if (policy.method == method) return policy;
  }
  std::fprintf(stderr, "qcalld: no method policy for %s\n",
               std::string(method).c_str());
  std::abort();
}

}  // namespace qcall
