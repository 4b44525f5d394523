# Sourced by the scripts that start the stack's processes in the background (the README
# journey, schema fuzzing): each adds its child's pid to `pids`; on exit, every child is stopped
# and waited for, and an interrupt exits with 130.
pids=()
stop_children() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap stop_children EXIT
trap 'exit 130' INT TERM
