#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Check that uapi/linux/aiguard.h documents every ioctl's contract.

Every AIGUARD_IOC_* command must have a "DOC: AIGUARD_IOC_*" kernel-doc
block with a Direction: line, a Privilege: line that matches its row in
dev.c's aiguard_iocs[] table (CAP_SYS_ADMIN or none), and an "Errors:"
list that names exactly the errnos module/dev.c can return for the
command. The reachable errnos are found statically: EPERM for a command
that needs CAP_SYS_ADMIN, EFAULT and whatever else the dispatcher
(aiguard_ioctl()) returns for every command, the -E* literals in its
handler, in every static helper of dev.c it calls or passes as a
callback, and in the "Return:" kernel-doc of every
function of another module file it calls (following functions that a
Return: text names in turn). read(2) and unknown commands (aiguard_ioctl())
are checked the same way against the "DOC: read" and "DOC: ioctl" blocks.

Usage: errno_doc.py MODULE_DIR UAPI_HEADER     (prints TAP)
"""
import os
import re
import sys

ERRNO = re.compile(r"-(E[A-Z0-9]+)\b")
# Kernel calls whose error reaches user space without a literal in dev.c.
KERNEL_CALLS = {
    "wait_event_interruptible": {"EINTR"},  # -ERESTARTSYS, EINTR for the caller
}
CALL = re.compile(r"\b(aiguard_[a-z0-9_]+)\(")
NAME = re.compile(r"\b(aiguard_[a-z0-9_]+)\b")


def strip_comments(text):
    return re.sub(r"/\*.*?\*/", "", text, flags=re.S)


def function_body(src, name):
    m = re.search(r"^[a-z][^\n;(]*\b%s\([^;{]*\)\s*\{" % re.escape(name), src, re.M)
    if not m:
        return None
    end = src.find("\n}\n", m.end())
    return strip_comments(src[m.start():end])


def return_doc(sources, name):
    for src in sources.values():
        m = re.search(r"/\*\*\n \* %s - .*?\*/" % re.escape(name), src, re.S)
        if m:
            doc = m.group(0)
            i = doc.find("Return:")
            return doc[i:] if i >= 0 else ""
    return None


def reachable(sources, dev, text, seen):
    found = set(ERRNO.findall(text))
    for call, errnos in KERNEL_CALLS.items():
        if re.search(r"\b%s\(" % call, text):
            found |= errnos
    # dev.c's static functions count when named at all (handlers and
    # callbacks are passed by name); other files' when called.
    for fn in set(NAME.findall(text)) - seen:
        seen.add(fn)
        body = function_body(dev, fn)
        if body is not None and re.search(r"^static\b[^\n]*\b%s\(" % fn, dev, re.M):
            found |= reachable(sources, dev, body, seen)
            continue
        if fn not in CALL.findall(text):
            continue
        doc = return_doc(sources, fn)
        if doc:
            found |= reachable(sources, dev, doc, seen)
    return found


def table_row(dev, cmd):
    m = re.search(r"AIGUARD_IOC\(%s, (aiguard_[a-z0-9_]+), (true|false)\)," % cmd, dev)
    return (m.group(1), m.group(2) == "true") if m else None


def doc_block(header, name):
    m = re.search(r"/\*\*\n \* DOC: %s\n(.*?)\*/" % re.escape(name), header, re.S)
    return m.group(1) if m else None


def main():
    moddir, uapi = sys.argv[1], sys.argv[2]
    sources = {}
    for f in sorted(os.listdir(moddir)):
        if f.endswith(".c"):
            with open(os.path.join(moddir, f)) as fh:
                sources[f] = fh.read()
    dev = sources["dev.c"]
    with open(uapi) as fh:
        header = fh.read()
    cmds = re.findall(r"^#define (AIGUARD_IOC_[A-Z_]+)\s+_IO", header, re.M)
    dispatch = function_body(dev, "aiguard_ioctl")
    common = set(ERRNO.findall(dispatch)) - {"EPERM", "ENOTTY"}

    checks = []
    for cmd in cmds:
        row = table_row(dev, cmd)
        checks.append((row is not None, "%s has a row in aiguard_iocs[]" % cmd,
                       "no 'AIGUARD_IOC(%s, handler, admin)' row in dev.c" % cmd))
        if row is None:
            continue
        handler, admin = row
        want = reachable(sources, dev, handler + "()", set()) | common
        if admin:
            want.add("EPERM")
        checks.append(contract(header, cmd, want, admin))
    want = reachable(sources, dev, function_body(dev, "aiguard_read"), set())
    checks.append(contract(header, "read", want))
    # The dispatcher's own errors: EPERM (privilege) and EFAULT (copying
    # the argument) belong to each command, ENOTTY to unknown commands.
    checks.append(contract(header, "ioctl", set(ERRNO.findall(dispatch)) & {"ENOTTY"}))

    print("TAP version 13")
    print("1..%d" % len(checks))
    bad = 0
    for i, (ok, name, why) in enumerate(checks, 1):
        print("%s %d - %s" % ("ok" if ok else "not ok", i, name))
        if not ok:
            bad += 1
            print("# " + why)
    return 1 if bad else 0


def contract(header, name, want, admin=None):
    title = "uapi documents the contract of %s: %s" % (name, ", ".join(sorted(want)))
    block = doc_block(header, name)
    if block is None:
        return (False, title, "no '/** DOC: %s' block in the uapi header" % name)
    missing = []
    if name.startswith("AIGUARD_IOC_"):
        if "Direction:" not in block:
            missing.append("no Direction: line")
        priv = re.search(r"Privilege: (CAP_SYS_ADMIN|none)\.", block)
        if not priv:
            missing.append("no 'Privilege: CAP_SYS_ADMIN.' or 'Privilege: none.' line")
        elif (priv.group(1) == "CAP_SYS_ADMIN") != admin:
            missing.append("Privilege: says %s, dev.c says %s" %
                           (priv.group(1), "CAP_SYS_ADMIN" if admin else "none"))
    if "Errors:" not in block:
        missing.append("no Errors: list")
    listed = set(re.findall(r"^ \* - %(E[A-Z0-9]+):", block, re.M))
    if want - listed:
        missing.append("not documented: " + ", ".join(sorted(want - listed)))
    if listed - want:
        missing.append("documented but not returned: " + ", ".join(sorted(listed - want)))
    return (not missing, title, "; ".join(missing))


if __name__ == "__main__":
    sys.exit(main())
