#!/usr/bin/env python3
"""Attack and client helpers for the realworld suite (run as root in the guest).

  attack_helpers.py vmread PID ADDR LEN OUT      process_vm_readv(2) via ctypes
  attack_helpers.py getfd PID FD OUT             pidfd_open(2) + pidfd_getfd(2), then read the fd
  attack_helpers.py request SOCK [N]             send N prompts, print the replies
  attack_helpers.py https PORT CAFILE PROMPT [N] POST PROMPT N times over TLS to
                                                 127.0.0.1:PORT, print the replies
                                                 (never the prompt)
  attack_helpers.py load SOCK SECONDS            send prompts for SECONDS (profiling load)
  attack_helpers.py drive CAFILE ROUNDS PORT PROMPT [PORT PROMPT...]
                                                 ROUNDS times one HTTPS prompt to each PORT,
                                                 a second apart (a tool's workload)
  attack_helpers.py elfoff LIB SYMBOL            file offset of SYMBOL in LIB (for uprobe_events)
  attack_helpers.py vars JSON                    print the server's info file as shell variables
  attack_helpers.py shmread PATH OUT              read /dev/shm/NAME with multiprocessing's
                                                 shared_memory into OUT
  attack_helpers.py kcore PREFIX HASH            scan the RAM segments of /proc/kcore for a page
                                                 that starts with a 32-byte block whose first
                                                 4 bytes are PREFIX and whose SHA-256 is HASH
                                                 (hex); print "found at PADDR" or "not found"

Failures print "errno N (NAME): message" on stderr and exit 1.
"""
import ctypes
import errno
import json
import os
import socket
import struct
import ssl
import sys
import time

libc = ctypes.CDLL(None, use_errno=True)
SYS_pidfd_getfd = 438


class IoVec(ctypes.Structure):
    _fields_ = [("iov_base", ctypes.c_void_p), ("iov_len", ctypes.c_size_t)]


def fail(what, err):
    print("%s: errno %d (%s): %s" % (what, err, errno.errorcode.get(err, "?"), os.strerror(err)),
          file=sys.stderr)
    sys.exit(1)


def vmread(pid, addr, length, out):
    buf = ctypes.create_string_buffer(length)
    local = IoVec(ctypes.cast(buf, ctypes.c_void_p), length)
    remote = IoVec(ctypes.c_void_p(addr), length)
    libc.process_vm_readv.restype = ctypes.c_ssize_t
    n = libc.process_vm_readv(pid, ctypes.byref(local), 1, ctypes.byref(remote), 1, 0)
    if n < 0:
        fail("process_vm_readv", ctypes.get_errno())
    with open(out, "wb") as f:
        f.write(buf.raw[:n])
    print("process_vm_readv: read %d bytes" % n)


def getfd(pid, fd, out):
    try:
        pidfd = os.pidfd_open(pid)
    except OSError as e:
        fail("pidfd_open", e.errno)
    libc.syscall.restype = ctypes.c_long
    nfd = libc.syscall(SYS_pidfd_getfd, pidfd, fd, 0)
    if nfd < 0:
        fail("pidfd_getfd", ctypes.get_errno())
    data = os.pread(nfd, 64 << 20, 0)
    with open(out, "wb") as f:
        f.write(data)
    print("pidfd_getfd: fd %d -> %d, read %d bytes (%s)" % (fd, nfd, len(data), os.readlink("/proc/self/fd/%d" % nfd)))


def request(path, prompt):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(30)
    s.connect(path)
    s.sendall(prompt + b"\n")
    data = b""
    while not data.endswith(b"\n"):
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    s.close()
    return data.decode().strip()


def https(port, cafile, prompt):
    """POST /v1/completions over TLS (certificate checked against CAFILE)."""
    ctx = ssl.create_default_context(cafile=cafile)
    ctx.check_hostname = False
    with socket.create_connection(("127.0.0.1", port), timeout=30) as raw:
        with ctx.wrap_socket(raw) as s:
            s.sendall(b"POST /v1/completions HTTP/1.0\r\nHost: localhost\r\n"
                      b"Content-Type: text/plain\r\nContent-Length: %d\r\n\r\n" % len(prompt) + prompt)
            data = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status = head.split(b"\r\n", 1)[0].decode("latin-1")
    return "%s | %s" % (status, body.decode().strip())


def elfoff(path, name):
    """File offset of a dynamic symbol in a 64-bit little-endian ELF (what
    uprobe_events wants: there is no readelf in the guest)."""
    with open(path, "rb") as f:
        elf = f.read()
    if elf[:4] != b"\x7fELF" or elf[4] != 2 or elf[5] != 1:
        sys.exit("%s: not a 64-bit little-endian ELF" % path)
    phoff, shoff = struct.unpack_from("<QQ", elf, 0x20)
    phentsize, phnum, shentsize, shnum = struct.unpack_from("<HHHH", elf, 0x36)
    secs = [struct.unpack_from("<IIQQQQIIQQ", elf, shoff + i * shentsize) for i in range(shnum)]
    value = None
    for sh in secs:
        if sh[1] != 11:  # SHT_DYNSYM
            continue
        strtab = secs[sh[6]]
        for off in range(sh[4], sh[4] + sh[5], sh[9]):
            st_name, st_info, _, st_shndx, st_value, _ = struct.unpack_from("<IBBHQQ", elf, off)
            end = elf.index(b"\0", strtab[4] + st_name)
            if st_shndx and st_info & 0xf == 2 and elf[strtab[4] + st_name:end] == name.encode():
                value = st_value
                break
    if value is None:
        sys.exit("%s: no function %s" % (path, name))
    for i in range(phnum):
        p_type, _, p_offset, p_vaddr, _, p_filesz = struct.unpack_from("<IIQQQQ", elf, phoff + i * phentsize)
        if p_type == 1 and p_vaddr <= value < p_vaddr + p_filesz:  # PT_LOAD
            return value - p_vaddr + p_offset
    sys.exit("%s: %s at 0x%x is in no PT_LOAD segment" % (path, name, value))


def syslog_sink(path):
    """The guest has no syslog daemon: take /dev/log's datagrams into path."""
    try:
        os.unlink("/dev/log")
    except FileNotFoundError:
        pass
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind("/dev/log")
    with open(path, "ab", buffering=0) as f:
        while True:
            f.write(s.recv(8192) + b"\n")


def kcore(prefix, digest):
    """The scanner knows the block only by prefix and hash: it never holds it."""
    import hashlib
    want_p, want_h = bytes.fromhex(prefix), bytes.fromhex(digest)
    with open("/proc/kcore", "rb") as f:
        eh = f.read(64)
        if eh[:4] != b"\x7fELF":
            fail("kcore", errno.EIO)
        phoff, = struct.unpack_from("<Q", eh, 32)
        phentsize, phnum = struct.unpack_from("<HH", eh, 54)
        for i in range(phnum):
            f.seek(phoff + i * phentsize)
            p_type, _, p_offset, _, p_paddr, p_filesz = struct.unpack("<IIQQQQ", f.read(40))
            # RAM: a physical address, page-aligned file offsets
            if p_type != 1 or p_paddr == 0xFFFFFFFFFFFFFFFF or p_filesz > (64 << 30):
                continue
            off, end = p_offset, p_offset + p_filesz
            while off < end:
                f.seek(off)
                chunk = f.read(min(1 << 20, end - off))
                if not chunk:
                    break
                for pg in range(0, len(chunk), 4096):
                    if chunk[pg:pg + 4] == want_p and \
                            hashlib.sha256(chunk[pg:pg + 32]).digest() == want_h:
                        print("found at 0x%x" % (p_paddr + off - p_offset + pg))
                        return
                off += len(chunk)
    print("not found")


def main():
    cmd = sys.argv[1]
    a = sys.argv[2:]
    if cmd == "vmread":
        vmread(int(a[0]), int(a[1], 0), int(a[2]), a[3])
    elif cmd == "getfd":
        getfd(int(a[0]), int(a[1]), a[2])
    elif cmd == "request":
        n = int(a[1]) if len(a) > 1 else 1
        for i in range(n):
            print(request(a[0], b"what is the capital of France? #%d" % i))
    elif cmd == "https":
        n = int(a[3]) if len(a) > 3 else 1
        for i in range(n):
            try:
                print(https(int(a[0]), a[1], b"%s what is the capital of France? #%d" % (a[2].encode(), i)))
            except (OSError, ssl.SSLError) as e:
                print("https: %s: %s" % (type(e).__name__, e), file=sys.stderr)
                sys.exit(1)
    elif cmd == "drive":
        targets = list(zip(a[2::2], a[3::2]))
        for i in range(int(a[1])):
            for port, prompt in targets:
                try:
                    print(https(int(port), a[0], b"%s what is the capital of France? #%d" % (prompt.encode(), i)))
                except (OSError, ssl.SSLError) as e:
                    print("https: %s: %s" % (type(e).__name__, e), file=sys.stderr)
            time.sleep(1)
    elif cmd == "elfoff":
        print("0x%x" % elfoff(a[0], a[1]))
    elif cmd == "load":
        end = time.time() + float(a[1])
        i = 0
        while time.time() < end:
            try:
                request(a[0], b"prompt %d" % i)
            except OSError:
                time.sleep(0.1)
            i += 1
        print("load: %d requests" % i)
    elif cmd == "syslog":
        syslog_sink(a[0])
    elif cmd == "shmread":
        from multiprocessing import resource_tracker, shared_memory
        shm = shared_memory.SharedMemory(name=os.path.basename(a[0]))
        # an attacker's reader must not unlink the server's object at exit
        resource_tracker.unregister(shm._name, "shared_memory")
        with open(a[1], "wb") as f:
            f.write(bytes(shm.buf))
        shm.close()
    elif cmd == "kcore":
        kcore(a[0], a[1])
    elif cmd == "vars":
        with open(a[0]) as f:
            for k, v in json.load(f).items():
                print("S_%s=%s" % (k.upper(), v))
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main()
