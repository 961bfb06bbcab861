// The one narration hook: every kernel step podrun takes (clone flags, setns, mounts,
// pivot_root, cgroup writes) is described here, so `podrun up --explain` is complete by
// construction. Cheap when off.
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace podrun {

using ExplainSink = std::function<void(std::string_view room, std::string_view step)>;

void set_explain_sink(ExplainSink sink);  // empty sink = off
bool explaining();
// room: "sandbox", "launcher", "cgroup", ...; step: the call, its arguments and why.
void explain(std::string_view room, const std::string& step);

}  // namespace podrun
