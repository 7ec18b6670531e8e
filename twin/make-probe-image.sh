#!/usr/bin/env bash
# Writes an OCI image archive (oci-archive transport) holding only a static
# busybox: the twin's offline stand-in for an application image, so provisioning
# can declare a real container (`Image = "oci-archive:..."`) where no registry is
# reachable. The layer and config are built with tar and sha256sum alone.
# usage: make-probe-image.sh BUSYBOX OUT.tar ARCH
set -euo pipefail
[ "$#" -eq 3 ] || { echo "usage: make-probe-image.sh BUSYBOX OUT.tar ARCH" >&2; exit 2; }
busybox=$1 out=$2 arch=$3
[ -x "$busybox" ] || { echo "make-probe-image: $busybox is not executable" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf -- "$work"' EXIT
mkdir -p "$work/rootfs/bin" "$work/layout/blobs/sha256"
install -m 0755 "$busybox" "$work/rootfs/bin/busybox"
for applet in sh sleep echo cat ls httpd; do ln -s busybox "$work/rootfs/bin/$applet"; done
epoch=${SOURCE_DATE_EPOCH:-315532800}
tar --sort=name --mtime="@$epoch" --owner=0 --group=0 --numeric-owner -C "$work/rootfs" -cf "$work/layer.tar" .
blob() { # file -> digest; moves it into the blob store
  local d; d=$(sha256sum "$1" | cut -d' ' -f1)
  mv "$1" "$work/layout/blobs/sha256/$d"; echo "$d"
}
size() { stat -c %s "$work/layout/blobs/sha256/$1"; }
layer=$(blob "$work/layer.tar")
printf '{"architecture":"%s","os":"linux","config":{"Cmd":["/bin/sleep","infinity"],"Env":["PATH=/bin"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
  "$arch" "$layer" > "$work/config.json"
config=$(blob "$work/config.json")
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%s}]}' \
  "$config" "$(size "$config")" "$layer" "$(size "$layer")" > "$work/manifest.json"
manifest=$(blob "$work/manifest.json")
printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"atomicnix-probe:1"}}]}' \
  "$manifest" "$(size "$manifest")" > "$work/layout/index.json"
echo '{"imageLayoutVersion":"1.0.0"}' > "$work/layout/oci-layout"
tar --sort=name --mtime="@$epoch" --owner=0 --group=0 --numeric-owner -C "$work/layout" -cf "$out.tmp" .
mv -f "$out.tmp" "$out"
echo "make-probe-image: wrote $out (busybox layer sha256:${layer:0:12})" >&2
