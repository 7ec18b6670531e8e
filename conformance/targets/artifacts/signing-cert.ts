import { runTool, mustRun } from "./exec.js";

export interface SigningCertCheck {
  /** `openssl x509 -ext extendedKeyUsage` output; empty when the extension is absent */
  extendedKeyUsage: string;
  hasCodeSigning: boolean;
  /** `openssl verify -CAfile CA CERT` printed "<cert>: OK" */
  verifiesAgainstCa: boolean;
  verifyOutput: string;
}

/** Checks a RAUC signing certificate the way RAUC needs it: chains to the CA, no codeSigning EKU. */
export function inspectSigningCert(cert: string, caCert: string): SigningCertCheck {
  const eku = mustRun("openssl", ["x509", "-in", cert, "-noout", "-ext", "extendedKeyUsage"]).toString("utf8").trim();
  const verify = runTool("openssl", ["verify", "-CAfile", caCert, cert]);
  const out = (verify.stdout.toString("utf8") + verify.stderr).trim();
  return {
    extendedKeyUsage: eku,
    hasCodeSigning: /Code Signing/i.test(eku),
    verifiesAgainstCa: verify.status === 0 && /: OK$/m.test(out),
    verifyOutput: out,
  };
}

/** Public key of a certificate in PEM, to tell two CAs apart. */
export function certPublicKey(cert: string): string {
  return mustRun("openssl", ["x509", "-in", cert, "-noout", "-pubkey"]).toString("utf8");
}
