// Finding and exec'ing podrun-image.
#include "podrun/image/helper.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace podrun::image {

bool is_image_subcommand(const std::string& s) {
    return s == "pull" || s == "images" || s == "rmi" || s == "image" || s == "load";
}

std::string find_helper() {
    if (const char* p = std::getenv("PODRUN_IMAGE"); p && *p) return p;
    char buf[4096];
    ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n > 0) {
        std::string self(buf, static_cast<size_t>(n));
        std::string dir = self.substr(0, self.rfind('/'));
        for (const std::string& c : {dir + "/podrun-image", dir + "/../libexec/podrun/podrun-image"}) {
            if (::access(c.c_str(), X_OK) == 0) return c;
        }
    }
    return {};
}

int exec_helper(const std::vector<std::string>& args) {
    std::string helper = find_helper();
    if (helper.empty()) {
        std::fprintf(stderr, "podrun: podrun-image not found next to the podrun binary (set PODRUN_IMAGE)\n");
        return 125;
    }
    std::vector<char*> argv;
    std::string name = "podrun-image";
    argv.push_back(name.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(helper.c_str(), argv.data());
    std::fprintf(stderr, "podrun: execv(%s): %s\n", helper.c_str(), std::strerror(errno));
    return 125;
}

int run_helper(const std::vector<std::string>& args, std::string* last_err) {
    std::string helper = find_helper();
    if (helper.empty()) {
        *last_err = "podrun-image not found next to the podrun binary (set PODRUN_IMAGE)";
        return 125;
    }
    std::vector<std::string> copy = args;
    std::string name = "podrun-image";
    std::vector<char*> argv{name.data()};
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) {
        *last_err = std::string("pipe2: ") + std::strerror(errno);
        return 125;
    }
    pid_t pid = ::fork();
    if (pid < 0) {
        *last_err = std::string("fork: ") + std::strerror(errno);
        ::close(p[0]);
        ::close(p[1]);
        return 125;
    }
    if (pid == 0) {
        int null = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
        if (null < 0 || ::dup2(null, 1) < 0 || ::dup2(p[1], 2) < 0) ::_exit(125);
        ::execv(helper.c_str(), argv.data());
        ::_exit(127);
    }
    ::close(p[1]);
    std::string all;
    char buf[4096];
    for (ssize_t n; (n = ::read(p[0], buf, sizeof buf)) != 0;) {
        if (n < 0) {
            if (errno == EINTR) continue;
            break;
        }
        (void)!::write(2, buf, static_cast<size_t>(n));
        all.append(buf, static_cast<size_t>(n));
        if (all.size() > 65536) all.erase(0, all.size() - 4096);
    }
    ::close(p[0]);
    int st = 0;
    while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
    while (!all.empty() && all.back() == '\n') all.pop_back();
    *last_err = all.substr(all.rfind('\n') == std::string::npos ? 0 : all.rfind('\n') + 1);
    if (last_err->rfind("podrun: ", 0) == 0) last_err->erase(0, 8);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

}  // namespace podrun::image
