import type { Config } from '@gw/config';

export function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** The lines a user reads once the server listens (tests and the bench wait for "Dashboard:"). */
export function announce(config: Config): void {
  const shown = config.HOST === '0.0.0.0' || config.HOST === '::' ? 'localhost' : config.HOST;
  const base = `http://${shown}:${config.PORT}`;
  say(`Dashboard: ${base}/`);
  say(`API:       ${base}/v1  (OpenAI-compatible)`);
  say(`Health:    ${base}/healthz  ${base}/readyz`);
}
