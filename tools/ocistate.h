/* SPDX-License-Identifier: GPL-2.0 */
/*
 * aiguard(8) - the OCI container state that a runtime hands its hooks on
 * stdin (runtime-spec, "State"), reduced to what "oci-hook" needs.
 */
#ifndef AIGUARD_OCISTATE_H
#define AIGUARD_OCISTATE_H

#include <stdbool.h>
#include <stddef.h>

#include <linux/aiguard.h>

#define OCI_ID_MAX	256	/* longest container id accepted */
#define OCI_STATUS_MAX	32
#define OCI_STATE_MAX	(1 << 20)	/* longest state document accepted */

/* The annotations oci-hook reads; any other io.aiguard.* is an error. */
#define OCI_ANN_LABEL		"io.aiguard.label"
#define OCI_ANN_PERMISSIVE	"io.aiguard.permissive"
#define OCI_ANN_JOIN		"io.aiguard.join"
#define OCI_ANN_EXEC		"io.aiguard.exec"

struct oci_state {
	char id[OCI_ID_MAX + 1];
	char status[OCI_STATUS_MAX + 1];
	long long pid;			/* 0: absent */
	bool have_label, have_permissive, have_join, have_exec;
	char label[AIGUARD_LABEL_MAX + 1];	/* one more: "too long" shows */
	char permissive[8];		/* "true" or "false", checked later */
	char join[8];
	char exec[8];			/* "allow" or "deny", checked later */
};

/*
 * Parse the state document @buf of @len bytes (not NUL-terminated).
 * Returns 0, or -1 with a one-line reason in @err. Strict JSON: one
 * object, nothing after it, no duplicate member where it matters.
 */
int oci_state_parse(const char *buf, size_t len, struct oci_state *st,
		    char *err, size_t errlen);

/*
 * The container of a process, from the text of its /proc/PID/cgroup
 * (modified in place): engines name a container's cgroup v2 directory
 * after its 64-hex-digit id ("libpod-ID.scope", "cri-containerd-ID.scope",
 * "crio-ID.scope", "docker-ID.scope", or a bare "ID" under cgroupfs); the
 * deepest part of the path that holds one counts.
 * @cgroup gets the path of the "0::" line, @id (65 bytes or more) the id
 * or "". Returns whether an id was found.
 */
bool cgroup_container(char *text, char *id, size_t idlen, char *cgroup, size_t cglen);

#endif /* AIGUARD_OCISTATE_H */
