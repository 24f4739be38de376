# Sourced by the stages that call docker.  The demo's private engine
# (scripts/engine.sh) listens at a fixed per-user address, so a new shell
# that never ran `eval "$(scripts/engine.sh env)"` still finds it; a
# DOCKER_HOST handed over by pass_env always wins.
engine_sock=${HOME:-/}/.local/share/slipway/engine/engine.sock
if [ -z "${DOCKER_HOST:-}" ] && [ -S "$engine_sock" ]; then
    DOCKER_HOST=unix://$engine_sock
    export DOCKER_HOST
fi
unset engine_sock
