// SPDX-License-Identifier: Apache-2.0
// test_main.cc — the Catch2 main shared by every unit test binary, with a per-test-case TAP
// reporter
//
// Catch2 v2's own TAP reporter prints one line per assertion; we count test cases (the README's
// "N passed" counts every test case), so `-r tapcases` prints one TAP line per leaf test case,
// with failed assertions as diagnostics, and flushes each line so a fork in a test can't repeat it.
//
// A case that skipped (SKIP_CASE, skip.h) prints "ok N - name # SKIP reason". A case that made
// no assertion and gave no reason prints "not ok N - name # no assertion": it proved nothing, and
// reporting it as a skip would let a broken test (a loop over nothing, an early return) hide in
// the skip count; the author either asserts or says why the case cannot run here.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

#include "tests/unit/skip.h"

#include <string>
#include <vector>

namespace {

std::string skip_reason; // set by unit::skip() for the running test case

// TAP reads "#" as the start of a directive and a newline as the end of the line.
std::string one_line(std::string s) {
    for (char& c : s)
        if (c == '\n' || c == '#')
            c = ' ';
    return s.empty() ? std::string("no reason given") : s;
}

class TapCasesReporter : public Catch::StreamingReporterBase<TapCasesReporter> {
public:
    using StreamingReporterBase::StreamingReporterBase;
    static std::string getDescription() { return "TAP, one line per test case"; }

    void assertionStarting(const Catch::AssertionInfo&) override {}
    bool assertionEnded(const Catch::AssertionStats& stats) override {
        const Catch::AssertionResult& r = stats.assertionResult;
        if (r.isOk())
            return true;
        std::string where = r.getSourceInfo().file;
        where += ":" + std::to_string(r.getSourceInfo().line);
        std::string what = r.hasExpression() ? r.getExpressionInMacro() : std::string();
        if (r.hasExpandedExpression() && r.getExpandedExpression() != r.getExpression())
            what += " with expansion " + r.getExpandedExpression();
        if (r.hasMessage())
            what += (what.empty() ? "" : " ") + r.getMessage();
        for (const Catch::MessageInfo& m : stats.infoMessages)
            what += " [" + m.message + "]";
        failures_.push_back(where + ": " + what);
        return true;
    }
    void testCaseStarting(const Catch::TestCaseInfo& info) override {
        StreamingReporterBase::testCaseStarting(info);
        failures_.clear();
        skip_reason.clear();
    }
    void testCaseEnded(const Catch::TestCaseStats& stats) override {
        ++count_;
        bool ok = stats.totals.assertions.failed == 0 && stats.totals.testCases.failed == 0;
        std::string directive;
        if (ok && !skip_reason.empty())
            directive = " # SKIP " + one_line(skip_reason);
        else if (ok && stats.totals.assertions.total() == 0) {
            ok = false;
            directive = " # no assertion: assert something or SKIP_CASE(\"why\")";
        }
        stream << (ok ? "ok " : "not ok ") << count_ << " - " << stats.testInfo.name << directive
               << "\n";
        for (const std::string& f : failures_)
            stream << "# " << f << "\n";
        stream.flush();
        StreamingReporterBase::testCaseEnded(stats);
    }
    void testRunEnded(const Catch::TestRunStats& stats) override {
        stream << "1.." << count_ << "\n";
        stream.flush();
        StreamingReporterBase::testRunEnded(stats);
    }

private:
    std::vector<std::string> failures_;
    size_t count_ = 0;
};

} // namespace

void unit::skip(std::string reason) {
    skip_reason = reason.empty() ? "no reason given" : std::move(reason);
}

CATCH_REGISTER_REPORTER("tapcases", TapCasesReporter)
