// CommandFromRequest: every API request that is one engine command fills
// that command by field name, and loses nothing on the way.
#include "dispatcher/command_request.h"

#include <google/protobuf/descriptor.h>

#include <set>
#include <string>

#include "gtest/gtest.h"
#include "qcall/v1/api.pb.h"

namespace qcall {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;

// The requests that are commands, as services.cc sends them.
struct Pair {
  const Descriptor* request;
  v1::Command::KindCase kind;
};

std::vector<Pair> CommandRequests() {
  return {
      {v1::IssueTicketRequest::descriptor(), v1::Command::kIssueTicket},
      {v1::CancelTicketRequest::descriptor(), v1::Command::kCancelTicket},
      {v1::OpenWindowRequest::descriptor(), v1::Command::kOpenWindow},
      {v1::CloseWindowRequest::descriptor(), v1::Command::kCloseWindow},
      {v1::PauseWindowRequest::descriptor(), v1::Command::kPauseWindow},
      {v1::WindowRequest::descriptor(), v1::Command::kResumeWindow},
      {v1::WindowRequest::descriptor(), v1::Command::kCallNext},
      {v1::CallTicketRequest::descriptor(), v1::Command::kCallTicket},
      {v1::WindowRequest::descriptor(), v1::Command::kRecall},
      {v1::WindowRequest::descriptor(), v1::Command::kStartServing},
      {v1::CompleteRequest::descriptor(), v1::Command::kComplete},
      {v1::WindowRequest::descriptor(), v1::Command::kNoShow},
      {v1::RequeueRequest::descriptor(), v1::Command::kRequeue},
      {v1::TransferRequest::descriptor(), v1::Command::kTransfer},
      {v1::SetMinOpenWindowsRequest::descriptor(),
       v1::Command::kSetMinOpenWindows},
      {v1::VoidTicketRequest::descriptor(), v1::Command::kVoidTicket},
      {v1::SetNoticeRequest::descriptor(), v1::Command::kSetNotice},
      {v1::CreateBookingRequest::descriptor(), v1::Command::kCreateBooking},
      {v1::CheckInRequest::descriptor(), v1::Command::kCheckIn},
      {v1::AcknowledgeAlarmRequest::descriptor(),
       v1::Command::kAcknowledgeAlarm},
  };
}

TEST(CommandRequestTest, EveryFieldHasItsPartnerOfTheSameType) {
  for (const Pair& pair : CommandRequests()) {
    const Descriptor* command =
        v1::Command::descriptor()
            ->FindFieldByNumber(static_cast<int>(pair.kind))
            ->message_type();
    // What the request says reaches the command: all but the envelope, and
    // the customer's phone, which the dispatcher keeps apart (encrypted,
    // never seen by the engine), and the guide's PIN, which the dispatcher
    // checks and nothing keeps.
    for (int i = 0; i < pair.request->field_count(); ++i) {
      const FieldDescriptor* f = pair.request->field(i);
      if (f->name() == "hall_id" || f->name() == "request_id") continue;
      if (f->full_name() == "qcall.v1.IssueTicketRequest.phone" ||
          f->full_name() == "qcall.v1.IssueTicketRequest.guide_pin") {
        EXPECT_EQ(command->FindFieldByName(f->name()), nullptr);
        continue;
      }
      const FieldDescriptor* t = command->FindFieldByName(f->name());
      ASSERT_NE(t, nullptr)
          << f->full_name() << " has no place in " << command->full_name();
      EXPECT_EQ(f->cpp_type(), t->cpp_type()) << f->full_name();
      EXPECT_EQ(f->enum_type(), t->enum_type()) << f->full_name();
      EXPECT_EQ(f->message_type(), t->message_type()) << f->full_name();
    }
    // What the command needs comes from the request, or from the token.
    for (int i = 0; i < command->field_count(); ++i) {
      const FieldDescriptor* t = command->field(i);
      if (t->name() == "supervisor_id") continue;
      // Drawn at random by qcalld (AddRandomness), never the caller's.
      if (t->full_name() == "qcall.v1.Command.CreateBooking.code_seed") {
        EXPECT_EQ(pair.request->FindFieldByName(t->name()), nullptr);
        continue;
      }
      EXPECT_NE(pair.request->FindFieldByName(t->name()), nullptr)
          << t->full_name() << " is not in " << pair.request->full_name();
    }
  }
}

// A booking's code seed is drawn anew for every command, and a retry with
// the same request id still matches: the fingerprint leaves the seed out.
TEST(CommandRequestTest, ABookingsSeedIsDrawnAndLeftOutOfItsFingerprint) {
  v1::CreateBookingRequest request;
  request.set_hall_id("h");
  request.set_service_code("BILL");
  request.set_appointment_unix_seconds(1'800'000'000);
  const v1::Command command =
      CommandFromRequest(request, v1::Command::kCreateBooking);
  EXPECT_TRUE(DrawsAtRandom(command));
  v1::Command first = command;
  v1::Command second = command;
  AddRandomness(&first);
  AddRandomness(&second);
  EXPECT_NE(first.create_booking().code_seed(), 0u);
  EXPECT_NE(first.create_booking().code_seed(),
            second.create_booking().code_seed());
  EXPECT_EQ(RequestFingerprint(first), RequestFingerprint(second));
  EXPECT_EQ(RequestFingerprint(first), RequestFingerprint(command));
  // Other commands draw nothing and are their own fingerprint.
  v1::Command issue =
      CommandFromRequest(v1::IssueTicketRequest(), v1::Command::kIssueTicket);
  EXPECT_FALSE(DrawsAtRandom(issue));
  v1::Command drawn = issue;
  AddRandomness(&drawn);
  EXPECT_EQ(drawn.SerializeAsString(), issue.SerializeAsString());
  EXPECT_EQ(RequestFingerprint(issue), issue.SerializeAsString());
}

TEST(CommandRequestTest, CopiesValuesEnumsMessagesAndOneofs) {
  v1::IssueTicketRequest issue;
  issue.set_hall_id("h");
  issue.set_service_code("BILL");
  issue.set_category(v1::CATEGORY_VIP);
  issue.set_phone("13900001234");
  issue.set_appointment_unix_seconds(1'800'000'000);
  issue.set_request_id("k-1");
  const v1::Command command =
      CommandFromRequest(issue, v1::Command::kIssueTicket);
  ASSERT_EQ(command.kind_case(), v1::Command::kIssueTicket);
  EXPECT_EQ(command.issue_ticket().service_code(), "BILL");
  EXPECT_EQ(command.issue_ticket().category(), v1::CATEGORY_VIP);
  // The phone stays behind: the engine's command has no such field, and
  // nothing of it rides along (not even as an unknown field).
  EXPECT_EQ(command.SerializeAsString().find("13900001234"), std::string::npos);
  EXPECT_EQ(command.issue_ticket().appointment_unix_seconds(), 1'800'000'000);

  v1::TransferRequest transfer;
  transfer.set_window(3);
  transfer.set_to_window(0);  // Set, though 0: a oneof member has presence.
  transfer.set_placement(v1::PLACEMENT_FIRST);
  const v1::Command moved =
      CommandFromRequest(transfer, v1::Command::kTransfer);
  EXPECT_EQ(moved.transfer().window(), 3);
  EXPECT_EQ(moved.transfer().target_case(), v1::Command::Transfer::kToWindow);
  EXPECT_EQ(moved.transfer().placement(), v1::PLACEMENT_FIRST);
}

TEST(CommandRequestTest, TheTokenSignsWhatTheRequestCannotSay) {
  v1::CloseWindowRequest close;
  close.set_window(4);
  close.mutable_override()->set_supervisor_id("someone else");
  close.mutable_override()->set_reason("staff meeting");
  v1::Command command = CommandFromRequest(close, v1::Command::kCloseWindow);
  EXPECT_TRUE(HasOverride(command));
  SignCommand("duty manager", &command);
  EXPECT_EQ(command.close_window().override().supervisor_id(), "duty manager");
  EXPECT_EQ(command.close_window().override().reason(), "staff meeting");

  v1::Command plain =
      CommandFromRequest(v1::CloseWindowRequest(), v1::Command::kCloseWindow);
  EXPECT_FALSE(HasOverride(plain));
  SignCommand("duty manager", &plain);
  EXPECT_FALSE(plain.close_window().has_override()) << "no override made up";

  v1::VoidTicketRequest void_ticket;
  void_ticket.set_ticket("A001");
  v1::Command voided =
      CommandFromRequest(void_ticket, v1::Command::kVoidTicket);
  SignCommand("duty manager", &voided);
  EXPECT_EQ(voided.void_ticket().supervisor_id(), "duty manager");
}

TEST(CommandRequestTest, RequestWindowIsTheWindowField) {
  v1::WindowRequest window;
  window.set_window(7);
  EXPECT_EQ(RequestWindow(window), 7);
  EXPECT_EQ(RequestWindow(v1::IssueTicketRequest()), 0);
}

}  // namespace
}  // namespace qcall
