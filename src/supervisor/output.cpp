// Container output to its log file and the terminal (see output.hpp).
#include "podrun/supervisor/output.hpp"

#include <fcntl.h>

#include <algorithm>
#include <cstdint>

#include <spdlog/spdlog.h>

#include "podrun/sys/clock.hpp"
#include "podrun/sys/error.hpp"
#include "podrun/sys/files.hpp"

namespace podrun::supervisor {

// ---- the log file ----

LogFile::LogFile(std::string path, uint64_t max_bytes, int max_files)
    : path_(std::move(path)), max_bytes_(max_bytes), max_files_(std::max(1, max_files)) {
    try {
        open();
    } catch (const sys::SysError& e) {
        // Tried again at the first append; until then nothing was lost.
        spdlog::warn("{} (podrun tries again when the container writes)", e.what());
    }
}

void LogFile::open() {
    fd_.reset();
    fd_ = sys::open_file(path_, O_WRONLY | O_CREAT | O_APPEND | O_NOCTTY, 0640);
    size_ = sys::file_id(fd_.get()).value_or(sys::FileId{}).size;
}

// "<path>" -> "<path>.1" -> ... -> "<path>.<max_files-1>", the oldest removed: the
// kubelet keeps containerLogMaxFiles files, the one being written included.
void LogFile::rotate() {
    for (int n = max_files_ - 1; n >= 1; n--) {
        const std::string to = path_ + "." + std::to_string(n);
        const std::string from = n == 1 ? path_ : path_ + "." + std::to_string(n - 1);
        if (n == max_files_ - 1) sys::remove_file(to.c_str());
        sys::rename_path(from, to);
    }
    if (max_files_ == 1) sys::remove_file(path_.c_str());
    open();
}

void LogFile::lost(const std::string& records, const std::string& why) {
    lines_lost_ += static_cast<uint64_t>(std::count(records.begin(), records.end(), '\n'));
    if (!failing_)
        spdlog::warn(
            "{}: lines are lost for the log file (the terminal still shows them; podrun inspect says how many)", why);
    failing_ = true;
    if (why != error_) {
        error_ = why;
        changed_ = true;
    }
}

void LogFile::append(const std::string& records) {
    if (records.empty()) return;
    if (!fd_) {
        try {
            open();
        } catch (const sys::SysError& e) {
            lost(records, e.what());
            return;
        }
    }
    if (size_ > 0 && size_ + records.size() > max_bytes_) {
        try {
            rotate();
        } catch (const sys::SysError&) {
            // Keep writing the file we have: a log past its size beats a lost one.
            if (!fd_) {
                lost(records, "rotating " + path_ + ": it cannot be opened again");
                return;
            }
        }
    }
    if (auto room = sys::free_bytes(fd_.get()); room && *room < records.size() + kReserveBytes) {
        lost(records, path_ + ": No space left on device (" + std::to_string(*room / 1024) +
                          " KiB free; podrun keeps " + std::to_string(kReserveBytes / 1024) +
                          " KiB there for the pod's state)");
        return;
    }
    size_t off = 0;
    while (off < records.size()) {
        ssize_t n = sys::write_or_errno(fd_.get(), records.data() + off, records.size() - off);
        if (n <= 0) {
            // A record cut short would join the next one in the file: the whole batch goes.
            if (off > 0) {
                try {
                    sys::truncate_fd(fd_.get(), size_);
                } catch (const sys::SysError&) {}
            }
            lost(records, sys::SysError(n < 0 ? static_cast<int>(-n) : EIO, "write(" + path_ + ")").what());
            return;
        }
        off += static_cast<size_t>(n);
    }
    size_ += records.size();
    if (failing_) {
        failing_ = false;
        spdlog::info("{}: written again ({} line(s) lost)", path_, lines_lost_);
    }
}

void LogFile::new_instance() {
    const std::string prev = path_ + ".previous";
    try {
        sys::remove_file(prev.c_str());
        for (int n = 1; n < max_files_; n++) sys::remove_file((prev + "." + std::to_string(n)).c_str());
        sys::rename_path(path_, prev);
        for (int n = 1; n < max_files_; n++)
            sys::rename_path(path_ + "." + std::to_string(n), prev + "." + std::to_string(n));
        open();
    } catch (const sys::SysError& e) {
        // The restart goes on; the next append opens the file again (or counts its loss).
        spdlog::warn("{} (starting the log of the container's new instance)", e.what());
        fd_.reset();
    }
}

// ---- the terminal ----

TerminalWriter::TerminalWriter(int fd, const OutputOptions& opts)
    : out_(fd), queued_(out_.pollable()), max_bytes_(opts.terminal_queue_bytes) {}

size_t TerminalWriter::add_source(const std::string& name) {
    sources_.push_back(Source{name, {}, 0, false, 0});
    return sources_.size() - 1;
}

void TerminalWriter::write_direct(const std::string& text) {
    sys::write_all(out_.fd(), text);
}

void TerminalWriter::line(size_t source, std::string text) {
    if (dead_) return;
    if (!queued_) {
        write_direct(text);
        return;
    }
    Source& s = sources_[source];
    if (s.bytes + text.size() > max_bytes_) {
        // The reader is stuck: the terminal misses this line (the log file has it). One
        // note stands where the lines went missing and counts them; it is said once the
        // terminal takes the lines queued before it.
        if (!s.gap_open) {
            s.lines.push_back(Entry{seq_++, "", 0});
            s.gap_open = true;
            queued_bytes_++;  // the note is pending output too
        }
        s.lines.back().missed++;
        s.dropped_total++;
        return;
    }
    s.gap_open = false;
    s.bytes += text.size();
    queued_bytes_ += text.size();
    s.lines.push_back(Entry{seq_++, std::move(text), 0});
    on_writable();
}

void TerminalWriter::on_writable() {
    for (;;) {
        if (partial_.empty()) {
            // The oldest queued line of any container, so lines keep their order.
            Source* next = nullptr;
            for (auto& s : sources_) {
                if (!s.lines.empty() && (!next || s.lines.front().seq < next->lines.front().seq)) next = &s;
            }
            if (!next) return;
            Entry e = std::move(next->lines.front());
            next->lines.pop_front();
            if (e.missed > 0) {
                // The note of a stall, said once, where the lines went missing.
                queued_bytes_--;
                if (next->lines.empty()) next->gap_open = false;
                partial_ = "podrun | " + next->name + ": " + std::to_string(e.missed) +
                           " line(s) not shown: the terminal did not read them (podrun logs has every line)\n";
            } else {
                next->bytes -= e.text.size();
                queued_bytes_ -= e.text.size();
                partial_ = std::move(e.text);
            }
        }
        ssize_t n;
        try {
            n = sys::write_some(out_.fd(), partial_.data(), partial_.size());
        } catch (const sys::SysError&) {
            n = 0;
        }
        if (n < 0) return;  // full: EPOLLOUT says when it takes more
        if (n == 0) {
            // Nobody will ever read (EPIPE, a hung-up terminal): stop queueing for it.
            partial_.clear();
            for (auto& s : sources_) {
                s.lines.clear();
                s.bytes = 0;
                s.gap_open = false;
            }
            queued_bytes_ = 0;
            dead_ = true;
            return;
        }
        partial_.erase(0, static_cast<size_t>(n));
    }
}

void TerminalWriter::drain(int timeout_ms) {
    const int64_t deadline = sys::monotonic_ms() + timeout_ms;
    while (pending()) {
        const int64_t left = deadline - sys::monotonic_ms();
        if (left <= 0 || !sys::wait_writable(out_.fd(), static_cast<int>(left))) return;
        on_writable();
    }
}

// ---- one stream ----

ContainerOutput::ContainerOutput(std::string container, std::string stream, LogFile& log, TerminalWriter* terminal,
                                 size_t terminal_source, int color_index, const OutputOptions& opts)
    : container_(std::move(container)),
      stream_(std::move(stream)),
      log_(log),
      terminal_(terminal),
      terminal_source_(terminal_source),
      color_index_(color_index),
      opts_(opts) {}

void ContainerOutput::attach(sys::UniqueFd fd) {
    flush_partial();
    fd_ = std::move(fd);
    if (fd_) sys::set_nonblock(fd_.get());
}

// One turn reads at most this much from one stream (a container writing without pause
// would otherwise keep the loop here while signals and timers wait).
static constexpr size_t kReadBudget = 64 * 1024;

bool ContainerOutput::on_readable() {
    if (read_some_bytes(kReadBudget)) return true;
    flush_partial();
    fd_.reset();
    return false;
}

void ContainerOutput::drain() {
    if (!fd_) return;
    read_some_bytes(SIZE_MAX);  // until the pipe is empty: nothing of the pod runs any more
    flush_partial();
    fd_.reset();
}

// Reads up to budget bytes; true while the pipe stays open (drained for now or budget spent).
bool ContainerOutput::read_some_bytes(size_t budget) {
    char buf[16384];
    std::string records;
    const std::string time = sys::now_rfc3339(true);
    bool open = true;
    size_t got = 0;
    while (got < budget) {
        ssize_t n;
        try {
            n = sys::read_some(fd_.get(), buf, sizeof buf);
        } catch (const sys::SysError&) {
            n = 0;
        }
        if (n < 0) break;  // drained for now
        if (n == 0) {
            open = false;
            break;
        }
        got += static_cast<size_t>(n);
        pending_.append(buf, static_cast<size_t>(n));
        size_t start = 0, nl;
        while ((nl = pending_.find('\n', start)) != std::string::npos) {
            emit(pending_.substr(start, nl - start), false, time, records);
            start = nl + 1;
        }
        pending_.erase(0, start);
        // A line longer than 16 KiB is split, as the CRI log format allows (tag "P").
        if (pending_.size() > 16384) {
            emit(pending_, true, time, records);
            pending_.clear();
        }
    }
    log_.append(records);
    if (!open && !pending_.empty()) {
        std::string last;
        emit(pending_, false, time, last);
        log_.append(last);
        pending_.clear();
    }
    return open;
}

void ContainerOutput::flush_partial() {
    if (pending_.empty()) return;
    std::string records;
    emit(pending_, false, sys::now_rfc3339(true), records);
    log_.append(records);
    pending_.clear();
}

void ContainerOutput::emit(const std::string& line, bool partial, const std::string& time, std::string& records) {
    records += time + " " + stream_ + (partial ? " P " : " F ") + line + "\n";
    if (!opts_.print || !terminal_) return;
    static const char* colors[] = {"\033[36m", "\033[33m", "\033[35m", "\033[32m", "\033[34m", "\033[91m"};
    std::string name = container_;
    if (name.size() < opts_.name_width) name.append(opts_.name_width - name.size(), ' ');
    terminal_->line(terminal_source_, opts_.color
                                          ? std::string(colors[color_index_ % 6]) + name + " |\033[0m " + line + "\n"
                                          : name + " | " + line + "\n");
}

}  // namespace podrun::supervisor
