/** What the results were measured on, recorded next to them. */
import { cpus, totalmem, platform, arch, release } from 'node:os';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

function versionOf(pkg: string): string | undefined {
  try {
    return (require(`${pkg}/package.json`) as { version: string }).version;
  } catch {
    return undefined;
  }
}

function cpuModel(): string {
  const fromOs = cpus()[0]?.model;
  if (fromOs) return fromOs.trim();
  try {
    const m = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    return m?.[1]?.trim() ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGiB: number;
  platform: string;
  node: string;
  v8: string;
  packages: Record<string, string | undefined>;
}

export function machineInfo(): MachineInfo {
  return {
    cpu: cpuModel(),
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    platform: `${platform()} ${release()} ${arch()}`,
    node: process.version,
    v8: process.versions.v8,
    packages: Object.fromEntries(
      ['tinybench', 'arquero', '@uwdata/flechette', '@duckdb/node-api', 'rxjs', 'apache-arrow', 'assemblyscript'].map((p) => [p, versionOf(p)]),
    ),
  };
}
