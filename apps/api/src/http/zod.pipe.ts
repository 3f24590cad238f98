import type { PipeTransform } from '@nestjs/common';
import type { z } from 'zod';
import { DomainError } from '@gw/kernel';

/**
 * Validates a body (or query) against a zod schema. The first problem becomes a 400 whose
 * `metadata.field` names the field's path, e.g. `secret.region`.
 */
export class ZodPipe<S extends z.ZodType> implements PipeTransform<unknown, z.output<S>> {
  constructor(private readonly schema: S) {}

  transform(value: unknown): z.output<S> {
    if (value === undefined || value === null) {
      throw new DomainError('validation_failed', { message: 'The body must be a JSON object.', metadata: { field: '' } });
    }
    const nul = pathOfNul(value, []);
    if (nul) {
      const field = nul.join('.');
      throw DomainError.validation(field, `${field || 'value'}: must not contain the NUL character (\\u0000)`);
    }
    const result = this.schema.safeParse(value);
    if (result.success) return result.data;
    throw toValidationError(result.error);
  }
}

/**
 * The path of the first string (or object key) holding U+0000, which Postgres cannot store in
 * text: refused here with the field named, instead of failing later in the database.
 */
function pathOfNul(value: unknown, path: string[]): string[] | null {
  if (typeof value === 'string') return value.includes('\0') ? path : null;
  if (typeof value !== 'object' || value === null) return null;
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      const found = pathOfNul(value[index], [...path, String(index)]);
      if (found) return found;
    }
    return null;
  }
  for (const [key, item] of Object.entries(value)) {
    if (key.includes('\0')) return [...path, key];
    const found = pathOfNul(item, [...path, key]);
    if (found) return found;
  }
  return null;
}

export function toValidationError(error: z.ZodError): DomainError {
  const first = error.issues[0];
  if (!first) return new DomainError('validation_failed');
  const issue = mostSpecific(first);
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? '';
    const field = [...issue.path.map(String), key].join('.');
    return DomainError.validation(field, `Unknown field "${field}".`);
  }
  const field = issue.path.map(String).join('.');
  if (field === '' && issue.code === 'invalid_type') {
    return DomainError.validation('', 'The body must be a JSON object.');
  }
  // Zod leaves the input out of its issues; its message says what it received.
  const missing = issue.code === 'invalid_type' && issue.message.endsWith('received undefined');
  const message = missing ? 'is required' : issue.message;
  return DomainError.validation(field, `${field || 'body'}: ${message}`);
}

type Issue = z.core.$ZodIssue;

/**
 * For a value that matches no member of a union (e.g. an Azure secret that is neither one
 * deployment nor a list of them), report the member that got furthest: its deepest issue names
 * the field the caller most likely got wrong. Between members that got as far, the one with the
 * fewest issues is the form the caller meant (Bedrock AWS credentials missing their secret are
 * closer to that form than to an API-key object).
 */
function mostSpecific(issue: Issue): Issue {
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return issue;
  let best: Issue = issue;
  let bestDepth = -1;
  let bestCount = Infinity;
  for (const branch of issue.errors) {
    const candidate = branch[0];
    if (!candidate) continue;
    const nested = mostSpecific({ ...candidate, path: [...issue.path, ...candidate.path] });
    const depth = nested.path.length - (nested.code === 'invalid_type' ? 0.5 : 0);
    if (depth > bestDepth || (depth === bestDepth && branch.length < bestCount)) {
      best = nested;
      bestDepth = depth;
      bestCount = branch.length;
    }
  }
  return best;
}
