// bench/timeit: run one command once and print "wall_us maxrss_kib status" on stdout.
// Usage: timeit [-m MNTNS_FILE] [-o] -- CMD [ARGS...]
//   -m  join that mount namespace in the child before exec (crun runs where the cgroup2
//       tree is bind-mounted over /sys/fs/cgroup); the setns costs microseconds.
//   -o  keep the command's stdout/stderr (default: /dev/null).
// maxrss is wait4's ru_maxrss: the peak RSS of the command, or of a descendant it waited for.
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char** argv) {
    const char* mntns = NULL;
    int keep_output = 0;
    int i = 1;
    for (; i < argc; i++) {
        if (strcmp(argv[i], "-m") == 0 && i + 1 < argc)
            mntns = argv[++i];
        else if (strcmp(argv[i], "-o") == 0)
            keep_output = 1;
        else if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        } else
            break;
    }
    if (i >= argc) {
        fprintf(stderr, "usage: timeit [-m MNTNS] [-o] -- CMD [ARGS...]\n");
        return 2;
    }
    int nsfd = -1;
    if (mntns && (nsfd = open(mntns, O_RDONLY | O_CLOEXEC)) < 0) {
        perror(mntns);
        return 2;
    }
    int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return 2;
    }
    if (pid == 0) {
        if (nsfd >= 0 && setns(nsfd, CLONE_NEWNS) < 0) {
            perror("setns");
            _exit(126);
        }
        dup2(devnull, 0);
        if (!keep_output) {
            dup2(devnull, 1);
            dup2(devnull, 2);
        }
        execvp(argv[i], argv + i);
        perror(argv[i]);
        _exit(127);
    }
    int status = 0;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) < 0) {
        perror("wait4");
        return 2;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long long us = (t1.tv_sec - t0.tv_sec) * 1000000LL + (t1.tv_nsec - t0.tv_nsec) / 1000;
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    printf("%lld %ld %d\n", us, ru.ru_maxrss, code);
    return 0;
}
