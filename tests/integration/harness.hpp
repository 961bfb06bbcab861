// Shared helpers of the root tests: the root requirement, running binaries with a timeout,
// and reading files. A test that needs root skips with a reason; with PODRUN_MUST_RUN=1
// (set by ./dev test and CI) that skip is a failure instead.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace podrun::test {

inline bool must_run() {
    const char* v = std::getenv("PODRUN_MUST_RUN");
    return v && std::string(v) == "1";
}

#define PODRUN_REQUIRE_ROOT()                                                           \
    do {                                                                                \
        if (::geteuid() != 0) {                                                         \
            if (::podrun::test::must_run()) FAIL() << "needs root (PODRUN_MUST_RUN=1)"; \
            GTEST_SKIP() << "needs root";                                               \
        }                                                                               \
    } while (0)

struct RunResult {
    int exit_code = -1;  // exit status, or 128+signal
    bool timed_out = false;
    std::string out;  // stdout
    std::string err;  // stderr
};

// Runs argv[0] (a path) with `input` on stdin; kills it (SIGKILL, by pid) after
// `timeout_s` seconds. Never uses a shell.
RunResult run(const std::vector<std::string>& argv, const std::string& input = "", double timeout_s = 60);

// The podrun binary under test: the one built with this test binary, or the one named by
// PODRUN_TEST_PODRUN (the sanitize job runs the ci build's tests against a sanitized podrun,
// tests/jobs/sanitize.sh, so the tests themselves need no sanitized build of their own).
// podrun finds podrun-pause and podrun-image next to itself, so those come from its build too.
const std::string& podrun_bin();

// The podrun binary under test, with arguments.
RunResult podrun(const std::vector<std::string>& args, const std::string& input = "", double timeout_s = 60);

std::string read_file(const std::string& path);
std::string source_path(const std::string& rel);  // PODRUN_SOURCE_DIR/rel
// A manifest with every "DIR" in it replaced by dir (a test's TempDir).
std::string with_dir(std::string text, const std::string& dir);
void write_file(const std::string& path, const std::string& data);

double now_s();  // CLOCK_MONOTONIC, seconds
// Polls `done` every 10 ms until it holds or `timeout_s` passes; returns its last value.
bool eventually(const std::function<bool()>& done, double timeout_s);

// `podrun up` (or any podrun command) running in the background: its output is collected
// while the test waits for a line, and it can be signalled by pid. The destructor SIGKILLs
// and reaps it by pid if the test did not wait for it (the pid cannot be reused before that).
class Background {
  public:
    explicit Background(const std::vector<std::string>& args);
    ~Background();
    Background(const Background&) = delete;
    Background& operator=(const Background&) = delete;

    pid_t pid() const { return pid_; }
    // Reads output until stdout (or stderr) holds a line containing `needle`, or the
    // deadline passes, or podrun closed its output. Returns whether it was seen.
    bool wait_for_out(const std::string& needle, double timeout_s);
    bool wait_for_err(const std::string& needle, double timeout_s);
    void signal(int sig);
    // Waits for podrun to exit (SIGKILL after `timeout_s`, then timed_out is set).
    RunResult wait(double timeout_s);
    const std::string& out() const { return r_.out; }
    const std::string& err() const { return r_.err; }

  private:
    bool pump(double deadline, const std::function<bool()>& done);
    pid_t pid_ = -1;
    int out_fd_ = -1, err_fd_ = -1;
    bool reaped_ = false;
    RunResult r_;
};

// The lines a container printed in `podrun up`'s output ("name | line"), without the prefix.
std::vector<std::string> container_lines(const std::string& out, const std::string& container);
// The first line of `container` starting with `key=`, its value; "" if none.
std::string container_value(const std::string& out, const std::string& container, const std::string& key);

// A fresh directory under /tmp, removed (recursively) with the object.
class TempDir {
  public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return path_; }
    std::string operator/(const std::string& rel) const { return path_ + "/" + rel; }
    // Writes `text` to <dir>/<name> and returns that path.
    std::string file(const std::string& name, const std::string& text) const;

  private:
    std::string path_;
};

// Host-side facts.
std::optional<std::string> cgroup2_mount();
std::optional<uint64_t> ns_inode(pid_t pid, const std::string& ns);  // stat /proc/PID/ns/NS
std::string ns_link(pid_t pid, const std::string& ns);               // "net:[4026531840]"
char proc_state(pid_t pid);                                          // R, S, Z, ...; 0 when gone
std::vector<pid_t> all_pids();
// pause's pid from /run/podrun/<pod>/state.json while the pod runs; 0 if unknown.
pid_t pause_pid(const std::string& pod);
// containers[].process.pid from state.json, by container name; 0 if unknown.
pid_t container_pid(const std::string& pod, const std::string& container);

// Whether a pod name is one of this suite's ("it-*", "bad-*", the examples' names). Other
// worktrees run pods on the same machine at the same time: they are never checked or touched.
bool suite_pod(const std::string& name);
// Everything of this suite's pods left on the host, one line each, as tests/leak_check.sh
// checks it: /run/podrun/<pod> and /var/lib/podrun/<pod>, mounts mentioning podrun (and no
// other pod), cgroups under <cgroup2>/podrun/<pod>, this build's pause processes and
// processes in a /podrun/<pod>/ cgroup. Empty = clean.
std::vector<std::string> podrun_leftovers();
// Best effort after a failed test, so one failure does not cascade, for this suite's pods
// only: cgroup.kill and rmdir their cgroups, detach their mounts, remove their state.
void scrub_podrun();

// Base of the `podrun up` tests: root required; TearDown asserts nothing is left.
class PodrunTest : public ::testing::Test {
  protected:
    void SetUp() override;
    void TearDown() override;
};

}  // namespace podrun::test
