import secureJson from 'secure-json-parse';
import { DomainError } from '@gw/kernel';

const PARSE_OPTIONS = { protoAction: 'error', constructorAction: 'error' } as const;

/** JSON text as a value, refusing prototype poisoning (`__proto__`, `constructor.prototype`); anything unparsable is `invalid_json`. */
export function parseJsonText(text: string): unknown {
  try {
    return secureJson.parse(text, null, PARSE_OPTIONS) as unknown;
  } catch {
    throw new DomainError('invalid_json');
  }
}

/** How deep a request body may nest (`{"a": [[…]]}`): deeper is a 400, never a stack overflow later. */
export const MAX_JSON_DEPTH = 64;

export function assertJsonDepth(value: unknown): void {
  if (jsonDepth(value, 0) > MAX_JSON_DEPTH) {
    throw DomainError.validation('', `The body nests deeper than ${String(MAX_JSON_DEPTH)} levels.`);
  }
}

function jsonDepth(value: unknown, depth: number): number {
  if (depth > MAX_JSON_DEPTH || typeof value !== 'object' || value === null) return depth;
  let max = depth;
  for (const child of Object.values(value)) max = Math.max(max, jsonDepth(child, depth + 1));
  return max;
}
