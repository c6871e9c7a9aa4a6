#include "engine/recent_calls.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "engine/input_checks.h"

namespace qcall {

void RecentCalls::Add(const v1::HallEvent::TicketCalled& called,
                      int64_t at_ms) {
  const std::string& number = called.ticket().number();
  std::erase_if(calls_,
                [&](const v1::RecentCall& c) { return c.number() == number; });
  v1::RecentCall& call = calls_.emplace_front();
  call.set_number(number);
  call.set_window(called.window());
  call.set_window_name(called.window_name());
  call.set_at_unix_ms(at_ms);
  call.set_recall(called.recall());
  if (calls_.size() > kKept) calls_.pop_back();
}

void RecentCalls::Save(v1::HallState* state) const {
  for (const v1::RecentCall& call : calls_) *state->add_recent_calls() = call;
}

absl::Status RecentCalls::Restore(const v1::HallState& state) {
  if (static_cast<size_t>(state.recent_calls_size()) > kKept) {
    return CorruptSnapshot(absl::StrCat(state.recent_calls_size(),
                                        " recent calls, more than ", kKept));
  }
  calls_.assign(state.recent_calls().begin(), state.recent_calls().end());
  return absl::OkStatus();
}

void RecentCalls::AddViews(v1::HallView* view) const {
  for (const v1::RecentCall& call : calls_) *view->add_recent_calls() = call;
}

}  // namespace qcall
