#include "p2psip/config/config_signature.h"

#include <openssl/base64.h>

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "core/certificate_signer.h"
#include "p2psip/crypto/signing_key.h"
#include "p2psip/wire/byte_reader.h"
#include "p2psip/wire/byte_writer.h"

namespace p2psip::config {
namespace {

constexpr std::string_view kFailurePayload = "p2psip.config.SignatureFailure";
constexpr size_t kBase64LineLength = 64;

// absl 20220623 (Debian 12) has its own string_view, which std::string_view does not convert to.
absl::string_view Sv(std::string_view s) { return absl::string_view(s.data(), s.size()); }

absl::Status Failure(SignatureFailure failure, std::string message) {
  absl::Status status;
  switch (failure) {
    case SignatureFailure::kMissing:
    case SignatureFailure::kBadSignature:
      status = absl::UnauthenticatedError(message);
      break;
    case SignatureFailure::kMalformed:
      status = absl::InvalidArgumentError(message);
      break;
    case SignatureFailure::kNotAuthorized:
      status = absl::PermissionDeniedError(message);
      break;
  }
  status.SetPayload(Sv(kFailurePayload), absl::Cord(std::string(1, static_cast<char>(failure))));
  return status;
}

std::span<const uint8_t> Bytes(std::string_view text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

std::string SignedElement(std::string_view name, std::string_view text, core::Signer& signer,
                          std::string_view indent) {
  wire::SecurityBlock block;
  block.certificates = signer.Certificates();
  block.signature = signer.Sign(Bytes(text));
  std::vector<uint8_t> encoded;
  wire::ByteWriter writer(&encoded);
  wire::Encode(writer, block);
  const std::string b64 = Base64(encoded);
  std::string out = absl::StrCat("<", Sv(name), ">");
  for (size_t at = 0; at < b64.size(); at += kBase64LineLength) {
    absl::StrAppend(&out, "\n", Sv(indent), "  ", b64.substr(at, kBase64LineLength));
  }
  absl::StrAppend(&out, "\n", Sv(indent), "</", Sv(name), ">");
  return out;
}

bool IsListed(const NodeId& id, std::span<const std::string> allowed) {
  const std::string hex = id.ToHex();
  return std::any_of(allowed.begin(), allowed.end(),
                     [&](const std::string& a) { return absl::AsciiStrToLower(a) == hex; });
}

}  // namespace

std::optional<SignatureFailure> SignatureFailureOf(const absl::Status& status) {
  absl::optional<absl::Cord> payload = status.GetPayload(Sv(kFailurePayload));
  if (!payload.has_value() || payload->size() != 1) return std::nullopt;
  const auto value = static_cast<uint8_t>(std::string(*payload)[0]);
  if (value > static_cast<uint8_t>(SignatureFailure::kNotAuthorized)) return std::nullopt;
  return static_cast<SignatureFailure>(value);
}

std::string Base64(std::span<const uint8_t> bytes) {
  size_t size = 0;
  if (!EVP_EncodedLength(&size, bytes.size())) return "";
  std::string out(size, '\0');
  const size_t written =
      EVP_EncodeBlock(reinterpret_cast<uint8_t*>(out.data()), bytes.data(), bytes.size());
  out.resize(written);  // EVP_EncodedLength counts the trailing NUL
  return out;
}

std::string SignConfigurationText(std::string_view configuration_text, core::Signer& signer,
                                  std::string_view indent) {
  return SignedElement("signature", configuration_text, signer, indent);
}

std::string SignKindText(std::string_view kind_text, core::Signer& signer,
                         std::string_view indent) {
  return SignedElement("kind-signature", kind_text, signer, indent);
}

absl::StatusOr<core::SignerInfo> VerifySignedRange(std::string_view document, ByteRange bytes,
                                                   const std::optional<SignatureBlob>& signature,
                                                   std::span<const std::string> allowed_signers,
                                                   core::Signer& verifier, std::string_view what) {
  if (!signature.has_value()) {
    return Failure(SignatureFailure::kMissing, absl::StrCat(Sv(what), " is not signed"));
  }
  if (bytes.end > document.size() || bytes.begin >= bytes.end) {
    return Failure(SignatureFailure::kMalformed,
                   absl::StrCat(Sv(what), ": signed range outside the document"));
  }
  wire::DecodeError error;
  wire::ByteReader reader(signature->value, &error);
  wire::SecurityBlock block;
  if (!wire::Decode(reader, &block) || !reader.empty()) {
    return Failure(
        SignatureFailure::kMalformed,
        absl::StrCat(Sv(what), ": signature at line ", signature->line, " is not a SecurityBlock (",
                     error.ok() ? "bytes after the block" : error.ToString(), ")"));
  }
  std::optional<core::SignerInfo> info =
      verifier.Verify(Bytes(bytes.Of(document)), block.signature, block.certificates);
  if (!info.has_value()) {
    return Failure(SignatureFailure::kBadSignature,
                   absl::StrCat(Sv(what), ": signature at line ", signature->line,
                                " does not verify or its certificate is not trusted"));
  }
  if (!IsListed(info->node_id, allowed_signers)) {
    return Failure(
        SignatureFailure::kNotAuthorized,
        absl::StrCat(Sv(what), ": signer ", info->node_id.ToHex(), " is not an authorised signer"));
  }
  return *std::move(info);
}

absl::StatusOr<core::SignerInfo> VerifyConfigurationSignature(
    std::string_view document, const OverlayConfiguration& configuration,
    std::span<const std::string> allowed_signers, core::Signer& verifier) {
  return VerifySignedRange(
      document, configuration.bytes, configuration.signature, allowed_signers, verifier,
      absl::StrCat("configuration ", configuration.instance_name, " at line ", configuration.line));
}

absl::StatusOr<core::SignerInfo> VerifyKindSignature(std::string_view document,
                                                     const RequiredKind& kind,
                                                     std::span<const std::string> kind_signers,
                                                     core::Signer& verifier) {
  return VerifySignedRange(document, kind.bytes, kind.signature, kind_signers, verifier,
                           absl::StrCat("kind ", KindLabel(kind), " at line ", kind.line));
}

std::string KindLabel(const RequiredKind& kind) {
  return kind.definition.name.empty() ? absl::StrCat(kind.definition.id) : kind.definition.name;
}

absl::StatusOr<DocumentSignatures> VerifyDocumentSignatures(std::string_view document,
                                                            const OverlayDocument& parsed,
                                                            core::Signer& verifier) {
  DocumentSignatures out;
  for (const OverlayConfiguration& c : parsed.configurations) {
    absl::StatusOr<core::SignerInfo> signer =
        VerifyConfigurationSignature(document, c, c.configuration_signers, verifier);
    if (!signer.ok()) return signer.status();
    out.verified.push_back({absl::StrCat("configuration ", c.instance_name), signer->node_id});
    for (const RequiredKind& k : c.required_kinds) {
      absl::StatusOr<core::SignerInfo> kind_signer =
          VerifyKindSignature(document, k, c.kind_signers, verifier);
      if (!kind_signer.ok()) return kind_signer.status();
      out.verified.push_back({absl::StrCat("kind ", KindLabel(k)), kind_signer->node_id});
    }
  }
  return out;
}

absl::StatusOr<std::unique_ptr<core::Signer>> MakeVerifier(std::vector<crypto::Certificate> roots,
                                                           std::function<int64_t()> now_s) {
  absl::StatusOr<crypto::TrustStore> trust = crypto::TrustStore::Create(roots);
  if (!trust.ok()) return trust.status();
  absl::StatusOr<std::unique_ptr<core::CertificateSigner>> verifier =
      core::CertificateSigner::CreateVerifier(std::make_shared<const crypto::TrustStore>(*trust),
                                              std::move(now_s));
  if (!verifier.ok()) return verifier.status();
  return std::unique_ptr<core::Signer>(std::move(*verifier));
}

}  // namespace p2psip::config
