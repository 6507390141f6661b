# tests/vm/tap.awk - turns a guest's results port (TAP/KTAP blocks, each
# after a "# suite: <name>" header) into one verdict line per test:
#
#     PASS|FAIL|SKIP <TAB> <tag> <TAB> <suite>: <original line>
#
# Usage: awk -v tag=6.1 -f tap.awk results.tap
#
# Counting rules:
# - every "ok"/"not ok" line counts once, at any indentation (KTAP nests
#   subtests by indenting them), EXCEPT a parent line that summarises
#   subtests already counted; a failing parent whose subtests all passed
#   still counts as one failure (e.g. a suite that failed in its init);
# - "# SKIP" (and "# TODO") results count as skipped;
# - a suite with a top-level plan "1..N" but another number of top-level
#   results, a suite with no results at all, and "Bail out!" are failures.

function verdict(status, text) {
	printf "%s\t%s\t%s: %s\n", status, tag, suite, text
}

# Checks the suite that just ended (plan and emptiness).
function close_suite() {
	if (suite == "")
		return
	if (nresults == 0)
		verdict("FAIL", "no test results (crashed before printing any?)")
	else if (plan >= 0 && top != plan)
		verdict("FAIL", "plan 1.." plan " but " top " top-level results (test died?)")
	for (l in cnt) { delete cnt[l]; delete bad[l] }
}

BEGIN { suite = "" }

{ sub(/\r$/, "") }

/^# suite: / {
	name = substr($0, 10)
	# the guest suite comes back in several blocks; keep counting it
	if (name == suite)
		next
	close_suite()
	suite = name; plan = -1; top = 0; nresults = 0
	next
}

suite == "" { next }

/^[ \t]*Bail out!/ { verdict("FAIL", $0); nresults++; next }

/^1\.\.[0-9]+/ { plan = substr($1, 4) + 0; next }

/^[ \t]*(not )?ok( |$)/ {
	match($0, /^[ \t]*/)
	level = RLENGTH
	failed = ($0 ~ /^[ \t]*not ok/)
	# subtests seen since the last line at this level or above
	children = 0; child_failed = 0
	for (l in cnt) {
		if (l + 0 > level) {
			children += cnt[l]; child_failed += bad[l]
			delete cnt[l]; delete bad[l]
		}
	}
	cnt[level]++
	bad[level] += failed || child_failed
	if (level == 0)
		top++
	nresults++
	if (children > 0 && !(failed && child_failed == 0))
		next	# a summary of subtests already counted
	line = $0
	sub(/^[ \t]*/, "", line)
	if (line ~ /#[ \t]*(SKIP|skip|Skip|TODO|todo)/)
		verdict("SKIP", line)
	else
		verdict(failed ? "FAIL" : "PASS", line)
}

END { close_suite() }
