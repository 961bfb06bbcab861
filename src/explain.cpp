// The narration hook (see explain.hpp).
#include "podrun/explain.hpp"

namespace podrun {

namespace {
ExplainSink& sink() {
    static ExplainSink s;
    return s;
}
}  // namespace

void set_explain_sink(ExplainSink s) {
    sink() = std::move(s);
}
bool explaining() {
    return static_cast<bool>(sink());
}
void explain(std::string_view room, const std::string& step) {
    if (sink()) sink()(room, step);
}

}  // namespace podrun
