"""The stand-in's HTTP API throttles as API Gateway does, with the limits template.yaml sets."""

from __future__ import annotations

import pytest

from local.gateway import RouteThrottle, ThrottleLimits, throttle_from_template
from local.sam_template import load

pytestmark = pytest.mark.unit


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_stand_in_takes_its_limits_from_the_template():
    api = next(r for r in load()["Resources"].values() if r["Type"] == "AWS::Serverless::HttpApi")
    settings = api["Properties"]["DefaultRouteSettings"]
    throttle = throttle_from_template()
    assert throttle.default == ThrottleLimits(settings["ThrottlingRateLimit"], settings["ThrottlingBurstLimit"])


def test_a_burst_is_admitted_up_to_its_depth_then_refused():
    clock = Clock()
    throttle = RouteThrottle(ThrottleLimits(rate_per_second=25, burst=50), monotonic=clock)
    admitted = [throttle.admit("ANY /v1/{proxy+}") for _ in range(60)]
    assert admitted.count(True) == 50
    assert admitted[50:] == [False] * 10


def test_the_bucket_refills_at_the_rate_and_never_beyond_the_burst():
    clock = Clock()
    throttle = RouteThrottle(ThrottleLimits(rate_per_second=25, burst=50), monotonic=clock)
    for _ in range(50):
        throttle.admit("ANY /v1/{proxy+}")
    clock.now += 0.2  # 5 tokens
    assert [throttle.admit("ANY /v1/{proxy+}") for _ in range(6)] == [True] * 5 + [False]
    clock.now += 3600
    assert sum(throttle.admit("ANY /v1/{proxy+}") for _ in range(60)) == 50


def test_each_route_has_its_own_bucket_and_route_settings_override_the_default():
    clock = Clock()
    throttle = RouteThrottle(
        ThrottleLimits(rate_per_second=1, burst=2),
        per_route={"ANY /v1/admin/{proxy+}": ThrottleLimits(rate_per_second=1, burst=5)},
        monotonic=clock,
    )
    assert [throttle.admit("ANY /v1/{proxy+}") for _ in range(3)] == [True, True, False]
    assert sum(throttle.admit("ANY /v1/admin/{proxy+}") for _ in range(10)) == 5
    assert throttle.admit("ANY /privacy") is True


def test_no_limits_means_no_throttling():
    throttle = RouteThrottle(None)
    assert all(throttle.admit("ANY /v1/{proxy+}") for _ in range(1000))
