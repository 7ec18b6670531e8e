#!/usr/bin/env bash
# Generates DEVELOPMENT signing material for RAUC bundles into OUTDIR:
#   dev.ca.cert.pem / dev.ca.key.pem            development CA (goes into the RAUC keyring)
#   dev.signing.cert.pem / dev.signing.key.pem  bundle signing certificate issued by that CA
#   foreign.ca.* / foreign.signing.*            an unrelated CA and signer, for tests that
#                                               must see a bundle rejected
# Fresh keys on every run; never commit the output (certs/.gitignore). The signing
# certificate deliberately has no extendedKeyUsage: RAUC >= 1.8 rejects
# codeSigning as an "unsuitable certificate purpose". See certs/README.md for
# production keys.
set -euo pipefail

usage() { echo "usage: gen-dev-certs.sh OUTDIR [--days N] [--no-foreign]" >&2; exit 2; }
die() { echo "gen-dev-certs: $*" >&2; exit 1; }

[ "$#" -ge 1 ] || usage
outdir=$1
shift
case "$outdir" in -*) usage ;; esac
days=3650 foreign=1
while [ "$#" -gt 0 ]; do
  case "$1" in
    --days) [ "$#" -ge 2 ] || usage; days=$2; shift 2 ;;
    --no-foreign) foreign=0; shift ;;
    *) echo "gen-dev-certs: unknown argument '$1'" >&2; usage ;;
  esac
done
[[ "$days" =~ ^[0-9]+$ ]] && [ "$days" -gt 0 ] || die "--days must be a positive integer, got '$days'"
command -v openssl >/dev/null || die "openssl not found"
mkdir -p -- "$outdir"
umask 077

# One CA and one signer issued by it, under the name prefix $1.
make_pair() {
  local prefix=$1 cn=$2
  local ca_key="$outdir/$prefix.ca.key.pem" ca_cert="$outdir/$prefix.ca.cert.pem"
  local key="$outdir/$prefix.signing.key.pem" cert="$outdir/$prefix.signing.cert.pem"
  for f in "$ca_key" "$ca_cert" "$key" "$cert"; do
    [ ! -e "$f" ] || die "'$f' already exists; refusing to overwrite key material"
  done
  local ext
  ext=$(mktemp)
  cat >"$ext" <<EXT
[req]
distinguished_name = dn
prompt = no
[dn]
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[signing]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EXT
  openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$ca_key" -out "$ca_cert" -days "$days" -sha256 \
    -subj "/O=AtomicNix development/CN=$cn CA" -config "$ext" -extensions ca 2>"$ext.log" \
    || { cat "$ext.log" >&2; rm -f "$ext" "$ext.log"; die "creating the $prefix CA failed"; }
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$key" -out "$outdir/$prefix.signing.csr" -subj "/O=AtomicNix development/CN=$cn bundle signing" \
    -config "$ext" 2>"$ext.log" || { cat "$ext.log" >&2; rm -f "$ext" "$ext.log"; die "creating the $prefix signing key failed"; }
  openssl x509 -req -in "$outdir/$prefix.signing.csr" -CA "$ca_cert" -CAkey "$ca_key" -CAcreateserial \
    -out "$cert" -days "$days" -sha256 -extfile "$ext" -extensions signing 2>"$ext.log" \
    || { cat "$ext.log" >&2; rm -f "$ext" "$ext.log"; die "issuing the $prefix signing certificate failed"; }
  rm -f "$ext" "$ext.log" "$outdir/$prefix.signing.csr" "$outdir/$prefix.ca.cert.srl"
  chmod 644 "$ca_cert" "$cert"
  openssl verify -CAfile "$ca_cert" "$cert" >/dev/null || die "$prefix signing certificate does not verify against its CA"
}

make_pair dev "AtomicNix dev"
note=""
if [ "$foreign" = 1 ]; then make_pair foreign "Foreign test"; note=" (plus foreign.* for negative tests)"; fi
echo "gen-dev-certs: wrote development CA and signing pair to $outdir$note" >&2
