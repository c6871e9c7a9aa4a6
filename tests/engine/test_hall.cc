#include "tests/engine/test_hall.h"

#include "google/protobuf/unknown_field_set.h"
#include "gtest/gtest.h"

namespace qcall::testing {

absl::TimeZone LoadZone(absl::string_view name) {
  absl::TimeZone tz;
  if (!absl::LoadTimeZone(name, &tz)) {
    ADD_FAILURE() << "cannot load time zone " << name;
  }
  return tz;
}

v1::HallConfig SmallHallConfig() {
  v1::HallConfig c;
  c.set_hall_id("test-hall");
  c.set_name("测试营业厅");
  c.set_time_zone("Asia/Shanghai");
  c.set_language(v1::LANGUAGE_ZH);
  auto* bill = c.add_services();
  bill->set_code("BILL");
  bill->set_name("话费缴纳");
  bill->set_ticket_prefix("A");
  bill->set_target_wait_seconds(900);
  bill->set_target_handling_seconds(300);
  bill->set_prior_handling_seconds(240);
  auto* sim = c.add_services();
  sim->set_code("SIM");
  sim->set_name("新卡办理");
  sim->set_ticket_prefix("B");
  sim->set_target_wait_seconds(1200);
  sim->set_target_handling_seconds(600);
  sim->set_prior_handling_seconds(480);
  for (int number = 1; number <= 4; ++number) {
    auto* w = c.add_windows();
    w->set_number(number);
    w->set_name(std::to_string(number) + "号窗口");
    if (number != 4) w->add_serves()->set_service_code("BILL");
    if (number != 3) w->add_serves()->set_service_code("SIM");
  }
  c.set_min_open_windows(2);
  for (int day = 1; day <= 7; ++day) {
    auto* h = c.add_hours();
    h->set_weekday(day);
    h->set_open_minute(8 * 60 + 30);
    h->set_close_minute(18 * 60);
  }
  auto* standby = c.add_standby_clerks();
  standby->set_clerk_id("standby-1");
  standby->add_windows(3);
  standby->add_windows(4);
  return c;
}

v1::HallConfig ComplaintHallConfig() {
  v1::HallConfig config = SmallHallConfig();
  v1::ServiceConfig* s = config.add_services();
  s->set_code("CMPL");
  s->set_name("投诉受理");
  s->set_ticket_prefix("T");
  s->set_complaint(true);
  config.mutable_windows(0)->add_serves()->set_service_code("CMPL");
  return config;
}

v1::HallConfig VariedHallConfig(uint64_t seed) {
  v1::HallConfig config = SmallHallConfig();
  switch (seed % 3) {
    case 1: {
      v1::Policy* p = config.mutable_policy();
      p->set_no_show_timeout_seconds(90);
      p->set_max_requeues(2);
      p->set_requeue_offset(1);
      p->set_max_recalls(1);
      p->set_priority_interleave(1);
      config.mutable_services(1)->set_complaint(true);  // SIM opens cases.
      break;
    }
    case 2: {
      v1::Policy* p = config.mutable_policy();
      p->set_ageing_percent(50);
      p->set_requeue_offset(0);
      p->set_priority_interleave(0);
      config.mutable_windows(0)->mutable_serves(0)->set_weight(300);
      config.mutable_windows(1)->mutable_serves(1)->set_weight(700);
      v1::StandbyClerk* standby = config.add_standby_clerks();
      standby->set_clerk_id("standby-2");
      standby->add_windows(1);
      standby->add_windows(2);
      config.set_min_open_windows(3);
      // Complaint cases whose alarms come within a sequence's hours, and a
      // short time to rate.
      config.mutable_services(1)->set_complaint(true);
      v1::FeedbackConfig* feedback = config.mutable_feedback();
      feedback->set_rating_seconds(600);
      feedback->set_complaint_deadline_seconds(3600);
      feedback->set_complaint_warning_seconds(900);
      feedback->add_bad_rating_reasons("rude");
      feedback->add_bad_rating_reasons("slow");
      break;
    }
    default:
      break;
  }
  return config;
}

absl::Time ShanghaiTime(int hour, int minute, int second) {
  return absl::FromCivil(absl::CivilSecond(2026, 11, 27, hour, minute, second),
                         LoadZone("Asia/Shanghai"));
}

v1::Command Issue(absl::string_view service, v1::Category category,
                  absl::string_view phone) {
  v1::Command c;
  c.mutable_issue_ticket()->set_service_code(std::string(service));
  c.mutable_issue_ticket()->set_category(category);
  if (!phone.empty()) SetLegacyPhone(phone, c.mutable_issue_ticket());
  return c;
}

void SetLegacyPhone(absl::string_view phone, v1::Command::IssueTicket* issue) {
  issue->GetReflection()->MutableUnknownFields(issue)->AddLengthDelimited(
      4, std::string(phone));
}

std::string LegacyPhone(const v1::Command::IssueTicket& issue) {
  const google::protobuf::UnknownFieldSet& unknown =
      issue.GetReflection()->GetUnknownFields(issue);
  for (int i = 0; i < unknown.field_count(); ++i) {
    if (unknown.field(i).number() == 4 &&
        unknown.field(i).type() ==
            google::protobuf::UnknownField::TYPE_LENGTH_DELIMITED) {
      return unknown.field(i).length_delimited();
    }
  }
  return "";
}

v1::Command OpenWindow(int window, absl::string_view clerk) {
  v1::Command c;
  c.mutable_open_window()->set_window(window);
  c.mutable_open_window()->set_clerk_id(std::string(clerk));
  return c;
}

v1::Command CloseWindow(int window, absl::string_view supervisor) {
  v1::Command c;
  c.mutable_close_window()->set_window(window);
  c.mutable_close_window()->set_reason("end of shift");
  if (!supervisor.empty()) {
    c.mutable_close_window()->mutable_override()->set_supervisor_id(
        std::string(supervisor));
    c.mutable_close_window()->mutable_override()->set_reason("staff meeting");
  }
  return c;
}

v1::Command PauseWindow(int window, absl::string_view reason,
                        absl::string_view supervisor) {
  v1::Command c;
  c.mutable_pause_window()->set_window(window);
  c.mutable_pause_window()->set_reason(std::string(reason));
  if (!supervisor.empty()) {
    c.mutable_pause_window()->mutable_override()->set_supervisor_id(
        std::string(supervisor));
    c.mutable_pause_window()->mutable_override()->set_reason("approved break");
  }
  return c;
}

v1::Command ResumeWindow(int window) {
  v1::Command c;
  c.mutable_resume_window()->set_window(window);
  return c;
}

v1::Command CallNext(int window) {
  v1::Command c;
  c.mutable_call_next()->set_window(window);
  return c;
}

v1::Command CallTicket(int window, absl::string_view ticket) {
  v1::Command c;
  c.mutable_call_ticket()->set_window(window);
  c.mutable_call_ticket()->set_ticket(std::string(ticket));
  return c;
}

v1::Command Recall(int window) {
  v1::Command c;
  c.mutable_recall()->set_window(window);
  return c;
}

v1::Command Start(int window) {
  v1::Command c;
  c.mutable_start_serving()->set_window(window);
  return c;
}

v1::Command Complete(int window, int rating) {
  v1::Command c;
  c.mutable_complete()->set_window(window);
  c.mutable_complete()->set_rating(rating);
  return c;
}

v1::Command NoShow(int window) {
  v1::Command c;
  c.mutable_no_show()->set_window(window);
  return c;
}

v1::Command Requeue(absl::string_view ticket, int window) {
  v1::Command c;
  c.mutable_requeue()->set_ticket(std::string(ticket));
  c.mutable_requeue()->set_window(window);
  return c;
}

v1::Command TransferToService(int window, absl::string_view service,
                              v1::Placement placement) {
  v1::Command c;
  c.mutable_transfer()->set_window(window);
  c.mutable_transfer()->set_to_service_code(std::string(service));
  c.mutable_transfer()->set_placement(placement);
  return c;
}

v1::Command TransferToWindow(int window, int to_window,
                             v1::Placement placement) {
  v1::Command c;
  c.mutable_transfer()->set_window(window);
  c.mutable_transfer()->set_to_window(to_window);
  c.mutable_transfer()->set_placement(placement);
  return c;
}

v1::Command Cancel(absl::string_view ticket) {
  v1::Command c;
  c.mutable_cancel_ticket()->set_ticket(std::string(ticket));
  return c;
}

v1::Command Void(absl::string_view ticket, absl::string_view reason,
                 absl::string_view supervisor) {
  v1::Command c;
  c.mutable_void_ticket()->set_ticket(std::string(ticket));
  c.mutable_void_ticket()->set_reason(std::string(reason));
  c.mutable_void_ticket()->set_supervisor_id(std::string(supervisor));
  return c;
}

v1::Command SetMin(int min, absl::string_view supervisor) {
  v1::Command c;
  c.mutable_set_min_open_windows()->set_min_open_windows(min);
  c.mutable_set_min_open_windows()->set_supervisor_id(std::string(supervisor));
  return c;
}

v1::Command WindowLost(int window) {
  v1::Command c;
  c.mutable_window_lost()->set_window(window);
  return c;
}

v1::Command Tick() {
  v1::Command c;
  c.mutable_tick();
  return c;
}

v1::Command SteadyTick() {
  v1::Command c;
  c.mutable_tick()->set_steady_advice(true);
  return c;
}

v1::Command SetsTick() {
  v1::Command c;
  c.mutable_tick()->set_advice_rules(
      v1::Command::Tick::ADVICE_RULES_WINDOW_SETS);
  return c;
}

v1::Command DismissAdvice(int open_window, int close_window) {
  v1::Command c;
  v1::Command::DismissAdvice* d = c.mutable_dismiss_advice();
  d->set_open_window(open_window);
  d->set_close_window(close_window);
  d->set_supervisor_id("lead");
  return c;
}

namespace {
Hall MustCreate(const v1::HallConfig& config) {
  absl::StatusOr<Hall> hall =
      Hall::Create(config, LoadZone(config.time_zone()));
  if (!hall.ok()) {
    ADD_FAILURE() << hall.status();
    std::abort();
  }
  return *std::move(hall);
}
}  // namespace

TestHall::TestHall(const v1::HallConfig& config, absl::Time start)
    : now_(start), hall_(MustCreate(config)) {}

v1::Command Rate(int window, absl::string_view ticket, int level,
                 absl::string_view reason) {
  v1::Command c;
  v1::Command::RateTicket* r = c.mutable_rate_ticket();
  r->set_window(window);
  r->set_ticket(std::string(ticket));
  r->set_level(level);
  r->set_reason(std::string(reason));
  return c;
}

v1::Command CloseFollowUp(uint32_t id, absl::string_view text,
                          absl::string_view supervisor) {
  v1::Command c;
  c.mutable_close_follow_up()->set_id(id);
  c.mutable_close_follow_up()->set_text(std::string(text));
  c.mutable_close_follow_up()->set_supervisor_id(std::string(supervisor));
  return c;
}

v1::Command CallBack(absl::string_view ticket, int window,
                     absl::string_view supervisor, int32_t day) {
  v1::Command c;
  v1::Command::CallBackComplaint* b = c.mutable_call_back_complaint();
  b->set_ticket(std::string(ticket));
  b->set_window(window);
  b->set_supervisor_id(std::string(supervisor));
  b->set_business_day(day);
  b->set_note("called the customer back");
  return c;
}

v1::Command Resolve(absl::string_view ticket, int window,
                    absl::string_view resolution, absl::string_view supervisor,
                    int32_t day) {
  v1::Command c;
  v1::Command::ResolveComplaint* r = c.mutable_resolve_complaint();
  r->set_ticket(std::string(ticket));
  r->set_window(window);
  r->set_resolution(std::string(resolution));
  r->set_supervisor_id(std::string(supervisor));
  r->set_business_day(day);
  return c;
}

absl::Status TestHall::Try(const v1::Command& command) {
  absl::Status status = hall_.Apply(command, now_, &out_);
  for (const v1::HallEvent& e : out_.events()) events_.push_back(e);
  return status;
}

const Hall::Outcome& TestHall::Ok(const v1::Command& command) {
  absl::Status status = Try(command);
  EXPECT_TRUE(status.ok()) << status << " for " << command.ShortDebugString();
  return out_;
}

}  // namespace qcall::testing
