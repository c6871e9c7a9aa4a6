// A queue ticket as ESC/POS bytes for an 80 mm thermal kiosk printer (Epson
// TM-T88 and the many Xprinter-style compatibles):
//
//   TicketPrintout t;
//   t.hall_name = "上海徐家汇营业厅 Shanghai Xujiahui Business Hall";
//   t.number = "A012";
//   t.service_name = "话费缴纳 Bill payment";
//   t.people_ahead = 3;
//   t.estimated_wait_seconds = 512;
//   t.issued_at = now;
//   t.zone = hall_zone;
//   t.status_url = "https://q.example.cn/ticket/xjh/A012";
//   RETURN_IF_ERROR(WriteEscPos(RenderEscPos(t), "/dev/usb/lp0"));
//
// prints, centred:
//
//   上海徐家汇营业厅 Shanghai Xujiahui Business Hall
//
//              A012                (4x size)
//   话费缴纳 Bill payment
//
//   前面还有 3 人
//   预计等待 约 9 分钟
//   取号时间 2026-11-27 09:41
//   [QR code of status_url]
//   扫码查看叫号进度
//
// and cuts the paper partially, so the ticket stays hanging for the customer.
#ifndef QCALL_CLIENTS_ESCPOS_TICKET_PRINTOUT_H_
#define QCALL_CLIENTS_ESCPOS_TICKET_PRINTOUT_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "qcall/v1/hall_config.pb.h"

namespace qcall {

struct TicketPrintout {
  std::string hall_name;  // UTF-8, like every text here.
  std::string number;     // "A012"
  std::string service_name;
  int32_t people_ahead = 0;
  // Printed rounded up to whole minutes; under a minute reads "less than a
  // minute", never "about 0 min".
  int64_t estimated_wait_seconds = 0;
  absl::Time issued_at;
  absl::TimeZone zone;  // The hall's: the time is printed as its local time.
  // The customer scans it to follow the ticket on a phone. Empty: no QR code.
  std::string status_url;
  // The labels' language; LANGUAGE_UNSPECIFIED is Chinese. Names are printed
  // as given, whatever the language.
  v1::Language language = v1::LANGUAGE_UNSPECIFIED;
};

// The bytes to send to the printer: starts with ESC @ (reset), ends with a
// partial cut. Any non-ASCII text switches the printer to Chinese mode (FS &)
// and is sent as GB18030; an all-ASCII ticket stays in single-byte mode and so
// also prints on models without a Chinese font. Control characters in the
// texts are printed as spaces, so a name can never smuggle in a printer
// command. The QR code is the printer's own (GS ( k), left out when the URL is
// empty or too long to fit the paper's width.
std::string RenderEscPos(const TicketPrintout& ticket);

// Writes `bytes` to `path`: the printer's device (/dev/usb/lp0) or a file,
// which is created or truncated. The error names the path and the reason.
absl::Status WriteEscPos(const std::string& bytes, const std::string& path);

}  // namespace qcall

#endif  // QCALL_CLIENTS_ESCPOS_TICKET_PRINTOUT_H_
