#!/usr/bin/env bash
# Make the Dockerfile's base image, python:3.11-slim, available to podman.
#
#   scripts/build-base-image.sh            # skip if present, else pull, else build it locally
#   BASE_IMAGE=... FORCE_LOCAL=1 scripts/build-base-image.sh
#   scripts/build-base-image.sh --mirrors  # print the Debian mirrors it would use, and stop
#
# Where the registry answers, this is a plain `podman pull`. Where no registry is reachable
# (this project's CI), the image is built from Debian bookworm, whose python3 is 3.11, with
# debootstrap and imported as localhost/python:3.11-slim, which podman's short-name lookup
# finds before any registry, so the Dockerfile's `FROM python:3.11-slim` is left alone and
# still means the official image wherever a registry answers. The pull goes to the
# registries this machine's containers configuration searches; no registry is named here. The stand-in provides what the Dockerfile relies on, the way the official
# image does: `python` and `python3` (3.11) on PATH, `python3 -m venv` with pip inside,
# `useradd`, CA certificates, a UTF-8 locale and `pip` for the system interpreter.
# Needs root (debootstrap chroots), podman and debootstrap; installs the last two from apt
# when it is root and they are missing.
#
# The Debian mirror is the one this machine's apt already uses (its sources files, one-line
# or deb822), so the build goes wherever apt goes here and no host name is written in the
# project; MIRROR= (and SECURITY_MIRROR=) override it. APT_ETC (/etc/apt) is where to look.
set -euo pipefail

BASE_IMAGE=${BASE_IMAGE:-python:3.11-slim}
# A short name (no registry part) is imported under localhost/, where podman looks first.
case ${BASE_IMAGE%%/*} in
    *.*|*:*|localhost) LOCAL_IMAGE=$BASE_IMAGE ;;
    *) LOCAL_IMAGE=localhost/$BASE_IMAGE ;;
esac
SUITE=${SUITE:-bookworm}
APT_ETC=${APT_ETC:-/etc/apt}
PULL_TIMEOUT=${PULL_TIMEOUT:-60}
DEBOOTSTRAP_TIMEOUT=${DEBOOTSTRAP_TIMEOUT:-900}
FORCE_LOCAL=${FORCE_LOCAL:-0}
PODMAN=${PODMAN:-podman}

log() { printf '== base image: %s\n' "$*"; }
die() { printf '*** base image: %s\n' "$*" >&2; exit 1; }

# The first archive URI in apt's sources whose path ends in /$1 (a dated snapshot path after
# it allowed), without its trailing slash. Commented lines are skipped; deb822 URIs: lines
# and one-line `deb [options] URI suite ...` entries both count.
apt_archive() {
    local sources=()
    [ -f "$APT_ETC/sources.list" ] && sources+=("$APT_ETC/sources.list")
    for f in "$APT_ETC"/sources.list.d/*.list "$APT_ETC"/sources.list.d/*.sources; do
        [ -f "$f" ] && sources+=("$f")
    done
    [ "${#sources[@]}" -gt 0 ] || return 0
    awk '
        /^[[:space:]]*#/ { next }
        /^[[:space:]]*(deb|URIs:)[[:space:]]/ {
            for (i = 2; i <= NF; i++) if ($i ~ /^[a-z][a-z0-9+.-]*:\/\//) print $i
        }
    ' "${sources[@]}" | sed 's:/*$::' | grep -E "/$1(/[0-9]{8}T[0-9]{6}Z)?\$" | head -n 1 || true
}

mirrors() {
    MIRROR=${MIRROR:-$(apt_archive debian)}
    [ -n "$MIRROR" ] || die "no Debian archive (a URI ending in /debian) in $APT_ETC's sources: set MIRROR="
    SECURITY_MIRROR=${SECURITY_MIRROR:-$(apt_archive debian-security)}
    # Else the security archive beside the main one, as Debian's mirrors lay them out.
    SECURITY_MIRROR=${SECURITY_MIRROR:-$(sed -E 's:/debian(/[0-9]{8}T[0-9]{6}Z)?$:/debian-security\1:' <<<"$MIRROR")}
}

if [ "${1:-}" = --mirrors ]; then
    mirrors
    printf 'MIRROR=%s\nSECURITY_MIRROR=%s\n' "$MIRROR" "$SECURITY_MIRROR"
    exit 0
fi

apt_install() {
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y "$@" || { apt-get update && apt-get install -y "$@"; }
}

if ! command -v "$PODMAN" >/dev/null 2>&1; then
    [ "$(id -u)" = 0 ] || die "podman is missing and this is not root: apt-get install podman"
    apt_install podman
fi

if "$PODMAN" image exists "$BASE_IMAGE"; then
    log "$BASE_IMAGE is already there ($("$PODMAN" image inspect --format '{{.Id}}' "$BASE_IMAGE" | cut -c1-12)), nothing to do"
    exit 0
fi

if [ "$FORCE_LOCAL" != 1 ]; then
    log "trying to pull $BASE_IMAGE (at most ${PULL_TIMEOUT}s)"
    if timeout "$PULL_TIMEOUT" "$PODMAN" pull --quiet "$BASE_IMAGE" >/dev/null 2>&1; then
        log "pulled $BASE_IMAGE"
        exit 0
    fi
    log "cannot pull it (no registry reachable): building it locally with debootstrap"
fi

[ "$(id -u)" = 0 ] || die "debootstrap needs root to build $BASE_IMAGE"
mirrors
command -v debootstrap >/dev/null 2>&1 || apt_install debootstrap

work=$(mktemp -d /var/tmp/convscope-base.XXXXXX)
cleanup() {
    # debootstrap may leave /proc or /sys mounted inside the tree when it is interrupted.
    for mounted in proc sys dev/pts dev; do
        umount -l "$work/rootfs/$mounted" 2>/dev/null || true
    done
    rm -rf "$work"
}
trap cleanup EXIT
rootfs=$work/rootfs
started=$(date +%s)

# minbase: the Essential and required packages (dpkg, bash, coreutils, passwd for useradd)
# and apt, as debian:bookworm-slim has. The official image adds ca-certificates, netbase and
# tzdata beside its own Python; python-is-python3 gives `python`, python3-venv brings
# ensurepip (venv with pip), python3-pip the system `pip`.
packages=ca-certificates,netbase,tzdata,python3,python3-venv,python3-pip,python-is-python3
log "debootstrap --variant=minbase $SUITE from $MIRROR (at most ${DEBOOTSTRAP_TIMEOUT}s)"
attempt=1
until timeout "$DEBOOTSTRAP_TIMEOUT" debootstrap --variant=minbase --include="$packages" \
    "$SUITE" "$rootfs" "$MIRROR" >"$work/debootstrap.log" 2>&1; do
    if [ "$attempt" -ge 3 ]; then
        tail -n 30 "$work/debootstrap.log" >&2
        die "debootstrap failed $attempt times (log above)"
    fi
    log "debootstrap failed (attempt $attempt), retrying in 10 s: $(tail -n 1 "$work/debootstrap.log")"
    attempt=$((attempt + 1))
    for mounted in proc sys dev/pts dev; do umount -l "$rootfs/$mounted" 2>/dev/null || true; done
    rm -rf "$rootfs"
    sleep 10
done

# Make it look like a slim image: apt sources that work inside it (with security updates),
# no package caches or lists, no docs or man pages (and dpkg told to keep it that way, as
# the Debian slim images do).
cat >"$rootfs/etc/apt/sources.list" <<EOF
deb $MIRROR $SUITE main
deb $MIRROR $SUITE-updates main
deb $SECURITY_MIRROR $SUITE-security main
EOF
cat >"$rootfs/etc/dpkg/dpkg.cfg.d/docker-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
EOF
# The official image's pip installs into the system interpreter; Debian marks its Python
# externally managed (PEP 668), so `pip install` would refuse there. Remove the marker so
# both images behave alike.
rm -f "$rootfs"/usr/lib/python3.*/EXTERNALLY-MANAGED
ln -sf pip3 "$rootfs/usr/bin/pip"
chroot "$rootfs" apt-get clean
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/debconf/*-old \
    "$rootfs"/var/log/*.log "$rootfs"/var/log/apt/* "$rootfs"/tmp/* "$rootfs"/root/.cache
find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete 2>/dev/null || true
rm -rf "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/usr/share/locale/*
find "$rootfs/usr/lib" -name __pycache__ -type d -prune -exec rm -rf {} +

version=$(chroot "$rootfs" python3 -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')
case $version in
    3.11.*) ;;
    *) die "$SUITE's python3 is $version, not 3.11: the stand-in would not match $BASE_IMAGE" ;;
esac
chroot "$rootfs" python -c 'import ensurepip, venv, ssl' || die "python, venv or ssl is missing in the tree"

log "importing $(du -sh "$rootfs" | cut -f1) tree as $LOCAL_IMAGE (Python $version)"
tar --numeric-owner -C "$rootfs" -cf - . | "$PODMAN" import --quiet \
    --change 'ENV LANG=C.UTF-8' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change "ENV PYTHON_VERSION=$version" \
    --change 'CMD ["python3"]' \
    --message "python:3.11-slim stand-in: Debian $SUITE minbase + python3 $version (debootstrap)" \
    - "$LOCAL_IMAGE" >/dev/null
log "built $LOCAL_IMAGE in $(( $(date +%s) - started )) s, $("$PODMAN" image inspect --format '{{.Size}}' "$LOCAL_IMAGE" | awk '{printf "%.0f MB", $1/1e6}')"
