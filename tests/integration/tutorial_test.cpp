// docs/tutorial.md cannot rot: every command of its ```console blocks (a line "$ CMD")
// is run in order from the source directory, with the built podrun first on PATH, and the
// output the tutorial shows under it must appear in what the command printed (its stdout,
// then its stderr). In the shown output a number of two digits or more matches any number
// of two digits or more (pids, inodes, times); a single digit is itself (pid 1 of the pod,
// 3/3 ready, 0 zombies); a run of blanks matches any blanks, "..." inside a line anything,
// and a line "..." any number of lines; between "..." lines the shown lines are consecutive.
#include <cctype>
#include <regex>
#include <sstream>

#include "harness.hpp"

namespace podrun::test {
namespace {

struct Step {
    std::string command;
    std::vector<std::string> shown;  // the output the tutorial shows
    int line = 0;                    // in docs/tutorial.md
};

std::vector<Step> console_steps(const std::string& markdown) {
    std::vector<Step> steps;
    std::istringstream in(markdown);
    std::string l;
    bool in_block = false;
    int n = 0;
    while (std::getline(in, l)) {
        ++n;
        if (!in_block) {
            in_block = l == "```console";
            continue;
        }
        if (l == "```") {
            in_block = false;
        } else if (l.rfind("$ ", 0) == 0) {
            steps.push_back({l.substr(2), {}, n});
        } else if (!steps.empty()) {
            steps.back().shown.push_back(l);
        }
    }
    return steps;
}

std::regex line_pattern(const std::string& shown) {
    std::string re;
    for (size_t i = 0; i < shown.size();) {
        char c = shown[i];
        if (shown.compare(i, 3, "...") == 0) {
            re += ".*";
            i += 3;
        } else if (std::isdigit(static_cast<unsigned char>(c))) {
            size_t j = i;
            while (j < shown.size() && std::isdigit(static_cast<unsigned char>(shown[j]))) ++j;
            re += j - i >= 2 ? "[0-9][0-9]+" : std::string(1, c);
            i = j;
        } else if (c == ' ') {
            while (i < shown.size() && shown[i] == ' ') ++i;
            re += " +";
        } else {
            if (std::string_view("\\^$.|?*+()[]{}").find(c) != std::string_view::npos) re += '\\';
            re += c;
            ++i;
        }
    }
    return std::regex(re);
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    std::string l;
    while (std::getline(in, l)) out.push_back(l);
    return out;
}

// "" when `actual` shows what the tutorial shows, else the first shown line not found.
std::string mismatch(const std::vector<std::string>& shown, const std::string& actual) {
    std::vector<std::string> got = lines_of(actual);
    // Trailing blank lines of a block are layout, not output.
    std::vector<std::vector<std::string>> segments(1);
    for (const auto& s : shown) {
        if (s == "...")
            segments.emplace_back();
        else
            segments.back().push_back(s);
    }
    size_t from = 0;
    for (auto& seg : segments) {
        while (!seg.empty() && seg.back().empty()) seg.pop_back();
        if (seg.empty()) continue;
        std::vector<std::regex> res;
        for (const auto& s : seg) res.push_back(line_pattern(s));
        bool found = false;
        for (size_t at = from; at + seg.size() <= got.size() && !found; ++at) {
            size_t k = 0;
            while (k < seg.size() && std::regex_match(got[at + k], res[k])) ++k;
            if (k == seg.size()) {
                found = true;
                from = at + k;
            }
        }
        if (!found)
            return seg.front() +
                   (seg.size() > 1 ? " (and the " + std::to_string(seg.size() - 1) + " line(s) after it)" : "");
    }
    return "";
}

TEST(TutorialMatcher, NumbersAndBlanksVaryTheRestMustMatch) {
    EXPECT_EQ(mismatch({"web   Running   3/3"}, "web Running 3/3\n"), "");
    EXPECT_EQ(mismatch({"pause pid 4121"}, "pause pid 77\n"), "");
    EXPECT_NE(mismatch({"pod pid 1"}, "pod pid 2\n"), "");  // one digit is exact
    EXPECT_NE(mismatch({"pid 4121"}, "pid 7\n"), "");
    EXPECT_NE(mismatch({"web Running"}, "web Failed\n"), "");
    EXPECT_NE(mismatch({"zombies now: 0"}, "zombies now: x\n"), "");
    EXPECT_EQ(mismatch({"a", "...", "c"}, "a\nb\nc\n"), "");
    EXPECT_NE(mismatch({"a", "c"}, "a\nb\nc\n"), "");         // consecutive without "..."
    EXPECT_NE(mismatch({"c", "...", "a"}, "a\nb\nc\n"), "");  // in order
    EXPECT_EQ(mismatch({"explain | ... clone3(...)"}, "explain | sandbox  clone3(flags=X)\n"), "");
    EXPECT_NE(mismatch({"a.b"}, "axb\n"), "");  // a dot is a dot
}

TEST(TutorialMatcher, FindsTheTutorialsCommands) {
    auto steps = console_steps(read_file(source_path("docs/tutorial.md")));
    ASSERT_GE(steps.size(), 10u);
    for (const auto& s : steps) EXPECT_FALSE(s.command.empty()) << "docs/tutorial.md:" << s.line;
}

class Tutorial : public PodrunTest {};

TEST_F(Tutorial, EveryCommandRunsAndShowsItsOutput) {
    PODRUN_REQUIRE_ROOT();
    std::string bin = podrun::test::podrun_bin();
    std::string dir = bin.substr(0, bin.rfind('/'));
    auto steps = console_steps(read_file(source_path("docs/tutorial.md")));
    std::vector<std::string> detached;  // pods `up -d` started, downed if a step fails
    for (const auto& s : steps) {
        std::string script =
            "PATH='" + dir + "':$PATH; cd '" + std::string(PODRUN_SOURCE_DIR) + "' || exit 99; " + s.command;
        RunResult r = run({"/bin/sh", "-c", script}, "", 90);
        std::string where = "docs/tutorial.md:" + std::to_string(s.line) + ": $ " + s.command;
        if (s.command.find("up -d ") != std::string::npos && r.exit_code == 0 && !lines_of(r.out).empty()) {
            detached.push_back(lines_of(r.out).back());
        }
        bool ok = !r.timed_out && r.exit_code == 0;
        EXPECT_TRUE(ok) << where << "\nexit " << r.exit_code << (r.timed_out ? " (timed out)" : "") << "\n"
                        << r.out << r.err;
        std::string printed = r.out + (r.out.empty() || r.out.back() == '\n' ? "" : "\n") + r.err;
        std::string miss = ok ? mismatch(s.shown, printed) : "";
        EXPECT_EQ(miss, "") << where << "\nthe tutorial shows a line it did not print:\n  " << miss << "\nit printed:\n"
                            << printed;
        if (!ok || !miss.empty()) break;
    }
    for (const auto& pod : detached)
        podrun({"down", "--timeout", "1", pod}, "", 30);  // no-op once the tutorial downed it
}

}  // namespace
}  // namespace podrun::test
