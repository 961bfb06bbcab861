// Finding and exec'ing podrun-image.
#include "podrun/image/helper.hpp"

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

}  // namespace podrun::image
