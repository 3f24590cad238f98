import type { JsonObject } from '../provider.types';
import { isObject, UnsupportedRequestError } from './chat-content.translate';

/**
 * Gemini's `parameters` and `responseSchema` take an OpenAPI 3 subset, not JSON Schema: unknown
 * keywords such as `additionalProperties` or `$schema` are refused. This keeps the keywords Gemini
 * knows, inlines local `$ref`s, turns `["string","null"]` into `nullable`, `oneOf` into `anyOf`
 * and `const` into a one-value enum, and leaves out what it cannot express (the constraint is then
 * not enforced upstream; the shape still is).
 */
const KEPT = new Set([
  'type',
  'title',
  'description',
  'nullable',
  'required',
  'minItems',
  'maxItems',
  'minProperties',
  'maxProperties',
  'minLength',
  'maxLength',
  'pattern',
  'minimum',
  'maximum',
  'propertyOrdering',
  'default',
  'example',
]);

// Gemini documents these formats only; others (email, uri, …) are refused.
const FORMATS = new Set(['enum', 'date-time', 'float', 'double', 'int32', 'int64']);

const MAX_DEPTH = 32;

export function toGeminiSchema(schema: JsonObject, field: string): JsonObject {
  return convert(schema, schema, field, 0);
}

function convert(schema: JsonObject, root: JsonObject, field: string, depth: number): JsonObject {
  if (depth > MAX_DEPTH) throw new UnsupportedRequestError(field, 'is nested too deeply (or its $refs are circular)');
  const ref = schema['$ref'];
  if (typeof ref === 'string') return convert(resolveRef(ref, root, field), root, field, depth + 1);

  const out: JsonObject = {};
  for (const [key, value] of Object.entries(schema)) {
    if (KEPT.has(key)) out[key] = value;
  }
  const format = schema['format'];
  if (typeof format === 'string' && FORMATS.has(format)) out['format'] = format;

  const type = schema['type'];
  if (Array.isArray(type)) {
    const types = type.filter((t): t is string => typeof t === 'string' && t !== 'null');
    if (types.length !== type.length) out['nullable'] = true;
    delete out['type'];
    if (types.length === 1) out['type'] = types[0];
    else if (types.length > 1) out['anyOf'] = types.map((t) => ({ type: t }));
  }

  const enumValues = schema['enum'];
  if (Array.isArray(enumValues) && enumValues.every((v) => typeof v === 'string')) out['enum'] = enumValues;
  const constant = schema['const'];
  if (typeof constant === 'string') out['enum'] = [constant];

  const properties = schema['properties'];
  if (isObject(properties)) {
    const converted: JsonObject = {};
    for (const [name, value] of Object.entries(properties)) {
      if (isObject(value)) converted[name] = convert(value, root, `${field}.properties.${name}`, depth + 1);
    }
    out['properties'] = converted;
  }
  const items = schema['items'];
  if (isObject(items)) out['items'] = convert(items, root, `${field}.items`, depth + 1);

  const alternatives = schema['anyOf'] ?? schema['oneOf'];
  if (Array.isArray(alternatives)) {
    out['anyOf'] = alternatives.filter(isObject).map((alt, i) => convert(alt, root, `${field}.anyOf[${i}]`, depth + 1));
  }
  const allOf = schema['allOf'];
  if (Array.isArray(allOf) && allOf.length === 1 && isObject(allOf[0])) {
    Object.assign(out, convert(allOf[0], root, `${field}.allOf[0]`, depth + 1));
  }
  return out;
}

function resolveRef(ref: string, root: JsonObject, field: string): JsonObject {
  const match = /^#\/(\$defs|definitions)\/([^/]+)$/.exec(ref);
  const section = match?.[1] === undefined ? undefined : root[match[1]];
  const name = match?.[2];
  const target = isObject(section) && name !== undefined ? section[decodeURIComponent(name)] : undefined;
  if (!isObject(target)) throw new UnsupportedRequestError(field, `has a $ref Gemini cannot follow (${ref.slice(0, 100)})`);
  return target;
}
