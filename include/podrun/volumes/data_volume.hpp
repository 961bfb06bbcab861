// Writing configMap, secret, downwardAPI and projected volumes as the kubelet's
// AtomicWriter lays them out.
#pragma once

#include <optional>
#include <vector>

#include "podrun/spec/pod.hpp"
#include "podrun/state/state.hpp"
#include "podrun/sys/op_list.hpp"

namespace podrun::volumes {

// The files of a configMap, secret, downwardAPI or projected volume (once resolved: by
// spec::resolve_objects and spec::resolve_downward), in path order; nullopt for other volumes.
std::optional<std::vector<spec::DataFile>> data_volume_files(const spec::Volume& v);

// Steps for pause's child (after the pod's scratch tmpfs is mounted): each configMap, secret,
// downwardAPI and projected volume of `pod` (data_volume_files) in paths.memory_volume(name):
//   ..2026_12_01_22_30_00.<pid>/<files>   the data, in one timestamped directory
//   ..data -> ..2026_12_01_22_30_00.<pid> the current version (one rename flips an update)
//   <key> -> ..data/<key>                  each top-level name, through ..data
// Everything lives on the pod's memory tmpfs (secrets never touch the disk) and is mounted
// read-only into the containers (launcher/container_fs.cpp).
void add_data_volume_ops(sys::OpList& ops, const spec::Pod& pod, const state::PodPaths& paths);

}  // namespace podrun::volumes
