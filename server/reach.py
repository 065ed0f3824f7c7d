"""Can a class reach this server? The listening address, and the machine's LAN address.

Part of the transport: it reads the WSGI environment and asks the kernel, through
a UDP socket that is connected but never sends, which source address it would use
for a private destination. No packet leaves the machine.
"""

from __future__ import annotations

import ipaddress
import socket

# Private destinations to route towards; nothing is ever sent to them.
PROBES = ("10.255.255.255", "192.168.255.255", "172.31.255.255")


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def lan_address() -> str | None:
    """This machine's IPv4 address on its network, or None when it has no route."""
    for target in PROBES:
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.connect((target, 9))  # UDP connect: picks a route, sends nothing
                address = s.getsockname()[0]
        except OSError:
            continue
        if address and not ipaddress.ip_address(address).is_loopback and address != "0.0.0.0":
            return address
    return None


def reach(listen_host: str | None) -> dict:
    """``{"reachable", "lan_address"}`` for a server bound to ``listen_host``."""
    if listen_host is None:
        return {"reachable": None, "lan_address": lan_address()}
    return {"reachable": not is_loopback(listen_host), "lan_address": lan_address()}
