"""A client source for per-source limits: one IPv4 address, or one IPv6 /64 (a host picks any
address in its /64, so counting single IPv6 addresses would limit nothing)."""

from __future__ import annotations

from privacydesk.requests.domain.sources import client_source


def test_an_ipv4_address_is_its_own_source():
    assert client_source("203.0.113.9") == "203.0.113.9"


def test_two_ipv4_neighbours_are_two_sources():
    assert client_source("203.0.113.9") != client_source("203.0.113.10")


def test_addresses_of_one_ipv6_64_are_one_source():
    assert client_source("2001:db8:1:2::1") == client_source("2001:db8:1:2:ffff:ffff:ffff:fffe")


def test_two_ipv6_64s_are_two_sources():
    assert client_source("2001:db8:1:2::1") != client_source("2001:db8:1:3::1")


def test_an_ipv4_mapped_ipv6_address_is_the_ipv4_source():
    assert client_source("::ffff:203.0.113.9") == "203.0.113.9"


def test_an_unparseable_source_is_kept_as_one_source():
    assert client_source("unknown") == "unknown"
