// sha256 over a stream (OpenSSL's libcrypto EVP): every blob byte is hashed as it arrives.
#pragma once

#include <openssl/evp.h>

#include <memory>
#include <string>
#include <string_view>

namespace podrun::image {

class Sha256 {
  public:
    Sha256();
    void update(const void* data, size_t n);
    void update(std::string_view s) { update(s.data(), s.size()); }
    // "sha256:<hex>"; the hasher is done afterwards.
    std::string digest();

  private:
    std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx_;
};

std::string sha256_digest(std::string_view data);
// A layer's ChainID (image-spec config.md): ChainID(L0) = DiffID(L0),
// ChainID(Ln) = sha256(ChainID(Ln-1) + " " + DiffID(Ln)).
std::string chain_id(const std::string& parent_chain, const std::string& diff_id);

}  // namespace podrun::image
