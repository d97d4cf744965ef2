// Finds and loads the optional backend packages (tfjs-node(-gpu), webgpu, tfjs-backend-webgpu), which are
// not dependencies of the engine: first where Node would find them from the engine itself (the project's
// own node_modules), then in each folder of AEM_BACKEND_MODULES, where "AEM: Set Up Backend" installs
// them (a list separated by the platform's path delimiter, each a node_modules folder). A package found
// in such a folder is imported by file URL, so the engine's own module resolution needs no change, and
// the folder it came from is recorded so that the run says where its backend was loaded from.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export const BACKEND_MODULES_ENV = 'AEM_BACKEND_MODULES' as const;

export interface FoundModule {
  name: string;
  version: string;
  /** The package's folder (…/node_modules/<name>). */
  dir: string;
  /** The node_modules folder it was found in. */
  folder: string;
  /** Where that folder came from: the engine's own resolution, or AEM_BACKEND_MODULES. */
  origin: 'project' | typeof BACKEND_MODULES_ENV;
  /** The file that `load` imports. */
  entry: string;
}

export interface SearchOptions {
  /** The file the engine's own resolution starts from (default: this module). */
  from?: string;
  /** Extra node_modules folders, in order (default: AEM_BACKEND_MODULES split on path.delimiter). */
  extraFolders?: string[];
}

export class OptionalModuleNotFoundError extends Error {
  constructor(
    readonly moduleName: string,
    readonly searched: string[],
  ) {
    super(`${moduleName} is not installed (looked in ${searched.length > 0 ? searched.join(', ') : 'no folder'})`);
    this.name = 'OptionalModuleNotFoundError';
  }
}

/** The folders of AEM_BACKEND_MODULES, in order, without empty entries or duplicates. */
export function backendModuleFolders(env: NodeJS.ProcessEnv = process.env): string[] {
  const raw = env[BACKEND_MODULES_ENV] ?? '';
  return [...new Set(raw.split(path.delimiter).map((s) => s.trim()).filter((s) => s.length > 0).map((s) => path.resolve(s)))];
}

/** The node_modules folders Node itself would search from `from`, nearest first. */
function projectFolders(from: string): string[] {
  return createRequire(from).resolve.paths('x') ?? [];
}

interface PackageJson {
  name?: string;
  version?: string;
  main?: string;
  exports?: unknown;
}

/** The entry file of a package folder: exports["."] (node/import/default/require), else main, else index.js. */
function packageEntry(dir: string, pkg: PackageJson): string {
  const fromExports = (value: unknown): string | undefined => {
    if (typeof value === 'string') return value;
    if (Array.isArray(value)) return value.map(fromExports).find((v) => v !== undefined);
    if (value && typeof value === 'object') {
      const obj = value as Record<string, unknown>;
      if ('.' in obj) return fromExports(obj['.']);
      // Conditions in the package's own order, as Node matches them for an import; `require` last.
      const key = Object.keys(obj).find((k) => k === 'node' || k === 'import' || k === 'default') ?? ('require' in obj ? 'require' : undefined);
      if (key !== undefined) return fromExports(obj[key]);
    }
    return undefined;
  };
  const candidates = [fromExports(pkg.exports), pkg.main, pkg.main && `${pkg.main}.js`, pkg.main && path.join(pkg.main, 'index.js'), 'index.js'].filter((c): c is string => !!c);
  for (const c of candidates) {
    const file = path.resolve(dir, c);
    if (existsSync(file) && statSync(file).isFile()) return file;
  }
  throw new Error(`${pkg.name ?? dir} has no entry file (tried ${[...new Set(candidates)].join(', ')} in ${dir})`);
}

function lookIn(name: string, folder: string, origin: FoundModule['origin']): FoundModule | undefined {
  const dir = path.join(folder, ...name.split('/'));
  const manifest = path.join(dir, 'package.json');
  if (!existsSync(manifest)) return undefined;
  const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as PackageJson;
  return { name, version: pkg.version ?? 'unknown version', dir, folder, origin, entry: packageEntry(dir, pkg) };
}

/** Every folder searched for optional packages, in order, with where each comes from. */
export function searchFolders(options: SearchOptions = {}): { folder: string; origin: FoundModule['origin'] }[] {
  const own = projectFolders(options.from ?? import.meta.url).map((folder) => ({ folder, origin: 'project' as const }));
  const extra = (options.extraFolders ?? backendModuleFolders()).map((folder) => ({ folder: path.resolve(folder), origin: BACKEND_MODULES_ENV }));
  return [...own, ...extra];
}

/** Where an optional package would be loaded from, or undefined when it is in none of the folders. */
export function findOptionalModule(name: string, options: SearchOptions = {}): FoundModule | undefined {
  for (const { folder, origin } of searchFolders(options)) {
    const found = lookIn(name, folder, origin);
    if (found) return found;
  }
  return undefined;
}

/** Like findOptionalModule, but throws OptionalModuleNotFoundError listing where it looked. */
export function requireOptionalModule(name: string, options: SearchOptions = {}): FoundModule {
  const found = findOptionalModule(name, options);
  if (found) return found;
  // Name the project's nearest node_modules and every AEM_BACKEND_MODULES folder, not every ancestor.
  const folders = searchFolders(options);
  const own = folders.filter((f) => f.origin === 'project');
  const nearest = own.find((f) => existsSync(f.folder)) ?? own[0];
  const shown = [...(nearest ? [`${nearest.folder} (and the folders above it)`] : []), ...folders.filter((f) => f.origin !== 'project').map((f) => `${f.folder} (${BACKEND_MODULES_ENV})`)];
  throw new OptionalModuleNotFoundError(name, shown);
}

/** Imports a found package by file URL and returns its namespace. */
export async function loadModule<T = unknown>(found: FoundModule): Promise<T> {
  return (await import(pathToFileURL(found.entry).href)) as T;
}

/** "webgpu 0.6.2 from /x/node_modules (AEM_BACKEND_MODULES)". */
export function describeFound(found: FoundModule): string {
  return `${found.name} ${found.version} from ${found.folder}${found.origin === 'project' ? '' : ` (${found.origin})`}`;
}
