#include "dispatcher/tls.h"

#include <openssl/ssl.h>

#include <boost/asio/buffer.hpp>
#include <boost/asio/ssl/context.hpp>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "engine/status_macros.h"

namespace qcall {
namespace {

namespace ssl = boost::asio::ssl;

absl::StatusOr<std::string> ReadPem(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat("cannot read the TLS ", what, " ", path));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The context, or why the pair does not make one; `where` names the files.
absl::StatusOr<std::unique_ptr<ssl::context>> MakeContext(
    const TlsKeyPair& pair, const std::string& certificate_where,
    const std::string& key_where) {
  auto context = std::make_unique<ssl::context>(ssl::context::tls_server);
  // SSL 3, TLS 1.0 and 1.1 are broken or deprecated (RFC 8996).
  SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION);
  context->set_options(ssl::context::default_workarounds |
                       ssl::context::no_compression);
  // The key first: OpenSSL refuses a key that does not match a certificate
  // already set with a bare "key values mismatch", but drops a mismatched
  // key when the certificate comes second, which the check below names.
  boost::system::error_code error;
  context->use_private_key(boost::asio::buffer(pair.private_key_pem),
                           ssl::context::pem, error);
  if (error) {
    return absl::InvalidArgumentError(absl::StrCat(
        "TLS key", key_where, " holds no PEM private key: ", error.message()));
  }
  context->use_certificate_chain(
      boost::asio::buffer(pair.certificate_chain_pem), error);
  if (error) {
    return absl::InvalidArgumentError(
        absl::StrCat("TLS certificate", certificate_where,
                     " holds no PEM certificate: ", error.message()));
  }
  if (SSL_CTX_check_private_key(context->native_handle()) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("TLS key", key_where, " is not the key of certificate",
                     certificate_where));
  }
  return context;
}

}  // namespace

absl::StatusOr<TlsKeyPair> LoadTlsKeyPair(const std::string& certificate_path,
                                          const std::string& key_path) {
  TlsKeyPair pair;
  ASSIGN_OR_RETURN(pair.certificate_chain_pem,
                   ReadPem(certificate_path, "certificate"));
  ASSIGN_OR_RETURN(pair.private_key_pem, ReadPem(key_path, "key"));
  RETURN_IF_ERROR(
      MakeContext(pair, " " + certificate_path, " " + key_path).status());
  return pair;
}

absl::StatusOr<std::unique_ptr<ssl::context>> MakeTlsServerContext(
    const TlsKeyPair& pair) {
  return MakeContext(pair, "", "");
}

}  // namespace qcall
