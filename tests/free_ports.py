#!/usr/bin/env python3
"""Prints N (default 2) distinct free loopback ports, below the kernel's ephemeral range, for
the shell tests (e2e_util.free_ports: a port from the ephemeral range may go to the next
outgoing connection of another test before the daemon listens on it).

usage: free_ports.py [N]
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "e2e"))
from e2e_util import free_ports  # noqa: E402

print(*free_ports(int(sys.argv[1]) if len(sys.argv) > 1 else 2))
