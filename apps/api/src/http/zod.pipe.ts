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
    const result = this.schema.safeParse(value);
    if (result.success) return result.data;
    throw toValidationError(result.error);
  }
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
  const message = issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : issue.message;
  return DomainError.validation(field, `${field || 'body'}: ${message}`);
}

type Issue = z.core.$ZodIssue;

/**
 * For a value that matches no member of a union (e.g. an Azure secret that is neither one
 * deployment nor a list of them), report the member that got furthest: its deepest issue names
 * the field the caller most likely got wrong.
 */
function mostSpecific(issue: Issue): Issue {
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return issue;
  let best: Issue = issue;
  let bestDepth = -1;
  for (const branch of issue.errors) {
    const candidate = branch[0];
    if (!candidate) continue;
    const nested = mostSpecific({ ...candidate, path: [...issue.path, ...candidate.path] });
    const depth = nested.path.length - (nested.code === 'invalid_type' ? 0.5 : 0);
    if (depth > bestDepth) {
      best = nested;
      bestDepth = depth;
    }
  }
  return best;
}
