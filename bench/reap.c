// bench/reap: how fast an init reaps orphans. The same harness for every init:
//   1. unshare(CLONE_NEWPID); the first child is PID 1 of the new namespace and execs INIT;
//   2. a spawner (PID 2 or 3) forks N children that block on a pipe, then exits: the N
//      children are re-parented to INIT (pid_namespaces(7));
//   3. once INIT's children list holds all N, the pipe's last write end is closed: every
//      orphan reads EOF and exits at once; the clock runs until INIT's children list is back
//      to what it held before (zombies stay on it until reaped).
// Usage: reap N INIT [ARGS...]     prints "reaped_n seconds orphans_per_s" on stdout.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

// Counts the pids in /proc/PID/task/PID/children (children, zombies included).
static char buf[1 << 20];
static long count_children(const char* path) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    long n = 0;
    ssize_t r;
    while ((r = read(fd, buf, sizeof buf)) > 0) {
        for (ssize_t i = 0; i < r; i++) n += buf[i] == ' ';
    }
    close(fd);
    return n;
}

// True when the children list holds more than `limit` pids. Reads only a prefix: a full
// read of 20000 entries takes the tasklist lock per entry and would slow the reaping down.
static int more_than(const char* path, long limit) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    char small[256];
    ssize_t r = read(fd, small, sizeof small);
    close(fd);
    long n = 0;
    for (ssize_t i = 0; i < r; i++) n += small[i] == ' ';
    return n > limit;
}

static void sleep_us(long us) {
    struct timespec t = {us / 1000000, (us % 1000000) * 1000};
    nanosleep(&t, NULL);
}

int main(int argc, char** argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: reap N INIT [ARGS...]\n");
        return 2;
    }
    long n = atol(argv[1]);
    if (unshare(CLONE_NEWPID) < 0) {
        perror("unshare(CLONE_NEWPID)");
        return 2;
    }
    pid_t init = fork();
    if (init < 0) {
        perror("fork");
        return 2;
    }
    if (init == 0) {
        int devnull = open("/dev/null", O_RDWR);
        dup2(devnull, 0);
        dup2(devnull, 1);
        execv(argv[2], argv + 2);
        perror(argv[2]);
        _exit(127);
    }
    char children[64];
    snprintf(children, sizeof children, "/proc/%d/task/%d/children", init, init);
    // Let INIT settle (tini starts its child) and take its baseline.
    long base = -1;
    for (int i = 0; i < 200; i++) {
        sleep_us(10000);
        long c = count_children(children);
        if (i >= 10 && c == base) break;
        base = c;
    }
    int gate[2];
    if (pipe2(gate, O_CLOEXEC) < 0) {
        perror("pipe2");
        return 2;
    }
    pid_t spawner = fork();
    if (spawner == 0) {
        for (long i = 0; i < n; i++) {
            pid_t p = fork();
            if (p == 0) {
                close(gate[1]);
                char c;
                while (read(gate[0], &c, 1) < 0 && errno == EINTR) {}
                _exit(0);
            }
            if (p < 0) {
                perror("fork (orphan)");
                _exit(1);
            }
        }
        _exit(0);
    }
    close(gate[0]);
    int st;
    waitpid(spawner, &st, 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        fprintf(stderr, "reap: the spawner failed\n");
        kill(init, SIGKILL);
        return 1;
    }
    // Every orphan is re-parented to INIT at the spawner's exit; wait until all are listed.
    for (int i = 0; count_children(children) < base + n; i++) {
        if (i > 10000) {
            fprintf(stderr, "reap: orphans never reached INIT\n");
            kill(init, SIGKILL);
            return 1;
        }
        sleep_us(1000);
    }
    double t0 = now();
    close(gate[1]);  // every orphan reads EOF and exits
    while (more_than(children, base)) sleep_us(1000);
    double dt = now() - t0;
    long left = count_children(children);
    printf("%ld %.6f %.0f\n", n, dt, (double)n / dt);
    kill(init, SIGKILL);
    waitpid(init, &st, 0);
    return left < 0 ? 1 : 0;
}
