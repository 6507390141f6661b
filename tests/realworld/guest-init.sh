#!/bin/bash
# /init of the realworld overlay disk, exec'd by /sbin/aiguard-guest-init
# (PID 1) in the cached guest image. Loads the module, runs the attack
# suite with its result lines on the second serial port (/dev/ttyS1),
# prints the end sentinel and powers off.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
exec </dev/null >/dev/console 2>&1
R=/dev/ttyS1
stty -F "$R" raw -echo 2>/dev/null
hostname aiguard-guest
# the loopback interface (HTTPS on 127.0.0.1): no iproute2 in the image
python3 -c 'import fcntl, socket, struct
s = socket.socket()
f = struct.unpack("16sH", fcntl.ioctl(s, 0x8913, struct.pack("16sH", b"lo", 0)))[1]  # SIOCGIFFLAGS
fcntl.ioctl(s, 0x8914, struct.pack("16sH", b"lo", f | 1))  # SIOCSIFFLAGS |= IFF_UP' ||
	echo "# cannot bring lo up" >"$R"
# uprobe/kprobe events and bpftrace want tracefs (and debugfs)
mountpoint -q /sys/kernel/tracing || mount -t tracefs tracefs /sys/kernel/tracing
mountpoint -q /sys/kernel/debug || mount -t debugfs debugfs /sys/kernel/debug
# POSIX shared memory (the server's prompt ring and tensor file), as systemd mounts it
mkdir -p /dev/shm
mountpoint -q /dev/shm || mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /dev/shm
echo "# guest kernel $(uname -r)" >"$R"
if [ -f /overlay/aiguard.ko ]; then
	if out=$(insmod /overlay/aiguard.ko 2>&1); then
		echo "# module loaded: $(grep -c . /proc/modules) modules, /dev/aiguard $(test -c /dev/aiguard && echo present || echo missing)" >"$R"
	else
		echo "# insmod aiguard.ko failed: $out" >"$R"
	fi
else
	echo "# no aiguard.ko in the overlay" >"$R"
fi
t0=$(date +%s)
/overlay/realworld/attacks.sh >"$R"
echo "# suite took $(($(date +%s) - t0)) s" >"$R"
dmesg | grep -E 'aiguard[:_]' | grep -v 'denied' | tail -n 10 | sed 's/^/# dmesg: /' >"$R"
echo "# dmesg: $(dmesg | grep -c 'aiguard: denied') 'aiguard: denied' lines" >"$R"
echo "AIGUARD-REALWORLD-END" >"$R"
sync
echo o >/proc/sysrq-trigger
sleep 10
