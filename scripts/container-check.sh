#!/usr/bin/env bash
# Build the ConvScope image from the Dockerfile, run it, check it from inside, stop it.
#
#   scripts/container-check.sh          (make container-check)
#
# 1. Engine: Docker when a Docker daemon answers, else podman (rootful, runc, cgroupfs,
#    events in a file: what works on a machine without systemd). As root, podman, runc and
#    debootstrap are installed from apt when missing.
# 2. podman only: the base image python:3.11-slim is pulled, or built locally with
#    debootstrap when no registry is reachable (scripts/build-base-image.sh; kept for next time).
# 3. Build, host networking for the build only. The host's CA bundle (PIP_CERT,
#    REQUESTS_CA_BUNDLE, SSL_CERT_FILE, pip's `cert`, or the system bundle) goes in as the
#    build secret `pip_cert`, so pip trusts a TLS-intercepting proxy; it is in no layer.
#    Proxy variables set on the host are passed as Docker's predefined build args (podman
#    passes them itself); neither is kept in the image.
# 4. Run it detached with CONVSCOPE_WORKERS=2 and port 8000 published on a free 127.0.0.1
#    port, as `docker run -p` would (or, when publishing fails, with the host's network and
#    the server on a free port), wait until /api/health answers, then pipe
#    scripts/container_probe.py into the container's Python: the page, /api/health and
#    /api/forward (the CS231n demo, checked against the notes' naive loops and the README's
#    values) over the container's 127.0.0.1; no process is root; 2 workers. The forward
#    answer is compared with the host's code when .venv has it; the published port and the
#    image's own HEALTHCHECK are tried too.
# 5. Stop it (SIGTERM, graceful), print the image size and the time of each phase. The
#    container is removed on every exit path; every wait has a timeout.
#
# Environment: ENGINE (docker|podman), IMAGE (convscope:check), WORKERS (2), VENV (.venv),
# BUILD_TIMEOUT (1200 s), HEALTH_TIMEOUT (120 s), BUILD_TRIES (2), NETWORK (publish, or
# host to skip publishing).
set -euo pipefail

cd "$(dirname "$0")/.."

IMAGE=${IMAGE:-convscope:check}
WORKERS=${WORKERS:-2}
VENV=${VENV:-.venv}
BUILD_TIMEOUT=${BUILD_TIMEOUT:-1200}
HEALTH_TIMEOUT=${HEALTH_TIMEOUT:-120}
NETWORK=${NETWORK:-publish}
BUILD_TRIES=${BUILD_TRIES:-2}
NAME=convscope-check-$$
LOGS=$(mktemp -d /tmp/convscope-container-check.XXXXXX)
trap 'rm -rf "$LOGS"' EXIT # replaced by the full cleanup once the engine is known

log() { printf '== container-check: %s\n' "$*"; }
fail() {
    printf '*** container-check FAILED: %s\n' "$*" >&2
    exit 1
}
started_all=$(date +%s)
phase_start=$started_all
timings=()
phase_done() {
    local now
    now=$(date +%s)
    timings+=("$1 $((now - phase_start)) s")
    phase_start=$now
}

apt_install() {
    export DEBIAN_FRONTEND=noninteractive
    timeout 900 apt-get install -y "$@" || { timeout 900 apt-get update && timeout 900 apt-get install -y "$@"; }
}

# --- 1. the engine ------------------------------------------------------------------------
engine=${ENGINE:-}
if [ -z "$engine" ]; then
    if command -v docker >/dev/null 2>&1 && timeout 20 docker info >/dev/null 2>&1; then
        engine=docker
    else
        engine=podman
    fi
fi
case $engine in
    docker)
        ctr=(docker)
        run_limits=()
        ;;
    podman)
        missing=()
        command -v podman >/dev/null 2>&1 || missing+=(podman)
        command -v runc >/dev/null 2>&1 || missing+=(runc)
        command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
        if [ "${#missing[@]}" -gt 0 ]; then
            [ "$(id -u)" = 0 ] || fail "no Docker daemon answers and ${missing[*]} missing; as root: apt-get install -y ${missing[*]}"
            log "no Docker daemon answers: installing ${missing[*]} from apt"
            apt_install "${missing[@]}" >"$LOGS/apt.log" 2>&1 || { tail -n 20 "$LOGS/apt.log" >&2; fail "apt-get install ${missing[*]}"; }
        fi
        [ "$(id -u)" = 0 ] || fail "this script runs podman rootful (host networking, runc): run it as root"
        # No systemd here: cgroups through cgroupfs, events to a file.
        ctr=(podman --cgroup-manager cgroupfs --events-backend file)
        # podman asks for more open files and processes than a sandbox may grant (runc then
        # fails with "error setting rlimit"): ask for what this shell has, processes capped.
        hard_files=$(ulimit -Hn)
        [ "$hard_files" = unlimited ] && hard_files=1048576
        run_limits=(--ulimit "nofile=$hard_files:$hard_files" --ulimit nproc=4096:4096)
        ;;
    *) fail "ENGINE=$engine: use docker or podman" ;;
esac
log "engine: ${ctr[*]} ($("${ctr[@]}" --version 2>/dev/null | head -n 1))"

cleanup() {
    local status=$?
    if "${ctr[@]}" container exists "$NAME" >/dev/null 2>&1 \
        || "${ctr[@]}" container inspect "$NAME" >/dev/null 2>&1; then
        if [ "$status" != 0 ]; then
            echo "--- last lines of the container's log:" >&2
            timeout 30 "${ctr[@]}" logs --tail 40 "$NAME" >&2 2>&1 || true
        fi
        timeout 60 "${ctr[@]}" rm -f -t 5 "$NAME" >/dev/null 2>&1 \
            || timeout 60 "${ctr[@]}" rm -f "$NAME" >/dev/null 2>&1 || true
    fi
    rm -rf "$LOGS"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "$engine" = podman ]; then
    # runc is Debian's default; if the configured runtime (crun, say) cannot start a
    # container in this sandbox, runc is used.
    if ! timeout 1800 bash scripts/build-base-image.sh; then
        fail "the base image python:3.11-slim is neither pullable nor buildable (see above)"
    fi
    phase_done "tools and base image"
    if ! timeout 60 "${ctr[@]}" run --rm "${run_limits[@]}" python:3.11-slim true >"$LOGS/probe-runtime.log" 2>&1; then
        log "the default runtime cannot start a container ($(tail -n 1 "$LOGS/probe-runtime.log")): using runc"
        ctr+=(--runtime runc)
        timeout 60 "${ctr[@]}" run --rm "${run_limits[@]}" python:3.11-slim true >"$LOGS/probe-runtime.log" 2>&1 \
            || { cat "$LOGS/probe-runtime.log" >&2; fail "podman cannot start a container with runc either"; }
    fi
fi

# --- 3. build ----------------------------------------------------------------------------
build=("${ctr[@]}" build -t "$IMAGE")
ca_bundle=""
pip_cert=""
[ -x "$VENV/bin/python" ] && pip_cert=$("$VENV/bin/python" -m pip config get global.cert 2>/dev/null || true)
for candidate in "${PIP_CERT:-}" "${REQUESTS_CA_BUNDLE:-}" "${SSL_CERT_FILE:-}" "$pip_cert" \
    /etc/ssl/certs/ca-certificates.crt /etc/pki/tls/certs/ca-bundle.crt; do
    if [ -n "$candidate" ] && [ -s "$candidate" ]; then
        ca_bundle=$candidate
        break
    fi
done
if [ -n "$ca_bundle" ]; then
    build+=(--secret "id=pip_cert,src=$ca_bundle")
    log "pip in the build trusts the host's CA bundle $ca_bundle (build secret pip_cert)"
fi
if [ "$engine" = podman ]; then
    # The docker format keeps HEALTHCHECK (OCI drops it); host networking for pip.
    build+=(--format docker --network host "${run_limits[@]}")
else
    export DOCKER_BUILDKIT=1 # RUN --mount=type=secret needs BuildKit
    for proxy in HTTP_PROXY HTTPS_PROXY NO_PROXY http_proxy https_proxy no_proxy; do
        [ -n "${!proxy:-}" ] && build+=(--build-arg "$proxy=${!proxy}")
    done
fi
old_id=$("${ctr[@]}" image inspect --format '{{.Id}}' "$IMAGE" 2>/dev/null || true)
try=1
log "building $IMAGE (at most ${BUILD_TIMEOUT} s a try, $BUILD_TRIES tries)"
until timeout "$BUILD_TIMEOUT" "${build[@]}" . >"$LOGS/build.log" 2>&1; do
    tail -n 25 "$LOGS/build.log" >&2
    [ "$try" -lt "$BUILD_TRIES" ] || fail "the image did not build ($try tries; the build's last lines are above)"
    log "build try $try failed (network?): retrying in 15 s"
    try=$((try + 1))
    sleep 15
done
cached=$(grep -c -E 'Using cache|CACHED' "$LOGS/build.log" || true)
new_id=$("${ctr[@]}" image inspect --format '{{.Id}}' "$IMAGE")
if [ -n "$old_id" ] && [ "$old_id" != "$new_id" ]; then
    # The previous build of this tag, now untagged: remove it so repeated checks do not
    # pile up images (refused, harmlessly, while something still uses it).
    "${ctr[@]}" rmi "$old_id" >/dev/null 2>&1 || true
fi
phase_done "build ($cached steps cached)"

# --- 4. run and check --------------------------------------------------------------------
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
port=$(free_port)
inner_port=8000
mode=publish
published=0
if [ "$NETWORK" = publish ]; then
    log "starting $NAME: CONVSCOPE_WORKERS=$WORKERS, port 8000 published on 127.0.0.1:$port"
    if timeout 120 "${ctr[@]}" run -d --name "$NAME" "${run_limits[@]}" -e "CONVSCOPE_WORKERS=$WORKERS" \
        -p "127.0.0.1:$port:8000" "$IMAGE" >"$LOGS/run.log" 2>&1; then
        published=1
    else
        log "publishing a port failed ($(grep -v '^time=' "$LOGS/run.log" | tail -n 1)): host network instead"
    fi
fi
if [ "$published" = 0 ]; then
    log "starting $NAME: CONVSCOPE_WORKERS=$WORKERS, host network, server on 127.0.0.1:$port"
    timeout 60 "${ctr[@]}" rm -f "$NAME" >/dev/null 2>&1 || true
    mode=host
    inner_port=$port
    timeout 120 "${ctr[@]}" run -d --name "$NAME" "${run_limits[@]}" -e "CONVSCOPE_WORKERS=$WORKERS" \
        --network host "$IMAGE" convscope serve --host 127.0.0.1 --port "$port" >"$LOGS/run.log" 2>&1 \
        || { cat "$LOGS/run.log" >&2; fail "the container did not start"; }
fi

# Health, from inside the container; a container that exits meanwhile fails at once.
deadline=$(($(date +%s) + HEALTH_TIMEOUT))
until timeout 10 "${ctr[@]}" exec "$NAME" python -c \
    "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$inner_port/api/health', timeout=2)" \
    >/dev/null 2>&1; do
    running=$(timeout 30 "${ctr[@]}" inspect --format '{{.State.Running}}' "$NAME" 2>/dev/null || echo gone)
    [ "$running" = true ] || fail "the container stopped before it was healthy (running: $running)"
    [ "$(date +%s)" -lt "$deadline" ] || fail "/api/health did not answer within ${HEALTH_TIMEOUT} s"
    sleep 1
done
phase_done "start until healthy"

log "checking from inside the container over 127.0.0.1:$inner_port"
timeout 120 "${ctr[@]}" exec -i "$NAME" python - --port "$inner_port" --workers "$WORKERS" \
    <scripts/container_probe.py >"$LOGS/forward.json" \
    || fail "the checks inside the container failed (the probe's message is above)"

if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c 'import app.main, fastapi.testclient, httpx' >/dev/null 2>&1; then
    "$VENV/bin/python" scripts/container_probe.py --compare "$LOGS/forward.json" \
        || fail "the container's /api/forward answer differs from the host's code"
else
    log "no $VENV with the app and httpx here: the forward answer was checked against the notes' loops only"
fi

# From the host: the published port (or, on the host network, the server's own port).
python3 - "$port" <<'PY' || fail "the host's 127.0.0.1:$port does not answer /api/health"
import json, sys, urllib.request
with urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/api/health", timeout=10) as answer:
    health = json.load(answer)
assert health["status"] == "ok", health
print(f"   host: 127.0.0.1:{sys.argv[1]} -> {health}")
PY
if [ "$mode" = publish ]; then
    # The image's own HEALTHCHECK instruction, as the engine runs it.
    if [ "$engine" = podman ]; then
        timeout 60 "${ctr[@]}" healthcheck run "$NAME" >"$LOGS/health.log" 2>&1 \
            || { cat "$LOGS/health.log" >&2; fail "the image's HEALTHCHECK reports unhealthy"; }
        log "the image's HEALTHCHECK: healthy"
    else
        deadline=$(($(date +%s) + 75)) # docker's first probe comes after one 30 s interval
        until [ "$(docker inspect --format '{{.State.Health.Status}}' "$NAME")" = healthy ]; do
            [ "$(date +%s)" -lt "$deadline" ] || fail "docker never reported the container healthy"
            sleep 2
        done
        log "the image's HEALTHCHECK: healthy"
    fi
else
    log "host network: the image's HEALTHCHECK (port 8000) is not tried"
fi
phase_done "checks"

# --- 5. stop -----------------------------------------------------------------------------
timeout 60 "${ctr[@]}" stop -t 20 "$NAME" >/dev/null 2>&1 || fail "the container did not stop"
exit_code=$(timeout 30 "${ctr[@]}" inspect --format '{{.State.ExitCode}}' "$NAME")
timeout 60 "${ctr[@]}" rm "$NAME" >/dev/null 2>&1 || true
phase_done "stop (exit code $exit_code)"
[ "$exit_code" = 0 ] || fail "the server exited with $exit_code on SIGTERM, not 0"

size=$("${ctr[@]}" image inspect --format '{{.Size}}' "$IMAGE")
log "OK: $IMAGE ($(printf '%s' "$new_id" | sed 's/^sha256://' | cut -c1-12)), $(awk -v b="$size" 'BEGIN { printf "%.0f MB", b / 1e6 }'), ${engine}, $mode networking"
for timing in "${timings[@]}"; do
    log "  $timing"
done
log "  total $(($(date +%s) - started_all)) s"
