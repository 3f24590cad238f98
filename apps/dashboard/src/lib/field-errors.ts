import { useCallback, useState } from 'react';
import type { z } from 'zod';
import { ApiError } from '../api/client';

export type FieldErrors = Record<string, string>;

/** Dotted path of a zod issue (`secret.0.endpoint_url`), as the server names fields. */
function pathOf(path: readonly PropertyKey[]): string {
  return path.map(String).join('.');
}

/** Field messages from a zod error, first issue per field. */
export function zodFieldErrors(error: z.ZodError): FieldErrors {
  const out: FieldErrors = {};
  for (const issue of error.issues) {
    const key = pathOf(issue.path) || '_form';
    out[key] ??= issue.message;
  }
  return out;
}

/**
 * Form error state: validation messages per field plus one form-level message. A server error
 * naming a field lands on that field; otherwise it is shown above the submit button.
 */
export function useFieldErrors() {
  const [errors, setErrors] = useState<FieldErrors>({});
  const clear = useCallback(() => setErrors({}), []);
  const fromZod = useCallback((error: z.ZodError) => setErrors(zodFieldErrors(error)), []);
  const fromError = useCallback((error: unknown, knownFields: readonly string[] = []) => {
    if (error instanceof ApiError) {
      const field = error.field;
      if (field && knownFields.some((known) => field === known || field.startsWith(`${known}.`))) {
        setErrors({ [field]: error.message });
        return;
      }
      setErrors({ _form: field ? `${field}: ${error.message}` : error.message });
      return;
    }
    setErrors({ _form: error instanceof Error ? error.message : 'Something went wrong. Try again.' });
  }, []);
  /** The schema's output, or null once its messages are on the fields. */
  const parse = useCallback(<S extends z.ZodType>(schema: S, value: unknown): z.output<S> | null => {
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      setErrors(zodFieldErrors(parsed.error));
      return null;
    }
    setErrors({});
    return parsed.data;
  }, []);
  /** The message for a field, also matching server paths nested below it. */
  const of = useCallback(
    (field: string): string | undefined => {
      const exact = errors[field];
      if (exact) return exact;
      const nested = Object.entries(errors).find(([key]) => key.startsWith(`${field}.`));
      return nested?.[1];
    },
    [errors],
  );
  return { errors, setErrors, clear, fromZod, fromError, parse, of, form: errors['_form'] };
}
