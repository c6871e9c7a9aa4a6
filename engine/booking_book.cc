#include "engine/booking_book.h"

#include <algorithm>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "engine/input_checks.h"

namespace qcall {
namespace {

// SplitMix64: spreads a seed's bits over the whole word, so that seeds that
// differ in one bit give unrelated codes.
uint64_t Mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

bool IsCode(absl::string_view code) {
  return code.size() == BookingBook::kCodeLength &&
         std::all_of(code.begin(), code.end(), [](char ch) {
           return BookingBook::kAlphabet.find(ch) != absl::string_view::npos;
         });
}

}  // namespace

absl::StatusOr<std::string> BookingBook::NormalizeCode(
    absl::string_view typed) {
  std::string code;
  for (const char ch : typed) {
    if (ch == ' ' || ch == '-') continue;
    code.push_back(absl::ascii_toupper(static_cast<unsigned char>(ch)));
    if (code.size() > kCodeLength) break;
  }
  if (!IsCode(code)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "'", Clipped(typed), "' is not a booking code: ", kCodeLength,
        " characters of ", kAlphabet));
  }
  return code;
}

std::string BookingBook::NewCode(uint64_t seed) const {
  for (uint64_t attempt = 0;; ++attempt) {
    uint64_t bits = Mix(seed + attempt * 0x9E3779B97F4A7C15ULL);
    std::string code;
    for (size_t i = 0; i < kCodeLength; ++i) {
      code.push_back(kAlphabet[bits % kAlphabet.size()]);
      bits /= kAlphabet.size();
    }
    if (!bookings_.contains(code)) return code;
  }
}

const v1::Booking* BookingBook::Find(absl::string_view code) const {
  const auto it = bookings_.find(code);
  return it == bookings_.end() ? nullptr : &it->second;
}

const v1::Booking& BookingBook::Add(v1::Booking booking) {
  const auto [it, added] = bookings_.emplace(booking.code(), booking);
  if (!added) std::abort();  // NewCode makes only codes not held.
  return it->second;
}

const v1::Booking& BookingBook::MarkCheckedIn(const std::string& code,
                                              absl::string_view ticket,
                                              int64_t now) {
  const auto it = bookings_.find(code);
  if (it == bookings_.end()) std::abort();  // Found before it is checked in.
  it->second.set_ticket(std::string(ticket));
  it->second.set_checked_in_at_unix_ms(now);
  return it->second;
}

void BookingBook::StartDay(int32_t day) {
  std::erase_if(bookings_, [day](const auto& entry) {
    return entry.second.business_day() < day;
  });
}

std::vector<const v1::Booking*> BookingBook::BySlot() const {
  std::vector<const v1::Booking*> out;
  out.reserve(bookings_.size());
  for (const auto& [code, booking] : bookings_) out.push_back(&booking);
  std::stable_sort(
      out.begin(), out.end(), [](const v1::Booking* a, const v1::Booking* b) {
        return a->appointment_unix_seconds() < b->appointment_unix_seconds();
      });
  return out;
}

void BookingBook::Save(v1::HallState* state) const {
  for (const auto& [code, booking] : bookings_) {
    *state->add_bookings() = booking;
  }
}

absl::Status BookingBook::Restore(const v1::HallState& state) {
  if (static_cast<size_t>(state.bookings_size()) > kMaxHeld) {
    return CorruptSnapshot(
        absl::StrCat(state.bookings_size(), " bookings, more than ", kMaxHeld));
  }
  bookings_.clear();
  for (const v1::Booking& booking : state.bookings()) {
    if (!IsCode(booking.code())) {
      return CorruptSnapshot(absl::StrCat(
          "booking code '", Clipped(booking.code()), "' is not a code"));
    }
    if (!bookings_.emplace(booking.code(), booking).second) {
      return CorruptSnapshot(
          absl::StrCat("booking code ", booking.code(), " is held twice"));
    }
  }
  return absl::OkStatus();
}

}  // namespace qcall
