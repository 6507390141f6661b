# tests/bench/report.awk - turns a bench guest's results port into tables.
#
#   awk -v kernel=6.12 -f report.awk results.tap
#
# Input lines (see tests/bench/bench.c):
#   S <phase> <pair> <A|B> <metric> <ns>      A = module unloaded, B = loaded
#     and, in phases 0/1000/N, P = aiguard permissive, L = the BPF-LSM
#     reference, Y = Yama ptrace_scope=3 and Z = nothing, sampled just
#     before Yama was switched on (last phase only)
#   M <key> <value>
#   T <phase> <pair> <median B-A> <count> <index>:<B-A> ...  maps_all targets
#     whose read cost a table lookup more in B than the typical one
#   K <phase> <pair> <count> <index> ...  maps_all targets whose check went
#     past aiguard's key filter to its slow path (a kprobe counted it)
#   R <kernel log line of aiguard_bench.ko>
#   E <error>
# Output: markdown tables (medians, median of pairwise B/A ratios, min-max
# of the ratios) and "VERDICT <target> <met|missed> <value>" lines.

function median(arr, n,    i, j, t, s) {
	for (i = 1; i <= n; i++)
		s[i] = arr[i]
	for (i = 2; i <= n; i++) {
		t = s[i]
		for (j = i - 1; j >= 1 && s[j] > t; j--)
			s[j + 1] = s[j]
		s[j + 1] = t
	}
	if (n == 0)
		return 0
	if (n % 2)
		return s[(n + 1) / 2]
	return (s[n / 2] + s[n / 2 + 1]) / 2
}

function fmt_ns(v) {
	if (v >= 1000000)
		return sprintf("%.2f ms", v / 1000000)
	if (v >= 1000)
		return sprintf("%.1f us", v / 1000)
	return sprintf("%.0f ns", v)
}

$1 == "S" {
	key = $2 SUBSEP $5
	if (!(key in seen)) {
		seen[key] = 1
		order[++nkeys] = key
	}
	val[key, $4, $3] = $6
	if ($3 + 1 > npairs[key])
		npairs[key] = $3 + 1
	next
}
$1 == "M" { m[$2] = $3; next }
$1 == "K" {
	# over the pairs of the largest phase: how many of the targets' checks
	# passed the filter
	if ($2 + 0 > k_top) { k_top = $2 + 0; k_sum = 0; k_samples = 0 }
	if ($2 + 0 == k_top) { k_sum += $4; k_samples++ }
	k_n[$2, $3] = $4
	k_list[$2, $3] = ""
	for (i = 5; i <= NF; i++)
		k_list[$2, $3] = k_list[$2, $3] " " $i
	next
}
$1 == "T" {
	nt++
	t_phase[nt] = $2; t_pair[nt] = $3; t_med[nt] = $4; t_n[nt] = $5
	t_list[nt] = ""
	for (i = 6; i <= NF; i++)
		t_list[nt] = t_list[nt] " " $i
	next
}
/^# load line: / {
	for (i = 4; i <= NF; i++)
		if ($(i + 1) == "bytes" && $(i + 2) == "per")
			m["loadline"] = $i
	next
}
$1 == "E" { errors[++nerr] = $0; next }
$1 == "R" {
	nr++
	for (i = 2; i <= NF; i++) {
		split($i, kv, "=")
		r[nr, kv[1]] = kv[2]
	}
	next
}

# pairwise ratios x/y of the pairs of key that have both; sets rq[1..], returns n
function pair_ratios(key, x, y,    p, n) {
	delete rq
	n = 0
	for (p = 0; p < npairs[key]; p++)
		if ((key, x, p) in val && (key, y, p) in val && val[key, y, p] > 0)
			rq[++n] = val[key, x, p] / val[key, y, p]
	return n
}

function col(key, x, y,    n) {
	n = pair_ratios(key, x, y)
	return n ? sprintf("%.3f", median(rq, n)) : "-"
}

# medians of state s over the pairs of key
function state_median(key, s,    p, n, t) {
	n = 0
	for (p = 0; p < npairs[key]; p++)
		if ((key, s, p) in val)
			t[++n] = val[key, s, p]
	return n ? median(t, n) : -1
}

# The comparison with what an operator would run instead, one row per
# measurement: ratios to "nothing" (A), and aiguard against the BPF-LSM
# reference (pairwise B/L: both sampled in every pair).
function side_by_side(    k, key, pm, a, y, z, bl, n, verdict, allow, metric) {
	printf "Side by side (ratios to \"nothing\", medians of pairwise ratios; Yama: median of its samples\n"
	printf "over the median of \"nothing\" sampled just before it, after every other phase, since\n"
	printf "ptrace_scope=3 cannot be undone within a boot):\n\n"
	printf "| protected | measurement | nothing | aiguard | aiguard permissive | BPF-LSM reference | Yama ptrace_scope=3 | aiguard / BPF-LSM | verdict |\n"
	printf "|---|---|---|---|---|---|---|---|---|\n"
	worst_bl = 0
	for (k = 1; k <= nkeys; k++) {
		key = order[k]
		split(key, pm, SUBSEP)
		if (pm[1] !~ /^[0-9]+$/ || pm[2] == "ps_per_proc")
			continue
		n = pair_ratios(key, "B", "L")
		if (!n)
			continue
		bl = median(rq, n)
		a = state_median(key, "A")
		y = state_median(key, "Y")
		z = state_median(key, "Z")
		allow = pm[2] == "maps" || pm[2] == "maps_all" || pm[2] == "environ" || pm[2] == "ps"
		if (bl < 0.998)
			verdict = sprintf("aiguard ahead by %.1f%%", (1 - bl) * 100)
		else if (bl <= 1.002)
			verdict = "level (within 0.2%)"
		else
			verdict = sprintf("aiguard behind by %.1f%%", (bl - 1) * 100)
		if (allow && bl > worst_bl) {
			worst_bl = bl
			worst_bl_what = pm[1] " protected, " pm[2]
		}
		metric = metric_name[pm[2]] ? metric_name[pm[2]] : pm[2]
		printf "| %s | %s | %s | %s | %s | %s | %s | %.3f | %s |\n", pm[1], metric, fmt_ns(a),
			col(key, "B", "A"), col(key, "P", "A"), col(key, "L", "A"),
			((y > 0 && z > 0) ? sprintf("%.3f", y / z) : "-"), bl, verdict
	}
	printf "\n"
}

# with several runs of aiguard_bench.ko: per size, median and min-max
function registry_spread(    i, j, k, sz, nsz, cnt, h, ms, lo, hi) {
	nsz = 0
	for (i = 1; i <= nr; i++)
		if (!(r[i, "n"] in cnt)) { cnt[r[i, "n"]] = 0; sz[++nsz] = r[i, "n"] }
	printf "Over %d runs (ns per operation; median, min-max):\n\n", m["registry_reps"]
	printf "| entries | runs | lookup hit (random) | lookup miss | lookup hot key |\n|---|---|---|---|---|\n"
	for (k = 1; k <= nsz; k++) {
		delete h; delete ms; delete ht
		j = 0
		for (i = 1; i <= nr; i++)
			if (r[i, "n"] == sz[k]) { j++; h[j] = hit[i]; ms[j] = miss[i]; ht[j] = hot[i] }
		printf "| %d | %d | %s | %s | %s |\n", sz[k], j, spread(h, j), spread(ms, j), spread(ht, j)
	}
	printf "\n"
}

function spread(a, n,    i, lo, hi) {
	lo = a[1]; hi = a[1]
	for (i = 2; i <= n; i++) { if (a[i] < lo) lo = a[i]; if (a[i] > hi) hi = a[i] }
	return sprintf("%.1f (%.1f-%.1f)", median(a, n), lo, hi)
}

END {
	metric_name["maps"] = "open+read+close /proc/PID/maps"
	metric_name["maps_all"] = sprintf("the same, each of %d unprotected targets in turn", m["procs_phase0"])
	metric_name["environ"] = "open+read+close /proc/PID/environ"
	metric_name["ps"] = "ps-style scan of /proc (stat+status+cmdline)"
	metric_name["ps_per_proc"] = "  the same, per process"
	metric_name["forkexec"] = "fork+exec+wait of static true"
	metric_name["thread"] = "pthread create+join"
	metric_name["mem"] = "/proc/PID/mem open"
	metric_name["uprobe"] = "call of a function with an enabled uprobe"
	metric_name["uretprobe"] = "call of a function with an enabled uretprobe"
	metric_name["bpfread"] = "getppid() with a BPF raw_tp calling probe_read_user"
	metric_name["kread"] = "getppid() with a BPF raw_tp calling probe_read_kernel"
	metric_name["tmpfs"] = "create, open+read, unlink of a tmpfs file (an object kept when N > 0)"
	metric_name["ext4"] = "the same on an ext4 file (a RAM disk: never an object)"
	metric_name["shmat"] = "shmat+shmdt of a SysV segment"
	metric_name["munmap64"] = "munmap of 64 MiB of touched small pages"
	metric_name["exit256"] = "exit of a process with 256 MiB resident (A unprotected, B protected: cleared)"

	printf "### Kernel %s\n\n", kernel
	side_by_side()
	printf "A = module unloaded, B = module loaded, with that many processes protected.\n"
	printf "Ratio = median over pairs of B/A, with the min-max of the pairwise ratios.\n\n"
	printf "Rows \"deny\" and \"audit\" (module loaded): A = open+close of an unprotected /proc/PID/mem; B = open of a protected one\n"
	printf "(deny: EACCES; audit: permissive protection, same decision and audit record, open allowed;\n"
	printf "denyL: the same A and B with the BPF-LSM reference loaded instead of the module).\n"
	printf "Rows \"observe\": nothing protected, A = module unloaded, B = loaded: the cost of aiguard's checks to observability tools.\n\n"
	printf "| protected | measurement | pairs | median A | median B | ratio B/A | ratio min-max |\n"
	printf "|---|---|---|---|---|---|---|\n"
	worst_allow = 0
	for (k = 1; k <= nkeys; k++) {
		key = order[k]
		split(key, pm, SUBSEP)
		n = 0
		delete a; delete b; delete q
		for (p = 0; p < npairs[key]; p++) {
			if (!((key, "A", p) in val) || !((key, "B", p) in val))
				continue
			n++
			a[n] = val[key, "A", p]
			b[n] = val[key, "B", p]
			q[n] = a[n] > 0 ? b[n] / a[n] : 0
		}
		if (!n)
			continue
		lo = q[1]; hi = q[1]
		for (i = 2; i <= n; i++) {
			if (q[i] < lo) lo = q[i]
			if (q[i] > hi) hi = q[i]
		}
		mr = median(q, n)
		printf "| %s | %s | %d | %s | %s | %.3f | %.3f-%.3f |\n", pm[1],
			metric_name[pm[2]] ? metric_name[pm[2]] : pm[2], n,
			fmt_ns(median(a, n)), fmt_ns(median(b, n)), mr, lo, hi
		if (pm[1] == "clear") {
			delete d
			for (i = 1; i <= n; i++)
				d[i] = b[i] - a[i]
			obs[++nobs] = sprintf("INFO clearing a protected process's memory at exit: %s per GiB (B-A of 256 MiB x 4), exit %s unprotected, %s protected", fmt_ns(4 * median(d, n)), fmt_ns(median(a, n)), fmt_ns(median(b, n)))
		} else if (pm[1] == "observe") {
			delete d
			for (i = 1; i <= n; i++)
				d[i] = b[i] - a[i]
			obs[++nobs] = sprintf("INFO observe %s ratio %.3f, B-A %s per operation", pm[2], mr, fmt_ns(median(d, n)))
		} else if (pm[1] != "deny" && pm[1] != "denyL" && pm[1] != "audit" && pm[2] != "ps_per_proc") {
			if (pm[2] == "forkexec" || pm[2] == "thread") {
				if (mr > worst_life) { worst_life = mr; worst_life_what = pm[1] " " pm[2] }
			} else if (mr > worst_allow) {
				worst_allow = mr; worst_allow_what = pm[1] " protected, " pm[2]
			}
		}
		if (pm[1] == "deny" || pm[1] == "denyL") {
			delete d
			for (i = 1; i <= n; i++)
				d[i] = b[i] - a[i]
			denied_cost[pm[1]] = median(d, n)
			denied_abs[pm[1]] = median(b, n)
		}
		if (pm[1] == "deny")
			deny_ratio = mr
		if (pm[1] == "audit") {
			delete d
			for (i = 1; i <= n; i++)
				d[i] = b[i] - a[i]
			audit_cost = median(d, n)
		}
	}
	printf "\n"

	if (m["deny_opens"] > 0)
		printf "Deny path: %d denied or audited opens, %d audit records (%.2f per decision); aiguard's decision + audit record (audit B - A, median): %s.\n\n",
			m["deny_opens"], m["deny_audit_records"],
			m["deny_audit_records"] / m["deny_opens"], fmt_ns(audit_cost)

	if (nt) {
		printf "Targets of maps_all whose read costs more than the typical one's by over 100 ns in B\n"
		printf "(B - A per target, the median of its reads; index into the %d never-protected sleepers,\n", m["procs_phase0"]
		printf "0 = the maps row's target), and the targets whose check took aiguard's slow path, i.e.\n"
		printf "passed the key filter without being protected (a kprobe on the slow path, one read each):\n\n"
		printf "| protected | pair | median B - A | targets over | which (index: B - A in ns) | slow path taken | which |\n|---|---|---|---|---|---|---|\n"
		for (i = 1; i <= nt; i++) {
			kk = t_phase[i] SUBSEP t_pair[i]
			printf "| %s | %s | %s ns | %s |%s | %s |%s |\n", t_phase[i], t_pair[i], t_med[i], t_n[i], t_list[i],
				(kk in k_n) ? k_n[kk] : "-", (kk in k_list) ? k_list[kk] : ""
			if (!(kk in k_n))
				continue
			# the same targets in both lists?
			split(t_list[i], tl, " ")
			delete tset
			for (j in tl) { split(tl[j], ix, ":"); tset[ix[1]] = 1 }
			split(k_list[kk], kl, " ")
			same = (t_n[i] == k_n[kk])
			for (j in kl)
				if (!(kl[j] in tset))
					same = 0
			k_pairs++
			if (same)
				k_same++
		}
		printf "\n"
		if (k_pairs)
			fp_info = sprintf("INFO filter false positives: the costlier targets are exactly those on the slow path in %d of %d samples", k_same, k_pairs)
	}

	# memory
	n = m["mem_n"]
	if (n > 0) {
		printf "Memory, protecting %d processes (module loaded, slab_nomerge):\n\n", n
		if (m["loadline"] != "")
			printf "- module load line: %s bytes per protected process (entry object size)\n", m["loadline"]
		slab = (m["after_slab_kb"] - m["before_slab_kb"]) * 1024 / n
		free = (m["before_memfree_kb"] - m["after_memfree_kb"]) * 1024 / n
		printf "- /proc/meminfo Slab: %+d kB -> %.0f bytes per process\n",
			m["after_slab_kb"] - m["before_slab_kb"], slab
		printf "- /proc/meminfo MemFree: %+d kB -> %.0f bytes per process (slab + hash table + anything else)\n",
			m["before_memfree_kb"] - m["after_memfree_kb"], free
		if (m["slab_after_objsize"] != "")
			printf "- /proc/slabinfo aiguard_entry: %d objects of %d bytes, %d bytes of slabs -> %.0f bytes per process\n",
				m["slab_after_objs"], m["slab_after_objsize"], m["slab_after_bytes"],
				(m["slab_after_bytes"] - m["slab_before_bytes"]) / n
		printf "\n"
	}

	# registry
	if (nr) {
		printf "Registry (aiguard_bench.ko, %d lookups per cell; ns per operation, loop overhead subtracted from lookups):\n\n", r[1, "lookups"]
		printf "| entries | lookup hit (random) | lookup miss | lookup hot key | insert | remove | buckets | bytes/entry (object + buckets) |\n"
		printf "|---|---|---|---|---|---|---|---|\n"
		for (i = 1; i <= nr; i++) {
			loop = r[i, "loop_ps"] / 1000
			hit[i] = r[i, "hit_ps"] / 1000 - loop
			miss[i] = r[i, "miss_ps"] / 1000 - loop
			hot[i] = r[i, "hot_ps"] / 1000 - loop
			bpe = r[i, "entry_bytes"] + r[i, "buckets"] * r[i, "bucket_bytes"] / r[i, "n"]
			if (r[i, "n"] >= 1000 && bpe > worst_bpe)
				worst_bpe = bpe
			printf "| %d | %.1f | %.1f | %.1f | %.1f | %.1f | %d%s | %.0f |\n",
				r[i, "n"], hit[i], miss[i], hot[i], r[i, "insert_ps"] / 1000,
				r[i, "remove_ps"] / 1000, r[i, "buckets"],
				r[i, "nest"] ? " (nested)" : "", bpe
		}
		flat = hit[1] > 0 ? hit[nr] / hit[1] : 0
		printf "\nLookup (random hit) at %d entries / at %d entries: %.2fx\n\n", r[nr, "n"], r[1, "n"], flat
		if (m["registry_reps"] > 1)
			registry_spread()
	}

	if (nerr) {
		printf "Errors reported by the guest:\n\n"
		for (i = 1; i <= nerr; i++)
			printf "    %s\n", errors[i]
		printf "\n"
	}

	if (worst_allow)
		printf "VERDICT allow-path %s %.3f (%s)\n", worst_allow <= 1.02 ? "met" : "missed", worst_allow, worst_allow_what
	if (worst_bl)
		printf "VERDICT allow-path-vs-bpf-lsm %s %.3f (worst aiguard/BPF-LSM: %s; met = at or below, within 0.2%%)\n", worst_bl <= 1.002 ? "met" : "missed", worst_bl, worst_bl_what
	if (worst_life)
		printf "VERDICT fork/exec/thread %s %.3f (%s)\n", worst_life <= 1.02 ? "met" : "missed", worst_life, worst_life_what
	if (nr)
		printf "VERDICT lookup-flat %s %.2f\n", flat <= 1.5 ? "met" : "missed", flat
	if (n > 0) {
		mem = m["slab_after_bytes"] != "" ? (m["slab_after_bytes"] - m["slab_before_bytes"]) / n : slab
		for (i = 1; i <= nr; i++)
			if (r[i, "n"] == n)
				mem += r[i, "buckets"] * r[i, "bucket_bytes"] / n
		printf "VERDICT memory %s %.0f bytes per protected process\n", mem <= 256 ? "met" : "missed", mem
	}
	if (k_samples && m["procs_phase0"] > 0) {
		# two counters per key in 2^18: what keys spread at random would give
		fill = 1 - exp(-2 * k_top / 262144)
		fp = k_sum / (k_samples * m["procs_phase0"])
		printf "VERDICT filter-false-positives %s %.2f%% (%d protected; unprotected targets whose checks passed the key filter, %d samples of %d; random keys would give %.2f%%; met = at most 2%%)\n", fp <= 0.02 ? "met" : "missed", fp * 100, k_top, k_samples, m["procs_phase0"], fill * fill * 100
	}
	if (deny_ratio)
		printf "INFO deny/allowed-open ratio %.3f\n", deny_ratio
	if (denied_abs["denyL"] > 0)
		printf "INFO denied /proc/PID/mem open: aiguard %s (with its audit record), BPF-LSM reference %s (no record), ratio %.3f\n", fmt_ns(denied_abs["deny"]), fmt_ns(denied_abs["denyL"]), denied_abs["deny"] / denied_abs["denyL"]
	if (fp_info != "")
		print fp_info
	for (i = 1; i <= nobs; i++)
		print obs[i]
	printf "ERRORS %d\n", nerr
}
