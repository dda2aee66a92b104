"""Who is calling, for per-source limits: the client address API Gateway reports (sourceIp).

An IPv6 client usually holds a whole /64 and can pick any address in it, so a source is its /64;
an IPv4 address is itself. Whatever cannot be parsed is kept as given (it still names one caller).
"""

from __future__ import annotations

import ipaddress

IPV6_SOURCE_PREFIX = 64


def client_source(source_ip: str) -> str:
    try:
        address = ipaddress.ip_address(source_ip.strip())
    except ValueError:
        return source_ip.strip()
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{address}/{IPV6_SOURCE_PREFIX}", strict=False))
    return str(address)
