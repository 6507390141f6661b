// SPDX-License-Identifier: GPL-2.0
/*
 * aiguard(8) - the events command: reading audit records from
 * /dev/aiguard and rendering them (struct aiguard_event) as text or JSON;
 * the names of hooks and record types.
 *
 * Records come from the kernel but their strings (comm) are chosen by
 * whoever named the process, i.e. possibly by an attacker: the text form
 * prints only printable ASCII (anything else becomes '?') so a record can
 * neither fake another line nor drive the terminal; the JSON form escapes
 * everything (json.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "json.h"
#include "opts.h"
#include "tool.h"

/* PTRACE_MODE_* of <linux/ptrace.h> (kernel-internal, stable since 4.5). */
#define PT_MODE_READ		0x01
#define PT_MODE_ATTACH		0x02
#define PT_MODE_NOAUDIT		0x04
#define PT_MODE_FSCREDS		0x08
#define PT_MODE_REALCREDS	0x10

/* Indexed by enum aiguard_hook and enum aiguard_event_type (ABI: fixed). */
static const char *const hook_names[] = {
	"ptrace_access", "ptrace_traceme", "perf_event", "task_prctl",
	"coredump", "exec", "task_alloc", "locked_down", "join", "bpf",
	"uprobe", "trace_read", "swap", "migrate", "kernel_read", "object",
};
/* JSON names; the text form prints them in upper case. */
static const char *const type_names[] = {
	NULL, "deny", "audit", "grant_used", "protect", "unprotect",
	"grant_add", "grant_end", "lock", "mode", "dropped", "tamper", "join",
	"evict",
};

_Static_assert(sizeof(hook_names) / sizeof(hook_names[0]) == AIGUARD_HOOK_NR,
	       "a name for every hook");
_Static_assert(sizeof(type_names) / sizeof(type_names[0]) == AIGUARD_EVENT_EVICT + 1,
	       "a name for every record type");

const char *hook_name(unsigned int hook)
{
	return hook < AIGUARD_HOOK_NR ? hook_names[hook] : NULL;
}

const char *event_type_name(unsigned int type)
{
	if (type >= sizeof(type_names) / sizeof(type_names[0]))
		return NULL;
	return type_names[type];
}

static bool is_decision(unsigned int type)
{
	return type == AIGUARD_EVENT_DENY || type == AIGUARD_EVENT_AUDIT ||
	       type == AIGUARD_EVENT_GRANT_USED;
}

/* Records whose hook says what: decisions, and evictions (tracer or perf). */
static bool has_hook(unsigned int type)
{
	return is_decision(type) || type == AIGUARD_EVENT_EVICT;
}

static bool has_grant_id(unsigned int type)
{
	return type == AIGUARD_EVENT_GRANT_USED ||
	       type == AIGUARD_EVENT_GRANT_ADD || type == AIGUARD_EVENT_GRANT_END;
}

/* RFC 3339, UTC, milliseconds: 2026-11-26T01:40:12.123Z */
void format_time_ns(char *buf, size_t len, uint64_t ns)
{
	time_t secs = (time_t)(ns / 1000000000ULL);
	unsigned int ms = (unsigned int)(ns % 1000000000ULL / 1000000ULL);
	struct tm tm;
	size_t n;

	if (!gmtime_r(&secs, &tm) ||
	    (n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm)) == 0) {
		snprintf(buf, len, "?");
		return;
	}
	snprintf(buf + n, len - n, ".%03uZ", ms);
}

/*
 * The names of the PTRACE_MODE_* bits in @detail, "+"-separated, into buf;
 * bits without a name are appended as one hex number.
 */
static void ptrace_mode_text(uint32_t detail, char *buf, size_t len)
{
	uint32_t rest = detail & ~(uint32_t)(PT_MODE_READ | PT_MODE_ATTACH |
					     PT_MODE_NOAUDIT | PT_MODE_FSCREDS |
					     PT_MODE_REALCREDS);
	size_t n = 0;

#define ADD(str) (n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "%s%s", n ? "+" : "", str))
	if (detail & PT_MODE_ATTACH)
		ADD("attach");
	if (detail & PT_MODE_READ)
		ADD("read");
	if (detail & PT_MODE_FSCREDS)
		ADD("fscreds");
	if (detail & PT_MODE_REALCREDS)
		ADD("realcreds");
	if (detail & PT_MODE_NOAUDIT)
		ADD("noaudit");
#undef ADD
	if (rest)
		n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "%s0x%" PRIx32,
				      n ? "+" : "", rest);
	if (n == 0)
		snprintf(buf, len, "none");
}

static void ptrace_mode_json(struct json *j, uint32_t detail)
{
	static const struct { uint32_t bit; const char *name; } bits[] = {
		{ PT_MODE_ATTACH, "attach" }, { PT_MODE_READ, "read" },
		{ PT_MODE_FSCREDS, "fscreds" }, { PT_MODE_REALCREDS, "realcreds" },
		{ PT_MODE_NOAUDIT, "noaudit" },
	};

	json_key(j, "mode");
	json_array_begin(j);
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
		if (detail & bits[i].bit)
			json_str(j, bits[i].name);
	json_array_end(j);
}

static void state_text(FILE *f, uint32_t state)
{
	static const struct { uint32_t bit; const char *name; } bits[] = {
		{ AIGUARD_STATE_HOOKS_DEAD, "hooks_dead" },
		{ AIGUARD_TAMPER_KPROBES_SWITCH, "kprobes_switch" },
		{ AIGUARD_TAMPER_KEXEC_LOAD, "kexec_load" },
		{ AIGUARD_STATE_LOCKED, "locked" },
		{ AIGUARD_STATE_SEALED, "sealed" },
		{ AIGUARD_STATE_PERMISSIVE, "permissive" },
	};
	uint32_t rest = state;
	const char *sep = "";

	fputs(" state=", f);
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
		if (!(state & bits[i].bit))
			continue;
		fprintf(f, "%s%s", sep, bits[i].name);
		sep = "+";
		rest &= ~bits[i].bit;
	}
	if (rest || !state)
		fprintf(f, "%s0x%" PRIx32, sep, rest);
}

/* Copies of the record's strings, always NUL-terminated. */
struct ev_strings {
	char caller_comm[sizeof(((struct aiguard_event *)0)->caller_comm) + 1];
	char target_comm[sizeof(((struct aiguard_event *)0)->target_comm) + 1];
	char caller_label[AIGUARD_LABEL_MAX + 1];
	char target_label[AIGUARD_LABEL_MAX + 1];
};

static void ev_strings(const struct aiguard_event *ev, struct ev_strings *s)
{
	memset(s, 0, sizeof(*s));
	memcpy(s->caller_comm, ev->caller_comm, sizeof(ev->caller_comm));
	memcpy(s->target_comm, ev->target_comm, sizeof(ev->target_comm));
	memcpy(s->caller_label, ev->caller_label, sizeof(ev->caller_label));
	memcpy(s->target_label, ev->target_label, sizeof(ev->target_label));
}

/* TIME TYPE, the type upper case. */
static void event_text_head(FILE *f, const struct aiguard_event *ev,
			    const char *tname)
{
	char tbuf[64];

	format_time_ns(tbuf, sizeof(tbuf), ev->time_ns);
	fputs(tbuf, f);
	fputc(' ', f);
	if (!tname) {
		fprintf(f, "UNKNOWN(type=%u)", ev->type);
		return;
	}
	for (const char *p = tname; *p; p++)
		fputc(*p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p, f);
}

/* What happened: the hook and mode of a decision, the new mode, ... */
static void event_text_what(FILE *f, const struct aiguard_event *ev,
			    const char *tname)
{
	const char *hname = hook_name(ev->hook);

	if (is_decision(ev->type) || !tname) {
		if (hname)
			fprintf(f, " %s", hname);
		else
			fprintf(f, " hook=%u", ev->hook);
		if (ev->hook == AIGUARD_HOOK_PTRACE_ACCESS && tname) {
			char mbuf[96];

			ptrace_mode_text(ev->detail, mbuf, sizeof(mbuf));
			fprintf(f, " %s", mbuf);
		} else {
			fprintf(f, " detail=%" PRIu32, (uint32_t)ev->detail);
		}
	} else if (ev->type == AIGUARD_EVENT_EVICT) {
		fprintf(f, " %s", hname ? hname : "?");
	} else if (ev->type == AIGUARD_EVENT_MODE) {
		fprintf(f, " %s", ev->detail & AIGUARD_MODE_PERMISSIVE ?
			"permissive" : "enforcing");
	} else if (ev->type == AIGUARD_EVENT_TAMPER) {
		state_text(f, ev->detail);
	} else if (ev->detail) {
		fprintf(f, " detail=%" PRIu32, (uint32_t)ev->detail);
	}
	if (has_grant_id(ev->type))
		fprintf(f, " grant=%" PRIu64, (uint64_t)ev->count);
	else if (!tname)
		fprintf(f, " count=%" PRIu64, (uint64_t)ev->count);
}

/* Who: the acting process (or the kernel), then the target. */
static void event_text_who(FILE *f, const struct aiguard_event *ev,
			   const struct ev_strings *s)
{
	if (ev->caller_tgid || ev->caller_pid || s->caller_comm[0]) {
		fprintf(f, " caller=%" PRIu32 "(", (uint32_t)ev->caller_tgid);
		print_safe(f, s->caller_comm);
		fputc(')', f);
		if (ev->caller_pid != ev->caller_tgid)
			fprintf(f, " tid=%" PRIu32, (uint32_t)ev->caller_pid);
		fprintf(f, " uid=%" PRIu32, (uint32_t)ev->caller_uid);
		if (s->caller_label[0]) {
			fputs(" caller_label=", f);
			print_safe(f, s->caller_label);
		}
	} else {
		fputs(" caller=kernel", f);
	}
	if (ev->target_tgid || ev->target_pid) {
		fprintf(f, " target=%" PRIu32 "(", (uint32_t)ev->target_tgid);
		print_safe(f, s->target_comm);
		fputc(')', f);
		if (ev->target_pid != ev->target_tgid)
			fprintf(f, " target_tid=%" PRIu32, (uint32_t)ev->target_pid);
	}
	if (s->target_label[0]) {
		fputs(" label=", f);
		print_safe(f, s->target_label);
	}
}

static void event_text(FILE *f, const struct aiguard_event *ev)
{
	const char *tname = event_type_name(ev->type);
	struct ev_strings s;

	ev_strings(ev, &s);
	event_text_head(f, ev, tname);
	if (ev->type == AIGUARD_EVENT_DROPPED) {
		fprintf(f, " lost=%" PRIu64 " (records overwritten before this reader got them)\n",
			(uint64_t)ev->count);
		return;
	}
	event_text_what(f, ev, tname);
	event_text_who(f, ev, &s);
	fputc('\n', f);
}

/* "caller" or "target": the process's ids, comm and label. */
static void party_json(struct json *j, const char *key, uint32_t pid,
		       uint32_t tgid, const uint32_t *uid, const char *comm,
		       const char *label)
{
	json_key(j, key);
	json_object_begin(j);
	json_ku64(j, "pid", pid);
	json_ku64(j, "tgid", tgid);
	if (uid)
		json_ku64(j, "uid", *uid);
	json_kstr(j, "comm", comm);
	json_kstr(j, "label", label);
	json_object_end(j);
}

static void event_json(FILE *f, const struct aiguard_event *ev)
{
	const char *tname = event_type_name(ev->type);
	const char *hname = hook_name(ev->hook);
	uint32_t uid = ev->caller_uid;
	struct ev_strings s;
	struct json j;
	char tbuf[64];

	ev_strings(ev, &s);
	format_time_ns(tbuf, sizeof(tbuf), ev->time_ns);
	json_init(&j, f);
	json_object_begin(&j);
	json_ku64(&j, "seq", ev->seq);
	json_kstr(&j, "time", tbuf);
	json_ku64(&j, "time_ns", ev->time_ns);
	json_kstr(&j, "type", tname ? tname : "unknown");
	if (!tname)
		json_ku64(&j, "type_nr", ev->type);
	json_key(&j, "hook");
	if ((has_hook(ev->type) || !tname) && hname)
		json_str(&j, hname);
	else
		json_null(&j);
	if ((!hname && ev->hook != AIGUARD_HOOK_NONE) || !tname)
		json_ku64(&j, "hook_nr", ev->hook);
	json_ku64(&j, "detail", ev->detail);
	if (is_decision(ev->type) && ev->hook == AIGUARD_HOOK_PTRACE_ACCESS)
		ptrace_mode_json(&j, ev->detail);
	if (ev->version != AIGUARD_EVENT_VERSION)
		json_ku64(&j, "version", ev->version);
	party_json(&j, "caller", ev->caller_pid, ev->caller_tgid, &uid,
		   s.caller_comm, s.caller_label);
	party_json(&j, "target", ev->target_pid, ev->target_tgid, NULL,
		   s.target_comm, s.target_label);
	json_ku64(&j, "count", ev->count);
	json_object_end(&j);
}

/*
 * Render the records in buf[0..len). Each starts with its own size, so
 * records of a newer, larger layout are skipped past correctly and their
 * known prefix is printed. Returns the number of bytes consumed; *bad is
 * set when the data is not a sequence of whole records (the rest of buf is
 * then ignored).
 */
size_t events_render(FILE *f, const unsigned char *buf, size_t len, bool json,
		     bool *bad)
{
	size_t off = 0;

	*bad = false;
	while (off < len) {
		struct aiguard_event ev;
		uint16_t size;

		if (len - off < sizeof(ev)) {
			*bad = true;
			break;
		}
		memcpy(&size, buf + off, sizeof(size));
		if (size < sizeof(ev) || size > len - off) {
			*bad = true;
			break;
		}
		memcpy(&ev, buf + off, sizeof(ev));
		if (json)
			event_json(f, &ev);
		else
			event_text(f, &ev);
		off += size;
	}
	return off;
}

/* ---- the events command ----------------------------------------- */

#define EVENTS_BUF_MIN	(64 * sizeof(struct aiguard_event))
#define EVENTS_BUF_MAX	(1024 * 1024)

/* Besides exit codes, what one step of the read loop says. */
#define EV_STOP		(-1)	/* a signal asked to stop (--follow) */
#define EV_AGAIN	(-2)	/* interrupted: go round again */
#define EV_DRAINED	(-3)	/* no record left: a dump ends, --follow waits */

struct reader {
	int fd;
	bool follow, json;
	unsigned char *buf;
	size_t cap;
	sigset_t waitmask;	/* the signal mask inside ppoll() */
};

static volatile sig_atomic_t stop_signal;

static void on_stop(int sig)
{
	stop_signal = sig;
}

/*
 * SIGINT/SIGTERM are blocked except inside ppoll(), so a signal can
 * neither be lost between the flag test and the wait nor cut a record in
 * half: it ends the wait with EINTR.
 */
static void catch_stop_signals(struct reader *r)
{
	struct sigaction sa;
	sigset_t block;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;	/* no SA_RESTART */
	sigemptyset(&sa.sa_mask);
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &r->waitmask);
	sigdelset(&r->waitmask, SIGINT);
	sigdelset(&r->waitmask, SIGTERM);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
}

/* Returns an exit code; on success r->fd and r->buf are set. */
static int reader_open(struct reader *r)
{
	int fl;

	r->fd = open_checked();
	if (r->fd < 0)
		return -r->fd;
	/* Always non-blocking: EAGAIN ends a dump, and --follow waits in ppoll. */
	fl = fcntl(r->fd, F_GETFL);
	if (fl < 0 || fcntl(r->fd, F_SETFL, fl | O_NONBLOCK)) {
		errmsg("cannot make %s non-blocking: %s", AIGUARD_DEV_PATH, strerror(errno));
		close(r->fd);
		return EX_AG_ERROR;
	}
	r->cap = EVENTS_BUF_MIN;
	r->buf = malloc(r->cap);
	if (!r->buf) {
		errmsg("out of memory");
		close(r->fd);
		return EX_AG_ERROR;
	}
	return EX_AG_OK;
}

/* --follow: wait until records are ready. EX_AG_OK: read them. */
static int wait_ready(struct reader *r)
{
	struct pollfd pfd = { .fd = r->fd, .events = POLLIN };
	int n = ppoll(&pfd, 1, NULL, &r->waitmask);

	if (stop_signal)
		return EV_STOP;
	if (n < 0 && errno == EINTR)
		return EV_AGAIN;
	if (n < 0) {
		errmsg("cannot wait for audit records: %s", strerror(errno));
		return EX_AG_ERROR;
	}
	if (!(pfd.revents & POLLIN) &&
	    (pfd.revents & (POLLERR | POLLHUP | POLLNVAL))) {
		errmsg("%s stopped delivering audit records (poll revents 0x%x)",
		       AIGUARD_DEV_PATH, (unsigned int)pfd.revents);
		return EX_AG_ERROR;
	}
	return EX_AG_OK;
}

/* EINVAL from read(): a record larger than the buffer. */
static int grow_buffer(struct reader *r)
{
	/* A newer module's records may not fit: grow and retry. */
	unsigned char *m = realloc(r->buf, r->cap * 4);

	if (!m) {
		errmsg("out of memory");
		return EX_AG_ERROR;
	}
	r->buf = m;
	r->cap *= 4;
	return EX_AG_OK;
}

static int read_error(int e)
{
	int rc = e == EINVAL ? EX_AG_ABI : errno_exit(e);

	errmsg("cannot read audit records: %s",
	       e == EINVAL ? "the module rejects reads of up to 1 MiB (module and tool ABI differ)"
			   : errno_text(e));
	return rc == EX_AG_NOTPROT || rc == EX_AG_NOPROC ? EX_AG_ERROR : rc;
}

/* One read(): print what it got. EV_AGAIN: nothing there (yet). */
static int read_records(struct reader *r)
{
	ssize_t n = read(r->fd, r->buf, r->cap);
	int e = errno;
	bool bad;

	if (n > 0) {
		events_render(stdout, r->buf, (size_t)n, r->json, &bad);
		if (bad) {
			errmsg("malformed audit data from the module (a record's size does not fit); stopping");
			return EX_AG_ERROR;
		}
		/*
		 * A follower whose output is gone (full disk, closed pipe)
		 * stops and says so, rather than read records into the void:
		 * they stay in the ring for the next reader.
		 */
		if (r->follow && (fflush(stdout) || ferror(stdout))) {
			errmsg("cannot write audit records to standard output: %s",
			       strerror(errno));
			return EX_AG_ERROR;
		}
		return EX_AG_OK;
	}
	if (n == 0 || e == EAGAIN)
		return EV_DRAINED;
	if (e == EINTR)
		return EV_AGAIN;
	if (e == EINVAL && r->cap < EVENTS_BUF_MAX)
		return grow_buffer(r);
	return read_error(e);
}

static int read_loop(struct reader *r)
{
	for (;;) {
		int rc = r->follow ? wait_ready(r) : EX_AG_OK;

		if (rc == EX_AG_OK)
			rc = read_records(r);
		if (rc == EV_STOP || (rc == EV_DRAINED && !r->follow))
			return EX_AG_OK;
		if (rc > 0)
			return rc;
	}
}

int cmd_events(const struct args *a)
{
	struct reader r = { .follow = a->follow, .json = a->json };
	int rc = reader_open(&r);

	if (rc)
		return rc;
	if (r.follow)
		catch_stop_signals(&r);
	rc = read_loop(&r);
	free(r.buf);
	close(r.fd);
	if (fflush(stdout) || ferror(stdout)) {
		errmsg("cannot write to standard output");
		return EX_AG_ERROR;
	}
	return rc;
}
