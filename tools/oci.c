// SPDX-License-Identifier: GPL-2.0
/*
 * aiguard(8) - the oci-hook command: an OCI runtime hook that protects a
 * container's init process, named by the container's annotations, before
 * the runtime starts the user's entrypoint.
 *
 * The runtime runs it at createRuntime (or prestart) with the container
 * state on stdin. A non-zero exit makes the engine tear the container
 * down: every doubt (state not readable, a bad annotation, the module
 * missing, the protect refused) is a non-zero exit, so a container that
 * asked for protection never runs without it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <syslog.h>
#include <unistd.h>

#include "ocistate.h"
#include "opts.h"
#include "tool.h"

/* The whole of stdin, up to OCI_STATE_MAX bytes; NULL after saying why. */
static char *read_state(size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap), *nb;
	ssize_t r;

	if (!buf) {
		errmsg("out of memory");
		return NULL;
	}
	for (;;) {
		if (n == cap) {
			if (cap >= OCI_STATE_MAX) {
				errmsg("the state on stdin is longer than %d bytes", OCI_STATE_MAX);
				free(buf);
				return NULL;
			}
			cap *= 2;
			nb = realloc(buf, cap);
			if (!nb) {
				errmsg("out of memory");
				free(buf);
				return NULL;
			}
			buf = nb;
		}
		r = read(STDIN_FILENO, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			errmsg("cannot read the container state from stdin: %s", strerror(errno));
			free(buf);
			return NULL;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*len = n;
	return buf;
}

/* "true" or "false" into *out; else EX_AG_USAGE after saying so. */
static int bool_annotation(const char *id, const char *key, const char *val, bool *out)
{
	if (!strcmp(val, "true") || !strcmp(val, "false")) {
		*out = val[0] == 't';
		return EX_AG_OK;
	}
	errmsg("container %.12s: annotation %s must be \"true\" or \"false\", not '%s'",
	       id, key, quote_arg(val));
	return EX_AG_USAGE;
}

int cmd_oci_hook(const struct args *a UNUSED)
{
	bool permissive = false, join = false, exec = true;
	struct aiguard_protect p;
	struct oci_state st;
	const char *why;
	char err[160], comm[16];
	size_t len;
	char *buf;
	int fd, e, rc;

	/*
	 * The runtime decides where a hook's stderr goes, and podman with
	 * crun shows only "error executing hook ... (exit code: N)". Every
	 * refusal therefore goes to syslog as well.
	 */
	openlog("aiguard-oci-hook", LOG_PID, LOG_DAEMON);
	errmsg_syslog = true;
	buf = read_state(&len);
	if (!buf)
		return EX_AG_ERROR;
	rc = oci_state_parse(buf, len, &st, err, sizeof(err));
	free(buf);
	if (rc) {
		errmsg("invalid OCI state on stdin: %s", err);
		return EX_AG_USAGE;
	}
	printable(st.id);
	if (!st.have_label) {
		if (st.have_permissive || st.have_join || st.have_exec) {
			errmsg("container %.12s: %s, %s or %s without %s", st.id,
			       OCI_ANN_PERMISSIVE, OCI_ANN_JOIN, OCI_ANN_EXEC, OCI_ANN_LABEL);
			return EX_AG_USAGE;
		}
		/* Not a container that asked for protection: nothing to do. */
		return EX_AG_OK;
	}
	why = label_error(st.label);
	if (why) {
		errmsg("container %.12s: annotation %s: invalid label '%s': %s", st.id,
		       OCI_ANN_LABEL, quote_arg(st.label), why);
		return EX_AG_USAGE;
	}
	if (st.have_permissive &&
	    (rc = bool_annotation(st.id, OCI_ANN_PERMISSIVE, st.permissive, &permissive)))
		return rc;
	if (st.have_join && (rc = bool_annotation(st.id, OCI_ANN_JOIN, st.join, &join)))
		return rc;
	if (st.have_exec) {
		if (strcmp(st.exec, "allow") && strcmp(st.exec, "deny")) {
			errmsg("container %.12s: annotation %s must be \"allow\" or \"deny\", not '%s'",
			       st.id, OCI_ANN_EXEC, quote_arg(st.exec));
			return EX_AG_USAGE;
		}
		exec = st.exec[0] == 'a';
	}
	/*
	 * Only before the entrypoint runs does protection hold "from the
	 * first instruction": at poststart or later it would come too late.
	 */
	if (strcmp(st.status, "creating") && strcmp(st.status, "created")) {
		errmsg("container %.12s: status '%s': too late to protect it from its first instruction; run the hook at createRuntime or prestart",
		       st.id, quote_arg(st.status));
		return EX_AG_USAGE;
	}
	if (!st.pid) {
		errmsg("container %.12s: the state has no pid", st.id);
		return EX_AG_USAGE;
	}

	/*
	 * The module's PROTECT (or JOIN) record names its caller by comm:
	 * "ct:" and the short id, as podman ps and crictl ps show it, make
	 * that the container. The full id goes to syslog.
	 */
	snprintf(comm, sizeof(comm), "ct:%.12s", st.id);
	prctl(PR_SET_NAME, comm, 0, 0, 0);
	fd = open_checked();
	if (fd < 0) {
		syslog(LOG_ERR, "container %s: not protected: the aiguard module is not usable",
		       st.id);
		return -fd;
	}
	memset(&p, 0, sizeof(p));
	memcpy(p.label, st.label, strlen(st.label));
	if (permissive)
		p.flags |= AIGUARD_PROTECT_PERMISSIVE;
	if (join)
		p.flags |= AIGUARD_PROTECT_JOIN;
	/*
	 * Exec sessions and exec health checks join the container's
	 * namespaces: let them, unless the container asked otherwise. What
	 * they start stays outside the label.
	 */
	if (exec)
		p.flags |= AIGUARD_PROTECT_ENTER;
	e = target_ioctl(fd, AIGUARD_IOC_PROTECT, &p, &p.target, (pid_t)st.pid);
	if (e == EXDEV)
		errmsg("container %.12s: label %s has members already: set %s=true to add this container to it, or give it a label of its own",
		       st.id, st.label, OCI_ANN_JOIN);
	else if (e)
		errmsg("container %.12s: cannot protect its init (pid %lld): %s", st.id,
		       st.pid, protect_fail_text(fd, e));
	if (e) {
		syslog(LOG_ERR, "container %s: pid %lld not protected with label %s: %s",
		       st.id, st.pid, st.label, errno_text(e));
		close(fd);
		return errno_exit(e);
	}
	close(fd);
	syslog(LOG_NOTICE, "container %s: pid %lld protected, label %s%s", st.id, st.pid,
	       st.label, permissive ? " (permissive)" : "");
	printf("container %.12s: pid %lld protected, label %s%s%s\n", st.id, st.pid,
	       st.label, permissive ? " (permissive)" : "", exec ? "" : " (no exec sessions)");
	return EX_AG_OK;
}
