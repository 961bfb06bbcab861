// Stop signals: Kubernetes' Linux names for lifecycle.stopSignal (and spec.os.name they need),
// and an image's StopSignal read as containerd reads it.
#include <gtest/gtest.h>
#include <signal.h>

#include "podrun/spec/load.hpp"
#include "podrun/spec/signals.hpp"

using namespace podrun::spec;

TEST(SpecSignals, KubernetesNamesOnly) {
    EXPECT_EQ(kubernetes_signal("SIGUSR1"), SIGUSR1);
    EXPECT_EQ(kubernetes_signal("SIGQUIT"), SIGQUIT);
    EXPECT_EQ(kubernetes_signal("SIGCLD"), SIGCHLD);
    EXPECT_EQ(kubernetes_signal("SIGRTMIN"), SIGRTMIN);
    EXPECT_EQ(kubernetes_signal("SIGRTMIN+15"), SIGRTMIN + 15);
    EXPECT_EQ(kubernetes_signal("SIGRTMAX-14"), SIGRTMAX - 14);
    EXPECT_EQ(kubernetes_signal("SIGRTMAX"), SIGRTMAX);
    for (const char* bad : {"USR1", "10", "sigusr1", "SIGRTMIN+16", "SIGRTMAX-15", "SIGEMT", ""})
        EXPECT_FALSE(kubernetes_signal(bad)) << bad;
    EXPECT_NE(kubernetes_signal_names().find("SIGABRT, SIGALRM"), std::string::npos);
}

TEST(SpecSignals, ImageStopSignalAsContainerd) {
    EXPECT_EQ(image_stop_signal("SIGQUIT"), "SIGQUIT");
    EXPECT_EQ(image_stop_signal("QUIT"), "SIGQUIT");
    EXPECT_EQ(image_stop_signal("quit"), "SIGQUIT");
    EXPECT_EQ(image_stop_signal("3"), "SIGQUIT");
    EXPECT_EQ(image_stop_signal("17"), "SIGCHLD");
    EXPECT_EQ(image_stop_signal("RTMIN+2"), "SIGRTMIN+2");
    EXPECT_EQ(image_stop_signal("64"), "SIGRTMAX");
    for (const char* bad : {"0", "65", "-1", "SIGNOPE", "", "3x"}) EXPECT_FALSE(image_stop_signal(bad)) << bad;
}

TEST(SpecSignals, StopSignalNeedsOsName) {
    const std::string head = "apiVersion: v1\nkind: Pod\nmetadata: {name: s}\nspec:\n";
    const std::string body =
        "  containers:\n  - name: c\n    command: [sleep, \"1\"]\n"
        "    lifecycle: {stopSignal: SIGRTMIN+3}\n";
    auto ok = load_pod_text(head + "  os: {name: linux}\n" + body, "test");
    ASSERT_TRUE(ok.ok());
    EXPECT_EQ(ok.pod->containers[0].lifecycle.stop_signal, "SIGRTMIN+3");
    EXPECT_EQ(ok.pod->os_name, "linux");
    auto no_os = load_pod_text(head + body, "test");
    ASSERT_FALSE(no_os.ok());
    EXPECT_EQ(no_os.errors[0].path, "spec.containers[0].lifecycle.stopSignal");
    EXPECT_NE(no_os.errors[0].message.find("spec.os.name: linux"), std::string::npos) << no_os.errors[0].message;
}
