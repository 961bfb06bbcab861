// Pure parts of `podrun exec`: which container it means, the container's environment as
// read from /proc/PID/environ, exit codes for a failed execve, and workingDir in state.json.
#include <gtest/gtest.h>

#include <cerrno>

#include "podrun/pod/exec.hpp"
#include "podrun/pod/pod.hpp"

using namespace podrun;

namespace {

state::PodState pod_with(std::vector<std::pair<std::string, bool>> containers) {
    state::PodState st;
    st.name = "web";
    for (auto& [name, init] : containers) {
        state::ContainerRecord c;
        c.name = name;
        c.init = init;
        st.containers.push_back(c);
    }
    return st;
}

}  // namespace

TEST(ExecContainer, OneContainerIsChosenWithoutANote) {
    auto ch = pod::choose_container(pod_with({{"app", false}}), "");
    EXPECT_EQ(ch.name, "app");
    EXPECT_EQ(ch.note, "");
}

TEST(ExecContainer, DefaultIsTheFirstAppContainerNamedAsKubectlDoes) {
    auto st = pod_with({{"setup", true}, {"web", false}, {"sidecar", false}});
    auto ch = pod::choose_container(st, "");
    EXPECT_EQ(ch.name, "web");
    EXPECT_EQ(ch.note, "Defaulted container \"web\" out of: web, sidecar, setup (init)");
    // An init container besides one app container is enough for the note.
    EXPECT_NE(pod::choose_container(pod_with({{"setup", true}, {"web", false}}), "").note, "");
}

TEST(ExecContainer, DefaultContainerAnnotationWins) {
    auto st = pod_with({{"web", false}, {"sidecar", false}});
    st.annotations["kubectl.kubernetes.io/default-container"] = "sidecar";
    EXPECT_EQ(pod::choose_container(st, "").name, "sidecar");
    st.annotations["kubectl.kubernetes.io/default-container"] = "gone";  // not a container: ignored
    EXPECT_EQ(pod::choose_container(st, "").name, "web");
}

TEST(ExecContainer, NamedContainerOrAnErrorListingTheChoices) {
    auto st = pod_with({{"setup", true}, {"web", false}, {"sidecar", false}});
    EXPECT_EQ(pod::choose_container(st, "sidecar").name, "sidecar");
    EXPECT_EQ(pod::choose_container(st, "sidecar").note, "");
    EXPECT_EQ(pod::choose_container(st, "setup").name, "setup");  // whether it runs is checked later
    try {
        pod::choose_container(st, "nope");
        FAIL() << "no error";
    } catch (const pod::InvalidInput& e) {
        EXPECT_EQ(e.problems.at(0),
                  "container \"nope\" is not in pod \"web\" (choose one of: web, sidecar, setup (init))");
    }
}

TEST(ExecEnviron, SplitsOnNulAndSkipsEmptyEntries) {
    EXPECT_EQ(pod::parse_environ(std::string("PATH=/bin\0A=b c\0\0EMPTY=\0", 25)),
              (std::vector<std::string>{"PATH=/bin", "A=b c", "EMPTY="}));
    EXPECT_TRUE(pod::parse_environ("").empty());
    EXPECT_EQ(pod::parse_environ("NO_TRAILING_NUL=1"), (std::vector<std::string>{"NO_TRAILING_NUL=1"}));
}

TEST(ExecExitCode, NotFoundIs127CannotRunIs126) {
    EXPECT_EQ(pod::exec_failure_code(ENOENT), 127);
    EXPECT_EQ(pod::exec_failure_code(EACCES), 126);
    EXPECT_EQ(pod::exec_failure_code(ENOEXEC), 126);
}

TEST(ExecState, WorkingDirRoundTripsThroughStateJson) {
    auto st = pod_with({{"web", false}});
    st.containers[0].working_dir = "/srv";
    auto back = state::PodState::from_json(st.to_json());
    EXPECT_EQ(back.containers.at(0).working_dir, "/srv");
    // A state file written before workingDir was recorded: "" means "/".
    auto j = st.to_json();
    j["containers"][0].erase("workingDir");
    EXPECT_EQ(state::PodState::from_json(j).containers.at(0).working_dir, "");
}
