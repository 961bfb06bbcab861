// The bash completion (completions/podrun.bash) asked about a real running pod: its name
// comes from the real `podrun ps`, its containers (init ones too) from the real
// `podrun inspect`. The formats' unit test with a fake podrun is tests/package/completion.sh.
#include "harness.hpp"

namespace podrun::test {
namespace {

constexpr const char* kPod = R"({"apiVersion": "v1", "kind": "Pod",
  "metadata": {"name": "it-complete", "labels": {"name": "not-a-container"}},
  "spec": {"terminationGracePeriodSeconds": 1,
    "initContainers": [{"name": "prepare", "command": ["true"]}],
    "containers": [{"name": "main", "command": ["sleep", "1000"]},
                   {"name": "helper", "command": ["sleep", "1000"]}]}})";

// The candidates bash's completion offers for word `cword` of `words` (-1: the last),
// sorted, one string separated by blanks.
std::string complete(const std::vector<std::string>& words, int cword = -1) {
    std::string bin = podrun::test::podrun_bin();
    std::string script =
        "PATH='" + bin.substr(0, bin.rfind('/')) + "':$PATH; source '" + source_path("completions/podrun.bash") +
        "'; COMP_WORDS=(\"$@\"); COMP_CWORD=" + (cword < 0 ? std::string("$(( $# - 1 ))") : std::to_string(cword)) +
        "; _podrun; "
        "printf '%s\\n' \"${COMPREPLY[@]}\" | LC_ALL=C sort | tr '\\n' ' '";
    std::vector<std::string> argv{"/bin/bash", "--norc", "--noprofile", "-c", script, "bash"};
    argv.insert(argv.end(), words.begin(), words.end());
    RunResult r = run(argv, "", 30);
    std::string out = r.out;
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out;
}

class Completion : public PodrunTest {};

TEST_F(Completion, BashOffersARunningPodAndItsContainers) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    RunResult up = podrun({"up", "-d", dir.file("pod.json", kPod)}, "", 60);
    ASSERT_EQ(up.exit_code, 0) << up.err;
    EXPECT_EQ(complete({"podrun", "logs", "it-compl"}), "it-complete");
    EXPECT_EQ(complete({"podrun", "exec", "it-complete", "-c", ""}), "helper main prepare");
    EXPECT_EQ(complete({"podrun", "logs", "-c", "h", "it-complete"}, 3), "helper");
    EXPECT_EQ(complete({"podrun", "down", "it-complete", ""}), "");
    RunResult down = podrun({"down", "it-complete"}, "", 60);
    EXPECT_EQ(down.exit_code, 0) << down.err;
    EXPECT_EQ(complete({"podrun", "inspect", "it-compl"}), "");  // gone from podrun ps
}

}  // namespace
}  // namespace podrun::test
