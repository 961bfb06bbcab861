// Writing configMap and secret volumes as the kubelet's AtomicWriter lays them out.
#pragma once

#include "podrun/spec/pod.hpp"
#include "podrun/state/state.hpp"
#include "podrun/sys/op_list.hpp"

namespace podrun::volumes {

// Steps for pause's child (after the pod's scratch tmpfs is mounted): each configMap/secret
// volume of `pod` (its files resolved by spec::resolve_objects) in paths.memory_volume(name):
//   ..2026_12_01_22_30_00.<pid>/<files>   the data, in one timestamped directory
//   ..data -> ..2026_12_01_22_30_00.<pid> the current version (one rename flips an update)
//   <key> -> ..data/<key>                  each top-level name, through ..data
// Everything lives on the pod's memory tmpfs (secrets never touch the disk) and is mounted
// read-only into the containers (launcher/container_fs.cpp).
void add_data_volume_ops(sys::OpList& ops, const spec::Pod& pod, const state::PodPaths& paths);

}  // namespace podrun::volumes
