#!/usr/bin/env bash
# The container image builds and does what the Dockerfile promises, without a
# registry or a container engine:
#  1. a minimal Debian 12 made with debootstrap from the mirror apt uses here,
#     trimmed like the official slim image, is imported with `podman import` as
#     the Dockerfile's FROM (docker.io/library/debian:bookworm-slim);
#  2. `podman build --isolation=chroot --pull=never` builds the Dockerfile;
#  3. the image's metadata: a non-root USER, VOLUME /var/lib/incidentd,
#     WORKDIR there, only 8080 EXPOSEd, ENTRYPOINT + CMD `incidentd run -c
#     /etc/incidentd/config.toml`; its size is printed and must stay under
#     IMAGE_MAX_MB; no compiler, binutils, make, cmake or -dev package in it;
#  4. its filesystem, exported (`podman create` + `podman export`): the user's
#     passwd entry (no login shell), the volume directory owned by that user (0750),
#     the CA bundle and tzdata;
#  5. `incidentd check-config` of the shipped /etc/incidentd/config.toml, run
#     with chroot as the image's user;
#  6. the image's ENTRYPOINT + CMD, run with chroot as that user in its WORKDIR
#     (with /dev and /proc mounted, in a private mount namespace, as a runtime
#     would), with the tokens in the environment and the shipped configuration
#     pointed at the Slack emulator on loopback (api_base_url and the two
#     listeners on free loopback ports: what a mounted own configuration does):
#     /healthz says the database is ok and Slack connected, the status page
#     answers, the database is on the volume (owned by the user, mode 0600) and
#     SIGTERM stops it with status 0.
# Running a container is not possible here (the runtime may not set rlimits), hence
# the export and chroot. Needs root (chroot, mount, podman's rootful storage): as
# another user it skips (77).
# Cache (INCIDENTD_IMAGE_CACHE, else $3): the debootstrap tarball and podman's own
# storage (driver overlay, else vfs; configured here, not globally), so a second run
# reuses the base and the package layers and only recompiles. Delete it to start over.
# Usage: image_test.sh SOURCE_DIR PATH/TO/slackemu CACHE_DIR
set -u
SRC=$(cd "$1" && pwd)
EMU=$2
CACHE=${INCIDENTD_IMAGE_CACHE:-$3}
IMAGE_MAX_MB=${IMAGE_MAX_MB:-120}
TAG=localhost/incidentd:image-test
BUILD_TAG=localhost/incidentd-build:image-test # the build stage, kept for its cached layers
BASE=docker.io/library/debian:bookworm-slim
SUITE=bookworm

if [ "$(id -u)" -ne 0 ]; then
  echo "image: needs root (debootstrap, chroot, podman storage): skipped"; exit 77
fi
for c in podman debootstrap curl python3 unshare; do
  command -v "$c" >/dev/null 2>&1 || { echo "image: $c not found (scripts/install-deps.sh): skipped"; exit 77; }
done

fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
die() { echo "FAIL: $*"; exit 1; }
t0=$(date +%s)
step() { echo "== [$(( $(date +%s) - t0 ))s] $*"; }

mkdir -p "$CACHE"
CACHE=$(cd "$CACHE" && pwd)
case "$CACHE/" in
  "$SRC"/build*/*) ;;
  "$SRC"/*) die "the cache $CACHE is inside the build context (only $SRC/build* is ignored)" ;;
esac
# One image test at a time per cache (two build trees may share one).
exec 9>"$CACHE/lock"
flock 9

T=$(mktemp -d /tmp/incidentd-image-XXXXXX)
PIDS=()
CTR=""
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  [ -n "$CTR" ] && pm rm -f "$CTR" >/dev/null 2>&1
  rm -rf "$T"
}
trap cleanup EXIT

# podman with its own configuration and storage under the cache: nothing global is read
# or changed. cgroupfs and a file event log: no systemd is needed; nothing is run anyway.
cat > "$CACHE/containers.conf" <<EOF
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$CACHE/events.log"
EOF
printf 'unqualified-search-registries = ["docker.io"]\nshort-name-mode = "permissive"\n' \
  > "$CACHE/registries.conf"
write_storage_conf() {
  printf '[storage]\ndriver = "%s"\ngraphroot = "%s/storage-%s"\nrunroot = "%s/run-%s"\n' \
    "$1" "$CACHE" "$1" "$CACHE" "$1" > "$CACHE/storage.conf"
}
export CONTAINERS_CONF=$CACHE/containers.conf CONTAINERS_REGISTRIES_CONF=$CACHE/registries.conf
export CONTAINERS_STORAGE_CONF=$CACHE/storage.conf
pm() { podman "$@"; }
write_storage_conf overlay
if ! pm info >"$T/info.log" 2>&1; then
  echo "podman: overlay storage unavailable ($(tail -1 "$T/info.log")): using vfs"
  write_storage_conf vfs
  pm info >"$T/info.log" 2>&1 || die "podman info: $(tail -5 "$T/info.log")"
fi

# 1. The base image. The mirror (and proxy) apt uses here, for debootstrap and for the
# image's own apt sources.
arch=$(dpkg --print-architecture)
mirror_of() { # mirror_of SUITE: the URI apt fetches SUITE/main from, if any
  apt-cache policy 2>/dev/null | awk -v s="$1/main" '$3 == s && $2 ~ /^https?:/ { print $2; exit }'
}
mirror=${INCIDENTD_DEBIAN_MIRROR:-$(mirror_of "$SUITE")}
mirror=${mirror:-http://deb.debian.org/debian}
proxy=$(apt-config dump 2>/dev/null | sed -n 's/^Acquire::http::Proxy "\(.*\)";$/\1/p' | head -1)
[ -n "$proxy" ] && export http_proxy=${http_proxy:-$proxy}
tarball="$CACHE/base-$SUITE-$arch-$(printf '%s' "$mirror" | md5sum | cut -c1-8).tar"
if [ ! -s "$tarball" ]; then
  step "debootstrap --variant=minbase $SUITE from $mirror"
  root="$CACHE/rootfs.tmp"
  rm -rf "$root"
  debootstrap --variant=minbase --arch="$arch" "$SUITE" "$root" "$mirror" >"$T/debootstrap.log" 2>&1 \
    || die "debootstrap: $(tail -20 "$T/debootstrap.log")"
  # What the official slim image does: no docs, man pages or locales, now or in later
  # installs; no package cache or lists; apt's own caches off.
  cat > "$root/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/lintian/overrides/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/man/*
EOF
  cat > "$root/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
  printf 'Acquire::Languages "none";\n' > "$root/etc/apt/apt.conf.d/docker-no-languages"
  {
    echo "deb $mirror $SUITE main"
    m=$(mirror_of "$SUITE-updates"); [ -n "$m" ] && echo "deb $m $SUITE-updates main"
    m=$(mirror_of "$SUITE-security"); [ -n "$m" ] && echo "deb $m $SUITE-security main"
  } > "$root/etc/apt/sources.list"
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/cache/apt/*.bin "$root"/var/lib/apt/lists/* \
         "$root"/var/log/* "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/locale/*
  find "$root/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
  find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
  # A runtime gives /dev; the image carries none of the host's device nodes.
  find "$root/dev" -mindepth 1 -delete
  tar --numeric-owner -C "$root" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball" \
    || die "tar of the base"
  rm -rf "$root"
fi
sum=$(sha256sum "$tarball" | cut -c1-64)
# Imported once per tarball: a new import is a new image id, which would void the layer cache.
if [ "$(pm image inspect --format '{{index .Labels "incidentd.base"}}' "$BASE" 2>/dev/null)" != "$sum" ]; then
  step "podman import $(basename "$tarball") as $BASE"
  pm import --change "LABEL incidentd.base=$sum" --change 'CMD ["bash"]' "$tarball" "$BASE" \
    >"$T/import.log" 2>&1 || die "podman import: $(tail -5 "$T/import.log")"
fi

# 2. The image. The build stage is tagged too, so that pruning keeps its layers (the
# toolchain's apt install) for the next run.
step "podman build (the log: $CACHE/build.log)"
build() { pm build --isolation=chroot --pull=never "$@" "$SRC" >>"$CACHE/build.log" 2>&1; }
: > "$CACHE/build.log"
build --target build -t "$BUILD_TAG" && build -t "$TAG" \
  || die "podman build: $(tail -30 "$CACHE/build.log")"
pm image prune -f >/dev/null 2>&1 # the previous run's layers
step "built $TAG"

# 3. Metadata.
pm image inspect --format '{{json .Config}}' "$TAG" > "$T/config.json" || die "image inspect"
size=$(pm image inspect --format '{{.Size}}' "$TAG")
mb=$(( (size + 500000) / 1000000 ))
echo "image size: $mb MB ($size bytes; the base alone: $(( ($(pm image inspect --format '{{.Size}}' "$BASE") + 500000) / 1000000 )) MB)"
[ "$mb" -le "$IMAGE_MAX_MB" ] || fail "the image is $mb MB, more than $IMAGE_MAX_MB MB"
meta=$(python3 - "$T/config.json" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
errs = []
user = c.get("User") or ""
if user in ("", "root", "0") or user.startswith(("0:", "root:")):
    errs.append("USER is %r: the image runs as root" % user)
if list((c.get("Volumes") or {}).keys()) != ["/var/lib/incidentd"]:
    errs.append("volumes %s, expected /var/lib/incidentd" % list((c.get("Volumes") or {}).keys()))
if c.get("WorkingDir") != "/var/lib/incidentd":
    errs.append("WORKDIR %r" % c.get("WorkingDir"))
if list((c.get("ExposedPorts") or {}).keys()) != ["8080/tcp"]:
    errs.append("EXPOSEd %s: only 8080 (never the internal 8081)" % list((c.get("ExposedPorts") or {}).keys()))
argv = (c.get("Entrypoint") or []) + (c.get("Cmd") or [])
if argv != ["incidentd", "run", "-c", "/etc/incidentd/config.toml"]:
    errs.append("ENTRYPOINT + CMD %s" % argv)
path = [e[5:] for e in c.get("Env") or [] if e.startswith("PATH=")]
for e in errs:
    print("ERR " + e)
print("USER " + user)
print("PATH " + (path[0] if path else "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"))
print("ARGV " + " ".join(argv))
EOF
) || fail "image config unreadable"
while IFS= read -r e; do fail "image config: $e"; done < <(printf '%s\n' "$meta" | sed -n 's/^ERR //p')
user=$(printf '%s\n' "$meta" | sed -n 's/^USER //p')
path=$(printf '%s\n' "$meta" | sed -n 's/^PATH //p')
read -r -a argv < <(printf '%s\n' "$meta" | sed -n 's/^ARGV //p')
echo "image: USER $user, ENTRYPOINT + CMD ${argv[*]}"

# 4. The filesystem.
R=$T/rootfs
mkdir -p "$R"
CTR=$(pm create "$TAG") || die "podman create"
pm export "$CTR" | tar --numeric-owner -x -C "$R" || die "podman export"
pm rm -f "$CTR" >/dev/null; CTR=""
pw=$(awk -F: -v u="${user%%:*}" '$1 == u || $3 == u' "$R/etc/passwd" | head -1)
uid=$(echo "$pw" | cut -d: -f3); gid=$(echo "$pw" | cut -d: -f4)
echo "passwd: $pw"
[ -n "$uid" ] && [ "$uid" != 0 ] && [ "$gid" != 0 ] || die "USER $user: no non-root passwd entry ($pw)"
case "$(echo "$pw" | cut -d: -f7)" in */nologin|*/false) ;; *) fail "the user has a login shell: $pw" ;; esac
[ "$(stat -c '%u:%g %a' "$R/var/lib/incidentd")" = "$uid:$gid 750" ] \
  || fail "the volume /var/lib/incidentd is $(stat -c '%u:%g %a' "$R/var/lib/incidentd"), not $uid:$gid 750"
[ -s "$R/etc/ssl/certs/ca-certificates.crt" ] || fail "no CA bundle (ca-certificates)"
[ -f "$R/usr/share/zoneinfo/Europe/Berlin" ] || fail "no tzdata"
[ -x "$R/usr/local/bin/incidentd" ] || fail "no /usr/local/bin/incidentd"
dev=$(dpkg-query --admindir="$R/var/lib/dpkg" -W -f '${Package}\n' 2>/dev/null \
      | grep -E '^(gcc|g\+\+|cpp|clang)(-[0-9]+)?$|^binutils|^(make|cmake|pkg-config|pkgconf|build-essential)$|-dev$')
[ -z "$dev" ] || fail "build packages in the runtime image: $(echo $dev)"
for f in usr/bin/cc usr/bin/gcc usr/bin/ld usr/bin/cmake usr/bin/make usr/include/stdio.h; do
  [ -e "$R/$f" ] && fail "/$f in the runtime image"
done
ls "$R/var/cache/apt/archives/"*.deb >/dev/null 2>&1 && fail "package files left in /var/cache/apt/archives"

# in_image CMD...: CMD as the image's user in the exported filesystem, from its WORKDIR,
# with its PATH, /dev and /proc (a private mount namespace: nothing is left mounted).
# It execs, so call it in a subshell: $(...), a pipeline or &, whose pid is then the command's.
in_image() {
  exec unshare --mount --propagation private sh -c '
    r=$1; ug=$2; shift 2
    mount --rbind /dev "$r/dev" && mount -t proc proc "$r/proc" || exit 125
    exec chroot --userspec="$ug" "$r" "$@"' sh "$R" "$uid:$gid" \
    env -i -C /var/lib/incidentd PATH="$path" HOME=/var/lib/incidentd "$@"
}

# 5. check-config of the shipped configuration, as the image's user.
out=$(in_image incidentd check-config /etc/incidentd/config.toml 2>&1) \
  || fail "check-config of the shipped /etc/incidentd/config.toml: $out"
echo "check-config /etc/incidentd/config.toml: $out"
in_image sh -c 'id -u' 2>/dev/null | grep -qx "$uid" || fail "chroot did not run as uid $uid"

# 6. The daemon: the image's command against the Slack emulator on loopback. The shipped
# configuration with Slack's base URL and both listeners changed (free loopback ports,
# since the chroot shares this machine's network), as an own configuration would be.
"$EMU" --port 0 --quiet > "$T/emu.out" 2> "$T/emu.log" & PIDS+=($!)
emu=""
for _ in $(seq 50); do
  emu=$(grep -oE 'https?://127\.0\.0\.1:[0-9]+' "$T/emu.out" | head -1); [ -n "$emu" ] && break; sleep 0.1
done
[ -n "$emu" ] || die "slackemu did not start: $(cat "$T/emu.log")"
cp "$R/etc/incidentd/config.toml" "$T/shipped.toml"
# A free port can be taken by another program before the daemon binds it: up to three
# tries, each with new ports, when the daemon says it cannot listen.
for try in 1 2 3; do
  read -r pport hport < <(python3 -c 'import socket
a, b = socket.socket(), socket.socket(); a.bind(("127.0.0.1", 0)); b.bind(("127.0.0.1", 0))
print(a.getsockname()[1], b.getsockname()[1])')
  sed -e "s#^api_base_url = \"https://slack.com/api/\"#api_base_url = \"$emu/api/\"#" \
      -e "s#^listen = \"0.0.0.0:8080\"#listen = \"127.0.0.1:$pport\"#" \
      -e "s#^internal_listen = \"0.0.0.0:8081\"#internal_listen = \"127.0.0.1:$hport\"#" \
      "$T/shipped.toml" > "$R/etc/incidentd/config.toml"
  [ "$(diff "$T/shipped.toml" "$R/etc/incidentd/config.toml" | grep -c '^>')" -eq 3 ] \
    || die "the shipped configuration lacks the api_base_url or listen lines to point at the emulator"
  grep -qx 'path = "/var/lib/incidentd/incidentd.db"' "$R/etc/incidentd/config.toml" \
    || die "the shipped configuration's database is not on the volume"
  step "starting ${argv[*]} in the image, Slack at $emu"
  in_image env SLACK_BOT_TOKEN=xoxb-1-2-imagetest0 SLACK_APP_TOKEN=xapp-1-A1-2-imagetest0 \
    "${argv[@]}" > "$T/bot.log" 2>&1 &
  bot=$!; PIDS+=($bot)
  health=""
  for _ in $(seq 150); do
    health=$(curl -s "http://127.0.0.1:$hport/healthz" 2>/dev/null)
    echo "$health" | grep -q '"slack":"connected"' && break
    kill -0 "$bot" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$bot" 2>/dev/null || ! grep -q 'cannot listen' "$T/bot.log" || {
    echo "try $try: $(grep 'cannot listen' "$T/bot.log")"; continue; }
  break
done
echo "/healthz: $health"
echo "$health" | grep -q '"database":"ok"' && echo "$health" | grep -q '"slack":"connected"' \
  || fail "the daemon in the image did not come up: /healthz $health; log: $(tail -10 "$T/bot.log")"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$pport/")
[ "$code" = 200 ] || fail "the status page answered $code"
db=$R/var/lib/incidentd/incidentd.db
[ "$(stat -c '%u:%g %a' "$db" 2>/dev/null)" = "$uid:$gid 600" ] \
  || fail "the database on the volume: $(stat -c '%u:%g %a %n' "$db" 2>&1)"
if kill -TERM "$bot" 2>/dev/null; then
  wait "$bot"; rc=$?
  [ $rc -eq 0 ] || fail "SIGTERM: exit $rc; log: $(tail -5 "$T/bot.log")"
fi
cp "$T/bot.log" "$CACHE/bot.log" # for a look after a failure
grep -q 'xoxb-1-2-imagetest0\|xapp-1-A1-2-imagetest0' "$T/bot.log" && fail "a token is in the log"

step "done"
[ $fails -eq 0 ] && echo "image: ok" && exit 0
exit 1
