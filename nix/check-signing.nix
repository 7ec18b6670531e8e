# A throw-away CA and bundle signer for checks.artifacts only, made by the shared
# certs/gen-dev-certs.sh inside the sandbox. Its private keys are in the store on
# purpose: they sign nothing but the check's own bundle, whose image trusts this
# CA alone. The shipped image's keyring is the flake's certs/keyring/ca.cert.pem.
{ runCommand, openssl }:
runCommand "atomicnix-check-signing" { nativeBuildInputs = [ openssl ]; } ''
  bash ${../certs/gen-dev-certs.sh} $out
''
