// seccomp profiles: parse and filter (pure), compile with libseccomp (see seccomp.hpp).
#include "podrun/confine/seccomp.hpp"

#include <seccomp.h>
#include <sys/utsname.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "podrun/sys/confine.hpp"
#include "podrun/sys/files.hpp"

namespace podrun::confine {

using nlohmann::json;

namespace {

[[noreturn]] void bad(const std::string& source, const std::string& what) {
    throw std::runtime_error("seccomp profile " + source + ": " + what);
}

std::vector<std::string> strings(const json& j, const char* key) {
    std::vector<std::string> out;
    if (!j.is_object() || !j.contains(key) || j[key].is_null()) return out;
    for (const auto& v : j[key]) out.push_back(v.get<std::string>());
    return out;
}

std::pair<int, int> parse_version(const std::string& v) {
    int major = 0, minor = 0;
    std::sscanf(v.c_str(), "%d.%d", &major, &minor);
    return {major, minor};
}

bool has(const std::vector<std::string>& list, const std::string& x) {
    return std::find(list.begin(), list.end(), x) != list.end();
}

// includes: every condition given must hold. excludes: any condition given that holds drops the
// rule.
bool included(const json& inc, const FilterInputs& in) {
    for (const auto& c : strings(inc, "caps")) {
        auto n = cap_number(c);
        if (!n || !(in.caps & (CapMask{1} << *n))) return false;
    }
    auto arches = strings(inc, "arches");
    if (!arches.empty() && !has(arches, in.go_arch)) return false;
    if (inc.is_object() && inc.contains("minKernel") && inc["minKernel"].is_string()) {
        if (in.kernel < parse_version(inc["minKernel"].get<std::string>())) return false;
    }
    return true;
}

bool excluded(const json& exc, const FilterInputs& in) {
    for (const auto& c : strings(exc, "caps")) {
        auto n = cap_number(c);
        if (n && (in.caps & (CapMask{1} << *n))) return true;
    }
    if (has(strings(exc, "arches"), in.go_arch)) return true;
    if (exc.is_object() && exc.contains("minKernel") && exc["minKernel"].is_string()) {
        if (in.kernel >= parse_version(exc["minKernel"].get<std::string>())) return true;
    }
    return false;
}

const std::vector<std::string> kActions = {"SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
                                           "SCMP_ACT_TRAP",  "SCMP_ACT_ERRNO",        "SCMP_ACT_TRACE",
                                           "SCMP_ACT_ALLOW", "SCMP_ACT_LOG"};

uint32_t action_value(const std::string& a, int errno_ret) {
    const uint16_t e = static_cast<uint16_t>(errno_ret < 0 ? EPERM : errno_ret);
    if (a == "SCMP_ACT_KILL" || a == "SCMP_ACT_KILL_THREAD") return SCMP_ACT_KILL_THREAD;
    if (a == "SCMP_ACT_KILL_PROCESS") return SCMP_ACT_KILL_PROCESS;
    if (a == "SCMP_ACT_TRAP") return SCMP_ACT_TRAP;
    if (a == "SCMP_ACT_ERRNO") return SCMP_ACT_ERRNO(e);
    if (a == "SCMP_ACT_TRACE") return SCMP_ACT_TRACE(e);
    if (a == "SCMP_ACT_LOG") return SCMP_ACT_LOG;
    return SCMP_ACT_ALLOW;
}

scmp_compare compare_op(const std::string& op, const std::string& source) {
    static const std::map<std::string, scmp_compare> ops = {{"SCMP_CMP_NE", SCMP_CMP_NE},
                                                            {"SCMP_CMP_LT", SCMP_CMP_LT},
                                                            {"SCMP_CMP_LE", SCMP_CMP_LE},
                                                            {"SCMP_CMP_EQ", SCMP_CMP_EQ},
                                                            {"SCMP_CMP_GE", SCMP_CMP_GE},
                                                            {"SCMP_CMP_GT", SCMP_CMP_GT},
                                                            {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ}};
    auto it = ops.find(op);
    if (it == ops.end()) bad(source, "unknown argument operator \"" + op + "\"");
    return it->second;
}

// "SCMP_ARCH_X86_64" -> "x86_64", the name seccomp_arch_resolve_name knows.
std::string scmp_arch_token(const std::string& a) {
    std::string t = a.rfind("SCMP_ARCH_", 0) == 0 ? a.substr(10) : a;
    for (auto& c : t) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return t;
}

}  // namespace

std::string runtime_default_profile_path() {
    const char* e = std::getenv("PODRUN_SECCOMP_DEFAULT");
    return e && *e ? e : "/usr/share/containers/seccomp.json";
}

std::string localhost_profile_dir() {
    const char* e = std::getenv("PODRUN_SECCOMP_DIR");
    return e && *e ? e : "/etc/podrun/seccomp";
}

FilterInputs native_inputs(CapMask caps) {
    FilterInputs in;
#if defined(__x86_64__)
    in.go_arch = "amd64";
    in.scmp_arch = "SCMP_ARCH_X86_64";
#elif defined(__aarch64__)
    in.go_arch = "arm64";
    in.scmp_arch = "SCMP_ARCH_AARCH64";
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    in.go_arch = "ppc64le";
    in.scmp_arch = "SCMP_ARCH_PPC64LE";
#elif defined(__s390x__)
    in.go_arch = "s390x";
    in.scmp_arch = "SCMP_ARCH_S390X";
#elif defined(__riscv) && __riscv_xlen == 64
    in.go_arch = "riscv64";
    in.scmp_arch = "SCMP_ARCH_RISCV64";
#else
#error "podrun: no seccomp architecture name for this target"
#endif
    in.caps = caps;
    in.x32 = sys::kernel_runs_x32();
    utsname u{};
    if (uname(&u) == 0) in.kernel = parse_version(u.release);
    return in;
}

FilteredProfile filter_profile(const std::string& json_text, const std::string& source, const FilterInputs& in) {
    json j;
    try {
        j = json::parse(json_text);
    } catch (const json::exception& e) {
        bad(source, std::string("not valid JSON: ") + e.what());
    }
    if (!j.is_object()) bad(source, "not a JSON object");
    FilteredProfile f;
    try {
        if (!j.contains("defaultAction")) bad(source, "defaultAction is missing");
        f.default_action = j["defaultAction"].get<std::string>();
        if (!has(kActions, f.default_action)) bad(source, "defaultAction: unknown action \"" + f.default_action + "\"");
        if (j.contains("defaultErrnoRet") && !j["defaultErrnoRet"].is_null())
            f.default_errno = j["defaultErrnoRet"].get<int>();
        if (!strings(j, "flags").empty()) bad(source, "flags: podrun loads filters without flags; remove them");
        if (j.contains("listenerPath") && !j["listenerPath"].get<std::string>().empty()) {
            bad(source, "listenerPath: podrun has no seccomp notify agent (SCMP_ACT_NOTIFY); remove it");
        }
        // archMap (podman's form): the native architecture with its sub-architectures;
        // "architectures" (the OCI form) lists them directly.
        if (j.contains("archMap") && j["archMap"].is_array()) {
            for (const auto& m : j["archMap"]) {
                if (m.value("architecture", "") != in.scmp_arch) continue;
                f.arches.push_back(in.scmp_arch);
                for (const auto& s : strings(m, "subArchitectures")) {
                    // A kernel without x32 answers every x32 call with ENOSYS before any
                    // filter matters; its section would be a third of RuntimeDefault's program
                    // (~80 us of each container's seccomp load, bench/RESULTS.md). compile()
                    // makes the bad-arch action ENOSYS, so such a call still fails as the
                    // kernel fails it.
                    if (s == "SCMP_ARCH_X32" && !in.x32) {
                        f.x32_left_out = true;
                        continue;
                    }
                    f.arches.push_back(s);
                }
            }
        }
        if (f.arches.empty()) {
            for (const auto& a : strings(j, "architectures")) f.arches.push_back(a);
        }
        if (!j.contains("syscalls") || j["syscalls"].is_null()) return f;
        const auto& calls = j["syscalls"];
        f.total = calls.size();
        for (size_t i = 0; i < calls.size(); i++) {
            const auto& c = calls[i];
            const std::string where = "syscalls[" + std::to_string(i) + "]";
            if (c.contains("includes") && !included(c["includes"], in)) continue;
            if (c.contains("excludes") && excluded(c["excludes"], in)) continue;
            SeccompRule r;
            r.names = strings(c, "names");
            if (c.contains("name") && c["name"].is_string()) r.names.push_back(c["name"].get<std::string>());
            r.action = c.value("action", "");
            if (r.action == "SCMP_ACT_NOTIFY")
                bad(source, where +
                                ".action: SCMP_ACT_NOTIFY needs a notify agent, which podrun does "
                                "not have");
            if (!has(kActions, r.action)) bad(source, where + ".action: unknown action \"" + r.action + "\"");
            if (c.contains("errnoRet") && !c["errnoRet"].is_null()) r.errno_ret = c["errnoRet"].get<int>();
            if (c.contains("args") && c["args"].is_array()) {
                for (const auto& a : c["args"]) {
                    SeccompArg arg;
                    arg.index = a.value("index", 0u);
                    arg.value = a.value("value", uint64_t{0});
                    arg.value_two = a.value("valueTwo", uint64_t{0});
                    arg.op = a.value("op", "");
                    if (arg.index > 5) bad(source, where + ".args: index " + std::to_string(arg.index) + " > 5");
                    compare_op(arg.op, source);
                    r.args.push_back(arg);
                }
            }
            f.rules.push_back(std::move(r));
            f.kept.push_back(i);
        }
    } catch (const json::exception& e) {
        bad(source, std::string("unexpected value: ") + e.what());
    }
    return f;
}

std::string fnv1a_hex(const std::string& data) {
    uint64_t h = 1469598103934665603ULL;
    for (unsigned char c : data) {
        h ^= c;
        h *= 1099511628211ULL;
    }
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    return buf;
}

std::string cache_key(const std::string& json_text, const FilteredProfile& f) {
    const scmp_version* v = seccomp_version();
    std::string k = "podrun seccomp cache 1, libseccomp " + std::to_string(v->major) + "." + std::to_string(v->minor) +
                    "." + std::to_string(v->micro) + "\n" + json_text;
    k += '\0';
    for (size_t i : f.kept) k += std::to_string(i) + ",";
    for (const auto& a : f.arches) k += a + ",";
    // The key names every choice compile() makes beyond the rules, so that a podrun that
    // compiles differently never loads another's cached program (change it with compile()).
    k += "compile: optimize 2";
    if (f.x32_left_out) k += ", x32 left out, bad-arch ENOSYS";
    k += ",";
    return k;
}

std::shared_ptr<SeccompProgram> compile(const FilteredProfile& f, const std::string& source, const std::string& hash) {
    auto t0 = std::chrono::steady_clock::now();
    const uint32_t def = action_value(f.default_action, f.default_errno);
    scmp_filter_ctx ctx = seccomp_init(def);
    if (!ctx) bad(source, "seccomp_init failed");
    struct Release {
        scmp_filter_ctx c;
        ~Release() { seccomp_release(c); }
    } release{ctx};
    // A binary tree of syscall numbers instead of a linear list: fewer instructions run per
    // syscall for a profile of hundreds of names.
    (void)seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
    // Without x32 in the filter libseccomp sends an x32 call (x86_64 audit arch, x32 bit set)
    // to the bad-arch action, SIGSYS by default; ENOSYS is what this kernel answers it with.
    if (f.x32_left_out) {
        int rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ERRNO(ENOSYS));
        if (rc < 0) bad(source, std::string("seccomp_attr_set(SCMP_FLTATR_ACT_BADARCH): ") + std::strerror(-rc));
    }
    for (const auto& a : f.arches) {
        uint32_t token = seccomp_arch_resolve_name(scmp_arch_token(a).c_str());
        if (token == 0) bad(source, "unknown architecture " + a);
        if (token == seccomp_arch_native()) continue;
        int rc = seccomp_arch_add(ctx, token);
        if (rc < 0 && rc != -EEXIST) bad(source, "seccomp_arch_add(" + a + "): " + std::strerror(-rc));
    }
    auto out = std::make_shared<SeccompProgram>();
    for (const auto& r : f.rules) {
        const uint32_t act = action_value(r.action, r.errno_ret);
        if (act == def) continue;  // libseccomp refuses a rule that repeats the default
        std::vector<scmp_arg_cmp> conds;
        for (const auto& a : r.args) conds.push_back({a.index, compare_op(a.op, source), a.value, a.value_two});
        // libseccomp ANDs the conditions of a rule; two on one argument are meant as OR
        // (runc and moby add them as separate rules).
        bool repeated = false;
        for (size_t i = 0; i < conds.size(); i++) {
            for (size_t k = i + 1; k < conds.size(); k++) repeated = repeated || conds[i].arg == conds[k].arg;
        }
        for (const auto& name : r.names) {
            int nr = seccomp_syscall_resolve_name(name.c_str());
            if (nr == __NR_SCMP_ERROR) {
                out->syscalls_unknown++;  // a name libseccomp does not know here (runc skips it
                                          // too)
                continue;
            }
            auto add = [&](const scmp_arg_cmp* c, unsigned n) {
                int rc = seccomp_rule_add_array(ctx, act, nr, n, c);
                if (rc < 0) bad(source, "seccomp_rule_add(" + name + ", " + r.action + "): " + std::strerror(-rc));
            };
            if (!repeated) {
                add(conds.data(), static_cast<unsigned>(conds.size()));
            } else {
                for (const auto& c : conds) add(&c, 1);
            }
        }
    }
    sys::UniqueFd mem = sys::make_memfd("podrun-seccomp");
    int rc = seccomp_export_bpf(ctx, mem.get());
    if (rc < 0) bad(source, std::string("seccomp_export_bpf: ") + std::strerror(-rc));
    std::string bytes = sys::read_memfd(mem.get());
    auto p = program_from_bytes(bytes, source, hash);
    p->syscalls_unknown = out->syscalls_unknown;
    p->rules_kept = f.rules.size();
    p->rules_total = f.total;
    p->compile_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    return p;
}

std::string cache_dir() {
    const char* e = std::getenv("PODRUN_SECCOMP_CACHE");
    return e && *e ? e : "/var/cache/podrun/seccomp";
}

std::shared_ptr<SeccompProgram> cache_load(const std::string& key, const std::string& source, const std::string& hash) {
    const std::string base = cache_dir() + "/" + hash;
    auto k = sys::try_read_file(base + ".key");
    if (!k || *k != key) return nullptr;
    auto bytes = sys::try_read_file(base + ".bpf");
    if (!bytes) return nullptr;
    try {
        return program_from_bytes(*bytes, source, hash);
    } catch (const std::exception&) {
        return nullptr;  // a torn or foreign file: compile instead
    }
}

std::string cache_store(const std::string& key, const SeccompProgram& p) {
    try {
        sys::mkdir_p(cache_dir(), 0700);
        const std::string base = cache_dir() + "/" + p.hash;
        // The program first, its key last: a key on disk always has its program.
        sys::write_file_atomic(
            base + ".bpf",
            std::string(reinterpret_cast<const char*>(p.insns.data()), p.insns.size() * sizeof(sock_filter)), 0600);
        sys::write_file_atomic(base + ".key", key, 0600);
        return "";
    } catch (const std::exception& e) {
        return e.what();
    }
}

std::shared_ptr<SeccompProgram> program_from_bytes(const std::string& bytes, const std::string& source,
                                                   const std::string& hash) {
    if (bytes.empty() || bytes.size() % sizeof(sock_filter) != 0 || bytes.size() / sizeof(sock_filter) > BPF_MAXINSNS) {
        bad(source,
            "compiled program of " + std::to_string(bytes.size()) + " bytes is not a BPF program the kernel takes");
    }
    auto p = std::make_shared<SeccompProgram>();
    p->insns.resize(bytes.size() / sizeof(sock_filter));
    std::memcpy(p->insns.data(), bytes.data(), bytes.size());
    p->prog.len = static_cast<unsigned short>(p->insns.size());
    p->prog.filter = p->insns.data();
    p->source = source;
    p->hash = hash;
    return p;
}

}  // namespace podrun::confine
