#include "engine/hall.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "engine/hall_texts.h"
#include "engine/input_checks.h"
#include "engine/reconfigure.h"
#include "engine/status_macros.h"

namespace qcall {
namespace {

using Alarm = v1::HallEvent::Alarm;

int64_t Millis(absl::Time t) { return absl::ToUnixMillis(t); }

// Minutes of the lanes' wait histograms count from two hours before the
// day's start, which leaves room for appointments and transfers that began
// waiting a little earlier.
int64_t LanesOriginMs(const BusinessCalendar& calendar, int32_t day) {
  return Millis(calendar.DayStart(day) - absl::Hours(2));
}

// YYYYMMDD of a real date.
bool IsBusinessDay(int32_t day) {
  const int year = day / 10000, month = day / 100 % 100, mday = day % 100;
  const absl::CivilDay civil(year, month, mday);
  return year >= 1900 && year <= 9999 && civil.year() == year &&
         civil.month() == month && civil.day() == mday;
}

}  // namespace

Hall::Hall(HallRules rules, absl::TimeZone tz)
    : rules_(std::move(rules)),
      calendar_(tz, rules_.config().hours(),
                rules_.config().business_day_start_minute()),
      queue_(static_cast<int>(rules_.services().size()),
             static_cast<int>(rules_.windows().size())),
      board_(rules_),
      alarms_(rules_),
      stats_(rules_),
      advisor_(rules_),
      feedback_(rules_) {}

absl::StatusOr<Hall> Hall::Create(const v1::HallConfig& config,
                                  absl::TimeZone tz) {
  ASSIGN_OR_RETURN(HallRules rules, HallRules::FromConfig(config));
  if (tz.name() != config.time_zone()) {
    return absl::InvalidArgumentError(
        absl::StrCat("time zone ", tz.name(),
                     " given for a hall configured in ", config.time_zone()));
  }
  return Hall(std::move(rules), tz);
}

// ---------------------------------------------------------------------------
// Apply

absl::Status Hall::Apply(const v1::Command& command, absl::Time now,
                         Outcome* out) {
  out->Reset();
  const int32_t day_before = business_day_;
  const absl::Status status = ApplyCommand(command, Millis(now), out);
  // An alarm that cleared is over, acknowledged or not: raised again, it is
  // a new one.
  acks_.Forget(out->events());
  // A new configuration may renumber the services, and a new day empties
  // every queue before the command refills some: send every count.
  queue_.AttachWaitingCounts(
      rules_, command.has_configure() || business_day_ != day_before, out);
  return status;
}

absl::Status Hall::ApplyCommand(const v1::Command& command, int64_t now,
                                Outcome* out) {
  StartDayIfDue(now, out);
  // The new day cleared alarms: their acknowledgements go now, before the
  // command (a Configure snapshots and restores the hall, and a restore
  // refuses an acknowledgement of an alarm not raised).
  acks_.Forget(out->events());
  using C = v1::Command;
  switch (command.kind_case()) {
    case C::kIssueTicket:
      return IssueTicket(command.issue_ticket(), now, out);
    case C::kOpenWindow:
      return OpenWindow(command.open_window(), now, out);
    case C::kCloseWindow:
      return CloseWindow(command.close_window(), now, out);
    case C::kPauseWindow:
      return PauseWindow(command.pause_window(), now, out);
    case C::kResumeWindow:
      return ResumeWindow(command.resume_window(), now, out);
    case C::kCallNext:
      return CallNext(command.call_next(), now, out);
    case C::kCallTicket:
      return CallTicket(command.call_ticket(), now, out);
    case C::kRecall:
      return Recall(command.recall(), now, out);
    case C::kStartServing:
      return StartServing(command.start_serving(), now, out);
    case C::kComplete:
      return Complete(command.complete(), now, out);
    case C::kNoShow:
      return NoShow(command.no_show(), now, out);
    case C::kRequeue:
      return Requeue(command.requeue(), now, out);
    case C::kTransfer:
      return Transfer(command.transfer(), now, out);
    case C::kCancelTicket:
      return CancelTicket(command.cancel_ticket(), now, out);
    case C::kVoidTicket:
      return VoidTicket(command.void_ticket(), now, out);
    case C::kSetMinOpenWindows:
      return SetMinOpenWindows(command.set_min_open_windows(), now, out);
    case C::kWindowLost:
      return WindowLost(command.window_lost(), now, out);
    case C::kTick:
      Tick(command.tick(), now, out);
      return absl::OkStatus();
    case C::kRollOverDay:
      return absl::OkStatus();
    case C::kConfigure:
      return Configure(command.configure(), now, out);
    case C::kSetNotice:
      return SetNotice(command.set_notice(), now, out);
    case C::kCreateBooking:
      return CreateBooking(command.create_booking(), now, out);
    case C::kCheckIn:
      return CheckIn(command.check_in(), now, out);
    case C::kRateTicket:
      return RateTicket(command.rate_ticket(), now, out);
    case C::kCloseFollowUp:
      return feedback_.CloseFollowUp(command.close_follow_up(), &log_, now,
                                     out);
    case C::kCallBackComplaint:
      return CallBackComplaint(command.call_back_complaint(), now, out);
    case C::kResolveComplaint:
      return ResolveComplaint(command.resolve_complaint(), now, out);
    case C::kDismissAdvice:
      return advisor_.Dismiss(rules_, command.dismiss_advice(), &log_, now,
                              out);
    case C::kAcknowledgeAlarm:
      return acks_.Acknowledge(command.acknowledge_alarm(),
                               RaisedAlarms().alarms(), &log_, now, out);
    case C::KIND_NOT_SET:
      break;
  }
  return absl::InvalidArgumentError("command has no kind set");
}

absl::Status Hall::Configure(const v1::Command::Configure& c, int64_t now,
                             Outcome* out) {
  RETURN_IF_ERROR(
      CheckText(c.supervisor_id(), "supervisor_id", true, kMaxIdLength));
  // Through a snapshot, so the new hall is checked by the same code that
  // checks a recovered one.
  ASSIGN_OR_RETURN(const v1::HallState state,
                   ReconfigureState(Snapshot(), c.config()));
  ASSIGN_OR_RETURN(Hall next, Restore(state, calendar_.time_zone()));
  // A lost window may be removed (it is closed); its alarm ends with it.
  std::vector<int32_t> lost_and_removed;
  for (size_t w = 0; w < board_.size(); ++w) {
    const int32_t number = rules_.windows()[w].number;
    if (alarms_.window_lost(static_cast<int>(w)) &&
        !next.rules_.FindWindow(number).has_value()) {
      lost_and_removed.push_back(number);
    }
  }
  *this = std::move(next);
  for (const int32_t number : lost_and_removed) {
    AlarmBook::EmitWindowRemoved(number, &log_, now, out);
  }
  UpdateBelowMinAlarm(now, out);
  // Last, so that its view shows every change of the command.
  v1::HallEvent::HallConfigured* e =
      log_.Emit(v1::HallEvent::kHallConfigured, now, out)
          ->mutable_hall_configured();
  e->set_supervisor_id(c.supervisor_id());
  e->set_services(static_cast<int32_t>(rules_.services().size()));
  e->set_windows(static_cast<int32_t>(board_.size()));
  *e->mutable_view() = View(absl::FromUnixMillis(now));
  return absl::OkStatus();
}

absl::Status Hall::SetNotice(const v1::Command::SetNotice& c, int64_t now,
                             Outcome* out) {
  RETURN_IF_ERROR(
      CheckText(c.supervisor_id(), "supervisor_id", true, kMaxIdLength));
  RETURN_IF_ERROR(CheckText(c.text(), "text", false));
  if (c.text() == notice_) {
    return absl::FailedPreconditionError(
        c.text().empty() ? "the boards show no notice"
                         : "the boards show this notice already");
  }
  notice_ = c.text();
  v1::HallEvent::NoticeChanged* e =
      log_.Emit(v1::HallEvent::kNoticeChanged, now, out)
          ->mutable_notice_changed();
  e->set_text(notice_);
  e->set_supervisor_id(c.supervisor_id());
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// Timers and days

void Hall::Tick(const v1::Command::Tick& c, int64_t now, Outcome* out) {
  const PolicyRules& policy = rules_.policy();
  for (size_t i = 0; i < board_.size(); ++i) {
    const int w = static_cast<int>(i);
    const WindowSlot& window = board_.window(w);
    if (window.state == v1::WINDOW_STATE_CALLING &&
        policy.no_show_timeout_ms > 0 &&
        now - window.since_ms >= policy.no_show_timeout_ms) {
      MarkNoShow(w, now, out);
    }
    alarms_.CheckHandling(w, rules_, queue_, board_, &log_, now, out);
  }
  alarms_.CheckWaits(rules_, queue_, board_, &log_, now, out);
  alarms_.CheckServed(rules_, queue_, board_, &log_, now, out);
  feedback_.CheckCases(rules_, calendar_.time_zone(), &log_, now, out);
  CheckLoad(AdviceRulesOf(c), now, out);
  UpdateBelowMinAlarm(now, out);
}

void Hall::CheckLoad(AdviceRules advice, int64_t now, Outcome* out) {
  const std::vector<double> arrivals =
      stats_.ArrivalsPerSecond(queue_, parts().DayStartMs(), now);
  const bool sets = advice == AdviceRules::kWindowSets;
  // On sets the advice comes first: one that opens a window for a service
  // says already that its line grows, and what to do, so the alarm would
  // say it twice. (The older advice came after the alarms, and replays so.)
  if (sets) {
    advisor_.Advise(rules_, advisor_.Plan(parts(), now, arrivals), board_,
                    advice, &log_, now, out);
  }
  for (size_t i = 0; i < rules_.services().size(); ++i) {
    const int s = static_cast<int>(i);
    const double load =
        arrivals[i] * static_cast<double>(stats_.mean_handling_ms(s)) / 1000.0;
    const double capacity =
        static_cast<double>(board_.OpenShareNow(rules_, queue_, s)) / 1000.0;
    alarms_.CheckGrowing(s, load, capacity, queue_.waiting(s),
                         advice != AdviceRules::kEveryChange,
                         sets && advisor_.OpensFor(rules_, s), rules_, board_,
                         &log_, now, out);
  }
  if (!sets) {
    advisor_.Advise(rules_, advisor_.Plan(parts(), now, arrivals), board_,
                    advice, &log_, now, out);
  }
}

void Hall::StartDayIfDue(int64_t now, Outcome* out) {
  if (now < next_day_start_ms_) return;
  const int32_t day = calendar_.BusinessDay(absl::FromUnixMillis(now));
  // Never backwards: a clock stepped back, or the repeated hour of a DST
  // change, must not reopen a finished day.
  if (day <= business_day_) return;
  next_day_start_ms_ = Millis(calendar_.NextDayStart(day));
  const bool first_day = business_day_ == 0;
  business_day_ = day;
  std::vector<uint32_t> held = board_.HeldTickets();
  const int32_t expired =
      queue_.StartDay(LanesOriginMs(calendar_, business_day_), &held);
  board_.SetHeldTickets(held);
  advisor_.StartDay();
  recent_calls_.Clear();
  bookings_.StartDay(day);
  stats_.StartDay(rules_);
  alarms_.StartDay(rules_, board_, &log_, now, out);
  v1::HallEvent::DayStarted* started =
      log_.Emit(v1::HallEvent::kDayStarted, now, out)->mutable_day_started();
  started->set_business_day(day);
  started->set_expired(expired);
  if (first_day) UpdateBelowMinAlarm(now, out);
}

// ---------------------------------------------------------------------------
// Queries

absl::StatusOr<v1::CommandResult> Hall::TicketStatus(absl::string_view ticket,
                                                     absl::Time now) const {
  ASSIGN_OR_RETURN(const uint32_t id, queue_.Find(rules_, ticket));
  v1::CommandResult result;
  FillTicket(id, result.mutable_ticket());
  if (queue_.ticket(id).state == v1::TICKET_STATE_WAITING) {
    const WaitEstimator estimator = this->estimator();
    const int32_t ahead = estimator.PeopleAhead(id);
    result.set_people_ahead(ahead);
    result.set_estimated_wait_seconds(
        estimator.EstimateWaitSeconds(id, ahead, Millis(now)));
    result.set_no_open_window(NoOpenWindowFor(id));
  }
  return result;
}

bool Hall::NoOpenWindowFor(uint32_t id) const {
  const TicketSlot& t = queue_.ticket(id);
  if (!queue_.IsServiceLane(t.lane)) {
    const int w = static_cast<int>(t.lane - queue_.DirectLane(0));
    return !CountsAsOpen(board_.window(w).state);
  }
  for (const int w : rules_.windows_serving(t.queue_service)) {
    if (CountsAsOpen(board_.window(w).state)) return false;
  }
  return true;
}

v1::HallView Hall::View(absl::Time now) const {
  const int64_t ms = Millis(now);
  v1::HallView view;
  view.set_hall_id(rules_.config().hall_id());
  view.set_name(rules_.config().name());
  view.set_language(rules_.config().language());
  view.set_business_day(business_day_);
  view.set_business_hours(BusinessHours(ms));
  view.set_open_windows(board_.open_windows());
  view.set_min_open_windows(board_.min_open_windows());
  view.set_last_seq(log_.last_seq());
  board_.AddViews(rules_, queue_, &view);
  const WaitEstimator estimator = this->estimator();
  for (size_t i = 0; i < rules_.services().size(); ++i) {
    const int s = static_cast<int>(i);
    const ServiceRules& rules = rules_.services()[i];
    v1::HallView::ServiceView* v = view.add_services();
    v->set_code(rules.code);
    v->set_name(rules.name);
    const int32_t waiting = queue_.waiting(s);
    const int64_t oldest = queue_.AddLaneViews(rules_, s, ms, &view);
    v->set_waiting(waiting);
    v->set_oldest_wait_seconds(oldest);
    v->set_open_windows(board_.open_windows(s));
    v->set_estimated_wait_seconds(
        estimator.EstimateNewTicketWaitSeconds(s, waiting, ms));
    v->set_issued_today(static_cast<int32_t>(queue_.issued_today(s).size()));
    v->set_mean_handling_seconds(stats_.mean_handling_ms(s) / 1000);
    v->set_target_wait_seconds(rules.target_wait_ms / 1000);
    v->set_target_handling_seconds(rules.target_handling_ms / 1000);
  }
  advisor_.AddViews(
      rules_,
      advisor_.Plan(parts(), ms,
                    stats_.ArrivalsPerSecond(queue_, parts().DayStartMs(), ms)),
      &view);
  // A standby clerk for each window to open, none named twice. (A held
  // advice names only windows of these rules: Restore drops any other.)
  v1::HallView::StaffingAdvice* advice = view.mutable_advice();
  std::vector<std::string> taken;
  for (v1::HallView::StaffingAdvice::Opening& o : *advice->mutable_openings()) {
    o.set_standby_clerk_id(
        board_.FreeStandbyClerk(rules_, *rules_.FindWindow(o.window()), taken));
    if (!o.standby_clerk_id().empty()) taken.push_back(o.standby_clerk_id());
  }
  if (advice->open_window() != 0) {
    advice->set_standby_clerk_id(
        advice->openings_size() > 0
            ? advice->openings(0).standby_clerk_id()
            : board_.FreeStandbyClerk(
                  rules_, *rules_.FindWindow(advice->open_window())));
  }
  if (advice->ByteSizeLong() == 0) view.clear_advice();
  alarms_.AddViews(rules_, board_, &view);
  feedback_.AddViews(calendar_.time_zone(), &view);
  acks_.Mark(view.mutable_alarms());
  for (const std::string& reason : rules_.feedback().bad_rating_reasons) {
    view.add_bad_rating_reasons(reason);
  }
  recent_calls_.AddViews(&view);
  view.set_notice(notice_);
  view.set_time_zone(rules_.config().time_zone());
  const int32_t day =
      business_day_ != 0 ? business_day_ : calendar_.BusinessDay(now);
  const int weekday = BusinessCalendar::Weekday(day);
  for (const v1::OpeningHours& hours : rules_.config().hours()) {
    if (hours.weekday() == weekday) *view.add_today_hours() = hours;
  }
  *view.mutable_standby_clerks() = rules_.config().standby_clerks();
  return view;
}

v1::HallView Hall::RaisedAlarms() const {
  v1::HallView view;
  alarms_.AddViews(rules_, board_, &view);
  feedback_.AddViews(calendar_.time_zone(), &view);
  return view;
}

// ---------------------------------------------------------------------------
// Snapshots

v1::HallState Hall::Snapshot() const {
  v1::HallState state;
  *state.mutable_config() = rules_.config();
  state.set_last_seq(log_.last_seq());
  state.set_business_day(business_day_);
  state.set_min_open_windows(board_.min_open_windows());
  advisor_.Save(&state);
  queue_.SaveTickets(&state);
  stats_.Save(&state);
  board_.Save(rules_, &state);
  alarms_.Save(&state);
  feedback_.Save(rules_, &state);
  recent_calls_.Save(&state);
  bookings_.Save(&state);
  state.set_notice(notice_);
  acks_.Save(&state);
  for (size_t w = 0; w < board_.size(); ++w) {
    queue_.SaveLane(
        queue_.DirectLane(static_cast<int>(w)),
        state.mutable_windows(static_cast<int>(w))->mutable_direct_lane());
  }
  return state;
}

// Every record is checked before the restore trusts it (an index, a link,
// a count), and what the records say together: each waiting ticket waits in
// exactly one lane, each called or serving one is held by its window alone.
// A snapshot that does not hold together is refused (DATA_LOSS, saying what
// is wrong), never half restored. All of it in O(tickets + windows).
absl::StatusOr<Hall> Hall::Restore(const v1::HallState& state,
                                   absl::TimeZone tz) {
  ASSIGN_OR_RETURN(Hall hall, Create(state.config(), tz));
  if (static_cast<size_t>(state.services_size()) !=
          hall.rules_.services().size() ||
      static_cast<size_t>(state.windows_size()) != hall.board_.size()) {
    return CorruptSnapshot("service or window count differs from its config");
  }
  if (state.business_day() != 0 && !IsBusinessDay(state.business_day())) {
    return CorruptSnapshot(
        absl::StrCat("business day ", state.business_day(), " is no date"));
  }
  if (state.min_open_windows() < 0 ||
      static_cast<size_t>(state.min_open_windows()) > hall.board_.size()) {
    return CorruptSnapshot(absl::StrCat("min_open_windows ",
                                        state.min_open_windows(),
                                        " is more than the windows there are"));
  }
  hall.log_ = EventLog(state.last_seq());
  hall.business_day_ = state.business_day();
  hall.board_.set_min_open_windows(state.min_open_windows());
  hall.alarms_.Restore(state);
  RETURN_IF_ERROR(hall.advisor_.Restore(hall.rules_, state));
  RETURN_IF_ERROR(hall.feedback_.Restore(hall.rules_, state));
  RETURN_IF_ERROR(hall.recent_calls_.Restore(state));
  RETURN_IF_ERROR(hall.bookings_.Restore(state));
  RETURN_IF_ERROR(CheckText(state.notice(), "notice", false));
  hall.notice_ = state.notice();
  if (hall.business_day_ != 0) {
    hall.queue_.ResetLanes(LanesOriginMs(hall.calendar_, hall.business_day_));
    hall.next_day_start_ms_ =
        Millis(hall.calendar_.NextDayStart(hall.business_day_));
  }
  RETURN_IF_ERROR(hall.queue_.RestoreTickets(
      state, hall.business_day_, static_cast<int>(hall.board_.size())));
  RETURN_IF_ERROR(hall.stats_.Restore(hall.rules_, state));
  for (size_t i = 0; i < hall.board_.size(); ++i) {
    const int w = static_cast<int>(i);
    const v1::HallState::WindowRecord& r = state.windows(w);
    RETURN_IF_ERROR(hall.board_.Restore(hall.rules_, w, r, hall.queue_));
    RETURN_IF_ERROR(hall.queue_.RestoreLane(
        hall.queue_.DirectLane(w), r.direct_lane(),
        absl::StrCat("the direct lane of window ", r.number())));
  }
  RETURN_IF_ERROR(hall.queue_.CheckRestored(hall.board_.HeldTickets()));
  RETURN_IF_ERROR(hall.acks_.Restore(state, hall.RaisedAlarms().alarms()));
  // Rebuilding the lanes is no change to announce.
  hall.queue_.ForgetWaitingChanges();
  return hall;
}

}  // namespace qcall
