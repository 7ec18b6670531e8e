/**
 * The partition layout, slot map and env location live in one place: the tables of
 * specs/partition-layout, compiled into generated/layout/. These tests hold the rest of
 * the repository to that: the files that read the generated facts keep no literal copy
 * of them, the files that must keep literals (Kconfig fragments, fw_env.config, the
 * spec's own scenario prose) keep the same values, and the compiler refuses a bad table
 * naming the spec line and column.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LayoutError, partitionLayout } from "../../compiler/generate/layout.js";
import type { CompiledTable } from "../../compiler/schema/table-schema.js";
import { LAYOUT, bootPartitionOffset, envLocation, fwEnvLine, partition } from "../../generated/layout/partition-layout.js";

const repo = join(import.meta.dirname, "../..");
const read = (p: string) => readFileSync(join(repo, p), "utf8");
const scratch: string[] = [];
afterAll(() => {
  for (const d of scratch) rmSync(d, { recursive: true, force: true });
});

/** Files that read generated/layout (JSON, .env or the TS accessor) and so may not spell a layout fact themselves. */
const READERS = [
  "nix/scripts/build-image.sh",
  "nix/scripts/build-boot-vfat.sh",
  "twin/build.sh",
  "twin/build-initrd.sh",
  "twin/initrd-init",
  "modules/base.nix",
  "modules/hardware-rock64.nix",
  "modules/hardware-qemu.nix",
  "nix/boot-vfat.nix",
  "nix/image.nix",
  "nix/tests/vm-disk.nix",
  "tests/artifacts/artifacts.test.ts",
  "tests/artifacts/small-build.ts",
  "tests/artifacts/scripts.test.ts",
  "tests/uboot/rauc-settings.test.ts",
];

/**
 * Literals that look like a layout fact but are another one, each with its reason. Every
 * entry must still match, so a stale exemption fails instead of hiding a copy.
 */
const NOT_LAYOUT: { file: string; text: string; why: string }[] = [
  { file: "tests/artifacts/artifacts.test.ts", text: '["idbloader.img", 32768, true]', why: "the idbloader's byte offset (sector 64, spec part.uboot-raw), equal to boot-a's start sector by chance" },
  { file: "nix/scripts/build-image.sh", text: "written at sector 64 (byte 32768)", why: "the same idbloader offset, in the usage text" },
];

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Every way a file could spell a fact of the layout: derived from the JSON, never typed here. */
function forbidden(): { what: string; re: RegExp }[] {
  const out: { what: string; re: RegExp }[] = [];
  const word = (what: string, s: string | number) => out.push({ what, re: new RegExp(`(?<![0-9A-Za-z_])${escape(String(s))}(?![0-9A-Za-z_])`, "i") });
  const mib = (what: string, n: number) => {
    out.push({ what: `${what} as ${n} * MiB`, re: new RegExp(`(?<![0-9])${n}\\s*\\*\\s*MiB\\b`) });
    out.push({ what: `${what} as "${n}M"`, re: new RegExp(`"${n}M"`) });
    out.push({ what: `${what} as --size-mib ${n}`, re: new RegExp(`--size-mib\\s+${n}\\b`) });
  };
  for (const p of LAYOUT.partitions) {
    word(`${p.name} start sector`, p.startSector);
    word(`${p.name} start byte`, p.startBytes);
    mib(`${p.name} start`, p.startMiB);
    if (p.sizeSectors !== null) word(`${p.name} size in sectors`, p.sizeSectors);
    if (p.sizeBytes !== null) word(`${p.name} size in bytes`, p.sizeBytes);
    if (p.sizeMiB !== null) mib(`${p.name} size`, p.sizeMiB);
    word(`${p.name} GPT type`, p.type);
  }
  word("image end sector", LAYOUT.imageEnd.sector);
  mib("image end", LAYOUT.imageEnd.mib);
  mib("raw region end", LAYOUT.rawRegion.endBytes / LAYOUT.mibBytes);
  word("raw region end byte", LAYOUT.rawRegion.endBytes);
  out.push({ what: "the RAUC slot map", re: new RegExp(escape(LAYOUT.raucBootmethPartitions)) });
  // A slot device spelled with its partition number: "${emmc}p3", "${disk}1", /dev/vda4.
  out.push({ what: "a slot device by number", re: /\$\{(emmc|disk)\}p?\d|\/dev\/(vda|mmcblk\d+p)\d/ });
  for (const [target, e] of Object.entries(LAYOUT.ubootEnv)) {
    word(`${target} env offset`, e.offsetHex);
    word(`${target} env size`, e.sizeHex);
  }
  return out;
}

/** `file:line: what` for each literal copy of a layout fact in `text`. */
function literalCopies(file: string, text: string): string[] {
  const rules = forbidden();
  const found: string[] = [];
  text.split("\n").forEach((line, i) => {
    if (NOT_LAYOUT.some((x) => x.file === file && line.includes(x.text))) return;
    for (const r of rules) if (r.re.test(line)) found.push(`${file}:${i + 1}: ${r.what}: ${line.trim()}`);
  });
  return found;
}

describe("no literal copy of a layout fact where generated/layout is read", () => {
  it.each(READERS)("%s", (file) => {
    expect(literalCopies(file, read(file))).toEqual([]);
  });

  it("every exemption still names a line that exists", () => {
    for (const x of NOT_LAYOUT) expect(read(x.file), `${x.file}: ${x.why}`).toContain(x.text);
  });

  it("a planted copy is found, in each spelling", () => {
    const bootB = partition("boot-b");
    const planted = [
      `start=${bootB.startSector}, size=${bootB.sizeSectors}, name="boot-b"`,
      `const BOOT_B_OFFSET = ${bootB.startMiB} * MiB;`,
      `SizeMinBytes = "${bootB.sizeMiB}M";`,
      `--env-offset ${envLocation("virtual").offsetHex.toUpperCase()}`,
      `CONFIG_BOOTMETH_RAUC_PARTITIONS="${LAYOUT.raucBootmethPartitions}"`,
      'boot1 = "${emmc}p3";',
    ];
    const base = read("modules/base.nix");
    expect(literalCopies("modules/base.nix", base)).toEqual([]);
    for (const line of planted) {
      const found = literalCopies("modules/base.nix", `${base}\n${line}\n`);
      expect(found.length, line).toBeGreaterThan(0);
      expect(found.every((f) => f.endsWith(line)), found.join("\n")).toBe(true);
    }
  });
});

describe("files that must keep literals hold the table's values", () => {
  const kconfig = (p: string) => Object.fromEntries([...read(p).matchAll(/^(CONFIG_[A-Z0-9_]+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!.replace(/^"(.*)"$/, "$1")]));

  it("U-Boot's RAUC boot method uses the table's slot map", () => {
    expect(kconfig("nix/scripts/uboot-rauc.config").CONFIG_BOOTMETH_RAUC_PARTITIONS).toBe(LAYOUT.raucBootmethPartitions);
  });

  it("U-Boot keeps its env where fw_env.config and the table have it", () => {
    const rock64 = kconfig("nix/scripts/uboot-rock64.config");
    const rock = envLocation("rock64");
    expect([rock64.CONFIG_ENV_OFFSET, rock64.CONFIG_ENV_SIZE, rock64.CONFIG_ENV_SECT_SIZE]).toEqual([rock.offsetHex, rock.sizeHex, rock.eraseSizeHex]);
    const twin = kconfig("twin/uboot/qemu-arm64.config");
    const virt = envLocation("virtual");
    expect([twin.CONFIG_ENV_OFFSET, twin.CONFIG_ENV_SIZE]).toEqual([virt.offsetHex, virt.sizeHex]);
    const line = (p: string) => read(p).split("\n").find((l) => l.trim() && !l.startsWith("#"))!.trim().split(/\s+/).join(" ");
    expect(line("device/etc/fw_env.config")).toBe(fwEnvLine("rock64"));
    expect(line("device/etc/fw_env.virtio.config")).toBe(fwEnvLine("virtual"));
  });

  it("the twin's RAUC system.conf names the table's slot partitions", () => {
    const conf = read("twin/rootfs/etc/rauc/system.conf");
    for (const [i, slot] of Object.keys(LAYOUT.slots).entries()) {
      const s = LAYOUT.slots[slot as keyof typeof LAYOUT.slots];
      expect(conf).toMatch(new RegExp(`\\[slot\\.boot\\.${i}\\]\\ndevice=/dev/vda${s.boot}\\n`));
      expect(conf).toMatch(new RegExp(`\\[slot\\.rootfs\\.${i}\\]\\ndevice=/dev/vda${s.rootfs}\\n`));
    }
  });

  it("the spec's scenarios state the table's numbers", () => {
    const catalogue = JSON.parse(read("generated/catalogue.json")) as { scenarios: { id: string; steps: { text: string }[] }[] };
    const steps = (id: string) => catalogue.scenarios.find((s) => s.id === id)!.steps.map((s) => s.text).join("\n");
    const table = steps("part.flash-image.table");
    for (const p of LAYOUT.partitions.filter((x) => x.createdBy === "image")) {
      expect(table).toContain(`partition ${p.number} is named \`${p.name}\`, starts at sector ${p.startSector} and has ${p.sizeSectors} sectors`);
    }
    expect(table).toContain(`at or above ${LAYOUT.imageEnd.sector} (${LAYOUT.imageEnd.mib} MiB)`);
    const repart = steps("part.first-boot-repart.creates");
    expect(repart).toContain(`in the order ${LAYOUT.partitions.map((p) => `\`${p.name}\``).join(", ")}`);
    for (const p of LAYOUT.partitions.filter((x) => x.createdBy === "first-boot")) {
      expect(repart).toContain(p.sizeSectors === null ? `\`${p.name}\` starts at sector ${p.startSector},` : `\`${p.name}\` starts at sector ${p.startSector} with ${p.sizeSectors} sectors`);
    }
    const types = steps("part.gpt-types.image");
    for (const name of ["boot-a", "rootfs-a"] as const) expect(types).toContain(`\`${name}\` has type \`${partition(name).type}\``);
    const rock = envLocation("rock64");
    expect(steps("boot.fw-env.config")).toContain(`\`${rock.device}\`, \`${rock.offsetHex}\`, \`${rock.sizeHex}\`, \`${rock.eraseSizeHex}\``);
  });
});

describe("the accessor", () => {
  it("gives each slot's boot partition offset in bytes", () => {
    expect(bootPartitionOffset("A")).toBe(partition("boot-a").startMiB * LAYOUT.mibBytes);
    expect(bootPartitionOffset("B")).toBe(partition("boot-b").startSector * LAYOUT.sectorBytes);
    expect(bootPartitionOffset("B")).toBeGreaterThan(bootPartitionOffset("A"));
  });
});

/** The compiled tables of the real spec, as the compiler hands them over, for mutation. */
function specTables(): CompiledTable[] {
  const load = (id: string) => JSON.parse(read(`generated/tables/${id}.json`)) as CompiledTable;
  const spec = read("specs/partition-layout/spec.md").split("\n");
  return ["partition-layout", "uboot-env-location"].map((id) => {
    const t = load(id);
    // Rows are the lines after the table's delimiter row below its **ID** line.
    const idLine = spec.findIndex((l) => l === `**ID**: \`${id}\``);
    const first = spec.findIndex((l, i) => i > idLine && /^\|---/.test(l)) + 2;
    return { ...t, file: "specs/partition-layout/spec.md", rowLines: t.rows.map((_r, i) => first + i) };
  });
}

describe("the compiler's layout step", () => {
  it("reproduces generated/layout from the spec's tables", () => {
    const layout = partitionLayout(specTables())!;
    expect(JSON.stringify(layout, null, 2) + "\n").toBe(read("generated/layout/partition-layout.json"));
  });

  it.each([
    ["partition-layout", 2, "start_mib", "1100", /spec\.md:\d+: table partition-layout, column "start_mib": boot-b at 1100 MiB overlaps rootfs-a, which ends at 1168 MiB/],
    ["partition-layout", 0, "size_mib", "12x", /column "size_mib": expected a whole number, got "12x"/],
    ["partition-layout", 1, "type", "b921b045", /column "type": expected an upper-case GPT type GUID/],
    ["partition-layout", 4, "slot", "A", /column "slot": the data partition belongs to no slot/],
    ["partition-layout", 3, "role", "boot", /column "role": slot B already has a boot partition \(3\)/],
    ["uboot-env-location", 1, "offset", "0xfff000", /column "offset": 0xfff000\+0x4000 runs past the raw region/],
  ] as const)("refuses %s row %i with %s = %s", (id, row, column, value, message) => {
    const tables = specTables();
    const t = tables.find((x) => x.id === id)!;
    t.rows[row] = { ...t.rows[row]!, [column]: value };
    let error: unknown;
    try {
      partitionLayout(tables);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(LayoutError);
    const text = (error as Error).message;
    expect(text).toMatch(message);
    // the line named is that row's line in the spec: its first cell is the row's key
    const line = Number(/^specs\/partition-layout\/spec\.md:(\d+):/.exec(text)?.[1]);
    const key = id === "partition-layout" ? String(row + 1) : t.rows[row]!.target!;
    expect(read("specs/partition-layout/spec.md").split("\n")[line - 1]).toMatch(new RegExp(`^\\| ${key} \\|`));
  });

  it("needs both tables once one is there, and nothing without either", () => {
    expect(() => partitionLayout(specTables().slice(0, 1))).toThrow(/needs the table uboot-env-location/);
    expect(partitionLayout([])).toBeUndefined();
  });
});

describe("build-image.sh's layout reader", () => {
  const dir = mkdtempSync(join(tmpdir(), "atomicnix-layout-"));
  scratch.push(dir);
  for (const f of ["boot.vfat", "rootfs.squashfs"]) writeFileSync(join(dir, f), "x");
  const run = (layoutText: string) => {
    const layout = join(dir, "layout.env");
    writeFileSync(layout, layoutText);
    return spawnSync("bash", [join(repo, "nix/scripts/build-image.sh"), join(dir, "out.img"), "--boot-vfat", join(dir, "boot.vfat"), "--rootfs", join(dir, "rootfs.squashfs"), "--layout", layout], { encoding: "utf8" });
  };
  const good = read("generated/layout/partition-layout.env");

  it("builds from the generated file's shell form", () => {
    const r = run(good);
    expect(r.status, r.stderr).toBe(0);
  });

  it("refuses a line that is not LAYOUT_NAME='value', naming file and line", () => {
    const lines = good.split("\n");
    lines.splice(5, 0, "LAYOUT_BOOT_A_START=$(touch pwned)");
    const r = run(lines.join("\n"));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/layout\.env:6: not a LAYOUT_NAME='value' line/);
  });

  it("refuses a file without a fact it needs, naming the key", () => {
    const r = run(good.split("\n").filter((l) => !l.startsWith("LAYOUT_ROOTFS_A_SIZE=")).join("\n"));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/LAYOUT_ROOTFS_A_SIZE is missing/);
  });

  it("build-boot-vfat.sh has no slot size of its own: the caller passes the layout's", () => {
    const r = spawnSync("bash", [join(repo, "nix/scripts/build-boot-vfat.sh"), join(dir, "b.vfat"), "--kernel", join(dir, "boot.vfat"), "--initrd", join(dir, "boot.vfat")], { encoding: "utf8" });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--size-mib is required/);
  });

  it("refuses a missing layout file, saying how to give one", () => {
    const r = spawnSync("bash", [join(repo, "nix/scripts/build-image.sh"), join(dir, "o.img"), "--boot-vfat", join(dir, "boot.vfat"), "--rootfs", join(dir, "rootfs.squashfs"), "--layout", join(dir, "none.env")], { encoding: "utf8" });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/none\.env' does not exist .*pass --layout/);
  });
});
