import { CHAT_PARAMS, type ChatParam, chatRequestBody } from '@gw/contracts';
import type { Attempt } from '@gw/routing';

const SAMPLING: ReadonlySet<string> = new Set<string>(CHAT_PARAMS);
/** Params objects already found valid: plans (and their params) are reused across requests. */
const valid = new WeakSet<object>();

/**
 * Parameters riding in a model name (`openrouter:x/y?temperature=0.7`) obey the same rules as in
 * the body, and only sampling and output parameters may ride there: `stream`, `messages` and the
 * routing fields shape the whole request and belong in the body. Returns the first problem.
 */
export function modelParamsProblem(attempts: readonly Attempt[]): { field: string; message: string } | null {
  for (const { params, field } of attempts) {
    if (valid.has(params)) continue;
    for (const [name, value] of Object.entries(params)) {
      if (!SAMPLING.has(name)) {
        return { field, message: `The model name parameter "${name}" cannot ride in the name; send it in the body.` };
      }
      const result = chatRequestBody.shape[name as ChatParam].safeParse(value);
      if (!result.success) {
        return {
          field,
          message: `The model name parameter "${name}": ${result.error.issues[0]?.message ?? 'has the wrong value'}`,
        };
      }
    }
    valid.add(params);
  }
  return null;
}
