// Small helpers of the plain-data Pod.
#include "podrun/spec/pod.hpp"

namespace podrun::spec {

std::string to_string(RestartPolicy p) {
    switch (p) {
        case RestartPolicy::Always:
            return "Always";
        case RestartPolicy::OnFailure:
            return "OnFailure";
        case RestartPolicy::Never:
            return "Never";
    }
    return "?";
}

}  // namespace podrun::spec
