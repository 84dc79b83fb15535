#!/usr/bin/env bash
# `make prod-down`: stops every process `make prod-up` started, and checks none is left.
set -uo pipefail
cd "$(dirname "$0")/.."
PROD_DIR="${PROD_DIR:-$PWD/var/prod}"
[ -f "$PROD_DIR/env" ] || { echo "Rien à arrêter ($PROD_DIR/env absent)."; exit 0; }
marker=$(sed -n 's/^PROD_MARKER=//p' "$PROD_DIR/env")

# Every process of the layout carries PROD_MARKER in its environment (honcho passes the env file).
ours() {
  for environ in /proc/[0-9]*/environ; do
    pid=${environ#/proc/}; pid=${pid%/environ}
    [ "$pid" = "$$" ] && continue
    grep -qzx "PROD_MARKER=$marker" "$environ" 2>/dev/null && echo "$pid"
  done
}

if [ -f "$PROD_DIR/honcho.pid" ]; then
  pid=$(cat "$PROD_DIR/honcho.pid")
  kill -TERM "$pid" 2>/dev/null  # honcho stops each process (its group) and waits for them
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
fi
left=$(ours)
if [ -n "$left" ]; then
  kill -TERM $left 2>/dev/null; sleep 2
  left=$(ours); [ -n "$left" ] && kill -KILL $left 2>/dev/null; sleep 0.5
fi
rm -f "$PROD_DIR/honcho.pid"
left=$(ours)
if [ -n "$left" ]; then
  echo "Processus encore là : $left" >&2; exit 1
fi
echo "Production locale arrêtée : aucun processus restant."
