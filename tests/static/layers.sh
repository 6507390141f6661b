#!/usr/bin/env bash
# tests/static/layers.sh - the module's dependencies point one way.
#
# Each module/X.c has its own header module/X.h. The layers, top first:
#
#   main                 load order
#   dev                  /dev/aiguard (may read hooks' counters)
#   hooks                kprobes, tracepoints, self-test, watchdog
#   bpf                  BPF helper calls pointed at checking wrappers
#   lsm, task            handlers (lsm may ask task who is protected)
#   obj                  objects on memory-backed storage and their labels
#   mem                  memory lifetime: clearing what protected mms free
#   seal                 what the lock closes beyond aiguard (kexec)
#   grant, guard         services that record through audit
#   audit, stats         services that call nothing
#   sym                  where unexported kernel symbols are (a leaf)
#   policy, registry     pure decisions; the table of protected groups
#
# A file may include its own header, compat.h (kernel differences, a
# leaf) and headers of files strictly below it in LAYERS; and it may call
# only functions declared in those headers. One TAP line per file and
# rule; exits non-zero on any violation.
set -u
cd "$(dirname "$0")/../../module" || exit 1

LAYERS=(main dev hooks bpf lsm task obj mem seal grant guard audit stats sym policy registry)
rank() { local i; for i in "${!LAYERS[@]}"; do [ "${LAYERS[$i]}" = "$1" ] && { echo "$i"; return; }; done; echo -1; }

n=0 bad=0
tap() { n=$((n + 1)); if [ "$1" = ok ]; then echo "ok $n - $2"; else bad=$((bad + 1)); echo "not ok $n - $2"; fi; }

# Which header declares each aiguard_* function (prototypes and inlines).
declare -A owner
for h in *.h; do
	for f in $(grep -oE '^[a-z_ ]*[ *](aiguard_[a-z0-9_]+)\(' "$h" | grep -oE 'aiguard_[a-z0-9_]+\($' | tr -d '('); do
		owner[$f]=${h%.h}
	done
done

for c in *.c; do
	me=${c%.c}
	r=$(rank "$me")
	if [ "$r" -lt 0 ]; then tap "not ok" "module/$c is placed in a layer"; continue; fi
	[ -f "$me.h" ] || [ "$me" = main ] || tap "not ok" "module/$c has its own header $me.h"
	viol=""
	for src in "$c" $( [ -f "$me.h" ] && echo "$me.h"); do
		for inc in $(grep -oE '^#include "[a-z_]+\.h"' "$src" | grep -oE '[a-z_]+\.h' ); do
			dep=${inc%.h}
			[ "$dep" = "$me" ] || [ "$dep" = compat ] && continue
			dr=$(rank "$dep")
			[ "$dr" -gt "$r" ] || viol+=" includes $inc;"
		done
	done
	tap "$([ -z "$viol" ] && echo ok || echo "not ok")" "module/$c includes only lower layers${viol:+:$viol}"
	viol=""
	for f in $(grep -oE '\baiguard_[a-z0-9_]+\(' "$c" | tr -d '(' | sort -u); do
		dep=${owner[$f]:-}
		[ -z "$dep" ] || [ "$dep" = "$me" ] || [ "$dep" = compat ] && continue
		dr=$(rank "$dep")
		[ "$dr" -gt "$r" ] || viol+=" $f() of $dep.c;"
	done
	tap "$([ -z "$viol" ] && echo ok || echo "not ok")" "module/$c calls only lower layers${viol:+:$viol}"
done

# Nothing outside task.c (and the inline hot-path tests in task.h) names
# the registry instance.
users=$(grep -nE '&aiguard_registry\b|\baiguard_registry\.' *.c *.h | grep -vE '^[a-z_]+\.[ch]:[0-9]+:\s*(\*|/\*)' |
	cut -d: -f1 | sort -u | grep -vxE 'task\.c|task\.h' | tr '\n' ' ')
tap "$([ -z "$users" ] && echo ok || echo "not ok")" "only task.c touches the registry instance${users:+ (also: $users)}"

echo "# $n tests, $bad failed"
[ "$bad" -eq 0 ]
