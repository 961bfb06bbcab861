// Kubernetes resource quantities, parsed with the grammar of apimachinery's
// parseQuantityString and evaluated exactly with decimal digit strings (no floating point).
#include "podrun/spec/quantity.hpp"

#include <algorithm>
#include <charconv>
#include <limits>
#include <string>

namespace podrun::spec {
namespace {

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

// An exact number: (negative ? -1 : 1) * digits * 10^exp10. `digits` has no leading zeros
// ("" means zero).
struct Decimal {
    bool negative = false;
    std::string digits;
    int64_t exp10 = 0;
};

// digits *= factor, for small factors (1024), in place on a decimal string.
void multiply(std::string& digits, unsigned factor) {
    unsigned carry = 0;
    for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
        unsigned d = static_cast<unsigned>(*it - '0') * factor + carry;
        *it = static_cast<char>('0' + d % 10);
        carry = d / 10;
    }
    while (carry != 0) {
        digits.insert(digits.begin(), static_cast<char>('0' + carry % 10));
        carry /= 10;
    }
}

// The suffix as apimachinery's suffixer interprets it: binary SI (base 2, power of 1024),
// decimal SI, or e/E followed by a signed integer. Returns false for anything else.
bool interpret_suffix(std::string_view s, int& binary_power, int64_t& exp10) {
    static constexpr std::string_view binary[] = {"Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
    for (int i = 0; i < 6; ++i) {
        if (s == binary[i]) {
            binary_power = i + 1;
            return true;
        }
    }
    struct Dec {
        std::string_view s;
        int exp;
    };
    static constexpr Dec decimal[] = {{"n", -9}, {"u", -6}, {"m", -3}, {"", 0},   {"k", 3},
                                      {"M", 6},  {"G", 9},  {"T", 12}, {"P", 15}, {"E", 18}};
    for (const auto& d : decimal) {
        if (s == d.s) {
            exp10 = d.exp;
            return true;
        }
    }
    if (s.size() > 1 && (s[0] == 'e' || s[0] == 'E')) {
        std::string_view e = s.substr(1);
        if (e[0] == '+') e.remove_prefix(1);  // Go's ParseInt accepts a leading '+'
        int64_t v = 0;
        auto [ptr, ec] = std::from_chars(e.data(), e.data() + e.size(), v);
        if (ec != std::errc() || ptr != e.data() + e.size()) return false;
        // Anything beyond this already saturates or rounds to zero/one; clamping keeps the
        // exponent arithmetic below free of overflow.
        exp10 = std::clamp<int64_t>(v, -(int64_t{1} << 40), int64_t{1} << 40);
        return true;
    }
    return false;
}

std::optional<Decimal> parse(std::string_view str) {
    if (str.empty()) return std::nullopt;
    Decimal d;
    size_t pos = 0;
    const size_t end = str.size();
    if (str[0] == '-' || str[0] == '+') {
        d.negative = str[0] == '-';
        ++pos;
    }
    const size_t num_start = pos;
    while (pos < end && is_digit(str[pos])) ++pos;
    std::string_view num = str.substr(num_start, pos - num_start);
    std::string_view denom;
    if (pos < end && str[pos] == '.') {
        const size_t denom_start = ++pos;
        while (pos < end && is_digit(str[pos])) ++pos;
        denom = str.substr(denom_start, pos - denom_start);
    }
    // Kubernetes needs at least one digit ("Mi", "." and a lone sign are not numbers).
    if (num.empty() && denom.empty()) return std::nullopt;

    // Suffix: letters from "eEinumkKMGTP", then an optional sign and digits (the exponent).
    const size_t suffix_start = pos;
    while (pos < end && std::string_view("eEinumkKMGTP").find(str[pos]) != std::string_view::npos) ++pos;
    if (pos < end && (str[pos] == '-' || str[pos] == '+')) ++pos;
    while (pos < end && is_digit(str[pos])) ++pos;
    if (pos != end) return std::nullopt;

    int binary_power = 0;
    int64_t exp10 = 0;
    if (!interpret_suffix(str.substr(suffix_start), binary_power, exp10)) return std::nullopt;

    std::string digits = std::string(num) + std::string(denom);
    digits.erase(0, std::min(digits.find_first_not_of('0'), digits.size()));
    for (int i = 0; i < binary_power && !digits.empty(); ++i) multiply(digits, 1024);
    d.digits = std::move(digits);
    d.exp10 = exp10 - static_cast<int64_t>(denom.size());
    if (d.digits.empty()) d.negative = false;  // "-0" is zero
    return d;
}

// ceil(d * 10^scale), saturated to int64.
int64_t ceil_scaled(const Decimal& d, int64_t scale) {
    if (d.digits.empty()) return 0;
    constexpr int64_t max = std::numeric_limits<int64_t>::max();
    constexpr int64_t min = std::numeric_limits<int64_t>::min();
    const int64_t e = d.exp10 + scale;
    const int64_t int_len = static_cast<int64_t>(d.digits.size()) + e;  // digits before the point
    if (int_len > 19) return d.negative ? min : max;
    std::string int_part;
    bool fraction = false;
    if (e >= 0) {
        int_part = d.digits + std::string(static_cast<size_t>(e), '0');
    } else if (int_len > 0) {
        int_part = d.digits.substr(0, static_cast<size_t>(int_len));
        fraction = d.digits.find_first_not_of('0', static_cast<size_t>(int_len)) != std::string::npos;
    } else {
        fraction = true;  // all digits are after the point and at least one is non-zero
    }
    // Up to 19 digits fit in an unsigned 64-bit integer.
    uint64_t mag = 0;
    for (char c : int_part) mag = mag * 10 + static_cast<uint64_t>(c - '0');
    if (!d.negative) {
        if (fraction) ++mag;  // round toward +infinity
        return mag > static_cast<uint64_t>(max) ? max : static_cast<int64_t>(mag);
    }
    // Truncation toward zero is already the ceiling of a negative number.
    if (mag > static_cast<uint64_t>(max)) return min;
    return -static_cast<int64_t>(mag);
}

}  // namespace

std::optional<Quantity> parse_quantity(std::string_view text) {
    auto d = parse(text);
    if (!d) return std::nullopt;
    return Quantity{ceil_scaled(*d, 0), ceil_scaled(*d, 3)};
}

}  // namespace podrun::spec
