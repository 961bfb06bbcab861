// The cgroup device filter's eBPF program (src/sys/bpf_devices.cpp), run on a small
// interpreter of the instructions it uses: loading it needs root, its logic does not.
#include <gtest/gtest.h>

#include "podrun/confine/confine.hpp"
#include "podrun/sys/bpf_devices.hpp"

using namespace podrun;

namespace {

// Runs a program made of the instructions device_filter_program emits.
int run(const std::vector<bpf_insn>& p, uint32_t type, uint32_t access, uint32_t major, uint32_t minor) {
    uint64_t r[11] = {};
    const uint32_t ctx[3] = {(access << 16) | type, major, minor};
    for (size_t pc = 0; pc < p.size(); pc++) {
        const bpf_insn& i = p[pc];
        switch (i.code) {
            case BPF_LDX | BPF_W | BPF_MEM:
                EXPECT_EQ(i.src_reg, 1);
                r[i.dst_reg] = ctx[i.off / 4];
                break;
            case BPF_ALU | BPF_AND | BPF_K:
                r[i.dst_reg] = static_cast<uint32_t>(r[i.dst_reg] & static_cast<uint32_t>(i.imm));
                break;
            case BPF_ALU | BPF_RSH | BPF_K:
                r[i.dst_reg] = static_cast<uint32_t>(r[i.dst_reg] >> i.imm);
                break;
            case BPF_ALU64 | BPF_MOV | BPF_X:
                r[i.dst_reg] = r[i.src_reg];
                break;
            case BPF_ALU64 | BPF_MOV | BPF_K:
                r[i.dst_reg] = static_cast<uint64_t>(static_cast<int64_t>(i.imm));
                break;
            case BPF_JMP | BPF_JNE | BPF_K:
                if (r[i.dst_reg] != static_cast<uint64_t>(static_cast<int64_t>(i.imm)))
                    pc += static_cast<size_t>(i.off);
                break;
            case BPF_JMP | BPF_JNE | BPF_X:
                if (r[i.dst_reg] != r[i.src_reg]) pc += static_cast<size_t>(i.off);
                break;
            case BPF_JMP | BPF_EXIT:
                return static_cast<int>(r[0]);
            default:
                ADD_FAILURE() << "unexpected opcode " << int(i.code);
                return -1;
        }
        EXPECT_LT(pc + 1, p.size() + 1);
    }
    ADD_FAILURE() << "fell off the end";
    return -1;
}

constexpr uint32_t C = BPF_DEVCG_DEV_CHAR, B = BPF_DEVCG_DEV_BLOCK;
constexpr uint32_t M = BPF_DEVCG_ACC_MKNOD, R = BPF_DEVCG_ACC_READ, W = BPF_DEVCG_ACC_WRITE;

}  // namespace

TEST(ConfineDevices, DefaultRulesAllowTheOciDevicesAndNothingElse) {
    auto p = sys::device_filter_program(confine::default_device_rules());
    EXPECT_LT(p.size(), 4096u);
    EXPECT_EQ(run(p, C, R | W, 1, 3), 1);     // /dev/null
    EXPECT_EQ(run(p, C, R, 1, 9), 1);         // /dev/urandom
    EXPECT_EQ(run(p, C, R | W, 5, 0), 1);     // /dev/tty
    EXPECT_EQ(run(p, C, R | W, 5, 2), 1);     // /dev/ptmx
    EXPECT_EQ(run(p, C, R | W, 136, 7), 1);   // /dev/pts/7
    EXPECT_EQ(run(p, B, R, 8, 0), 0);         // /dev/sda
    EXPECT_EQ(run(p, B, R | W, 259, 0), 0);   // /dev/nvme0n1
    EXPECT_EQ(run(p, C, R | W, 1, 1), 0);     // /dev/mem
    EXPECT_EQ(run(p, C, R, 1, 11), 0);        // /dev/kmsg
    EXPECT_EQ(run(p, C, R | W, 10, 200), 0);  // /dev/net/tun
    EXPECT_EQ(run(p, C, R | W, 4, 1), 0);     // /dev/tty1
    EXPECT_EQ(run(p, B, R | W, 1, 3), 0);     // a block device numbered like /dev/null
}

TEST(ConfineDevices, MknodOfAnyNodeIsAllowedButNotItsUse) {
    auto p = sys::device_filter_program(confine::default_device_rules());
    EXPECT_EQ(run(p, B, M, 8, 0), 1);
    EXPECT_EQ(run(p, C, M, 1, 1), 1);
    EXPECT_EQ(run(p, B, M | R, 8, 0), 0);
}

TEST(ConfineDevices, AccessMustBeASubsetOfTheRule) {
    std::vector<sys::DeviceRule> rules = {{'c', 1, 3, R, "read-only null"}};
    auto p = sys::device_filter_program(rules);
    EXPECT_EQ(run(p, C, R, 1, 3), 1);
    EXPECT_EQ(run(p, C, R | W, 1, 3), 0);
    EXPECT_EQ(run(p, C, W, 1, 3), 0);
    EXPECT_EQ(run(sys::device_filter_program({}), C, R, 1, 3), 0);  // no rule: deny
}
