import type { BadRequestError, ModelParams, ParseModelNameResult, ProviderId } from './routing.types';

/** Same bound as the chat body schema; also keeps alias regexes away from huge inputs. */
export const MAX_MODEL_NAME_LENGTH = 512;

const FORCED_PREFIXES: readonly { prefix: string; provider: ProviderId }[] = [
  { prefix: 'openrouter:', provider: 'openrouter' },
  { prefix: 'openrouter-', provider: 'openrouter' },
  { prefix: 'azure:', provider: 'azure' },
  { prefix: 'bedrock:', provider: 'bedrock' },
  { prefix: 'vertex:', provider: 'vertex' },
];

// Model ids never hold whitespace or control characters; refusing them catches pasted junk early.
const FORBIDDEN_CHARACTER = /[\s\p{Cc}]/u;
// Keys become body fields, so they must look like one; `__proto__` is refused on top.
const PARAM_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const NUMERIC = /^-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Splits a model name into a catalogue id or a forced backend, plus the URI params riding after
 * `?`. Prefixes match case-insensitively; everything without one is looked up in the catalogue
 * (an id the catalogue lacks is a 404 later, not a 400 here).
 */
export function parseModelName(name: string, field = 'model'): ParseModelNameResult {
  if (name.length === 0) return invalid(field, 'The model name is empty.');
  if (name.length > MAX_MODEL_NAME_LENGTH) {
    return invalid(field, `The model name is longer than ${MAX_MODEL_NAME_LENGTH} characters.`);
  }
  if (FORBIDDEN_CHARACTER.test(name)) return invalid(field, 'The model name contains whitespace or control characters.');

  const { base, query } = splitModelName(name);
  if (base.length === 0) return invalid(field, 'The model name has nothing before "?".');
  const params = parseUriParams(query);
  if (typeof params === 'string') return invalid(field, params);

  const lower = base.toLowerCase();
  for (const { prefix, provider } of FORCED_PREFIXES) {
    if (!lower.startsWith(prefix)) continue;
    const upstreamModel = base.slice(prefix.length);
    if (upstreamModel.length === 0) return invalid(field, `"${prefix}" must be followed by a model.`);
    return { kind: 'forced', provider, upstreamModel, params };
  }

  if (base.startsWith('/') || base.endsWith('/') || base.includes('//')) {
    return invalid(field, 'A catalogue model is named "vendor/model".');
  }
  return { kind: 'catalog', id: base, params };
}

/** The part before the first `?` and the query after it (empty when there is none). */
export function splitModelName(name: string): { base: string; query: string } {
  const at = name.indexOf('?');
  return at === -1 ? { base: name, query: '' } : { base: name.slice(0, at), query: name.slice(at + 1) };
}

/**
 * `a=1&b=true&c=x` -> {a: 1, b: true, c: 'x'}; a bare key is `true`; the last repeat wins.
 * Only percent-decoding applies: `+` stays a plus (`1e+2`), since this is a name, not a form.
 * Returns the error message on failure.
 */
function parseUriParams(query: string): ModelParams | string {
  const entries = new Map<string, string | number | boolean>();
  for (const segment of query.split('&')) {
    if (segment.length === 0) continue;
    const eq = segment.indexOf('=');
    const rawKey = eq === -1 ? segment : segment.slice(0, eq);
    const key = decode(rawKey);
    if (key === null || !PARAM_KEY.test(key) || key === '__proto__')
      return `The model name has an invalid parameter name "${rawKey}".`;
    if (eq === -1) {
      entries.set(key, true);
      continue;
    }
    const value = decode(segment.slice(eq + 1));
    if (value === null) return `The model name parameter "${key}" is not valid percent-encoding.`;
    entries.set(key, typedValue(value));
  }
  // fromEntries defines own properties, so no key can reach the prototype.
  return Object.fromEntries(entries);
}

function typedValue(value: string): string | number | boolean {
  if (value === 'true') return true;
  if (value === 'false') return false;
  if (NUMERIC.test(value)) {
    const number = Number(value);
    if (Number.isFinite(number)) return number;
  }
  return value;
}

function decode(text: string): string | null {
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}

function invalid(field: string, message: string): { kind: 'invalid'; error: BadRequestError } {
  return { kind: 'invalid', error: { kind: 'bad_request', field, message } };
}
