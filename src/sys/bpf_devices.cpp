// The cgroup device filter as raw eBPF instructions (see bpf_devices.hpp). Written by hand,
// as runc's libcontainer/cgroups/devices (asm) and crun's ebpf.c do: no compiler, no libbpf.
#include "podrun/sys/bpf_devices.hpp"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "podrun/sys/error.hpp"

namespace podrun::sys {

namespace {

bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
    bpf_insn i{};
    i.code = code;
    i.dst_reg = dst & 0xf;
    i.src_reg = src & 0xf;
    i.off = off;
    i.imm = imm;
    return i;
}
// r_dst = *(u32 *)(r_src + off)
bpf_insn load_u32(uint8_t dst, uint8_t src, int16_t off) {
    return insn(BPF_LDX | BPF_W | BPF_MEM, dst, src, off, 0);
}
bpf_insn alu32_imm(uint8_t op, uint8_t dst, int32_t imm) {
    return insn(BPF_ALU | op | BPF_K, dst, 0, 0, imm);
}
bpf_insn mov64_reg(uint8_t dst, uint8_t src) {
    return insn(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0);
}
bpf_insn mov64_imm(uint8_t dst, int32_t imm) {
    return insn(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm);
}
// if r_dst != imm: skip (offset filled in later)
bpf_insn jne_imm(uint8_t dst, int32_t imm) {
    return insn(BPF_JMP | BPF_JNE | BPF_K, dst, 0, 0, imm);
}
bpf_insn jne_reg(uint8_t dst, uint8_t src) {
    return insn(BPF_JMP | BPF_JNE | BPF_X, dst, src, 0, 0);
}
bpf_insn exit_insn() {
    return insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

constexpr unsigned kAllAccess = BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE;

long bpf(int cmd, bpf_attr* attr) {
    return syscall(SYS_bpf, cmd, attr, sizeof *attr);
}

}  // namespace

std::vector<bpf_insn> device_filter_program(const std::vector<DeviceRule>& allow) {
    // struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; }, access_type =
    // (access << 16) | type. Registers: r2 type, r3 access, r4 major, r5 minor.
    std::vector<bpf_insn> p = {
        load_u32(2, 1, 0), alu32_imm(BPF_AND, 2, 0xffff),
        load_u32(3, 1, 0), alu32_imm(BPF_RSH, 3, 16),
        load_u32(4, 1, 4), load_u32(5, 1, 8),
    };
    for (const auto& r : allow) {
        std::vector<bpf_insn> block;
        if (r.type == 'c' || r.type == 'b') {
            block.push_back(jne_imm(2, r.type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK));
        }
        if ((r.access & kAllAccess) != kAllAccess) {
            // Every access asked for must be in the rule: (access & rule) == access.
            block.push_back(mov64_reg(1, 3));
            block.push_back(alu32_imm(BPF_AND, 1, static_cast<int32_t>(r.access)));
            block.push_back(jne_reg(1, 3));
        }
        if (r.major >= 0) block.push_back(jne_imm(4, static_cast<int32_t>(r.major)));
        if (r.minor >= 0) block.push_back(jne_imm(5, static_cast<int32_t>(r.minor)));
        block.push_back(mov64_imm(0, 1));
        block.push_back(exit_insn());
        // A failed test jumps past the rest of this rule, to the next one.
        for (size_t i = 0; i < block.size(); i++) {
            if ((block[i].code & 0x07) == BPF_JMP && (block[i].code & 0xf0) == BPF_JNE) {
                block[i].off = static_cast<int16_t>(block.size() - i - 1);
            }
        }
        p.insert(p.end(), block.begin(), block.end());
    }
    p.push_back(mov64_imm(0, 0));
    p.push_back(exit_insn());
    return p;
}

UniqueFd load_device_filter(const std::vector<bpf_insn>& prog) {
    static char log[16384];
    static const char license[] = "Apache";
    bpf_attr attr;
    std::memset(&attr, 0, sizeof attr);
    attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
    attr.insns = reinterpret_cast<uint64_t>(prog.data());
    attr.insn_cnt = static_cast<uint32_t>(prog.size());
    attr.license = reinterpret_cast<uint64_t>(license);
    attr.log_buf = reinterpret_cast<uint64_t>(log);
    attr.log_size = sizeof log;
    attr.log_level = 1;
    log[0] = '\0';
    long fd = bpf(BPF_PROG_LOAD, &attr);
    if (fd < 0) {
        int e = errno;
        std::string why = log[0] ? std::string(": ") + log : std::string();
        throw SysError(e, "bpf(BPF_PROG_LOAD, BPF_PROG_TYPE_CGROUP_DEVICE, " + std::to_string(prog.size()) +
                              " instructions)" + why);
    }
    return UniqueFd(static_cast<int>(fd));
}

void attach_device_filter(int cgroup_fd, int prog_fd, const std::string& what) {
    bpf_attr attr;
    std::memset(&attr, 0, sizeof attr);
    attr.target_fd = static_cast<uint32_t>(cgroup_fd);
    attr.attach_bpf_fd = static_cast<uint32_t>(prog_fd);
    attr.attach_type = BPF_CGROUP_DEVICE;
    // MULTI: a program attached above (by a systemd unit, say) keeps running too; both must allow.
    attr.attach_flags = BPF_F_ALLOW_MULTI;
    if (bpf(BPF_PROG_ATTACH, &attr) < 0) throw_errno("bpf(BPF_PROG_ATTACH, BPF_CGROUP_DEVICE, " + what + ")");
}

}  // namespace podrun::sys
