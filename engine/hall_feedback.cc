// Hall's commands of what customers say: the evaluator pad's rating of the
// ticket its window completed last, and the complaint cases' call-back and
// resolution by their owner clerk or a supervisor. FeedbackBook keeps the
// state; these join it to the windows and tickets.
#include "absl/strings/str_cat.h"
#include "engine/hall.h"
#include "engine/hall_texts.h"
#include "engine/status_macros.h"

namespace qcall {

absl::Status Hall::RateTicket(const v1::Command::RateTicket& c, int64_t now,
                              Outcome* out) {
  ASSIGN_OR_RETURN(const int w, board_.Find(rules_, c.window()));
  return feedback_.Rate(c, w, rules_, &log_, now, out);
}

absl::StatusOr<const std::string*> Hall::ClerkAt(int32_t number) const {
  if (number == 0) return nullptr;
  ASSIGN_OR_RETURN(const int w, board_.Find(rules_, number));
  return &board_.window(w).clerk;
}

absl::Status Hall::CallBackComplaint(const v1::Command::CallBackComplaint& c,
                                     int64_t now, Outcome* out) {
  ASSIGN_OR_RETURN(const std::string* clerk, ClerkAt(c.window()));
  return feedback_.CallBack(c, business_day_, clerk, &log_, now, out);
}

absl::Status Hall::ResolveComplaint(const v1::Command::ResolveComplaint& c,
                                    int64_t now, Outcome* out) {
  ASSIGN_OR_RETURN(const std::string* clerk, ClerkAt(c.window()));
  return feedback_.Resolve(c, business_day_, clerk, &log_, now, out);
}

void Hall::NoteCompleted(int w, uint32_t id, int64_t handling, int64_t now) {
  const TicketSlot& t = queue_.ticket(id);
  FeedbackBook::Ratable r;
  r.set_window(rules_.windows()[w].number);
  r.set_ticket(queue_.TicketText(rules_, id));
  r.set_business_day(t.business_day);
  r.set_service_code(rules_.services()[t.queue_service].code);
  r.set_clerk_id(board_.window(w).clerk);
  r.set_completed_at_ms(now);
  r.set_handling_ms(handling);
  feedback_.NoteCompleted(w, std::move(r));
}

void Hall::OpenCaseIfComplaint(int w, uint32_t id, int64_t now, Outcome* out) {
  TicketSlot& t = queue_.mutable_ticket(id);
  // Only the first clerk who serves it: a case resolved stays resolved when
  // the ticket is served again.
  if (!rules_.services()[t.queue_service].complaint || t.complaint_opened) {
    return;
  }
  t.complaint_opened = true;
  std::string ticket = queue_.TicketText(rules_, id);
  v1::ComplaintCase c;
  c.set_ticket(std::move(ticket));
  c.set_business_day(t.business_day);
  c.set_service_code(rules_.services()[t.queue_service].code);
  c.set_owner_clerk_id(board_.window(w).clerk);
  c.set_window(rules_.windows()[w].number);
  c.set_opened_at_unix_ms(now);
  c.set_due_at_unix_ms(now + rules_.feedback().complaint_deadline_ms);
  feedback_.OpenCase(std::move(c), &log_, now, out);
}

}  // namespace qcall
