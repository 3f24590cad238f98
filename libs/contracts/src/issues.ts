import type { z } from 'zod';

type Issue = z.core.$ZodIssue;

/**
 * The issue to report for a value a schema refused: its first, except that for a value matching
 * no member of a union (e.g. an Azure secret that is neither one deployment nor a list of them)
 * it is the member that got furthest: its deepest issue names the field the caller most likely
 * got wrong. A member that knows every field the value has beats one that does not (`{accessKeyId: 1}`
 * means AWS credentials, not an API-key object); between members that got as far, the one with the
 * fewest issues is the form the caller meant (Bedrock AWS credentials missing their secret are
 * closer to that form than to an API-key object). Paths are absolute (a union member's issue
 * carries the union's path).
 */
export function mostSpecificIssue(error: z.ZodError): Issue | undefined {
  const first = error.issues[0];
  return first ? mostSpecific(first) : undefined;
}

function mostSpecific(issue: Issue): Issue {
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return issue;
  let best: Issue = issue;
  let bestKnows = false;
  let bestDepth = -1;
  let bestCount = Infinity;
  for (const branch of issue.errors) {
    const candidate = branch[0];
    if (!candidate) continue;
    const nested = mostSpecific({ ...candidate, path: [...issue.path, ...candidate.path] });
    const knows = !branch.some((other) => other.code === 'unrecognized_keys' && other.path.length === 0);
    const depth = nested.path.length - (nested.code === 'invalid_type' ? 0.5 : 0);
    const better =
      best === issue ||
      (knows && !bestKnows) ||
      (knows === bestKnows && (depth > bestDepth || (depth === bestDepth && branch.length < bestCount)));
    if (better) {
      best = nested;
      bestKnows = knows;
      bestDepth = depth;
      bestCount = branch.length;
    }
  }
  return best;
}
