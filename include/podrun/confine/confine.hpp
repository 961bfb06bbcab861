// A pod's confinement, prepared by the supervisor before anything is created (DESIGN.md
// section 9): for each container its capability sets, its user, no_new_privs, its seccomp
// program (compiled once per distinct profile and pod) and whether it gets the device
// filter. A child takes it on right before execve (sys::apply_confinement); `podrun exec`
// reads back what `up` saved in the pod's directory, so an exec'd program is confined
// exactly as the container is.
#pragma once

#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "podrun/confine/caps.hpp"
#include "podrun/confine/seccomp.hpp"
#include "podrun/confine/users.hpp"
#include "podrun/spec/pod.hpp"
#include "podrun/sys/bpf_devices.hpp"
#include "podrun/sys/confine.hpp"
#include "podrun/sys/fd.hpp"

namespace podrun::confine {

// Problems with the manifest's securityContext found while preparing (runAsNonRoot with
// uid 0, a Localhost profile outside its directory...), each with its field path.
struct Refused : std::runtime_error {
    std::vector<std::string> problems;
    explicit Refused(std::vector<std::string> p)
        : std::runtime_error(p.empty() ? "refused" : p.front()), problems(std::move(p)) {}
};

struct ContainerPlan {
    std::string name;
    bool privileged = false;
    CapSets caps;
    int last_cap = 40;
    Identity id;
    bool no_new_privs = false;
    std::shared_ptr<const SeccompProgram> seccomp;  // null: no filter
    std::string seccomp_what;                       // "RuntimeDefault", "Unconfined (privileged)", ...
    bool device_filter = true;

    // The plain data the child applies; points into this plan (keep it alive and unchanged
    // until the child has exec'd).
    sys::ChildConfinement child() const;
    // --explain: each capability set, the user switch, no_new_privs, the filter. `tag` is
    // the line prefix ("[web] ").
    void narrate(const std::string& tag) const;
};

class PodConfinement {
  public:
    // Reads and compiles what the pod's containers need. Throws Refused for manifest
    // problems, std::runtime_error for a missing or unusable profile (with the fix).
    static PodConfinement prepare(const spec::Pod& pod);

    const ContainerPlan* for_container(const std::string& name) const;
    // Attaches the device filter to a container's new cgroup leaf (not for privileged).
    void attach_devices(const ContainerPlan& plan, int leaf_fd, const std::string& leaf_dir) const;
    // Saves every plan and program into the pod's directory, for `podrun exec`.
    void save(const std::string& pod_dir) const;
    // One container's plan as `up` saved it. Throws std::runtime_error if there is none.
    static ContainerPlan load(const std::string& pod_dir, const std::string& container);

  private:
    std::map<std::string, ContainerPlan> plans_;
    std::vector<std::shared_ptr<SeccompProgram>> programs_;  // distinct, in compile order
    sys::UniqueFd device_prog_;
};

// The devices a confined container may open: the OCI runtime spec's defaults (null, zero,
// full, random, urandom, tty, ptmx, /dev/pts/*) plus mknod of any node, as runc allows it
// (a node it may not open is useless).
std::vector<sys::DeviceRule> default_device_rules();

}  // namespace podrun::confine
