// Container output to its log file and the terminal (see output.hpp).
#include "podrun/supervisor/output.hpp"

#include <fcntl.h>
#include <unistd.h>

#include "podrun/sys/error.hpp"
#include "podrun/sys/clock.hpp"
#include "podrun/sys/fdio.hpp"
#include "podrun/sys/files.hpp"

namespace podrun::supervisor {

ContainerOutput::ContainerOutput(std::string container, std::string stream, std::string file, int color_index,
                     const OutputOptions& opts)
    : container_(std::move(container)), stream_(std::move(stream)), file_(std::move(file)),
      color_index_(color_index), opts_(opts) {
    file_fd_ = sys::open_file(file_, O_WRONLY | O_CREAT | O_APPEND, 0640);
}

void ContainerOutput::reopen() { file_fd_ = sys::open_file(file_, O_WRONLY | O_CREAT | O_APPEND, 0640); }

void ContainerOutput::rotate(const std::string& file) { sys::rename_path(file, file + ".previous"); }

void ContainerOutput::attach(sys::UniqueFd fd) {
    flush_partial();
    fd_ = std::move(fd);
    if (fd_) sys::set_nonblock(fd_.get());
}

bool ContainerOutput::on_readable() {
    char buf[16384];
    for (;;) {
        ssize_t n = ::read(fd_.get(), buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) return true;
            break;
        }
        if (n == 0) break;
        pending_.append(buf, static_cast<size_t>(n));
        size_t start = 0, nl;
        while ((nl = pending_.find('\n', start)) != std::string::npos) {
            emit(pending_.substr(start, nl - start), false);
            start = nl + 1;
        }
        pending_.erase(0, start);
        // A line longer than 16 KiB is split, as the CRI log format allows (tag "P").
        if (pending_.size() > 16384) {
            emit(pending_, true);
            pending_.clear();
        }
    }
    flush_partial();
    fd_.reset();
    return false;
}

void ContainerOutput::flush_partial() {
    if (!pending_.empty()) {
        emit(pending_, false);
        pending_.clear();
    }
}

void ContainerOutput::emit(const std::string& line, bool partial) {
    std::string rec = sys::now_rfc3339(true) + " " + stream_ + (partial ? " P " : " F ") + line + "\n";
    ssize_t w = ::write(file_fd_.get(), rec.data(), rec.size());
    (void)w;  // a full disk must not stop the pod; the terminal copy still goes out
    if (!opts_.print) return;
    static const char* colors[] = {"\033[36m", "\033[33m", "\033[35m", "\033[32m", "\033[34m", "\033[91m"};
    std::string name = container_;
    if (name.size() < opts_.name_width) name.append(opts_.name_width - name.size(), ' ');
    std::string out = opts_.color ? std::string(colors[color_index_ % 6]) + name + " |\033[0m " + line + "\n"
                                  : name + " | " + line + "\n";
    std::fwrite(out.data(), 1, out.size(), stdout);
    std::fflush(stdout);
}

}  // namespace podrun::supervisor
