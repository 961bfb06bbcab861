// Kubernetes resource quantities ("250m", "0.5", "64Mi", "1G", "1e3"), parsed exactly as
// k8s.io/apimachinery/pkg/api/resource does, as pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace podrun::spec {

// Both values are rounded up (toward +infinity) as Kubernetes' Value()/MilliValue() do,
// and saturate at INT64 limits.
struct Quantity {
    int64_t value = 0;        // e.g. "64Mi" -> 67108864, "0.5" -> 1
    int64_t milli_value = 0;  // e.g. "250m" -> 250, "0.5" -> 500, "1" -> 1000
};

// nullopt if `text` is not a Kubernetes quantity.
std::optional<Quantity> parse_quantity(std::string_view text);

}  // namespace podrun::spec
