#!/usr/bin/env bash
# Builds the Lambda base image SAM CLI looks for (`public.ecr.aws/lambda/python:3.12-x86_64`) from this
# machine's own files, because no container registry can be reached here: `docker import` of a root
# filesystem holding busybox (/bin/sh), this machine's CPython 3.12 under /var/lang, the shared libraries
# it and the layer's wheels need, awslambdaric + boto3 under /var/runtime (what the managed runtime
# provides) and /var/runtime/bootstrap. SAM adds its own Runtime Interface Emulator on top.
# Idempotent: does nothing when the image is present (FORCE=1 rebuilds).
set -euo pipefail
cd "$(dirname "$0")/../.."

ARCH="$(uname -m)"
case "$ARCH" in
  x86_64) TAG_ARCH=x86_64; WHEEL_PLATFORM=manylinux2014_x86_64 ;;
  aarch64) TAG_ARCH=arm64; WHEEL_PLATFORM=manylinux2014_aarch64 ;;
  *) echo "sam-image: unsupported machine $ARCH" >&2; exit 1 ;;
esac
IMAGE="public.ecr.aws/lambda/python:3.12-${TAG_ARCH}"

if [ "${FORCE:-0}" != 1 ] && docker image inspect "$IMAGE" >/dev/null 2>&1; then
  echo "sam-image: $IMAGE is present"
  exit 0
fi

PYTHON="${PYTHON:-python3.12}"
# Where this machine's Python 3.12 lives (pyenv, /usr/local, ...): asked, never assumed.
PREFIX="$("$PYTHON" -c 'import sys; print(sys.base_prefix)')"
VERSION="$("$PYTHON" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
[ "$VERSION" = 3.12 ] || { echo "sam-image: $PYTHON is $VERSION, not 3.12" >&2; exit 1; }
BUSYBOX="$(command -v busybox || true)"
if [ -z "$BUSYBOX" ] || ldd "$BUSYBOX" >/dev/null 2>&1; then
  # A static busybox runs in an image without its own libc search; Debian's busybox-static is one.
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq busybox-static >/dev/null
    BUSYBOX="$(command -v busybox)"
  else
    echo "sam-image: needs a static busybox (Debian: apt-get install busybox-static)" >&2; exit 1
  fi
fi

ROOTFS="$(mktemp -d)"
trap 'rm -rf "$ROOTFS"' EXIT
echo "sam-image: building $IMAGE from $PREFIX (Python $VERSION) in a scratch folder"
mkdir -p "$ROOTFS"/{bin,tmp,etc/ssl/certs,var/lang/bin,var/lang/lib,var/runtime,var/task,opt}
chmod 1777 "$ROOTFS/tmp"

# busybox provides /bin/sh and the usual tools.
cp "$BUSYBOX" "$ROOTFS/bin/busybox"
for tool in sh ls cat env mkdir rm cp chmod ln echo; do ln -s busybox "$ROOTFS/bin/$tool"; done

# CPython: the interpreter, its shared library and its standard library (no tests, no IDLE, no tkinter,
# and no site-packages: the runtime's own packages live in /var/runtime as on Lambda).
cp -L "$PREFIX/bin/python$VERSION" "$ROOTFS/var/lang/bin/python$VERSION"
ln -s "python$VERSION" "$ROOTFS/var/lang/bin/python3"
ln -s "python$VERSION" "$ROOTFS/var/lang/bin/python"
cp -a "$PREFIX"/lib/libpython3*.so* "$ROOTFS/var/lang/lib/"
mkdir -p "$ROOTFS/var/lang/lib/python$VERSION/site-packages"
tar -C "$PREFIX/lib/python$VERSION" \
  --exclude=./site-packages --exclude=./test --exclude=./idlelib --exclude=./tkinter \
  --exclude=./turtledemo --exclude='./lib-dynload/_tkinter*' --exclude=./ensurepip --exclude='./config-*' -cf - . \
  | tar -C "$ROOTFS/var/lang/lib/python$VERSION" -xf -

# The runtime's packages, for the image's platform only.
"$PYTHON" -m pip install --quiet --disable-pip-version-check --no-compile --target "$ROOTFS/var/runtime" \
  --platform "$WHEEL_PLATFORM" --implementation cp --python-version "$VERSION" --only-binary=:all: \
  -r tools/sam_local/requirements-runtime.txt
"$PYTHON" -m compileall -q -j 0 "$ROOTFS/var/runtime" || true

cat >"$ROOTFS/var/runtime/bootstrap" <<'BOOT'
#!/bin/sh
# The managed runtime's module order, so the layer under /opt/python is found.
export PYTHONPATH=/var/runtime:/var/task:/opt/python/lib/python3.12/site-packages:/opt/python
export LD_LIBRARY_PATH=/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib
export PATH=/var/lang/bin:/usr/local/bin:/usr/bin:/bin
exec /var/lang/bin/python3.12 -m awslambdaric "$_HANDLER"
BOOT
chmod 755 "$ROOTFS/var/runtime/bootstrap"

# Shared libraries: what ldd names for every binary in the image, plus what Lambda's image has and
# the layer's wheels need (pydantic-core: libgcc_s; others: libstdc++, the rest of glibc such as
# librt), copied to the same paths.
RUNTIME_LIBS='libgcc_s\.so\.1|libstdc\+\+\.so\.6|librt\.so\.1|libdl\.so\.2|libpthread\.so\.0|libutil\.so\.1|libresolv\.so\.2|libanl\.so\.1|libnss_dns\.so\.2|libnss_files\.so\.2'
copy_lib() {
  local lib="$1"
  [ -e "$ROOTFS$lib" ] && return 0
  mkdir -p "$ROOTFS$(dirname "$lib")"
  cp -L "$lib" "$ROOTFS$lib"
}
ldconfig_arch="$([ "$TAG_ARCH" = x86_64 ] && echo x86-64 || echo AArch64)"
extra_libs="$(ldconfig -p | awk '/^\t('"$RUNTIME_LIBS"') .*,'"$ldconfig_arch"'\)/ {print $NF}')"
[ -n "$extra_libs" ] || { echo "sam-image: ldconfig names none of the runtime's libraries" >&2; exit 1; }
while read -r binary; do
  ldd "$binary" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' || true
done < <(find "$ROOTFS/var" -type f \( -name '*.so*' -o -name "python$VERSION" \)) \
  | sort -u | while read -r lib; do copy_lib "$lib"; done
for lib in $extra_libs; do
  copy_lib "$lib"
  ldd "$lib" | awk '/=> \// {print $3}' | while read -r dep; do copy_lib "$dep"; done
done
# Time zones (Lambda's image has them; zoneinfo needs them) and the trust store, for HTTPS to AWS.
if [ -d /usr/share/zoneinfo ]; then mkdir -p "$ROOTFS/usr/share" && cp -a /usr/share/zoneinfo "$ROOTFS/usr/share/"; fi
cp -L /etc/ssl/certs/ca-certificates.crt "$ROOTFS/etc/ssl/certs/ca-certificates.crt"
echo "root:x:0:0:root:/root:/bin/sh" >"$ROOTFS/etc/passwd"

tar -C "$ROOTFS" -cf - . | docker import \
  --change 'ENV PATH=/var/lang/bin:/usr/local/bin:/usr/bin:/bin' \
  --change 'ENV LD_LIBRARY_PATH=/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib' \
  --change 'ENV LAMBDA_TASK_ROOT=/var/task' \
  --change 'ENV LAMBDA_RUNTIME_DIR=/var/runtime' \
  --change 'ENV LANG=en_US.UTF-8' \
  --change 'ENV TZ=:/etc/localtime' \
  --change 'WORKDIR /var/task' \
  --change 'ENTRYPOINT ["/var/runtime/bootstrap"]' \
  - "$IMAGE" >/dev/null
# SAM CLI caches its own image on top of the base (samcli/lambda-python:...); drop it so the next
# invoke builds it again from this base.
docker image ls --format '{{.Repository}}:{{.Tag}}' | grep "^samcli/lambda-python:3.12-${TAG_ARCH}" \
  | xargs -r docker image rm >/dev/null 2>&1 || true
echo "sam-image: built $IMAGE ($(docker image inspect -f '{{.Size}}' "$IMAGE" | awk '{printf "%d MB", $1/1e6}'))"
