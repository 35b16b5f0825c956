import os from 'node:os';
import path from 'node:path';

/**
 * Where the catalog lives unless the user says otherwise: $ALTMOE_CATALOG, else the platform's
 * per-user data folder.
 */
export function defaultCatalogPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.ALTMOE_CATALOG) return path.resolve(env.ALTMOE_CATALOG);
  const home = os.homedir();
  let base: string;
  if (process.platform === 'win32') base = env.APPDATA ?? path.join(home, 'AppData', 'Roaming');
  else if (process.platform === 'darwin') base = path.join(home, 'Library', 'Application Support');
  else base = env.XDG_DATA_HOME ?? path.join(home, '.local', 'share');
  return path.join(base, 'altmoe-studio', 'catalog.db');
}
