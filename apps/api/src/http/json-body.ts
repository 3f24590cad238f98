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
