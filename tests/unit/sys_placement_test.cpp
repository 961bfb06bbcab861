// sys::StartHere: the starter is pinned to its CPU while it lives, a child inherits that,
// and the child's restore_in_child() gives it back exactly the starter's former mask.
// Unprivileged: sched_setaffinity on oneself needs no capability.
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include "podrun/sys/process.hpp"

using namespace podrun;

namespace {

cpu_set_t my_mask() {
    cpu_set_t s;
    CPU_ZERO(&s);
    EXPECT_EQ(sched_getaffinity(0, sizeof s, &s), 0);
    return s;
}

// Runs fn in a forked child; the child's exit code is fn's.
int in_child(int (*fn)(const sys::StartHere&), const sys::StartHere& h) {
    pid_t pid = fork();
    if (pid == 0) _exit(fn(h));
    int status = 0;
    EXPECT_EQ(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 100;
}

}  // namespace

TEST(StartHere, PinsToThisCpuAndTheChildGetsTheFormerMaskBack) {
    const cpu_set_t before = my_mask();
    if (CPU_COUNT(&before) < 2) GTEST_SKIP() << "one CPU allowed: StartHere does nothing (tested below)";
    {
        sys::StartHere here;
        ASSERT_TRUE(here.active());
        cpu_set_t pinned = my_mask();
        EXPECT_EQ(CPU_COUNT(&pinned), 1);
        EXPECT_TRUE(CPU_ISSET(here.cpu(), &pinned));
        // A child starts pinned too, and its restore gives it the mask we had.
        int code = in_child(
            [](const sys::StartHere& h) {
                cpu_set_t inherited;
                CPU_ZERO(&inherited);
                sched_getaffinity(0, sizeof inherited, &inherited);
                if (CPU_COUNT(&inherited) != 1) return 1;
                if (h.restore_in_child() != 0) return 2;
                cpu_set_t after;
                CPU_ZERO(&after);
                sched_getaffinity(0, sizeof after, &after);
                return CPU_COUNT(&after) > 1 ? 0 : 3;
            },
            here);
        EXPECT_EQ(code, 0);
    }
    const cpu_set_t after = my_mask();
    EXPECT_TRUE(CPU_EQUAL(&before, &after)) << "the starter's mask is restored when StartHere goes";
}

TEST(StartHere, TheChildsRestoredMaskIsExactlyTheStartersFormerOne) {
    const cpu_set_t before = my_mask();
    if (CPU_COUNT(&before) < 2) GTEST_SKIP() << "needs two CPUs";
    sys::StartHere here;
    ASSERT_TRUE(here.active());
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        int e = here.restore_in_child();
        cpu_set_t after;
        CPU_ZERO(&after);
        sched_getaffinity(0, sizeof after, &after);
        if (write(fds[1], &after, sizeof after) != static_cast<ssize_t>(sizeof after)) _exit(9);
        _exit(e == 0 ? 0 : 1);
    }
    close(fds[1]);
    cpu_set_t got;
    CPU_ZERO(&got);
    ASSERT_EQ(read(fds[0], &got, sizeof got), static_cast<ssize_t>(sizeof got));
    close(fds[0]);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_EQ(WEXITSTATUS(status), 0);
    EXPECT_TRUE(CPU_EQUAL(&got, &before));
}

TEST(StartHere, DoesNothingWithOneCpuAllowed) {
    const cpu_set_t before = my_mask();
    int cpu = sched_getcpu();
    ASSERT_GE(cpu, 0);
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    ASSERT_EQ(sched_setaffinity(0, sizeof one, &one), 0);
    {
        sys::StartHere here;
        EXPECT_FALSE(here.active());
        EXPECT_EQ(here.restore_in_child(), 0);
        cpu_set_t now = my_mask();
        EXPECT_TRUE(CPU_EQUAL(&now, &one));
    }
    ASSERT_EQ(sched_setaffinity(0, sizeof before, &before), 0);
}
