// The labels HostMetrics gives outcomes and refusals: a fixed, small set whatever the
// message (a refusal's reason is the verifier's or the dispatcher's words before ':').
#include "host/host_metrics.h"

#include <gtest/gtest.h>

namespace wasmcloud::host {
namespace {

TEST(HostMetricsTest, OutcomesByCode) {
  EXPECT_EQ(HostMetrics::Outcome(Status::Ok()), "ok");
  EXPECT_EQ(HostMetrics::Outcome(DeadlineExceeded("x")), "deadline");
  EXPECT_EQ(HostMetrics::Outcome(ResourceExhausted("host overloaded")), "overloaded");
  EXPECT_EQ(HostMetrics::Outcome(Internal("trap")), "error");
  EXPECT_EQ(HostMetrics::Outcome(NotFound("no such operation")), "error");
}

TEST(HostMetricsTest, RefusalReasonsAreShortSnakeCase) {
  EXPECT_EQ(HostMetrics::Reason("bad signature: the token is not signed by host N…"),
            "bad_signature");
  EXPECT_EQ(HostMetrics::Reason("replayed: token X of host N was already accepted"), "replayed");
  EXPECT_EQ(HostMetrics::Reason("unauthorized: the authorizer rejected the invocation"),
            "unauthorized");
  EXPECT_EQ(HostMetrics::Reason("re-aimed: the invocation targets …"), "re_aimed");
  EXPECT_EQ(HostMetrics::Reason("Too  Large!!"), "too_large");
  EXPECT_EQ(HostMetrics::Reason(""), "other");
  EXPECT_EQ(HostMetrics::Reason(":::"), "other");
  EXPECT_EQ(HostMetrics::Reason(std::string(100, 'a')), std::string(40, 'a'));
}

TEST(HostMetricsTest, InvocationsAndRefusalsLandInTheRegistry) {
  MetricsRegistry registry;
  HostMetrics m(registry);
  m.Invocation("MA", "HandleRequest", Status::Ok(), 0.002);
  m.Invocation("MA", "HandleRequest", DeadlineExceeded("late"), 2.0);
  m.Refused("expired: the token expired at …");
  const std::string text = registry.Render();
  EXPECT_NE(text.find("wasmcloud_invocations_total{actor=\"MA\",operation=\"HandleRequest\","
                      "outcome=\"ok\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("outcome=\"deadline\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("wasmcloud_invocation_duration_seconds_count{actor=\"MA\"} 2\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("wasmcloud_invocations_refused_total{reason=\"expired\"} 1\n"),
            std::string::npos)
      << text;
}

}  // namespace
}  // namespace wasmcloud::host
