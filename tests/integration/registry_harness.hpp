// Test tooling for images: Debian's docker-registry (distribution) on 127.0.0.1 with a
// config of its own (storage in a temp dir, a port of its own, `silly` token auth) and a
// small token server run by the test, so the real Bearer challenge is exercised; images
// built with umoci and pushed with skopeo. Nothing here reaches beyond loopback.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "harness.hpp"

namespace podrun::test {

// Answers GET /token?service=..&scope=.. with {"token": ...}; records every query. With
// `require_basic` it answers 401 unless the request carries that Basic credential.
class TokenServer {
  public:
    TokenServer();
    ~TokenServer();
    int port() const { return port_; }
    std::vector<std::string> queries();
    // "user:password": answer 401 without that Basic credential; empty = anonymous tokens.
    void require_basic(const std::string& userpass);

  private:
    std::string require_basic_;
    void serve();
    int fd_ = -1;
    int port_ = 0;
    std::atomic<bool> stop_{false};
    std::mutex mu_;
    std::vector<std::string> queries_;
    std::thread thread_;
};

class TestRegistry {
  public:
    TestRegistry();   // starts it and waits until it answers
    ~TestRegistry();  // stops it (SIGTERM, then SIGKILL, by pid) and removes its storage
    // Stops the registry process (its storage stays), and starts it again on the same port.
    void stop();
    void start();
    std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
    const std::string& storage() const { return dir_.path(); }
    TokenServer& tokens() { return tokens_; }
    // skopeo copy SRC docker://HOST/DEST with extra args (--format, --dest-compress-format).
    RunResult push(const std::string& src, const std::string& dest, const std::vector<std::string>& extra = {});
    // The path of a blob's data in the registry's storage.
    std::string blob_data(const std::string& digest) const;

  private:
    TempDir dir_;
    TokenServer tokens_;
    int port_ = 0;
    pid_t pid_ = -1;
    std::string config_;
};

// A free TCP port on 127.0.0.1 (bound and released).
int free_port();

// Test images, built once per process by umoci in an OCI layout (`layout()`, tag "app"):
//   layer 1: busybox (sh, echo, cat, ls, id, stat), /etc/greeting, /gone-file,
//            /gone-dir/sub/f, /opaque-dir/{a,b}, /etc/passwd and /etc/group with "app"
//   layer 2: gone-file and gone-dir deleted (whiteouts), a hard link, an absolute symlink,
//            a setuid file, an xattr (user.podrun=yes), /opaque-dir made opaque with a new file
//   config: Entrypoint, Cmd, Env, WorkingDir, User
struct TestImages {
    static const TestImages& get();
    std::string layout;  // OCI layout directory
    TempDir dir;
};

// Writes a tar (libarchive) of entries: "path" -> content for files; "path/" for a
// directory; "path -> target" for a symlink. For hand-made layers (malicious ones).
void write_tar(const std::string& out, const std::vector<std::pair<std::string, std::string>>& entries);

}  // namespace podrun::test
