// sha256 with libcrypto's EVP interface (the one OpenSSL 3 keeps).
#include "digest.hpp"

#include <stdexcept>

namespace podrun::image {

Sha256::Sha256() : ctx_(EVP_MD_CTX_new(), EVP_MD_CTX_free) {
    if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1)
        throw std::runtime_error("EVP sha256 init failed");
}

void Sha256::update(const void* data, size_t n) {
    if (EVP_DigestUpdate(ctx_.get(), data, n) != 1) throw std::runtime_error("EVP sha256 update failed");
}

std::string Sha256::digest() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_DigestFinal_ex(ctx_.get(), md, &len) != 1) throw std::runtime_error("EVP sha256 final failed");
    static constexpr char hex[] = "0123456789abcdef";
    std::string out = "sha256:";
    for (unsigned i = 0; i < len; ++i) {
        out += hex[md[i] >> 4];
        out += hex[md[i] & 15];
    }
    return out;
}

std::string sha256_digest(std::string_view data) {
    Sha256 h;
    h.update(data);
    return h.digest();
}

std::string chain_id(const std::string& parent_chain, const std::string& diff_id) {
    return parent_chain.empty() ? diff_id : sha256_digest(parent_chain + " " + diff_id);
}

}  // namespace podrun::image
