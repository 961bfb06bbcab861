// The gRPC health protocol's bytes, as podrun-image's grpc probe writes and reads them:
// checked against the encodings of grpc.health.v1 (protobuf by hand: one string field in,
// one enum field out, each in gRPC's 5-byte length-prefixed frame).
#include <gtest/gtest.h>

#include <string>

#include "image/tool/probe.hpp"

using podrun::image::grpc_health_request;
using podrun::image::grpc_health_status;

namespace {

std::string bytes(std::initializer_list<int> b) {
    std::string s;
    for (int c : b) s.push_back(static_cast<char>(c));
    return s;
}

TEST(ProbeGrpcWire, TheRequestIsAFramedHealthCheckRequest) {
    // No service: an empty message (proto3 leaves "" out), a frame of length 0.
    EXPECT_EQ(grpc_health_request(""), bytes({0, 0, 0, 0, 0}));
    // service = "a.B": tag 0x0a (field 1, length-delimited), length 3, the bytes.
    EXPECT_EQ(grpc_health_request("a.B"), bytes({0, 0, 0, 0, 5, 0x0a, 3, 'a', '.', 'B'}));
    // A name of 200 bytes takes a two-byte varint length (0xc8 0x01).
    std::string framed = grpc_health_request(std::string(200, 'x'));
    ASSERT_EQ(framed.size(), 5u + 3u + 200u);
    EXPECT_EQ(framed.substr(0, 8), bytes({0, 0, 0, 0, 203, 0x0a, 0xc8, 0x01}));
}

TEST(ProbeGrpcWire, TheStatusIsReadFromAFramedHealthCheckResponse) {
    EXPECT_EQ(grpc_health_status(bytes({0, 0, 0, 0, 2, 0x08, 1})), 1);  // SERVING
    EXPECT_EQ(grpc_health_status(bytes({0, 0, 0, 0, 2, 0x08, 2})), 2);  // NOT_SERVING
    EXPECT_EQ(grpc_health_status(bytes({0, 0, 0, 0, 0})), 0);           // UNKNOWN: the default
    // Unknown fields (a string field 2, a varint field 3) are skipped.
    EXPECT_EQ(grpc_health_status(bytes({0, 0, 0, 0, 7, 0x12, 2, 'h', 'i', 0x18, 5, 0x08})), -1);  // cut varint
    EXPECT_EQ(grpc_health_status(bytes({0, 0, 0, 0, 8, 0x12, 2, 'h', 'i', 0x18, 5, 0x08, 1})), 1);
}

TEST(ProbeGrpcWire, BytesThatAreNotAResponseAreRefused) {
    EXPECT_EQ(grpc_health_status(""), -1);
    EXPECT_EQ(grpc_health_status(bytes({0, 0, 0})), -1);                      // short frame header
    EXPECT_EQ(grpc_health_status(bytes({1, 0, 0, 0, 2, 0x08, 1})), -1);       // compressed flag
    EXPECT_EQ(grpc_health_status(bytes({0, 0, 0, 0, 9, 0x08, 1})), -1);       // length beyond the data
    EXPECT_EQ(grpc_health_status(bytes({0, 0, 0, 0, 3, 0x12, 5, 'x'})), -1);  // field beyond the message
    EXPECT_EQ(grpc_health_status(bytes({0, 0, 0, 0, 2, 0x0d, 1})), -1);       // fixed32 wire type
}

}  // namespace
