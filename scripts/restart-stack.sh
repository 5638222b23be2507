#!/usr/bin/env bash
# For the crash test (tests/e2e/tests/crash.rs), which kills the stack itself:
# starts it again on the state folder it left and prints "<port> <pid>".
# usage: scripts/restart-stack.sh <state dir> <log file>. scripts/test.sh
# stops it afterwards (the test writes the pid to TICKETING_CRASH_PIDFILE).
set -euo pipefail
. "$(dirname "$0")/env.sh"
STACK_STATE_DIR=$1
start_stack "$2" --same-state >&2
echo "$STACK_PORT $STACK_PID"
