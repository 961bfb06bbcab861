// `podrun-image probe ...`: the probe handlers that need libcurl (TLS, HTTP/2), which the
// static podrun does not carry. The supervisor starts it in the pod's network namespace
// (sys/spawn.hpp) and reads its exit code: 0 success, 1 failure (the reason as one line on
// stdout), 2 bad arguments. Internal: not a podrun subcommand.
#pragma once

#include <string>

namespace podrun::image {

// argv[1] == "probe": argv[2] is https or grpc.
//   probe https URL TIMEOUT_MS [HEADER: VALUE]...
//   probe grpc HOST PORT SERVICE TIMEOUT_MS
int probe_main(int argc, char** argv);

// The gRPC health protocol's wire forms (grpc.health.v1): a HealthCheckRequest for `service`
// framed for gRPC (a zero flag byte, a big-endian length, the protobuf message), and the
// status of a framed HealthCheckResponse (0 UNKNOWN, 1 SERVING, 2 NOT_SERVING,
// 3 SERVICE_UNKNOWN), or -1 when the bytes are not one.
std::string grpc_health_request(const std::string& service);
int grpc_health_status(const std::string& framed);

}  // namespace podrun::image
