#!/bin/sh
# core_pattern pipe helper of the realworld suite: |core-helper.sh %p
cat >"/var/crash/pipe-core.$1"
