// Stop signals by name: Kubernetes' list for lifecycle.stopSignal (core/v1 Signal, Linux) and
// the image config's StopSignal as Docker and containerd read it (pure).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace podrun::spec {

// The signal number of one of Kubernetes' Linux stop signal names ("SIGUSR1",
// "SIGRTMIN+3", "SIGRTMAX-1"); nullopt for anything else, "USR1" and "10" included.
std::optional<int> kubernetes_signal(std::string_view name);

// An image's StopSignal as containerd parses it (moby/sys/signal.ParseSignal): a number,
// or a name with or without "SIG", as Kubernetes' name ("SIGQUIT"); nullopt when it is none.
std::optional<std::string> image_stop_signal(std::string_view value);

// Kubernetes' names, comma-separated, for messages.
std::string kubernetes_signal_names();

}  // namespace podrun::spec
