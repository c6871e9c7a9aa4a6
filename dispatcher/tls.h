// The server's TLS certificate and key: read from PEM files, checked to load
// and to belong together, and made into an OpenSSL server context for the
// HTTP side (gRPC takes the PEM texts themselves).
//
//   ASSIGN_OR_RETURN(TlsKeyPair pair, LoadTlsKeyPair("cert.pem", "key.pem"));
//   grpc::SslServerCredentialsOptions ssl;
//   ssl.pem_key_cert_pairs.push_back(
//       {pair.private_key_pem, pair.certificate_chain_pem});
//   ASSIGN_OR_RETURN(auto context, MakeTlsServerContext(pair));
//   RETURN_IF_ERROR(http.UseTls(std::move(context)));
#ifndef QCALL_DISPATCHER_TLS_H_
#define QCALL_DISPATCHER_TLS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace boost::asio::ssl {
class context;
}  // namespace boost::asio::ssl

namespace qcall {

struct TlsKeyPair {
  // The server's certificate first, then any intermediate CA certificates.
  std::string certificate_chain_pem;
  std::string private_key_pem;
};

// Reads both files. NOT_FOUND when one cannot be read, INVALID_ARGUMENT
// (naming the file) when it holds no PEM certificate or key, or when the
// key is not the certificate's.
absl::StatusOr<TlsKeyPair> LoadTlsKeyPair(const std::string& certificate_path,
                                          const std::string& key_path);

// A server context of the pair: TLS 1.2 and 1.3 only, no compression.
absl::StatusOr<std::unique_ptr<boost::asio::ssl::context>> MakeTlsServerContext(
    const TlsKeyPair& pair);

}  // namespace qcall

#endif  // QCALL_DISPATCHER_TLS_H_
