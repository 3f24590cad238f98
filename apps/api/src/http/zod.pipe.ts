import type { PipeTransform } from '@nestjs/common';
import type { z } from 'zod';
import { mostSpecificIssue } from '@gw/contracts';
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
  const issue = mostSpecificIssue(error);
  if (!issue) return new DomainError('validation_failed');
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
