/**
 * The page's files (HTML, CSS, JS: no build step) shipped in `src/ui/static/`. Found next to
 * this module when it runs from `src/` (tests, tsx), and in `../../src/ui/static/` when it runs
 * compiled from `dist/ui/` (the package ships `src/`). Only files listed in that directory with a
 * known extension are served, looked up by name, so no request path can reach any other file.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

export interface StaticFile {
  readonly body: Buffer;
  readonly contentType: string;
}

/** The directory of the page's files: next to this module, else in the shipped sources. */
export function locateStaticDir(): string {
  const candidates = [new URL('./static/', import.meta.url), new URL('../../src/ui/static/', import.meta.url)].map((u) => fileURLToPath(u));
  const found = candidates.find((dir) => existsSync(join(dir, 'index.html')));
  if (!found) throw new Error(`The UI's static files were not found in ${candidates.join(' or ')}; reinstall the package`);
  return found;
}

/** The page files, read on first request and then kept in memory (a few kilobytes). */
export class StaticFiles {
  private names: Set<string> | undefined;
  private readonly cache = new Map<string, StaticFile>();

  constructor(private readonly dir: string = locateStaticDir()) {}

  /** The file `name` (e.g. `app.js`), or undefined if there is no such page file. */
  get(name: string): StaticFile | undefined {
    const cached = this.cache.get(name);
    if (cached) return cached;
    // Read lazily: a context that nobody opens the UI of never touches these files.
    this.names ??= new Set(readdirSync(this.dir).filter((f) => CONTENT_TYPES[extname(f)] !== undefined));
    if (!this.names.has(name)) return undefined;
    const file = { body: readFileSync(join(this.dir, name)), contentType: CONTENT_TYPES[extname(name)]! };
    this.cache.set(name, file);
    return file;
  }
}
