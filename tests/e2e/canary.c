// SPDX-License-Identifier: GPL-2.0
/*
 * Canaries that never exist in clear outside the process that writes
 * them, and one pass over the RAM of /proc/kcore that looks for them
 * (t_mem, t_obj). A writer derives its canary from a seed one byte at a
 * time, in integer registers; the scanner keeps each needle XOR-encoded
 * and decodes it a byte at a time while comparing. Otherwise the scanner
 * would find its own copy, or one the kernel keeps of a pipe write, or a
 * register file saved at a context switch. No vector instructions here,
 * for the same reason.
 */
#pragma GCC optimize("no-tree-vectorize")

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "canary.h"

#define KCORE		"/proc/kcore"
#define CHUNK		(1UL << 20)

uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* Byte @i of the canary of @seed: computed, never stored by the scanner. */
unsigned char canary_byte(uint64_t seed, unsigned int i)
{
	return (unsigned char)(mix(seed * 64 + i) >> 17);
}

/* Fills @len bytes with the canary, repeated, one volatile byte at a time. */
void canary_fill(volatile unsigned char *p, size_t len, uint64_t seed)
{
	size_t off;

	for (off = 0; off < len; off++)
		p[off] = canary_byte(seed, off % NEEDLE);
}

/*
 * Whether [p + from, p + from + len) still holds what canary_fill(p, ...)
 * wrote there.
 */
int canary_intact_at(const volatile unsigned char *p, size_t from, size_t len, uint64_t seed)
{
	size_t off;

	for (off = from; off < from + len; off++)
		if (p[off] != canary_byte(seed, off % NEEDLE))
			return 0;
	return 1;
}

void needle_of(struct needle *n, uint64_t seed)
{
	unsigned int i;

	for (i = 0; i < NEEDLE; i++) {
		n->key[i] = (unsigned char)(mix(seed ^ 0x5a5a5a5a5a5aULL ^ i) | 1);
		n->enc[i] = canary_byte(seed, i) ^ n->key[i];
	}
	n->found = 0;
}

static int needle_at(const struct needle *n, const volatile unsigned char *p)
{
	unsigned int i;

	for (i = 0; i < NEEDLE; i++)
		if (p[i] != (unsigned char)(n->enc[i] ^ n->key[i]))
			return 0;
	return 1;
}

static void needle_search(struct needle *n, const volatile unsigned char *buf, size_t len)
{
	unsigned char first = n->enc[0] ^ n->key[0];
	size_t i;

	for (i = 0; !n->found && i + NEEDLE <= len; i++)
		if (buf[i] == first && needle_at(n, buf + i))
			n->found = 1;
}

static unsigned char *scan_buf;

/*
 * The scanner's buffer, allocated once before any holder frees anything
 * (so that it is not a freed page that the scan then finds its own
 * reads in). Returns 0, or -1 with errno.
 */
int kcore_scan_init(void)
{
	scan_buf = calloc(1, CHUNK + NEEDLE);
	return scan_buf ? 0 : -1;
}

/*
 * One pass over the RAM segments of /proc/kcore for every needle; chunks
 * overlap by a needle's length. Returns 0, or -1 with errno.
 */
int kcore_scan(struct needle *nd, int n)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	int fd, i, k, e;

	fd = open(KCORE, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (pread(fd, &eh, sizeof(eh), 0) != sizeof(eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG)) {
		close(fd);
		errno = EIO;
		return -1;
	}
	for (k = 0; k < n; k++)
		nd[k].found = 0;
	for (i = 0; i < eh.e_phnum; i++) {
		off_t off;
		size_t left;

		if (pread(fd, &ph, sizeof(ph), eh.e_phoff + (off_t)i * eh.e_phentsize) != sizeof(ph))
			break;
		/* RAM has a physical address, and is not the kernel's text */
		if (ph.p_type != PT_LOAD || ph.p_paddr == (Elf64_Addr)-1 ||
		    ph.p_filesz > (16ULL << 30))
			continue;
		for (off = ph.p_offset, left = ph.p_filesz; left;) {
			size_t want = left < CHUNK ? left : CHUNK;
			ssize_t got = pread(fd, scan_buf, want + (left > want ? NEEDLE - 1 : 0), off);

			if (got <= 0)
				break;
			for (k = 0; k < n; k++)
				needle_search(&nd[k], scan_buf, got);
			if ((size_t)got < want)
				break;
			off += want;
			left -= want;
		}
	}
	e = errno;
	close(fd);
	/* what was read stays in no buffer of ours for the next scan */
	memset(scan_buf, 0, CHUNK + NEEDLE);
	errno = e;
	return 0;
}

/*
 * How many of the @nr physical frames @pfn hold @n's canary, read through
 * the RAM segments of /proc/kcore one page each. Returns the count, or -1
 * with errno.
 */
long kcore_frames_with(struct needle *n, const uint64_t *pfn, size_t nr)
{
	Elf64_Phdr ph[64];
	Elf64_Ehdr eh;
	long hits = 0;
	size_t i;
	int fd, k, nph, e;

	fd = open(KCORE, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	nph = 0;
	if (pread(fd, &eh, sizeof(eh), 0) == sizeof(eh) && !memcmp(eh.e_ident, ELFMAG, SELFMAG))
		for (k = 0; k < eh.e_phnum && nph < 64; k++)
			if (pread(fd, &ph[nph], sizeof(ph[0]),
				  eh.e_phoff + (off_t)k * eh.e_phentsize) == sizeof(ph[0]) &&
			    ph[nph].p_type == PT_LOAD && ph[nph].p_paddr != (Elf64_Addr)-1 &&
			    ph[nph].p_filesz <= (16ULL << 30))
				nph++;
	if (!nph) {
		close(fd);
		errno = EIO;
		return -1;
	}
	for (i = 0; i < nr; i++) {
		uint64_t pa = pfn[i] * 4096;

		for (k = 0; k < nph; k++) {
			if (pa < ph[k].p_paddr || pa - ph[k].p_paddr >= ph[k].p_filesz)
				continue;
			n->found = 0;
			if (pread(fd, scan_buf, 4096, ph[k].p_offset + (pa - ph[k].p_paddr)) == 4096)
				needle_search(n, scan_buf, 4096);
			hits += n->found;
			break;
		}
	}
	e = errno;
	close(fd);
	memset(scan_buf, 0, 4096);
	errno = e;
	return hits;
}
