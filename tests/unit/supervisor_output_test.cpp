// Container output without root: the log file rotates at its size and keeps its files in
// order (and `podrun logs`' reader finds them oldest first); the terminal never blocks the
// caller - a pipe nobody reads gets a bounded queue, the rest is dropped, counted and said
// once the reader is back; the log file gets every line. A log file that cannot be written
// (ENOSPC, EIO) loses records for the file only, counted, with the reason kept.
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "podrun/pod/logs.hpp"
#include "podrun/supervisor/output.hpp"
#include "podrun/sys/fdio.hpp"
#include "podrun/sys/files.hpp"

namespace {

namespace sv = podrun::supervisor;

struct Dir {
    std::string path;
    Dir() {
        char t[] = "/tmp/podrun-output-XXXXXX";
        path = ::mkdtemp(t);
    }
    ~Dir() { podrun::sys::remove_tree(path); }
};

std::string slurp(const std::vector<std::string>& files) {
    std::string out;
    for (const auto& f : files) out += podrun::sys::try_read_file(f).value_or("");
    return out;
}

std::string record(int i) {  // 22 bytes
    char b[64];
    std::snprintf(b, sizeof b, "t stdout F line-%05d\n", i);
    return b;
}

TEST(SupervisorOutput, TheLogRotatesAtItsSizeKeepingMaxFilesInOrder) {
    Dir d;
    const std::string f = d.path + "/c.log";
    sv::LogFile log(f, 100, 3);  // 4 records a file
    std::string all;
    for (int i = 0; i < 30; i++) {
        log.append(record(i));
        all += record(i);
    }
    EXPECT_TRUE(podrun::sys::exists(f + ".1"));
    EXPECT_TRUE(podrun::sys::exists(f + ".2"));
    EXPECT_FALSE(podrun::sys::exists(f + ".3"));  // 3 files with the one being written
    for (const auto& p : {f, f + ".1", f + ".2"}) {
        EXPECT_LE(podrun::sys::read_file(p).size(), 100u) << p;
    }
    auto files = podrun::pod::log_files(f);
    ASSERT_EQ(files.size(), 3u);
    EXPECT_EQ(files.front(), f + ".2");
    EXPECT_EQ(files.back(), f);
    // What is kept is the newest records, oldest first and with no gap.
    std::string kept = slurp(files);
    ASSERT_FALSE(kept.empty());
    EXPECT_EQ(all.substr(all.size() - kept.size()), kept);
    EXPECT_EQ(kept.size(), (4 + 4 + 2) * record(0).size());  // 30 records: 4 + 4 in the old files, 2 being written
}

TEST(SupervisorOutput, ARestartMakesThisInstancesFilesThePreviousOnes) {
    Dir d;
    const std::string f = d.path + "/c.log";
    sv::LogFile log(f, 50, 3);
    for (int i = 0; i < 4; i++) log.append(record(i));  // 2 files
    log.new_instance();
    log.append(record(99));
    EXPECT_EQ(slurp(podrun::pod::log_files(f + ".previous")), record(0) + record(1) + record(2) + record(3));
    EXPECT_EQ(slurp(podrun::pod::log_files(f)), record(99));
}

TEST(SupervisorOutput, APipeNobodyReadsNeverBlocksAndOnlyTheTerminalLosesLines) {
    Dir d;
    int p[2];
    ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
    podrun::sys::UniqueFd rd(p[0]), wr(p[1]);
    sv::OutputOptions opts;
    opts.terminal_queue_bytes = 4096;
    sv::TerminalWriter term(wr.get(), opts);
    ASSERT_GE(term.watch_fd(), 0);  // a pipe: written without blocking, watched for EPOLLOUT
    size_t src = term.add_source("c");
    sv::LogFile log(d.path + "/c.log", 1 << 30, 5);
    int from_c[2];
    ASSERT_EQ(::pipe2(from_c, O_CLOEXEC), 0);
    podrun::sys::UniqueFd c_rd(from_c[0]), c_wr(from_c[1]);
    sv::ContainerOutput out("c", "stdout", log, &term, src, 0, opts);
    out.attach(std::move(c_rd));
    // 20000 lines, ~300 KiB: more than the pipe (64 KiB) and the queue (4 KiB) hold. If a
    // write blocked, this test would hang here.
    std::string lines;
    int written = 0;
    for (int i = 0; i < 20000; i++) {
        std::string l = "line-" + std::to_string(i) + "\n";
        ASSERT_EQ(::write(c_wr.get(), l.data(), l.size()), static_cast<ssize_t>(l.size()));
        written++;
        if (i % 1000 == 999) out.on_readable();
    }
    c_wr.reset();
    while (out.on_readable()) {}
    EXPECT_GT(term.dropped(src), 0u);
    // The log file has every line, in order.
    std::istringstream in(podrun::sys::read_file(d.path + "/c.log"));
    std::string rec;
    int n = 0;
    while (std::getline(in, rec)) {
        ASSERT_EQ(rec.substr(rec.find(" F ") + 3), "line-" + std::to_string(n)) << rec;
        n++;
    }
    EXPECT_EQ(n, written);
    // The reader comes back: what was queued goes out, then the count of what was not.
    podrun::sys::set_nonblock(rd.get());
    std::string got;
    char buf[65536];
    for (int round = 0; round < 100 && got.find("not shown") == std::string::npos; round++) {
        ssize_t r;
        while ((r = ::read(rd.get(), buf, sizeof buf)) > 0) got.append(buf, static_cast<size_t>(r));
        term.on_writable();
    }
    EXPECT_NE(got.find("c | line-0\n"), std::string::npos);
    EXPECT_NE(got.find("podrun | c: " + std::to_string(term.dropped(src)) + " line(s) not shown"), std::string::npos)
        << got.substr(got.size() > 300 ? got.size() - 300 : 0);
}

// /dev/full: every write fails with ENOSPC, as on a full disk.
TEST(SupervisorOutput, ALogThatCannotBeWrittenLosesLinesForTheFileOnlyAndSaysWhy) {
    int p[2];
    ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
    podrun::sys::UniqueFd rd(p[0]), wr(p[1]);
    sv::OutputOptions opts;
    sv::TerminalWriter term(wr.get(), opts);
    size_t src = term.add_source("c");
    sv::LogFile log("/dev/full", 1 << 30, 5);
    EXPECT_EQ(log.error(), "");
    int from_c[2];
    ASSERT_EQ(::pipe2(from_c, O_CLOEXEC), 0);
    podrun::sys::UniqueFd c_rd(from_c[0]), c_wr(from_c[1]);
    sv::ContainerOutput out("c", "stdout", log, &term, src, 0, opts);
    out.attach(std::move(c_rd));
    const std::string lines = "one\ntwo\nthree\n";
    ASSERT_EQ(::write(c_wr.get(), lines.data(), lines.size()), static_cast<ssize_t>(lines.size()));
    EXPECT_TRUE(out.on_readable());  // no exception: the pod goes on
    EXPECT_EQ(log.error(), "write(/dev/full): No space left on device");
    EXPECT_EQ(log.lines_lost(), 3u);
    EXPECT_TRUE(log.take_changed());
    EXPECT_FALSE(log.take_changed());  // the same reason again is no change
    c_wr.reset();
    EXPECT_FALSE(out.on_readable());
    podrun::sys::set_nonblock(rd.get());
    char buf[4096];
    ssize_t n = ::read(rd.get(), buf, sizeof buf);
    ASSERT_GT(n, 0);
    EXPECT_EQ(std::string(buf, static_cast<size_t>(n)), "c | one\nc | two\nc | three\n");
}

// A terminal hung up under its writer fails writes with EIO: a log on one (the slave side
// of a pty whose master is closed) stands for a device that fails.
TEST(SupervisorOutput, ALogWriteFailingWithEioIsCountedAndTheNextWriteTriesAgain) {
    int master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    ASSERT_GE(master, 0);
    ASSERT_EQ(::grantpt(master), 0);
    ASSERT_EQ(::unlockpt(master), 0);
    const std::string slave = ::ptsname(master);
    sv::LogFile log(slave, 1 << 30, 5);
    log.append("t stdout F before\n");
    EXPECT_EQ(log.error(), "");
    ::close(master);
    log.append("t stdout F lost-1\nt stdout F lost-2\n");
    EXPECT_EQ(log.error(), "write(" + slave + "): Input/output error");
    EXPECT_EQ(log.lines_lost(), 2u);
    log.append("t stdout F lost-3\n");
    EXPECT_EQ(log.lines_lost(), 3u);
}

}  // namespace
