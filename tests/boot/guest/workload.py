#!/usr/bin/python3
# The boot guest's workload, run by agtest-protected.service (under
# aiguard exec) and agtest-control.service (without): it holds a secret
# in its environment and its heap, tells systemd it is ready (Type=notify)
# and logs to stdout/stderr (journald), and reports the signals it gets.
import os
import signal
import socket
import sys
import time

SECRET = "agboot-heap-" + os.environ.get("AGTEST_SECRET", "missing")
held = bytearray(SECRET.encode()) * 64


def notify(msg):
    path = os.environ.get("NOTIFY_SOCKET")
    if not path:
        print("no NOTIFY_SOCKET", file=sys.stderr, flush=True)
        return
    if path.startswith("@"):
        path = "\0" + path[1:]
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        s.connect(path)
        s.sendall(msg.encode())


def on_signal(signum, _frame):
    print(f"workload: got {signal.Signals(signum).name}", flush=True)
    if signum == signal.SIGTERM:
        sys.exit(0)


signal.signal(signal.SIGTERM, on_signal)
signal.signal(signal.SIGUSR1, on_signal)
print(f"workload: stdout ok, pid {os.getpid()}, uid {os.getuid()}", flush=True)
print("workload: stderr ok", file=sys.stderr, flush=True)
print(f"workload: stdin is {os.readlink('/proc/self/fd/0')}", flush=True)
notify("READY=1\nSTATUS=serving")
while True:
    time.sleep(3600)
