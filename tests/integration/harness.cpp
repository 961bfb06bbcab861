// Implementation of the root tests' helpers (see harness.hpp).
#include "harness.hpp"

#include "podrun/cgroup/cgroup.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

namespace podrun::test {

const std::string& podrun_bin() {
    static const std::string bin = [] {
        const char* v = std::getenv("PODRUN_TEST_PODRUN");
        return std::string(v && *v ? v : PODRUN_BUILT_BIN);
    }();
    return bin;
}

double now_s() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

bool eventually(const std::function<bool()>& done, double timeout_s) {
    const double deadline = now_s() + timeout_s;
    for (;;) {
        if (done()) return true;
        if (now_s() > deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

RunResult run(const std::vector<std::string>& argv, const std::string& input, double timeout_s) {
    RunResult r;
    int in[2], out[2], err[2];
    if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) {
        r.err = "pipe failed";
        return r;
    }
    std::vector<char*> cargv;
    for (auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
    cargv.push_back(nullptr);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        dup2(err[1], 2);
        execv(cargv[0], cargv.data());
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    close(err[1]);
    // Feed stdin (small inputs; the pipe buffer holds them) and close it.
    if (!input.empty()) {
        ssize_t n = write(in[1], input.data(), input.size());
        (void)n;
    }
    close(in[1]);
    double deadline = now_s() + timeout_s;
    bool out_open = true, err_open = true;
    char buf[65536];
    while (out_open || err_open) {
        pollfd fds[2] = {{out_open ? out[0] : -1, POLLIN, 0}, {err_open ? err[0] : -1, POLLIN, 0}};
        int left_ms = static_cast<int>((deadline - now_s()) * 1000);
        if (left_ms <= 0) {
            r.timed_out = true;
            kill(pid, SIGKILL);
            break;
        }
        if (poll(fds, 2, left_ms) < 0) continue;
        for (int i = 0; i < 2; i++) {
            if (fds[i].revents & (POLLIN | POLLHUP)) {
                ssize_t n = read(fds[i].fd, buf, sizeof buf);
                if (n <= 0) {
                    (i == 0 ? out_open : err_open) = false;
                } else {
                    (i == 0 ? r.out : r.err).append(buf, n);
                }
            }
        }
    }
    close(out[0]);
    close(err[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return r;
}

RunResult podrun(const std::vector<std::string>& args, const std::string& input, double timeout_s) {
    std::vector<std::string> argv{podrun_bin()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv, input, timeout_s);
}

std::string read_file(const std::string& path) {
    std::ifstream f(path);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

std::string source_path(const std::string& rel) {
    return std::string(PODRUN_SOURCE_DIR) + "/" + rel;
}

std::string with_dir(std::string text, const std::string& dir) {
    for (auto p = text.find("DIR"); p != std::string::npos; p = text.find("DIR", p + dir.size())) {
        text.replace(p, 3, dir);
    }
    return text;
}

void write_file(const std::string& path, const std::string& data) {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f << data;
}

// ---- Background ----

Background::Background(const std::vector<std::string>& args) {
    int out[2], err[2];
    if (pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) return;
    std::vector<std::string> argv{podrun_bin()};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> cargv;
    for (auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
    cargv.push_back(nullptr);
    pid_ = fork();
    if (pid_ == 0) {
        int devnull = open("/dev/null", O_RDONLY);
        dup2(devnull, 0);
        dup2(out[1], 1);
        dup2(err[1], 2);
        execv(cargv[0], cargv.data());
        _exit(127);
    }
    close(out[1]);
    close(err[1]);
    out_fd_ = out[0];
    err_fd_ = err[0];
}

Background::~Background() {
    if (pid_ > 0 && !reaped_) {
        ::kill(pid_, SIGKILL);
        int status;
        while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {}
    }
    if (out_fd_ >= 0) close(out_fd_);
    if (err_fd_ >= 0) close(err_fd_);
}

// Reads whatever is available until `done` holds, both pipes reach EOF, or the deadline.
bool Background::pump(double deadline, const std::function<bool()>& done) {
    char buf[65536];
    for (;;) {
        if (done()) return true;
        if (out_fd_ < 0 && err_fd_ < 0) return false;
        int left_ms = static_cast<int>((deadline - now_s()) * 1000);
        if (left_ms <= 0) return false;
        pollfd fds[2] = {{out_fd_, POLLIN, 0}, {err_fd_, POLLIN, 0}};
        if (poll(fds, 2, left_ms) < 0) continue;
        for (int i = 0; i < 2; i++) {
            int& fd = i == 0 ? out_fd_ : err_fd_;
            if (fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            ssize_t n = read(fd, buf, sizeof buf);
            if (n <= 0) {
                close(fd);
                fd = -1;
            } else {
                (i == 0 ? r_.out : r_.err).append(buf, static_cast<size_t>(n));
            }
        }
    }
}

bool Background::wait_for_out(const std::string& needle, double timeout_s) {
    return pump(now_s() + timeout_s, [&] { return r_.out.find(needle) != std::string::npos; });
}

bool Background::wait_for_err(const std::string& needle, double timeout_s) {
    return pump(now_s() + timeout_s, [&] { return r_.err.find(needle) != std::string::npos; });
}

void Background::signal(int sig) {
    if (pid_ > 0 && !reaped_) ::kill(pid_, sig);
}

RunResult Background::wait(double timeout_s) {
    if (pid_ <= 0) return r_;
    const double deadline = now_s() + timeout_s;
    if (!reaped_) {
        pump(deadline, [] { return false; });  // until EOF on both pipes or the deadline
        int status = 0;
        for (;;) {
            pid_t w = waitpid(pid_, &status, WNOHANG);
            if (w == pid_) break;
            if (now_s() > deadline && !r_.timed_out) {
                r_.timed_out = true;
                ::kill(pid_, SIGKILL);
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        reaped_ = true;
        r_.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    return r_;
}

// ---- output of `podrun up` ----

std::vector<std::string> container_lines(const std::string& out, const std::string& container) {
    std::vector<std::string> lines;
    std::istringstream in(out);
    std::string line;
    while (std::getline(in, line)) {
        auto bar = line.find(" | ");
        if (bar == std::string::npos) continue;
        std::string name = line.substr(0, bar);
        while (!name.empty() && name.back() == ' ') name.pop_back();
        if (name == container) lines.push_back(line.substr(bar + 3));
    }
    return lines;
}

std::string container_value(const std::string& out, const std::string& container, const std::string& key) {
    for (const auto& l : container_lines(out, container)) {
        if (l.rfind(key + "=", 0) == 0) return l.substr(key.size() + 1);
    }
    return "";
}

// ---- TempDir ----

TempDir::TempDir() {
    char tmpl[] = "/tmp/podrun-itest-XXXXXX";
    if (char* p = mkdtemp(tmpl)) path_ = p;
    if (!path_.empty()) chmod(path_.c_str(), 0755);
}

TempDir::~TempDir() {
    if (path_.empty()) return;
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

std::string TempDir::file(const std::string& name, const std::string& text) const {
    std::string p = path_ + "/" + name;
    write_file(p, text);
    return p;
}

// ---- host-side facts ----

// The same lookup podrun does (a unit test covers its parsing).
std::optional<std::string> cgroup2_mount() {
    return podrun::cgroup::find_cgroup2_mount();
}

std::optional<uint64_t> ns_inode(pid_t pid, const std::string& ns) {
    struct stat st {};
    std::string p = "/proc/" + std::to_string(pid) + "/ns/" + ns;
    if (::stat(p.c_str(), &st) < 0) return std::nullopt;
    return static_cast<uint64_t>(st.st_ino);
}

std::string ns_link(pid_t pid, const std::string& ns) {
    char buf[256];
    std::string p = "/proc/" + std::to_string(pid) + "/ns/" + ns;
    ssize_t n = ::readlink(p.c_str(), buf, sizeof buf - 1);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

char proc_state(pid_t pid) {
    // /proc/PID/stat: "pid (comm) S ..."; comm may hold spaces and parentheses.
    std::string s = read_file("/proc/" + std::to_string(pid) + "/stat");
    auto rp = s.rfind(')');
    if (rp == std::string::npos || rp + 2 >= s.size()) return 0;
    return s[rp + 2];
}

std::vector<pid_t> all_pids() {
    std::vector<pid_t> pids;
    DIR* d = opendir("/proc");
    if (!d) return pids;
    while (dirent* e = readdir(d)) {
        char* end = nullptr;
        long v = strtol(e->d_name, &end, 10);
        if (end && *end == '\0' && v > 0) pids.push_back(static_cast<pid_t>(v));
    }
    closedir(d);
    return pids;
}

static nlohmann::json pod_state(const std::string& pod) {
    auto j = nlohmann::json::parse(read_file("/run/podrun/" + pod + "/state.json"), nullptr, false);
    return j.is_discarded() ? nlohmann::json::object() : j;
}

pid_t pause_pid(const std::string& pod) {
    auto j = pod_state(pod);
    if (!j.contains("pause") || !j["pause"].is_object()) return 0;
    return j["pause"].value("pid", 0);
}

pid_t container_pid(const std::string& pod, const std::string& container) {
    auto j = pod_state(pod);
    if (!j.contains("containers") || !j["containers"].is_array()) return 0;
    for (const auto& c : j["containers"]) {
        if (c.value("name", "") == container && c.contains("process") && c["process"].is_object()) {
            return c["process"].value("pid", 0);
        }
    }
    return 0;
}

// ---- leftovers (tests/leak_check.sh in C++) ----

// Other worktrees may run their own pods on this machine at the same time: the checks and
// the scrub below look only at this suite's pods, never at anyone else's.
bool suite_pod(const std::string& name) {
    for (const std::string p : {"it-", "bad-"}) {
        if (name.rfind(p, 0) == 0) return true;
    }
    for (const std::string e :
         {"hello", "init-demo", "zombies", "web", "probes-demo", "logging-demo"}) {  // examples/, docs/tutorial/
        if (name == e) return true;
    }
    return false;
}

namespace {
// The pod named by a cgroup path "/podrun/<pod>/..." or a mount path ".../podrun/<pod>/...".
std::string pod_after(const std::string& s, const std::string& marker) {
    auto i = s.find(marker);
    if (i == std::string::npos) return "";
    i += marker.size();
    auto j = s.find_first_of("/ \n", i);
    return s.substr(i, j == std::string::npos ? std::string::npos : j - i);
}
}  // namespace

std::vector<std::string> podrun_leftovers() {
    std::vector<std::string> left;
    // persistentVolumeClaims outlive pods by design: a test that makes one removes it.
    for (const std::string d : {"/var/lib/podrun/volumes", "/var/lib/podrun/volumes/.claims"}) {
        std::error_code ec;
        for (const auto& e : std::filesystem::directory_iterator(d, ec)) {
            std::string n = e.path().filename().string();
            if (n.size() > 5 && n.substr(n.size() - 5) == ".json") n.resize(n.size() - 5);
            if (suite_pod(n)) left.push_back("volume left: " + e.path().string());
        }
    }
    for (const std::string d : {"/run/podrun", "/var/lib/podrun"}) {
        std::error_code ec;
        for (const auto& e : std::filesystem::directory_iterator(d, ec)) {
            if (suite_pod(e.path().filename().string())) {
                left.push_back("state left: " + e.path().string());
            }
        }
    }
    {
        std::istringstream in(read_file("/proc/self/mountinfo"));
        std::string line;
        while (std::getline(in, line)) {
            if (line.find("podrun") == std::string::npos) continue;
            std::string pod = pod_after(line, "/run/podrun/");
            if (pod.empty()) pod = pod_after(line, "/var/lib/podrun/");
            if (pod.empty() || suite_pod(pod)) left.push_back("mount left: " + line);
        }
    }
    if (auto cg = cgroup2_mount()) {
        std::error_code ec;
        std::string root = *cg + "/podrun";
        for (const auto& pod : std::filesystem::directory_iterator(root, ec)) {
            if (!pod.is_directory() || !suite_pod(pod.path().filename().string())) continue;
            left.push_back("cgroup left: " + pod.path().string());
            std::error_code ec2;
            for (const auto& leaf : std::filesystem::directory_iterator(pod.path(), ec2)) {
                if (leaf.is_directory()) left.push_back("cgroup left: " + leaf.path().string());
            }
        }
    }
    // The pause of the podrun under test (next to it), and the one built with the tests.
    const std::string pause_beside = std::filesystem::path(podrun_bin()).parent_path() / "podrun-pause";
    for (pid_t p : all_pids()) {
        std::string base = "/proc/" + std::to_string(p);
        char buf[4096];
        ssize_t n = ::readlink((base + "/exe").c_str(), buf, sizeof buf - 1);
        std::string exe = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
        if (exe == PODRUN_PAUSE_BIN || exe == pause_beside) {
            left.push_back("pause process left: " + std::to_string(p) + " (" + exe + ")");
        }
        std::istringstream cg(read_file(base + "/cgroup"));
        std::string line;
        while (std::getline(cg, line)) {
            if (line.rfind("0::/podrun/", 0) == 0 && suite_pod(pod_after(line, "0::/podrun/"))) {
                left.push_back("process left in a podrun cgroup: " + std::to_string(p) + " (" + exe + ", " + line +
                               ")");
            }
        }
    }
    return left;
}

void scrub_podrun() {
    if (auto cg = cgroup2_mount()) {
        std::string root = *cg + "/podrun";
        std::error_code ec;
        for (const auto& pod : std::filesystem::directory_iterator(root, ec)) {
            if (!pod.is_directory() || !suite_pod(pod.path().filename().string())) continue;
            std::string pd = pod.path().string();
            write_file(pd + "/cgroup.kill", "1");
            eventually([&] { return read_file(pd + "/cgroup.events").find("populated 0") != std::string::npos; }, 5);
            std::error_code ec2;
            for (const auto& leaf : std::filesystem::directory_iterator(pd, ec2)) {
                if (leaf.is_directory()) ::rmdir(leaf.path().c_str());
            }
            ::rmdir(pd.c_str());
        }
        ::rmdir(root.c_str());  // only if no other pod uses it
    }
    std::istringstream in(read_file("/proc/self/mountinfo"));
    std::string line;
    std::vector<std::string> mounts;
    while (std::getline(in, line)) {
        std::istringstream f(line);
        std::string id, parent, dev, root, mnt;
        f >> id >> parent >> dev >> root >> mnt;
        std::string pod = pod_after(mnt, "/run/podrun/");
        if (pod.empty()) pod = pod_after(mnt, "/var/lib/podrun/");
        if (suite_pod(pod)) mounts.push_back(mnt);
    }
    for (auto it = mounts.rbegin(); it != mounts.rend(); ++it) ::umount2(it->c_str(), MNT_DETACH);
    for (const std::string d : {"/var/lib/podrun/volumes/.claims", "/var/lib/podrun/volumes"}) {
        std::error_code ec;
        for (const auto& e : std::filesystem::directory_iterator(d, ec)) {
            std::string n = e.path().filename().string();
            if (n.size() > 5 && n.substr(n.size() - 5) == ".json") n.resize(n.size() - 5);
            if (suite_pod(n)) std::filesystem::remove_all(e.path(), ec);
        }
        ::rmdir(d.c_str());  // only if empty
    }
    for (const std::string d : {"/run/podrun", "/var/lib/podrun"}) {
        std::error_code ec;
        for (const auto& e : std::filesystem::directory_iterator(d, ec)) {
            if (suite_pod(e.path().filename().string())) std::filesystem::remove_all(e.path(), ec);
        }
        ::rmdir(d.c_str());
    }
}

void PodrunTest::SetUp() {}

void PodrunTest::TearDown() {
    if (::geteuid() != 0) return;
    // podrun removes everything before it exits, so this is checked at once.
    std::vector<std::string> left = podrun_leftovers();
    std::string all;
    for (const auto& l : left) all += "  " + l + "\n";
    EXPECT_TRUE(left.empty()) << "podrun left behind:\n" << all;
    if (!left.empty()) scrub_podrun();
}

}  // namespace podrun::test
