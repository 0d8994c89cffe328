#!/usr/bin/env bash
# End-to-end test of the terminal UI: the real binary in a real terminal (tmux).
#
# 1. Opens a lesson, steps, answers the prediction, crashes a broker, undoes it, quits with q, and
#    checks the terminal came back (main screen, cooked mode, exit status 0).
# 2. Shrinks the terminal below the minimum and back.
# 3. Opens a lesson by its id alone and toggles the metrics pane; blacks out a rack of a racked
#    sandbox and undoes it.
# 4. Opens the sandbox with mouse capture, sends SIGTERM, and checks the terminal came back with
#    mouse reporting off.
#
# Works on a fresh Debian machine as root, from any directory; installs tmux if it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v tmux >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tmux >/dev/null
fi
cargo build --release --locked

bin="$PWD/target/release/ackscope"
socket="ackscope-e2e-$$"
home="$(mktemp -d)"
# -u: UTF-8 even where no locale says so (a fresh machine often has none), or tmux would draw
# every ✓ and │ as `_`.
tm() { tmux -u -L "$socket" "$@"; }
cleanup() {
    tm kill-server >/dev/null 2>&1 || true
    rm -rf "$home"
}
trap cleanup EXIT

screen() { tm capture-pane -p -t e2e; }
fail() {
    echo "tui-e2e: FAIL: $*" >&2
    echo "----- screen -----" >&2
    screen >&2 || true
    exit 1
}
# Waits up to 10 s for the screen to show $1.
wait_for() {
    for _ in $(seq 100); do
        screen | grep -qF -- "$1" && return 0
        sleep 0.1
    done
    fail "expected to see: $1"
}
# Waits up to 10 s for the screen to stop showing $1.
wait_gone() {
    for _ in $(seq 100); do
        screen | grep -qF -- "$1" || return 0
        sleep 0.1
    done
    fail "expected not to see any more: $1"
}
keys() { tm send-keys -t e2e "$@"; }
flag() { tm display -p -t e2e "#{$1}"; }
step() { echo "tui-e2e: $*"; }

# The terminal is usable again: the main screen, the shell's echo and line editing (no raw mode).
check_restored() {
    [ "$(flag alternate_on)" = 0 ] || fail "$1: still on the alternate screen"
    [ "$(flag mouse_any_flag)" = 0 ] || fail "$1: mouse reporting left on"
    keys clear Enter
    wait_gone 'exit='
    keys 'stty -a | tr " " "\n" | grep -x -e icanon -e echo | tr "\n" " "; echo' Enter
    wait_for 'icanon echo'
}

# A plain shell in a 160×48 terminal. HOME is a temporary directory, so the test neither reads
# nor writes the user's real progress and keymap.
tm new-session -d -s e2e -x 160 -y 48 \
    "env -i HOME=$home HISTFILE=/dev/null PATH=$PATH TERM=screen-256color LANG=C.UTF-8 PS1='e2e\$ ' bash --norc --noprofile"
wait_for 'e2e$'

step "lesson: open, step, predict, crash, undo, quit"
keys "$bin lesson write-path; echo \"lesson exit=\$?\"" Enter
wait_for 'Three replicas, one leader'
[ "$(flag alternate_on)" = 1 ] || fail "the TUI is not on the alternate screen"
wait_for 'B1 ✓ UP'
keys Right # beat 1 has no actions: stepping finishes it
wait_for 'beat 1/6 · done'
keys n # on to beat 2, which asks a question before it runs
wait_for 'Predict first: press 1–2'
keys Right
wait_for 'predict first: press 1–2, then watch' # stepping waits for the prediction
keys 2
wait_for 'your answer'
keys Right # one engine event at a time
wait_for 'P1 send(m1)'
keys Right
wait_for 'P1 sent m1 to B1'
keys Right
wait_for 'B1 appended m1 from P1'
wait_for 'm1○'
keys c # crash the selected broker, B1
wait_for 'B1 ✗ DOWN (process crashed)'
wait_for 'you changed history'
keys Left # exact undo
wait_gone '✗ DOWN'
wait_for 'B1 ✓ UP'
keys q
wait_for 'lesson exit=0'
check_restored "after q"

step "size: too small, then normal again"
keys "$bin; echo \"home exit=\$?\"" Enter
wait_for 'Lessons'
tm resize-window -t e2e -x 70 -y 20
wait_for 'need 80×24, have 70×20'
tm resize-window -t e2e -x 160 -y 48
wait_for 'Lessons'
wait_gone 'too small'
keys C-c # Ctrl-C is a key in raw mode: it must still quit
wait_for 'home exit=0'
check_restored "after Ctrl-C"

step "a lesson by its id alone, with the metrics pane"
keys "$bin acks-one --theme mono; echo \"direct exit=\$?\"" Enter
wait_for 'acks=1'
keys g
wait_for 'Metrics · Δ since beat 1 began'
wait_for 'UnderReplicatedPartitions'
keys g
wait_gone 'UnderReplicatedPartitions'
keys q
wait_for 'direct exit=0'
check_restored "after the direct lesson"

step "racks: black out a rack, undo it"
keys "$bin sandbox --brokers 6 --racks a,a,b,b,c,c; echo \"racks exit=\$?\"" Enter
wait_for 'rack c ─'
keys 3 B
wait_for '⚡ NO POWER'
wait_for 'rack b (B3, B4) loses power'
keys Left
wait_gone '⚡ NO POWER'
keys q
wait_for 'racks exit=0'
check_restored "after the racked sandbox"

step "sandbox with mouse capture: SIGTERM restores the terminal"
keys "$bin sandbox --mouse; echo \"sandbox exit=\$?\"" Enter
wait_for 'Sandbox'
[ "$(flag mouse_any_flag)" = 1 ] || fail "--mouse did not turn mouse capture on"
keys m # produce
wait_for 'm1'
# The ackscope process is the pane shell's child (found through /proc: `ps` is not on every machine).
shell_pid="$(flag pane_pid)"
app_pid=""
for stat in /proc/[0-9]*/stat; do
    read -r pid comm _ ppid _ <"$stat" 2>/dev/null || continue
    if [ "$ppid" = "$shell_pid" ] && [ "$comm" = "(ackscope)" ]; then
        app_pid="$pid"
    fi
done
[ -n "$app_pid" ] || fail "cannot find the ackscope process"
kill -TERM "$app_pid"
wait_for 'sandbox exit=0'
check_restored "after SIGTERM"

step "all passed"
