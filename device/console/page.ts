import type { FieldErrors, GenerateFields } from "./generate.js";
import { CONSOLE_NAMESPACE } from "./sshsig.js";

/**
 * The operator page (console.page): one self-contained document, no scripts, no
 * external resources, every error listed directly after the field it concerns.
 */
export interface PageModel {
  provisioned: boolean;
  /** this console's own origin as the browser reached it, e.g. http://172.20.30.1:8080 */
  origin: string;
  configText?: string;
  errors: FieldErrors;
  generate?: Partial<GenerateFields>;
  notice?: { kind: "ok" | "error"; title: string; lines?: string[] };
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

function errorList(field: string, errors: FieldErrors): string {
  const list = errors.get(field);
  if (!list?.length) return "";
  return `<ul class="errors" id="${field}-errors">${list.map((e) => `<li>${escapeHtml(e)}</li>`).join("")}</ul>`;
}

function input(field: string, label: string, value: string | undefined, errors: FieldErrors, hint = "", placeholder = ""): string {
  const invalid = errors.has(field) ? ` aria-invalid="true" aria-describedby="${field}-errors"` : "";
  return (
    `<label for="${field}">${label}</label>` +
    `<input type="text" name="${field}" id="${field}" value="${escapeHtml(value ?? "")}" placeholder="${escapeHtml(placeholder)}"${invalid}>` +
    errorList(field, errors) +
    (hint ? `<p class="hint">${hint}</p>` : "")
  );
}

const STYLE = `
body{font-family:system-ui,sans-serif;max-width:60rem;margin:0 auto;padding:1rem 1.5rem;color:#1d232a;background:#f6f7f9;line-height:1.45}
h1{font-size:1.6rem;margin:.2rem 0}h2{font-size:1.2rem;margin:0 0 .6rem}
section{background:#fff;border:1px solid #d5dae1;border-radius:6px;padding:1rem 1.2rem;margin:1rem 0}
label{display:block;font-weight:600;margin:.7rem 0 .2rem}
textarea,input[type=text]{width:100%;box-sizing:border-box;font:0.9rem ui-monospace,monospace;padding:.4rem;border:1px solid #9aa4b1;border-radius:4px}
textarea{min-height:14rem}textarea.sig{min-height:7rem}
[aria-invalid=true]{border:2px solid #b3261e;background:#fff6f5}
ul.errors{color:#b3261e;margin:.3rem 0 .6rem;padding-left:1.2rem;font-weight:600}
.hint{color:#55606e;font-size:.85rem;margin:.2rem 0}
button{margin-top:1rem;padding:.5rem 1.2rem;font-size:1rem;border-radius:4px;border:1px solid #1d4f91;background:#2160b0;color:#fff}
.notice{padding:.8rem 1rem;border-radius:6px;margin:1rem 0;font-weight:600}
.notice.ok{background:#e5f5e8;border:1px solid #2e7d32;color:#1b5e20}.notice.error{background:#fdecea;border:1px solid #b3261e;color:#8c1d18}
.notice ul{font-weight:400;margin:.4rem 0 0}
.state{display:inline-block;padding:.15rem .6rem;border-radius:1rem;font-size:.85rem;background:#e8eefc;color:#1d4f91}
code,pre{font-family:ui-monospace,monospace;background:#eef1f5;border-radius:3px;padding:0 .2rem}pre{padding:.5rem;overflow-x:auto;white-space:pre-wrap}
.row{display:grid;grid-template-columns:1fr 1fr;gap:0 1rem}
`;

export function renderPage(m: PageModel): string {
  const e = m.errors;
  const g = m.generate ?? {};
  const notice = m.notice
    ? `<div class="notice ${m.notice.kind}" role="status"><div>${escapeHtml(m.notice.title)}</div>${
        m.notice.lines?.length ? `<ul>${m.notice.lines.map((l) => `<li>${escapeHtml(l)}</li>`).join("")}</ul>` : ""
      }</div>`
    : "";
  const state = m.provisioned
    ? `<span class="state">Provisioned: changes need an admin signature</span>`
    : `<span class="state">Not provisioned: the first configuration needs no signature</span>`;
  const signed = m.provisioned
    ? `<label for="signature">Signature</label>` +
      `<textarea class="sig" name="signature" id="signature" placeholder="-----BEGIN SSH SIGNATURE-----"${e.has("signature") ? ' aria-invalid="true"' : ""}></textarea>` +
      errorList("signature", e) +
      `<p class="hint">This gateway is provisioned, so a change is accepted only with a signature over the exact bytes of the configuration by one of its admin SSH keys. Make it with<br>` +
      `<code>ssh-keygen -Y sign -n ${CONSOLE_NAMESPACE} -f ~/.ssh/id_ed25519 config.toml</code><br>` +
      `and paste the content of <code>config.toml.sig</code> here. Upload the file you signed (pasting may change its line ends); a signature is accepted once. Without a browser:</p>` +
      `<pre>curl --data-binary @config.toml -H 'Content-Type: application/toml' \\\n  -H "X-AtomicNix-Signature: $(base64 -w0 config.toml.sig)" ${escapeHtml(m.origin)}/api/config</pre>`
    : "";
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>AtomicNix gateway console</title><style>${STYLE}</style></head>
<body>
<h1>AtomicNix gateway console</h1>
<p>${state}</p>
${notice}${errorList("form", e)}
<section>
<h2>Apply a configuration</h2>
<form method="post" action="/" enctype="multipart/form-data">
<label for="config_text">Paste config.toml</label>
<textarea name="config_text" id="config_text" spellcheck="false"${e.has("config_text") ? ' aria-invalid="true" aria-describedby="config_text-errors"' : ""}>
${escapeHtml(m.configText ?? "")}</textarea>${errorList("config_text", e)}
<label for="config_file">or upload config.toml, config.tar.gz or config.tar.zst</label>
<input type="file" name="config_file" id="config_file" accept=".toml,.gz,.tgz,.zst,.zstd,.tzst">${errorList("config_file", e)}
${signed}
<button type="submit">Apply configuration</button>
</form>
</section>
<section>
<h2>Generate a config.toml</h2>
<p class="hint">Builds and checks a configuration from these fields and puts it in the text box above; nothing is applied until you submit it there.</p>
<form method="post" action="/generate">
<label for="ssh_keys">Admin SSH public keys (one a line)</label>
<textarea class="sig" name="ssh_keys" id="ssh_keys" spellcheck="false"${e.has("ssh_keys") ? ' aria-invalid="true"' : ""}>
${escapeHtml(g.ssh_keys ?? "")}</textarea>${errorList("ssh_keys", e)}
<div class="row"><div>${input("wan_tcp", "WAN TCP ports", g.wan_tcp, e, "", "443, 8443")}</div><div>${input("wan_udp", "WAN UDP ports", g.wan_udp, e, "", "51820")}</div></div>
<div class="row"><div>${input("gateway_cidr", "LAN gateway", g.gateway_cidr, e, "", "172.20.30.1/24")}</div><div>${input("domain", "LAN domain", g.domain, e, "", "local")}</div></div>
<div class="row"><div>${input("dhcp_start", "DHCP range start", g.dhcp_start, e, "", "172.20.30.10")}</div><div>${input("dhcp_end", "DHCP range end", g.dhcp_end, e, "", "172.20.30.254")}</div></div>
<div class="row"><div>${input("container_name", "Container name", g.container_name, e, "", "web")}</div><div>${input("container_image", "Container image", g.container_image, e, "", "ghcr.io/example/web:1")}</div></div>
${input("publish_ports", "Published ports", g.publish_ports, e, "Rootless containers publish on 127.0.0.1 only.", "10080:80")}
<label><input type="checkbox" name="privileged" value="true"${g.privileged ? " checked" : ""}> Privileged (rootful, host network)</label>${errorList("privileged", e)}
<button type="submit">Generate</button>
</form>
</section>
</body></html>
`;
}
