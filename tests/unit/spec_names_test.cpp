// The name and scalar matchers against the regular expressions Kubernetes and go-yaml state
// them with, over every short string of the characters that matter: the validator matches by
// hand (no regex compiled at each start), and must agree with the patterns exactly.
#include <gtest/gtest.h>

#include <functional>
#include <regex>
#include <string>

#include "spec/names.hpp"
#include "spec/parse_text.hpp"

using namespace podrun::spec::detail;

namespace {

// Calls fn on every string of length 0..max_len over `alphabet`.
void every_string(const std::string& alphabet, size_t max_len, const std::function<void(const std::string&)>& fn) {
    std::string s;
    std::function<void()> rec = [&] {
        fn(s);
        if (s.size() == max_len) return;
        for (char c : alphabet) {
            s.push_back(c);
            rec();
            s.pop_back();
        }
    };
    rec();
}

bool full(const std::string& s, const std::regex& re) {
    return std::regex_match(s, re);
}

}  // namespace

TEST(Names, MatchersAgreeWithKubernetesPatterns) {
    const std::regex label("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
    const std::regex subdomain("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
    const std::regex qualified("[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?");
    const std::regex svc_chars("[-a-z0-9]+");
    const std::regex has_letter(".*[a-z].*");
    size_t n = 0;
    every_string("a0-.Z_/", 5, [&](const std::string& s) {
        n++;
        EXPECT_EQ(check_dns1123_label(s).empty(), !s.empty() && full(s, label)) << '"' << s << '"';
        EXPECT_EQ(check_dns1123_subdomain(s).empty(), !s.empty() && full(s, subdomain)) << '"' << s << '"';
        EXPECT_EQ(check_label_value(s).empty(), s.empty() || full(s, qualified)) << '"' << s << '"';
        if (s.find('/') == std::string::npos) {
            EXPECT_EQ(check_qualified_name(s).empty(), !s.empty() && full(s, qualified)) << '"' << s << '"';
        }
        const bool svc = full(s, svc_chars) && full(s, has_letter) && s.find("--") == std::string::npos &&
                         s.front() != '-' && s.back() != '-';
        EXPECT_EQ(check_iana_svc_name(s).empty(), svc) << '"' << s << '"';
    });
    EXPECT_GT(n, 19000u);
    // A prefix is a subdomain; the name after '/' a qualified part.
    EXPECT_EQ(check_qualified_name("example.com/app"), "");
    EXPECT_NE(check_qualified_name("Example.com/app"), "");
    EXPECT_NE(check_qualified_name("example.com/"), "");
    EXPECT_NE(check_qualified_name("/app"), "");
}

TEST(Names, YamlPlainScalarsResolveAsGoYamlDoes) {
    const std::regex integer("[-+]?[0-9]+");
    const std::regex floating(R"([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?)");
    size_t resolved = 0;
    every_string("1.e-+E", 5, [&](const std::string& s) {
        if (s.empty()) return;
        auto parsed = parse_text("v: " + s + "\n");
        // "-" and the like are YAML syntax (a sequence), not plain scalars.
        if (!parsed.error.empty() || !parsed.doc.is_object() || !parsed.doc["v"].is_primitive()) return;
        const auto& v = parsed.doc["v"];
        resolved++;
        if (full(s, integer)) {
            EXPECT_TRUE(v.is_number_integer()) << '"' << s << "\" -> " << v.dump();
        } else if (full(s, floating)) {
            EXPECT_TRUE(v.is_number_float()) << '"' << s << "\" -> " << v.dump();
        } else {
            EXPECT_TRUE(v.is_string()) << '"' << s << "\" -> " << v.dump();
        }
    });
    EXPECT_GT(resolved, 8000u);
}
