// Container output: split into lines, printed as "name | line" (coloured on a tty) and
// appended to the container's log file in the CRI format the kubelet uses
// ("<RFC3339Nano> stdout F <line>"), which `podrun logs` reads back.
#pragma once

#include <cstdio>
#include <string>

#include "podrun/sys/fd.hpp"

namespace podrun::supervisor {

struct OutputOptions {
    bool print = true;   // foreground: echo to our stdout
    bool color = false;  // stdout is a tty
    size_t name_width = 0;
};

class ContainerOutput {
public:
    ContainerOutput(std::string container, std::string stream, std::string file, int color_index, const OutputOptions& opts);
    // Takes the pipe's read end (made non-blocking here).
    void attach(sys::UniqueFd fd);
    int fd() const { return fd_.get(); }
    // Reads what is available; returns false at EOF (the fd is then closed).
    bool on_readable();
    void flush_partial();
    // After a restart: the previous instance's log becomes "<file>.previous" (what
    // `podrun logs --previous` reads) and this stream writes a fresh file.
    void reopen();
    static void rotate(const std::string& file);

private:
    void emit(const std::string& line, bool partial);
    std::string container_, stream_, file_;
    int color_index_;
    OutputOptions opts_;
    sys::UniqueFd fd_;
    sys::UniqueFd file_fd_;
    std::string pending_;
};

}  // namespace podrun::supervisor
