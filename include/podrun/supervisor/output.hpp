// Container output: each pipe's bytes split into lines, appended to the container's log
// file in the CRI format the kubelet uses ("<RFC3339Nano> stdout F <line>", which
// `podrun logs` reads back) and, in the foreground, printed as "name | line" (coloured on
// a tty). Nothing here waits for a reader: the log file is a file (rotated by size, as the
// kubelet rotates it), and the terminal is written without blocking through a bounded
// queue per container, whose overflow is dropped for the terminal only, counted and said.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "podrun/sys/fd.hpp"
#include "podrun/sys/fdio.hpp"

namespace podrun::supervisor {

struct OutputOptions {
    bool print = true;   // foreground: echo to our stdout
    bool color = false;  // stdout is a tty
    size_t name_width = 0;
    // The kubelet's defaults: containerLogMaxSize 10Mi, containerLogMaxFiles 5.
    uint64_t log_max_bytes = 10 * 1024 * 1024;
    int log_max_files = 5;
    // Lines of one container waiting for the terminal, at most.
    size_t terminal_queue_bytes = 256 * 1024;
};

// One container's log: "<path>" is written; "<path>.1" (newest) to "<path>.<max_files-1>"
// are what rotation kept. After a restart the previous instance's files are
// "<path>.previous" and "<path>.previous.<n>" (what `podrun logs --previous` reads).
// A log that cannot be written (a full disk, EIO) is no failure of the pod: the records
// are lost for the file (the terminal still gets them), counted, said once on stderr, and
// the reason kept for the container's status (`logError` in `podrun inspect`). Writing
// resumes by itself when the file takes records again.
class LogFile {
  public:
    LogFile(std::string path, uint64_t max_bytes, int max_files);
    // Appends whole records; rotates first if they would take the file past max_bytes.
    void append(const std::string& records);
    // A restart: this instance's files become the previous instance's; a new file starts.
    void new_instance();
    // Why records were lost for the file, the latest reason; "" while none were. It stays
    // once set: those lines are missing from the file for good.
    const std::string& error() const { return error_; }
    uint64_t lines_lost() const { return lines_lost_; }
    // Whether error() changed since the last call (state.json is saved then).
    bool take_changed() { return std::exchange(changed_, false); }
    // Free space left on the log's filesystem for the pod's state.json (saved as a new file
    // next to the old one): logs filling a small state directory must not stop the
    // status that says so from being saved.
    static constexpr uint64_t kReserveBytes = 64 * 1024;

  private:
    void rotate();
    void open();
    void lost(const std::string& records, const std::string& why);
    std::string path_;
    uint64_t max_bytes_;
    int max_files_;
    sys::UniqueFd fd_;
    uint64_t size_ = 0;
    bool failing_ = false;  // the last append was lost
    std::string error_;
    uint64_t lines_lost_ = 0;
    bool changed_ = false;
};

// Our stdout, written without blocking. A pipe, FIFO or terminal gets a file description
// of its own (O_NONBLOCK, sys::NonBlockingWriter) so the shell's stays as it was; a
// regular file or /dev/null is written directly (neither waits for a reader).
class TerminalWriter {
  public:
    TerminalWriter(int fd, const OutputOptions& opts);
    // A queue for one container; returns its index.
    size_t add_source(const std::string& name);
    // Queues "name | line" (already formatted); dropped, and counted, when the queue is full.
    void line(size_t source, std::string text);
    // Writes what the terminal takes now.
    void on_writable();
    // The fd to watch for EPOLLOUT while pending() (-1: written directly, never pending).
    int watch_fd() const { return queued_ && !dead_ ? out_.fd() : -1; }
    bool pending() const { return !partial_.empty() || queued_bytes_ > 0; }
    // At the end: waits up to timeout_ms for the terminal to take what is queued.
    void drain(int timeout_ms);
    uint64_t dropped(size_t source) const { return sources_[source].dropped_total; }

  private:
    struct Entry {
        uint64_t seq = 0;
        std::string text;
        uint64_t missed = 0;  // > 0: the note standing where these lines were dropped
    };
    struct Source {
        std::string name;
        std::deque<Entry> lines;
        size_t bytes = 0;
        bool gap_open = false;  // the last entry is a note still counting drops
        uint64_t dropped_total = 0;
    };
    void write_direct(const std::string& text);
    sys::NonBlockingWriter out_;
    bool queued_ = false;  // false: a file or device written directly
    bool dead_ = false;    // nobody will ever read it (EPIPE, a hung-up terminal)
    size_t max_bytes_;
    std::vector<Source> sources_;
    uint64_t seq_ = 0;
    size_t queued_bytes_ = 0;
    std::string partial_;  // the rest of a line the terminal took in part
};

// One stream (stdout or stderr) of one container: its pipe, its share of the log file and
// of the terminal.
class ContainerOutput {
  public:
    ContainerOutput(std::string container, std::string stream, LogFile& log, TerminalWriter* terminal,
                    size_t terminal_source, int color_index, const OutputOptions& opts);
    // Takes the pipe's read end (made non-blocking here).
    void attach(sys::UniqueFd fd);
    int fd() const { return fd_.get(); }
    // Reads what is available, up to a bounded amount per call so that one busy container
    // cannot hold the loop (epoll calls again); returns false at EOF (the fd is then closed).
    bool on_readable();
    // Reads everything left (the pod has ended; nothing writes any more).
    void drain();
    void flush_partial();

  private:
    bool read_some_bytes(size_t budget);
    void emit(const std::string& line, bool partial, const std::string& time, std::string& records);
    std::string container_, stream_;
    LogFile& log_;
    TerminalWriter* terminal_;
    size_t terminal_source_;
    int color_index_;
    OutputOptions opts_;
    sys::UniqueFd fd_;
    std::string pending_;
};

}  // namespace podrun::supervisor
