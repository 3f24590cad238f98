import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { loadEnvFile } from '@gw/config';

/**
 * Loads .env.local and, on first start, generates SERVER_PEPPER into it so that every later start
 * (and every instance sharing the folder) uses the same pepper. Returns whether it generated one.
 */
export function prepareEnvFile(path: string, env: NodeJS.ProcessEnv = process.env): { generatedPepper: boolean } {
  loadEnvFile(path, env);
  if (env['SERVER_PEPPER']) return { generatedPepper: false };
  const pepper = randomBytes(32).toString('hex');
  const prefix = existsSync(path) && !readFileSync(path, 'utf8').endsWith('\n') ? '\n' : '';
  appendFileSync(
    path,
    `${prefix}# Generated on first start. Keyed hashing of gateway-key verifiers; keep it stable and private.\nSERVER_PEPPER=${pepper}\n`,
    { mode: 0o600 },
  );
  env['SERVER_PEPPER'] = pepper;
  return { generatedPepper: true };
}
