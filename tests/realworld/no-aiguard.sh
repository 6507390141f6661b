#!/bin/sh
# Stand-in for "aiguard exec --label L --user U -- CMD" when the tool has not
# been built: runs CMD as U without protection (the protected column leaks).
while [ $# -gt 0 ]; do
	case $1 in
	exec) shift ;;
	--label|--group) shift 2 ;;
	--user) user=$2; shift 2 ;;
	--) shift; break ;;
	*) break ;;
	esac
done
exec setpriv --reuid="$user" --regid="$user" --init-groups -- "$@"
