// QrSvg draws a text (the status link of a ticket) as a QR code in SVG, with
// libqrencode, so the kiosk page needs no script library to show it.
//
//   ASSIGN_OR_RETURN(std::string svg, QrSvg("http://hall/t/sh-xujiahui/A012"));
#ifndef QCALL_DISPATCHER_QR_SVG_H_
#define QCALL_DISPATCHER_QR_SVG_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace qcall {

inline constexpr size_t kMaxQrTextBytes = 512;

// INVALID_ARGUMENT for an empty text or one over kMaxQrTextBytes.
absl::StatusOr<std::string> QrSvg(absl::string_view text);

}  // namespace qcall

#endif  // QCALL_DISPATCHER_QR_SVG_H_
