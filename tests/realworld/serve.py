#!/usr/bin/env python3
"""A toy "inference server" that holds secrets the way a real one does.

It is the workload of the realworld attack suite (tests/realworld/):

* model weights: a few MiB read from a weights file into a bytearray, every
  4 KiB block starting with the weights canary; the file stays open (and is
  unlinked with --unlink, as a decrypted model would be), and a memfd copy
  named after the model id is mapped into memory;
* an API key in its environment (AIGUARD_API_KEY, set by the launcher);
* answers requests on a unix socket: the reply is a checksum over the prompt,
  one "layer" pread from the weights file, the memfd copy and a slice of the
  in-memory weights (a little CPU work, so that profilers have something
  to sample);
* with --tls-cert/--tls-key also answers HTTPS on 127.0.0.1 (Python's ssl,
  i.e. libssl): POST /v1/completions with the prompt as the body. The
  decrypted prompt is handed to the worker over a pipe (os.write, i.e.
  libc write(2)), the way a front end hands requests to an inference
  engine, and the reply is the checksum above plus the worker's answer;
* forks one worker child that keeps its inherited copy of the weights hot
  and answers the front end's pipe;
* keeps the prompts it served in a ring in multiprocessing.shared_memory
  (/dev/shm/psm_*, as vLLM passes batches to its workers), which the worker
  opens by name and reads each prompt back from, and a copy of the weights
  in a "tensor file" in /dev/shm (mode 0600, as PyTorch's shared tensors).

It prints (and writes to --info, as JSON) its pid, the worker's pid, the
address and size of the weights buffer, the numbers of the weights and
memfd descriptors and the HTTPS port, so that the attacks know where to
look. Replies never contain a canary: what a client receives is not a leak.

  serve.py --make-weights PATH --canary C --model-id M [--mib N]
  serve.py --weights PATH --socket SOCK --info JSON [--unlink]
           [--tls-cert CERT --tls-key KEY]
"""
import argparse
import ctypes
import hashlib
import json
import mmap
import os
from multiprocessing import shared_memory
import selectors
import signal
import socket
import ssl
import sys
import time

BLOCK = 4096
PR_SET_PDEATHSIG = 1
KV_MIB = 4
RING_SLOTS = 64
RING_SLOT = 512


def make_weights(path, canary, model_id, mib):
    header = ("AIGUARD-MODEL %s\n" % model_id).encode()
    tag = canary.encode()
    rnd = os.urandom(mib << 20)
    out = bytearray(rnd)
    out[0:len(header)] = header
    for off in range(BLOCK, len(out), BLOCK):
        out[off:off + len(tag)] = tag
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(out)


class Server:
    def __init__(self, args):
        self.args = args
        self.wfd = os.open(args.weights, os.O_RDONLY)
        size = os.fstat(self.wfd).st_size
        header = os.pread(self.wfd, 256, 0).split(b"\n", 1)[0].decode()
        self.model_id = header.split()[1]
        # the weights, in memory
        self.weights = bytearray(size)
        view = memoryview(self.weights)
        got = 0
        while got < size:
            n = os.preadv(self.wfd, [view[got:]], got)
            if n <= 0:
                raise SystemExit("short read of the weights")
            got += n
        view.release()
        self._cbuf = (ctypes.c_char * size).from_buffer(self.weights)
        self.addr = ctypes.addressof(self._cbuf)
        # a memfd copy, mapped (it shows in /proc/PID/maps by model id)
        self.mfd = os.memfd_create("model-" + self.model_id, 0)
        os.ftruncate(self.mfd, size)
        self.mmap = mmap.mmap(self.mfd, size)
        self.mmap[:] = self.weights
        if args.unlink:
            os.unlink(args.weights)
        self.nblocks = size // BLOCK
        # a "KV cache": what serving keeps of its prompts, in anonymous
        # memory only this process has (never in a file, a pipe or a
        # socket). Each 4 KiB page starts with a block derived from a
        # secret seed; the info file names the block only by its first 4
        # bytes and its SHA-256, so that no scanner ever holds it.
        kv_block = hashlib.sha256(os.urandom(32) + b"kv-cache").digest()
        self.kv = mmap.mmap(-1, KV_MIB << 20, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
        for off in range(0, KV_MIB << 20, 4096):
            self.kv[off:off + len(kv_block)] = kv_block
        self.kv_prefix = kv_block[:4].hex()
        self.kv_hash = hashlib.sha256(kv_block).hexdigest()
        del kv_block
        # the prompt ring and the tensor file (/dev/shm)
        self.ring = shared_memory.SharedMemory(create=True, size=RING_SLOTS * RING_SLOT)
        self.ring_next = 0
        self.tensor = "/dev/shm/aiguard-tensor-%d" % os.getpid()
        fd = os.open(self.tensor, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(self.weights)
        self.child = 0
        self.sock = None
        self.running = True

    def infer(self, prompt):
        h = hashlib.sha256(prompt)
        blk = int.from_bytes(hashlib.sha256(prompt).digest()[:4], "little")
        blk = 1 + blk % (self.nblocks - 4)
        layer = os.pread(self.wfd, BLOCK, blk * BLOCK)  # "lazy-load a layer"
        h.update(layer)
        h.update(self.mmap[blk * BLOCK:(blk + 1) * BLOCK])
        acc = 0
        w = self.weights
        base = blk * BLOCK
        for i in range(base, base + 4 * BLOCK):  # the "matmul"
            acc = (acc * 31 + w[i]) & 0xFFFFFFFF
        h.update(acc.to_bytes(4, "little"))
        return h.hexdigest()

    def fork_worker(self):
        req_r, self.req_w = os.pipe()
        self.resp_r, resp_w = os.pipe()
        parent = os.getpid()
        pid = os.fork()
        if pid:
            self.child = pid
            os.close(req_r)
            os.close(resp_w)
            return
        # worker: dies with its parent, keeps its copy of the weights hot and
        # answers the front end: one prompt per write on req_r (at most
        # PIPE_BUF bytes, so one read), one answer line on resp_w
        os.close(self.req_w)
        os.close(self.resp_r)
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        signal.signal(signal.SIGTERM, lambda *a: os._exit(0))
        # the parent died before PDEATHSIG was set (not "ppid is 1": in a
        # container the server itself is PID 1)
        if os.getppid() != parent:
            os._exit(0)
        # the ring, opened by name as a worker process would (not inherited)
        rfd = os.open("/dev/shm/" + self.ring.name, os.O_RDWR)
        ring = mmap.mmap(rfd, RING_SLOTS * RING_SLOT)
        os.close(rfd)
        sel = selectors.DefaultSelector()
        sel.register(req_r, selectors.EVENT_READ)
        while True:
            if sel.select(0.5):
                msg = os.read(req_r, 4096)
                if not msg:
                    os._exit(0)
                # "N PROMPT": the prompt, and the ring slot that holds it too
                slot, _, prompt = msg.partition(b" ")
                slot = int(slot)
                kept = ring[slot * RING_SLOT:(slot + 1) * RING_SLOT].rstrip(b"\0")
                out = hashlib.sha256(prompt + self.weights[:65536]).hexdigest()
                os.write(resp_w, ("%d tokens %s ring %s\n" % (
                    len(prompt.split()), out[:16], "ok" if kept == prompt else "bad")).encode())
            else:
                hashlib.sha256(self.weights[:65536]).digest()

    def ask_worker(self, prompt):
        slot = self.ring_next
        self.ring_next = (slot + 1) % RING_SLOTS
        prompt = prompt[:RING_SLOT - 16]
        self.ring.buf[slot * RING_SLOT:(slot + 1) * RING_SLOT] = prompt.ljust(RING_SLOT, b"\0")
        os.write(self.req_w, b"%d %s" % (slot, prompt))
        return os.read(self.resp_r, 4096).decode().strip()

    def serve(self):
        path = self.args.socket
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        os.chmod(path, 0o666)
        self.sock.listen(16)
        sel = selectors.DefaultSelector()
        sel.register(self.sock, selectors.EVENT_READ, self.serve_unix)
        port = 0
        if self.args.tls_cert:
            self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.tls.load_cert_chain(self.args.tls_cert, self.args.tls_key)
            self.https = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.https.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.https.bind(("127.0.0.1", 0))
            self.https.listen(16)
            port = self.https.getsockname()[1]
            sel.register(self.https, selectors.EVENT_READ, self.serve_https)
        self.fork_worker()
        info = {
            "pid": os.getpid(),
            "child": self.child,
            "addr": self.addr,
            "size": len(self.weights),
            "weights_fd": self.wfd,
            "memfd": self.mfd,
            "socket": path,
            "https_port": port,
            "kv_prefix": self.kv_prefix,
            "ring": "/dev/shm/" + self.ring.name,
            "tensor": self.tensor,
            "kv_hash": self.kv_hash,
        }
        tmp = self.args.info + ".tmp"
        with open(tmp, "w") as f:
            json.dump(info, f)
        os.rename(tmp, self.args.info)
        print("serve.py: pid %d worker %d weights at 0x%x (%d bytes) fd %d memfd %d https port %d"
              % (info["pid"], self.child, self.addr, len(self.weights), self.wfd, self.mfd, port),
              flush=True)
        signal.signal(signal.SIGTERM, self.stop)
        while self.running:
            try:
                events = sel.select()
            except InterruptedError:
                continue
            for key, _ in events:
                try:
                    conn, _ = key.fileobj.accept()
                except InterruptedError:
                    continue
                except OSError:
                    if not self.running:
                        break
                    raise
                with conn:
                    conn.settimeout(30)
                    try:
                        key.data(conn)
                    except (OSError, ValueError) as e:  # one bad client must not stop the server
                        print("serve.py: request failed: %s" % type(e).__name__, flush=True)
        self.cleanup()

    def serve_unix(self, conn):
        data = b""
        while not data.endswith(b"\n"):
            chunk = conn.recv(4096)
            if not chunk:
                break
            data += chunk
        conn.sendall(("%s\n" % self.infer(data.strip())).encode())

    def serve_https(self, raw):
        """One HTTP/1.0-style exchange over TLS: POST /v1/completions."""
        with self.tls.wrap_socket(raw, server_side=True) as conn:
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                data += chunk
            head, body = data.split(b"\r\n\r\n", 1)
            lines = head.decode("latin-1").split("\r\n")
            length = 0
            for line in lines[1:]:
                k, _, v = line.partition(":")
                if k.strip().lower() == "content-length":
                    length = int(v)
            while len(body) < length:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                body += chunk
            if not lines[0].startswith("POST /v1/completions "):
                reply, status = b"not found\n", "404 Not Found"
            else:
                answer = self.ask_worker(body)
                reply = ("%s %s\n" % (self.infer(body), answer)).encode()
                status = "200 OK"
            conn.sendall(("HTTP/1.0 %s\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n"
                          "Connection: close\r\n\r\n" % (status, len(reply))).encode() + reply)

    def stop(self, *_):
        self.running = False
        self.cleanup()
        sys.exit(0)

    def cleanup(self):
        if self.child:
            try:
                os.kill(self.child, signal.SIGTERM)
                os.waitpid(self.child, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
            self.child = 0
        for p in (self.args.socket, self.args.info, self.tensor):
            try:
                os.unlink(p)
            except FileNotFoundError:
                pass
        try:
            self.ring.close()
            self.ring.unlink()
        except (FileNotFoundError, BufferError):
            pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--make-weights")
    ap.add_argument("--canary")
    ap.add_argument("--model-id")
    ap.add_argument("--mib", type=int, default=4)
    ap.add_argument("--weights")
    ap.add_argument("--socket")
    ap.add_argument("--info")
    ap.add_argument("--unlink", action="store_true")
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    args = ap.parse_args()
    if args.make_weights:
        make_weights(args.make_weights, args.canary, args.model_id, args.mib)
        return
    if not (args.weights and args.socket and args.info):
        ap.error("--weights, --socket and --info are required")
    Server(args).serve()


if __name__ == "__main__":
    main()
