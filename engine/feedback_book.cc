#include "engine/feedback_book.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "engine/hall_texts.h"
#include "engine/input_checks.h"
#include "engine/status_macros.h"

namespace qcall {
namespace {

using Alarm = v1::HallEvent::Alarm;

std::string CaseName(const v1::ComplaintCase& c) {
  return absl::StrCat("complaint ", c.ticket(), " of ", c.business_day());
}

std::string LocalMinute(int64_t ms, absl::TimeZone tz) {
  return absl::FormatTime("%Y-%m-%d %H:%M", absl::FromUnixMillis(ms), tz);
}

}  // namespace

FeedbackBook::FeedbackBook(const HallRules& rules)
    : ratables_(rules.windows().size()) {}

void FeedbackBook::NoteCompleted(int w, Ratable ratable) {
  ratables_[w] = std::move(ratable);
}

// ---------------------------------------------------------------------------
// Ratings and follow-ups

absl::Status FeedbackBook::Rate(const v1::Command::RateTicket& c, int w,
                                const HallRules& rules, EventLog* log,
                                int64_t now, Outcome* out) {
  if (c.level() < 1 || c.level() > 5) {
    return absl::InvalidArgumentError(absl::StrCat(
        "level must be 1 (very dissatisfied) to 5 (very satisfied), got ",
        c.level()));
  }
  RETURN_IF_ERROR(CheckText(c.ticket(), "ticket", true, kMaxIdLength));
  const std::vector<std::string>& reasons = rules.feedback().bad_rating_reasons;
  if (c.level() <= 2) {
    if (std::find(reasons.begin(), reasons.end(), c.reason()) ==
        reasons.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat(c.reason().empty() ? "a rating of 1 or 2 needs a reason"
                                          : "unknown reason for a bad rating",
                       "; one of: ", absl::StrJoin(reasons, ", ")));
    }
  } else if (!c.reason().empty()) {
    return absl::InvalidArgumentError(
        "a reason goes only with a rating of 1 or 2 (dissatisfied)");
  }
  Ratable& r = ratables_[w];
  if (r.ticket().empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        WindowText(c.window()), " has completed no ticket to rate"));
  }
  if (r.ticket() != c.ticket()) {
    return absl::FailedPreconditionError(
        absl::StrCat("ticket ", Clipped(c.ticket()), " is not the one ",
                     WindowText(c.window()), " completed last (", r.ticket(),
                     "); only that one may be rated there"));
  }
  if (r.rated()) {
    return absl::FailedPreconditionError(
        absl::StrCat("ticket ", r.ticket(), " is rated already"));
  }
  const int64_t limit = rules.feedback().rating_ms;
  if (now - r.completed_at_ms() > limit) {
    return absl::FailedPreconditionError(absl::StrCat(
        "ticket ", r.ticket(), " may be rated only within ", limit / 1000,
        " seconds of its completion; it stays unrated"));
  }
  r.set_rated(true);
  v1::HallEvent::TicketRated* e =
      log->Emit(v1::HallEvent::kTicketRated, now, out)->mutable_ticket_rated();
  e->set_ticket(r.ticket());
  e->set_business_day(r.business_day());
  e->set_service_code(r.service_code());
  e->set_window(r.window());
  e->set_clerk_id(r.clerk_id());
  e->set_level(c.level());
  e->set_reason(c.reason());
  e->set_completed_at_unix_ms(r.completed_at_ms());
  e->set_handling_ms(r.handling_ms());
  if (c.level() <= 2) {
    v1::FollowUp& f = follow_ups_.emplace_back();
    f.set_id(++last_follow_up_id_);
    f.set_state(v1::FollowUp::STATE_OPEN);
    f.set_ticket(r.ticket());
    f.set_business_day(r.business_day());
    f.set_service_code(r.service_code());
    f.set_window(r.window());
    f.set_clerk_id(r.clerk_id());
    f.set_level(c.level());
    f.set_reason(c.reason());
    f.set_opened_at_unix_ms(now);
    *log->Emit(v1::HallEvent::kFollowUpChanged, now, out)
         ->mutable_follow_up_changed()
         ->mutable_follow_up() = f;
  }
  return absl::OkStatus();
}

absl::Status FeedbackBook::CloseFollowUp(const v1::Command::CloseFollowUp& c,
                                         EventLog* log, int64_t now,
                                         Outcome* out) {
  RETURN_IF_ERROR(
      CheckText(c.supervisor_id(), "supervisor_id", true, kMaxIdLength));
  RETURN_IF_ERROR(CheckText(c.text(), "text", true));
  auto it =
      std::find_if(follow_ups_.begin(), follow_ups_.end(),
                   [&](const v1::FollowUp& f) { return f.id() == c.id(); });
  if (it == follow_ups_.end()) {
    return absl::NotFoundError(absl::StrCat(
        "no open follow-up ", c.id(),
        c.id() <= last_follow_up_id_ && c.id() > 0 ? " (it is closed already)"
                                                   : ""));
  }
  v1::FollowUp f = std::move(*it);
  follow_ups_.erase(it);
  f.set_state(v1::FollowUp::STATE_CLOSED);
  f.set_closing_text(c.text());
  f.set_closed_by(c.supervisor_id());
  f.set_closed_at_unix_ms(now);
  *log->Emit(v1::HallEvent::kFollowUpChanged, now, out)
       ->mutable_follow_up_changed()
       ->mutable_follow_up() = std::move(f);
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// Complaint cases

void FeedbackBook::OpenCase(v1::ComplaintCase c, EventLog* log, int64_t now,
                            Outcome* out) {
  c.set_state(v1::ComplaintCase::STATE_OPEN);
  EmitCase(c, log, now, out);
  cases_.push_back(std::move(c));
}

absl::StatusOr<size_t> FeedbackBook::FindCase(absl::string_view ticket,
                                              int32_t day,
                                              int32_t today) const {
  const int32_t wanted = day == 0 ? today : day;
  for (size_t i = 0; i < cases_.size(); ++i) {
    if (cases_[i].business_day() == wanted && cases_[i].ticket() == ticket) {
      return i;
    }
  }
  return absl::NotFoundError(absl::StrCat("no unresolved complaint case of ",
                                          Clipped(ticket), " on business day ",
                                          wanted));
}

absl::Status FeedbackBook::MayAct(size_t i, absl::string_view supervisor_id,
                                  const std::string* window_clerk) const {
  if (!supervisor_id.empty()) return absl::OkStatus();
  const v1::ComplaintCase& c = cases_[i];
  if (window_clerk == nullptr) {
    return absl::InvalidArgumentError(
        "name the window where the case's owner works, or act as a "
        "supervisor");
  }
  if (*window_clerk != c.owner_clerk_id()) {
    return absl::PermissionDeniedError(
        absl::StrCat(CaseName(c), " belongs to clerk ", c.owner_clerk_id(),
                     " (首问责任制); the clerk at that window is ",
                     window_clerk->empty() ? "nobody" : *window_clerk));
  }
  return absl::OkStatus();
}

absl::Status FeedbackBook::CallBack(const v1::Command::CallBackComplaint& c,
                                    int32_t today,
                                    const std::string* window_clerk,
                                    EventLog* log, int64_t now, Outcome* out) {
  RETURN_IF_ERROR(CheckText(c.note(), "note", false));
  ASSIGN_OR_RETURN(const size_t i,
                   FindCase(c.ticket(), c.business_day(), today));
  RETURN_IF_ERROR(MayAct(i, c.supervisor_id(), window_clerk));
  v1::ComplaintCase& k = cases_[i];
  if (k.state() != v1::ComplaintCase::STATE_OPEN) {
    return absl::FailedPreconditionError(
        absl::StrCat(CaseName(k), " was called back already; resolve it"));
  }
  k.set_state(v1::ComplaintCase::STATE_CALLED_BACK);
  k.set_called_back_at_unix_ms(now);
  k.set_called_back_by(c.supervisor_id().empty() ? k.owner_clerk_id()
                                                 : c.supervisor_id());
  k.set_call_back_note(c.note());
  EmitCase(k, log, now, out);
  return absl::OkStatus();
}

absl::Status FeedbackBook::Resolve(const v1::Command::ResolveComplaint& c,
                                   int32_t today,
                                   const std::string* window_clerk,
                                   EventLog* log, int64_t now, Outcome* out) {
  RETURN_IF_ERROR(CheckText(c.resolution(), "resolution", true));
  ASSIGN_OR_RETURN(const size_t i,
                   FindCase(c.ticket(), c.business_day(), today));
  RETURN_IF_ERROR(MayAct(i, c.supervisor_id(), window_clerk));
  v1::ComplaintCase k = std::move(cases_[i]);
  cases_.erase(cases_.begin() + static_cast<ptrdiff_t>(i));
  for (const Alarm::Kind kind :
       {Alarm::KIND_COMPLAINT_DUE_SOON, Alarm::KIND_COMPLAINT_OVERDUE}) {
    const bool raised =
        kind == Alarm::KIND_COMPLAINT_DUE_SOON ? k.due_soon() : k.overdue();
    if (raised) {
      FillAlarm(kind, false, k, absl::UTCTimeZone(),
                log->Emit(v1::HallEvent::kAlarm, now, out)->mutable_alarm());
    }
  }
  k.set_due_soon(false);
  k.set_overdue(false);
  k.set_state(v1::ComplaintCase::STATE_RESOLVED);
  k.set_resolved_at_unix_ms(now);
  k.set_resolved_by(c.supervisor_id().empty() ? k.owner_clerk_id()
                                              : c.supervisor_id());
  k.set_resolution(c.resolution());
  EmitCase(k, log, now, out);
  return absl::OkStatus();
}

void FeedbackBook::CheckCases(const HallRules& rules, absl::TimeZone tz,
                              EventLog* log, int64_t now, Outcome* out) {
  const int64_t warning = rules.feedback().complaint_warning_ms;
  for (v1::ComplaintCase& c : cases_) {
    const bool overdue = now >= c.due_at_unix_ms();
    const bool due_soon = !overdue && now >= c.due_at_unix_ms() - warning;
    if (due_soon != c.due_soon()) {
      c.set_due_soon(due_soon);
      FillAlarm(Alarm::KIND_COMPLAINT_DUE_SOON, due_soon, c, tz,
                log->Emit(v1::HallEvent::kAlarm, now, out)->mutable_alarm());
    }
    if (overdue != c.overdue()) {
      c.set_overdue(overdue);
      FillAlarm(Alarm::KIND_COMPLAINT_OVERDUE, overdue, c, tz,
                log->Emit(v1::HallEvent::kAlarm, now, out)->mutable_alarm());
    }
  }
}

void FeedbackBook::EmitCase(const v1::ComplaintCase& c, EventLog* log,
                            int64_t now, Outcome* out) const {
  *log->Emit(v1::HallEvent::kComplaintChanged, now, out)
       ->mutable_complaint_changed()
       ->mutable_complaint() = c;
}

void FeedbackBook::FillAlarm(Alarm::Kind kind, bool raised,
                             const v1::ComplaintCase& c, absl::TimeZone tz,
                             Alarm* alarm) {
  alarm->set_kind(kind);
  alarm->set_raised(raised);
  alarm->set_service_code(c.service_code());
  alarm->set_window(c.window());
  alarm->set_ticket(c.ticket());
  alarm->set_business_day(c.business_day());
  alarm->set_message(
      raised ? ComplaintAlarmText(kind, c.ticket(), c.owner_clerk_id(),
                                  LocalMinute(c.due_at_unix_ms(), tz))
             : absl::StrCat(CaseName(c), " is resolved"));
}

// ---------------------------------------------------------------------------
// Snapshots and views

void FeedbackBook::Save(const HallRules& rules, v1::HallState* state) const {
  for (size_t w = 0; w < ratables_.size(); ++w) {
    if (ratables_[w].ticket().empty()) continue;
    Ratable* r = state->add_ratables();
    *r = ratables_[w];
    r->set_window(rules.windows()[w].number);
  }
  for (const v1::FollowUp& f : follow_ups_) *state->add_follow_ups() = f;
  state->set_last_follow_up_id(last_follow_up_id_);
  for (const v1::ComplaintCase& c : cases_) *state->add_complaints() = c;
}

absl::Status FeedbackBook::Restore(const HallRules& rules,
                                   const v1::HallState& state) {
  for (const Ratable& r : state.ratables()) {
    const std::optional<int> w = rules.FindWindow(r.window());
    if (!w || r.ticket().empty() || !ratables_[*w].ticket().empty()) {
      return CorruptSnapshot(
          absl::StrCat("the ratable ticket of window ", r.window(),
                       " names no window, no ticket, or a window twice"));
    }
    ratables_[*w] = r;
  }
  last_follow_up_id_ = state.last_follow_up_id();
  uint32_t previous = 0;
  for (const v1::FollowUp& f : state.follow_ups()) {
    if (f.id() <= previous || f.id() > last_follow_up_id_ ||
        f.state() != v1::FollowUp::STATE_OPEN) {
      return CorruptSnapshot(
          absl::StrCat("follow-up ", f.id(),
                       " is out of order, beyond the last id, or not open"));
    }
    previous = f.id();
    follow_ups_.push_back(f);
  }
  absl::flat_hash_set<std::pair<int32_t, std::string>> seen;
  for (const v1::ComplaintCase& c : state.complaints()) {
    if (c.ticket().empty() ||
        (c.state() != v1::ComplaintCase::STATE_OPEN &&
         c.state() != v1::ComplaintCase::STATE_CALLED_BACK) ||
        !seen.insert({c.business_day(), c.ticket()}).second ||
        (c.due_soon() && c.overdue())) {
      return CorruptSnapshot(absl::StrCat(
          "complaint case ", Clipped(c.ticket()), " of ", c.business_day(),
          " is unnamed, not open, twice, or both due soon and overdue"));
    }
    cases_.push_back(c);
  }
  return absl::OkStatus();
}

void FeedbackBook::AddViews(absl::TimeZone tz, v1::HallView* view) const {
  for (const v1::FollowUp& f : follow_ups_) *view->add_follow_ups() = f;
  for (const v1::ComplaintCase& c : cases_) {
    *view->add_complaints() = c;
    if (c.due_soon()) {
      FillAlarm(Alarm::KIND_COMPLAINT_DUE_SOON, true, c, tz,
                view->add_alarms());
    }
    if (c.overdue()) {
      FillAlarm(Alarm::KIND_COMPLAINT_OVERDUE, true, c, tz, view->add_alarms());
    }
  }
}

}  // namespace qcall
