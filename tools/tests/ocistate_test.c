// SPDX-License-Identifier: GPL-2.0
/*
 * Unit test of the OCI state reader (ocistate.c): what a runtime writes
 * is read, and every document it cannot read with certainty is refused
 * with a reason. Exits non-zero if a case fails.
 */
#include <stdio.h>
#include <string.h>

#include "../ocistate.h"

#define H64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define H64U "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF"

static int failed, n;

static void check(int cond, const char *what, const char *doc, const char *err)
{
	n++;
	if (cond)
		return;
	failed++;
	printf("FAIL %s\n  doc: %s\n  err: %s\n", what, doc, err);
}

/* The document must be refused, with a reason that contains @reason. */
static void bad(const char *doc, size_t len, const char *reason)
{
	struct oci_state st;
	char err[160] = "";
	int rc = oci_state_parse(doc, len, &st, err, sizeof(err));

	check(rc == -1 && strstr(err, reason), reason, doc, err);
}

#define BAD(doc, reason) bad(doc, sizeof(doc) - 1, reason)

static void good(const char *doc, const char *id, const char *status, long long pid,
		 const char *label, const char *permissive, const char *join)
{
	struct oci_state st;
	char err[160] = "";
	int rc = oci_state_parse(doc, strlen(doc), &st, err, sizeof(err));

	check(rc == 0 && !strcmp(st.id, id) && !strcmp(st.status, status) && st.pid == pid &&
	      st.have_label == !!label && (!label || !strcmp(st.label, label)) &&
	      st.have_permissive == !!permissive &&
	      (!permissive || !strcmp(st.permissive, permissive)) &&
	      st.have_join == !!join && (!join || !strcmp(st.join, join)),
	      "good document", doc, err);
}

int main(void)
{
	char deep[400];
	int i;

	/* what crun, runc and podman write */
	good("{\"ociVersion\":\"1.0.2-dev\",\"id\":\"0123456789abcdef\",\"status\":\"created\","
	     "\"pid\":4242,\"bundle\":\"/run/b\",\"annotations\":{\"io.aiguard.label\":\"llm\","
	     "\"io.podman.annotations.autoremove\":\"TRUE\"}}",
	     "0123456789abcdef", "created", 4242, "llm", NULL, NULL);
	good(" \n{ \"id\" : \"c1\" , \"pid\" : 1 , \"status\":\"creating\" ,\"annotations\":"
	     "{\"io.aiguard.label\":\"a.b_c-1\",\"io.aiguard.permissive\":\"true\","
	     "\"io.aiguard.join\":\"false\"}}\t\r\n",
	     "c1", "creating", 1, "a.b_c-1", "true", "false");
	/* no annotations at all, or none of ours */
	good("{\"id\":\"c2\",\"status\":\"created\",\"pid\":7}", "c2", "created", 7, NULL, NULL,
	     NULL);
	good("{\"id\":\"c3\",\"annotations\":{},\"pid\":7,\"status\":\"created\"}", "c3",
	     "created", 7, NULL, NULL, NULL);
	/* members we do not read, of every type, nested, are skipped */
	good("{\"x\":[1,-2.5e+3,true,false,null,{\"a\":[[]]},\"s\\u00e9\\ud83d\\ude00\"],"
	     "\"id\":\"c4\",\"y\":{},\"z\":0,\"status\":\"created\",\"pid\":2147483647}",
	     "c4", "created", 2147483647, NULL, NULL, NULL);
	/* escapes are decoded before the keys and values are compared */
	good("{\"\\u0069d\":\"c\\/5\",\"annotations\":{\"io.aiguard.\\u006cabel\":\"m\\u006fdel\"}}",
	     "c/5", "", 0, "model", NULL, NULL);
	/* UTF-8 passes through in members we do not act on */
	good("{\"id\":\"c6\",\"bundle\":\"/b/\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}", "c6", "", 0,
	     NULL, NULL, NULL);

	/* not JSON, or not one object */
	BAD("", "'{' expected");
	BAD("[]", "'{' expected");
	BAD("{\"id\":\"c\"", "'}' expected");
	BAD("{\"id\":\"c\"} {}", "data after");
	BAD("{\"id\":\"c\",}", "'\"' expected");
	BAD("{\"id\" \"c\"}", "':' expected");
	BAD("{\"id\":'c'}", "a string expected");
	BAD("{\"id\":\"c\",\"x\":tru}", "a value expected");
	BAD("{\"id\":\"c\",\"x\":01}", "'}' expected");
	BAD("{\"id\":\"c\",\"x\":1.}", "digits expected");
	BAD("{\"id\":\"c\",\"x\":1e}", "digits expected");
	BAD("{\"id\":\"c\",\"x\":-}", "a value expected");
	/* strings */
	BAD("{\"id\":\"c", "unterminated string");
	BAD("{\"id\":\"a\nb\"}", "control character");
	BAD("{\"id\":\"a\\qb\"}", "invalid escape");
	BAD("{\"id\":\"a\\u12\"}", "four hex digits");
	BAD("{\"id\":\"a\\u0000b\"}", "NUL in a string");
	BAD("{\"id\":\"a\\udc00\"}", "lone low surrogate");
	BAD("{\"id\":\"a\\ud800x\"}", "without its low half");
	BAD("{\"id\":\"a\\ud800\\u0041\"}", "without its low half");
	bad("{\"id\":\"a\0b\"}", 12, "control character");
	BAD("{\"id\":\"\xc0\xaf\"}", "invalid UTF-8");		/* overlong */
	BAD("{\"id\":\"\xed\xa0\x80\"}", "invalid UTF-8");	/* a surrogate */
	BAD("{\"id\":\"\xf4\x90\x80\x80\"}", "invalid UTF-8");	/* past U+10FFFF */
	BAD("{\"id\":\"\xe2\x82\"}", "invalid UTF-8");		/* cut short */
	BAD("{\"id\":\"\xff\"}", "invalid UTF-8");
	/* members we read: types, ranges, twice */
	BAD("{\"pid\":1}", "no container \"id\"");
	BAD("{\"id\":\"\"}", "no container \"id\"");
	BAD("{\"id\":\"c\",\"id\":\"d\"}", "given twice");
	BAD("{\"id\":\"c\",\"pid\":1,\"pid\":2}", "given twice");
	BAD("{\"id\":\"c\",\"annotations\":{},\"annotations\":{}}", "given twice");
	BAD("{\"id\":7}", "a string expected");
	BAD("{\"id\":\"c\",\"status\":null}", "a string expected");
	BAD("{\"id\":\"c\",\"pid\":0}", "not a process id");
	BAD("{\"id\":\"c\",\"pid\":-5}", "not a process id");
	BAD("{\"id\":\"c\",\"pid\":1.5}", "not a process id");
	BAD("{\"id\":\"c\",\"pid\":1e3}", "not a process id");
	BAD("{\"id\":\"c\",\"pid\":2147483648}", "not a process id");
	BAD("{\"id\":\"c\",\"pid\":99999999999999999999999}", "not a process id");
	BAD("{\"id\":\"c\",\"pid\":\"5\"}", "a value expected");
	BAD("{\"id\":\"c\",\"status\":\"0123456789012345678901234567890123\"}", "too long");
	/* annotations */
	BAD("{\"id\":\"c\",\"annotations\":[]}", "'{' expected");
	BAD("{\"id\":\"c\",\"annotations\":{\"io.aiguard.label\":1}}", "a string expected");
	BAD("{\"id\":\"c\",\"annotations\":{\"io.aiguard.label\":\"a\",\"io.aiguard.label\":\"b\"}}",
	    "given twice");
	BAD("{\"id\":\"c\",\"annotations\":{\"io.aiguard.lable\":\"a\"}}", "unknown annotation");
	BAD("{\"id\":\"c\",\"annotations\":{\"io.aiguard.\":\"a\"}}", "unknown annotation");
	BAD("{\"id\":\"c\",\"annotations\":{\"io.aiguard.label\":"
	    "\"0123456789012345678901234567890123\"}}", "longer than");
	BAD("{\"id\":\"c\",\"annotations\":{\"io.aiguard.permissive\":\"yes please\"}}",
	    "longer than");
	BAD("{\"id\":\"c\",\"annotations\":{\"io.aiguard.exec\":\"a\",\"io.aiguard.exec\":\"b\"}}",
	    "given twice");
	{
		struct oci_state st;
		char err[160] = "";
		const char *doc = "{\"id\":\"c\",\"annotations\":{\"io.aiguard.label\":\"x\","
				  "\"io.aiguard.exec\":\"deny\"}}";

		check(!oci_state_parse(doc, strlen(doc), &st, err, sizeof(err)) && st.have_exec &&
		      !strcmp(st.exec, "deny"), "io.aiguard.exec is read", doc, err);
	}
	/* depth */
	for (i = 0; i < 100; i++)
		deep[i] = '[';
	strcpy(deep + 100, "]");
	{
		char doc[512];

		snprintf(doc, sizeof(doc), "{\"id\":\"c\",\"x\":%s}", deep);
		bad(doc, strlen(doc), "nested deeper");
	}

	/* containers from cgroup paths */
	{
		static const struct {
			const char *text, *id, *cgroup;
		} cg[] = {
			{ "0::/machine.slice/libpod-" H64 ".scope\n", H64,
			  "/machine.slice/libpod-" H64 ".scope" },
			{ "12:pids:/x\n0::/kubepods.slice/kubepods-besteffort.slice/"
			  "kubepods-besteffort-pod1234.slice/cri-containerd-" H64 ".scope\n", H64, NULL },
			{ "0::/system.slice/crio-" H64 ".scope", H64, NULL },
			{ "0::/libpod_parent/" H64 "\n", H64, NULL },
			{ "0::/docker/" H64 "/init.scope\n", H64, NULL },	/* systemd inside */
			{ "0::/machine.slice/libpod-" H64 ".scope/container\n", H64, NULL },	/* crun, systemd */
			{ "0::/machine.slice/libpod-" H64 "/x/y\n", H64, NULL },
			{ "0::/\n", "", "/" },
			{ "0::/user.slice/user-0.slice/session-1.scope\n", "", NULL },
			{ "0::/machine.slice/libpod-" H64 "0.scope\n", "", NULL },	/* 65 digits */
			{ "0::/machine.slice/libpod-" H64U ".scope\n", "", NULL },	/* upper case */
			{ "1:name=systemd:/libpod-" H64 ".scope\n", "", "" },	/* v1 only */
			{ "", "", "" },
		};
		unsigned int k;

		for (k = 0; k < sizeof(cg) / sizeof(cg[0]); k++) {
			char text[512], id[65], path[256];
			bool found;

			snprintf(text, sizeof(text), "%s", cg[k].text);
			found = cgroup_container(text, id, sizeof(id), path, sizeof(path));
			check(found == !!cg[k].id[0] && !strcmp(id, cg[k].id) &&
			      (!cg[k].cgroup || !strcmp(path, cg[k].cgroup)),
			      "container of a cgroup", cg[k].text, id);
		}
	}

	printf("%d of %d cases passed\n", n - failed, n);
	return failed ? 1 : 0;
}
