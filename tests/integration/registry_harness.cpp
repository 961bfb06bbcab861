// The registry harness: docker-registry + token server on loopback, umoci-built images.
#include "registry_harness.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>

#include <fcntl.h>

#include <cstring>
#include <memory>

namespace podrun::test {

namespace {

void must(const RunResult& r, const std::string& what) {
    if (r.exit_code != 0)
        throw std::runtime_error(what + " failed (" + std::to_string(r.exit_code) + "): " + r.err + r.out);
}

int listen_loopback(int port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, 64) != 0) {
        ::close(fd);
        throw std::runtime_error(std::string("bind 127.0.0.1: ") + std::strerror(errno));
    }
    return fd;
}

int bound_port(int fd) {
    sockaddr_in a{};
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    return ntohs(a.sin_port);
}

bool answers(int port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    return ok;
}

std::string b64(const std::string& s) {
    static constexpr char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    size_t i = 0;
    for (; i + 2 < s.size(); i += 3) {
        unsigned v = (unsigned(uint8_t(s[i])) << 16) | (unsigned(uint8_t(s[i + 1])) << 8) | uint8_t(s[i + 2]);
        out += {t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], t[v & 63]};
    }
    if (i + 1 == s.size()) {
        unsigned v = unsigned(uint8_t(s[i])) << 16;
        out += {t[v >> 18], t[(v >> 12) & 63], '=', '='};
    } else if (i + 2 == s.size()) {
        unsigned v = (unsigned(uint8_t(s[i])) << 16) | (unsigned(uint8_t(s[i + 1])) << 8);
        out += {t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], '='};
    }
    return out;
}

}  // namespace

int free_port() {
    int fd = listen_loopback(0);
    int p = bound_port(fd);
    ::close(fd);
    return p;
}

TokenServer::TokenServer() {
    fd_ = listen_loopback(0);
    port_ = bound_port(fd_);
    thread_ = std::thread([this] { serve(); });
}

TokenServer::~TokenServer() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
}

void TokenServer::require_basic(const std::string& userpass) {
    std::lock_guard<std::mutex> g(mu_);
    require_basic_ = userpass;
}

std::vector<std::string> TokenServer::queries() {
    std::lock_guard<std::mutex> g(mu_);
    return queries_;
}

void TokenServer::serve() {
    while (!stop_) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, 100) <= 0) continue;
        int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (c < 0) continue;
        std::string req;
        char buf[4096];
        while (req.find("\r\n\r\n") == std::string::npos) {
            pollfd q{c, POLLIN, 0};
            if (::poll(&q, 1, 2000) <= 0) break;
            ssize_t n = ::read(c, buf, sizeof buf);
            if (n <= 0) break;
            req.append(buf, static_cast<size_t>(n));
        }
        std::string line = req.substr(0, req.find("\r\n"));
        size_t q = line.find('?');
        std::string query = q == std::string::npos ? "" : line.substr(q + 1, line.rfind(' ') - q - 1);
        std::string basic;
        {
            std::lock_guard<std::mutex> g(mu_);
            queries_.push_back(query);
            basic = require_basic_;
        }
        std::string resp;
        if (!basic.empty() && req.find("Authorization: Basic " + b64(basic)) == std::string::npos) {
            resp = "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        } else {
            std::string body = R"({"token":"podrun-test-token","expires_in":300,"issued_at":"2026-01-01T00:00:00Z"})";
            resp =
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
                "\r\nConnection: close\r\n\r\n" + body;
        }
        (void)!::write(c, resp.data(), resp.size());
        ::close(c);
    }
}

TestRegistry::TestRegistry() {
    port_ = free_port();
    std::string cfg =
        "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    "
        "rootdirectory: " +
        dir_.path() +
        "/data\n  delete:\n    enabled: true\n  cache:\n    blobdescriptor: \"\"\nhttp:\n  addr: 127.0.0.1:" +
        std::to_string(port_) + "\nauth:\n  silly:\n    realm: http://127.0.0.1:" + std::to_string(tokens_.port()) +
        "/token\n    service: podrun-test-registry\n";
    config_ = dir_.file("config.yml", cfg);
    start();
}

void TestRegistry::start() {
    const std::string path = config_;
    pid_ = ::fork();
    if (pid_ == 0) {
        int null = ::open("/dev/null", O_RDWR);
        int log = ::open((dir_.path() + "/registry.log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
        ::dup2(null, 0);
        ::dup2(null, 1);
        ::dup2(log, 2);
        ::execl("/usr/bin/docker-registry", "docker-registry", "serve", path.c_str(), nullptr);
        ::_exit(127);
    }
    if (!eventually([&] { return answers(port_); }, 15))
        throw std::runtime_error("docker-registry did not start on " + host());
}

TestRegistry::~TestRegistry() {
    stop();
}

void TestRegistry::stop() {
    if (pid_ > 0) {
        ::kill(pid_, SIGTERM);
        int st;
        if (!eventually([&] { return ::waitpid(pid_, &st, WNOHANG) == pid_; }, 5)) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, &st, 0);
        }
        pid_ = -1;
    }
}

RunResult TestRegistry::push(const std::string& src, const std::string& dest, const std::vector<std::string>& extra) {
    std::vector<std::string> argv = {"/usr/bin/skopeo", "--insecure-policy", "copy", "--quiet",
                                     "--dest-tls-verify=false"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back(src);
    argv.push_back("docker://" + host() + "/" + dest);
    return run(argv, "", 120);
}

std::string TestRegistry::blob_data(const std::string& digest) const {
    std::string hex = digest.substr(7);
    return dir_.path() + "/data/docker/registry/v2/blobs/sha256/" + hex.substr(0, 2) + "/" + hex + "/data";
}

void write_tar(const std::string& out, const std::vector<std::pair<std::string, std::string>>& entries) {
    std::unique_ptr<archive, int (*)(archive*)> a(archive_write_new(), archive_write_free);
    archive_write_set_format_pax_restricted(a.get());
    if (archive_write_open_filename(a.get(), out.c_str()) != ARCHIVE_OK) throw std::runtime_error("write_tar " + out);
    for (const auto& [name, content] : entries) {
        std::unique_ptr<archive_entry, void (*)(archive_entry*)> e(archive_entry_new(), archive_entry_free);
        size_t arrow = name.find(" -> ");
        if (arrow != std::string::npos) {
            archive_entry_set_pathname(e.get(), name.substr(0, arrow).c_str());
            archive_entry_set_filetype(e.get(), AE_IFLNK);
            archive_entry_set_symlink(e.get(), name.substr(arrow + 4).c_str());
            archive_entry_set_perm(e.get(), 0777);
        } else if (!name.empty() && name.back() == '/') {
            archive_entry_set_pathname(e.get(), name.c_str());
            archive_entry_set_filetype(e.get(), AE_IFDIR);
            archive_entry_set_perm(e.get(), 0755);
        } else {
            archive_entry_set_pathname(e.get(), name.c_str());
            archive_entry_set_filetype(e.get(), AE_IFREG);
            archive_entry_set_perm(e.get(), 0644);
            archive_entry_set_size(e.get(), static_cast<la_int64_t>(content.size()));
        }
        archive_write_header(a.get(), e.get());
        if (!content.empty()) archive_write_data(a.get(), content.data(), content.size());
    }
    archive_write_close(a.get());
}

const TestImages& TestImages::get() {
    static TestImages* imgs = [] {
        auto* t = new TestImages;
        std::string d = t->dir.path();
        t->layout = d + "/oci";
        auto umoci = [&](std::vector<std::string> args) {
            args.insert(args.begin(), "/usr/bin/umoci");
            must(run(args, "", 120), "umoci " + args[1]);
        };
        umoci({"init", "--layout", t->layout});
        umoci({"new", "--image", t->layout + ":app"});
        std::string b1 = d + "/b1", r1 = b1 + "/rootfs";
        umoci({"unpack", "--image", t->layout + ":app", b1});
        for (const char* sub : {"/bin", "/etc", "/gone-dir/sub", "/opaque-dir", "/srv"}) {
            must(run({"/bin/mkdir", "-p", r1 + sub}), "mkdir");
        }
        must(run({"/bin/cp", "/usr/bin/busybox", r1 + "/bin/busybox"}), "cp busybox");
        for (const char* c : {"sh", "echo", "cat", "ls", "id", "stat", "env", "pwd", "test"}) {
            if (::symlink("busybox", (r1 + "/bin/" + c).c_str()) != 0) throw std::runtime_error("symlink busybox");
        }
        write_file(r1 + "/etc/greeting", "hello\n");
        write_file(r1 + "/etc/passwd", "root:x:0:0:root:/root:/bin/sh\napp:x:1234:2345:app:/srv:/bin/sh\n");
        write_file(r1 + "/etc/group", "root:x:0:\nstaff:x:2345:\nextra:x:3456:app\n");
        write_file(r1 + "/gone-file", "bye\n");
        write_file(r1 + "/gone-dir/sub/f", "x\n");
        write_file(r1 + "/opaque-dir/a", "a\n");
        write_file(r1 + "/opaque-dir/b", "b\n");
        umoci({"repack", "--image", t->layout + ":app", b1});
        std::string b2 = d + "/b2", r2 = b2 + "/rootfs";
        umoci({"unpack", "--image", t->layout + ":app", b2});
        ::unlink((r2 + "/gone-file").c_str());
        must(run({"/bin/rm", "-r", r2 + "/gone-dir"}), "rm gone-dir");
        if (::link((r2 + "/etc/greeting").c_str(), (r2 + "/etc/hardlink").c_str()) != 0)
            throw std::runtime_error("link");
        if (::symlink("/etc/greeting", (r2 + "/abs-link").c_str()) != 0) throw std::runtime_error("symlink");
        write_file(r2 + "/suid", "#!/bin/sh\n");
        ::chmod((r2 + "/suid").c_str(), 04755);
        write_file(r2 + "/xattr-file", "x\n");
        ::setxattr((r2 + "/xattr-file").c_str(), "user.podrun", "yes", 3, 0);
        umoci({"repack", "--image", t->layout + ":app", b2});
        // Layer 3, by hand: /opaque-dir made opaque (umoci itself writes single whiteouts).
        std::string l3 = d + "/opaque.tar";
        write_tar(l3, {{"opaque-dir/", ""}, {"opaque-dir/.wh..wh..opq", ""}, {"opaque-dir/new", "new\n"}});
        umoci({"raw", "add-layer", "--image", t->layout + ":app", l3});
        umoci({"config", "--image", t->layout + ":app", "--config.entrypoint", "/bin/echo", "--config.cmd", "from-cmd",
               "--config.env", "IMAGE_ENV=from-image", "--config.env", "SHARED=image", "--config.workingdir", "/srv",
               "--config.user", "app"});
        return t;
    }();
    return *imgs;
}

}  // namespace podrun::test
