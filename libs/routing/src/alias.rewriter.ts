import { type CompiledAliasRule, compileAliasRule, expandTemplate } from './alias-rule.compiler';
import { splitModelName } from './model-name.parser';
import type { AliasRule } from './routing.types';

/**
 * Rewrites a model name with the first rule whose pattern matches the part before `?`; the
 * matched span is replaced, as `String.replace` would (no `g` flag, anchors only as written).
 * The caller's URI params are appended after any the replacement adds, so they win on repeats.
 * Rules apply once: a rewritten name is not fed through the list again.
 *
 * A stored rule that fails to compile (or could take exponential time) is skipped rather than
 * failing or stalling every request: the admin PUT validates rules, so only rows written before
 * that check could be bad. A list is compiled once, on its first use.
 */
export function applyAliases(name: string, rules: readonly AliasRule[]): string {
  if (rules.length === 0) return name;
  const { base, query } = splitModelName(name);
  for (const rule of compiledList(rules)) {
    const match = rule.regex.exec(base);
    if (match === null) continue;
    const replaced = expandTemplate(rule.template, (index) => match[index]);
    const rewritten = base.slice(0, match.index) + replaced + base.slice(match.index + match[0].length);
    if (query.length === 0) return rewritten;
    return `${rewritten}${rewritten.includes('?') ? '&' : '?'}${query}`;
  }
  return name;
}

const compiledLists = new WeakMap<readonly AliasRule[], readonly CompiledAliasRule[]>();

function compiledList(rules: readonly AliasRule[]): readonly CompiledAliasRule[] {
  let compiled = compiledLists.get(rules);
  if (!compiled) {
    compiled = rules.flatMap((rule) => {
      const result = compileAliasRule(rule);
      return result.ok ? [result.rule] : [];
    });
    compiledLists.set(rules, compiled);
  }
  return compiled;
}
