import type { ChatMessage } from '@gw/contracts';

/** A rough token count (4 characters a token, plus per-message overhead): enough to decide what fits. */
export function estimateTokens(messages: readonly ChatMessage[]): number {
  let chars = 0;
  for (const message of messages) chars += JSON.stringify(message.content ?? '').length + 16;
  return Math.ceil(chars / 4);
}

/**
 * OpenRouter's middle-out: when the prompt exceeds the context, keep every system message, the
 * first user message and as many of the latest messages as fit, dropping from the middle.
 */
export function middleOut(messages: readonly ChatMessage[], contextTokens: number, reserveForOutput: number): ChatMessage[] {
  const budget = Math.max(1, contextTokens - reserveForOutput);
  if (estimateTokens(messages) <= budget) return [...messages];
  const firstUser = messages.findIndex((m) => m.role === 'user');
  const pinned = new Set<number>();
  messages.forEach((m, i) => {
    if (m.role === 'system' || m.role === 'developer' || i === firstUser) pinned.add(i);
  });
  let used = estimateTokens(messages.filter((_, i) => pinned.has(i)));
  const kept = new Set(pinned);
  for (let i = messages.length - 1; i >= 0; i--) {
    if (kept.has(i)) continue;
    const message = messages[i];
    if (!message) continue;
    const cost = estimateTokens([message]);
    if (used + cost > budget) break;
    kept.add(i);
    used += cost;
  }
  return messages.filter((_, i) => kept.has(i));
}
