// Fuzz target: manifest bytes -> parse (JSON or YAML) -> validate, as `podrun validate` and
// `podrun up` read them. Beyond crashes, leaks and timeouts (libFuzzer, ASan, UBSan), the
// result must be coherent: a pod exactly when there are no errors, and every error said.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "podrun/spec/load.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const podrun::spec::LoadResult r = podrun::spec::load_pod_text(text, "fuzz");
    if (r.pod.has_value() == !r.errors.empty()) __builtin_trap();
    for (const auto& e : r.errors) {
        if (e.message.empty()) __builtin_trap();
    }
    return 0;
}
