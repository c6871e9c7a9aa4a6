// How tickets and calls read to people: "A012", and the sentence a board
// speaks, "请 A012 号到 3 号窗口办理" or "Ticket A012, please go to window 3".
#ifndef QCALL_ENGINE_ANNOUNCEMENT_H_
#define QCALL_ENGINE_ANNOUNCEMENT_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "qcall/v1/hall_config.pb.h"

namespace qcall {

// Pads the number with zeros to `width` digits and never cuts it: a number
// wider than `width` is written out in full.
void FormatTicketNumber(absl::string_view prefix, uint32_t number, int width,
                        std::string* out);
std::string FormatTicketNumber(absl::string_view prefix, uint32_t number,
                               int width);

// The call sentence in the hall's language; a recall repeats the same words.
void FormatAnnouncement(v1::Language language, absl::string_view ticket,
                        int32_t window, std::string* out);

}  // namespace qcall

#endif  // QCALL_ENGINE_ANNOUNCEMENT_H_
