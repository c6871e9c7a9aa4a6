// BookingBook holds a hall's bookings (预约): slots of a service booked
// ahead, each with the short code its customer types at the kiosk to check
// in. A code is made from a seed the command carries (random, filled in by
// qcalld before the command is journaled), so replay makes the same code and
// the codes cannot be guessed from one another. A booking is held until the
// business day after its slot's begins.
//
//   BookingBook book;
//   std::string code = book.NewCode(seed);     // "7KQ3MX", not held yet
//   book.Add(booking_with_that_code);
//   absl::StatusOr<std::string> typed = BookingBook::NormalizeCode(" 7kq-3mx");
//   const v1::Booking* found = book.Find(*typed);
#ifndef QCALL_ENGINE_BOOKING_BOOK_H_
#define QCALL_ENGINE_BOOKING_BOOK_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "qcall/v1/engine.pb.h"

namespace qcall {

class BookingBook {
 public:
  // Characters a customer cannot misread: no 0/O, no 1/I/L.
  static constexpr absl::string_view kAlphabet =
      "23456789ABCDEFGHJKMNPQRSTUVWXYZ";
  // 31^6 ≈ 8.9e8 codes: with the kiosks' issue rate limit, guessing one of a
  // hall's few hundred bookings takes years of typing.
  static constexpr size_t kCodeLength = 6;
  // A hall holds at most this many bookings (today's and later).
  static constexpr size_t kMaxHeld = 10'000;

  // The code as typed, upper-cased, spaces and '-' dropped; INVALID_ARGUMENT
  // unless it is kCodeLength characters of kAlphabet.
  static absl::StatusOr<std::string> NormalizeCode(absl::string_view typed);

  // A code no booking holds, the same for the same seed and bookings.
  std::string NewCode(uint64_t seed) const;

  size_t size() const { return bookings_.size(); }
  const v1::Booking* Find(absl::string_view code) const;
  // `booking.code()` must be new (NewCode).
  const v1::Booking& Add(v1::Booking booking);
  const v1::Booking& MarkCheckedIn(const std::string& code,
                                   absl::string_view ticket, int64_t now);
  // A new business day: the bookings of days before it go.
  void StartDay(int32_t day);
  // Every booking, by slot (then code).
  std::vector<const v1::Booking*> BySlot() const;

  void Save(v1::HallState* state) const;
  absl::Status Restore(const v1::HallState& state);

 private:
  std::map<std::string, v1::Booking, std::less<>> bookings_;  // By code.
};

}  // namespace qcall

#endif  // QCALL_ENGINE_BOOKING_BOOK_H_
