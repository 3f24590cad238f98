import { statSync } from 'node:fs';
import { join, normalize, sep } from 'node:path';
import { projectRoot } from '../startup/paths';

/** Where `tools/build.js` puts the dashboard's production build. */
export function dashboardDir(): string {
  return join(projectRoot(), 'apps/dashboard/dist');
}

/** Paths the SPA fallback never answers: the API's own 404s must stay JSON. */
const SERVER_PREFIXES = ['/api', '/v1', '/healthz', '/readyz'];

export function isServerPath(path: string): boolean {
  return SERVER_PREFIXES.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
}

/** A regular file inside the build for this URL path, or null (never escapes the build folder). */
export function builtFile(root: string, urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  const relative = normalize(decoded).replace(/^([/\\])+/, '');
  // Dot segments cover `..` and hidden files such as the build's source stamp.
  if (!relative || relative.includes('\0') || relative.split(sep).some((part) => part.startsWith('.'))) return null;
  try {
    return statSync(join(root, relative)).isFile() ? relative : null;
  } catch {
    return null;
  }
}
