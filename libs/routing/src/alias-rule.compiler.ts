import { setFlagsFromString } from 'node:v8';
import safeRegex from 'safe-regex2';
import { assertNever } from '@gw/kernel';
import type { AliasRule } from './routing.types';

// Lets a pattern be compiled for V8's linear-time engine (the `l` flag), which cannot backtrack.
setFlagsFromString('--enable-experimental-regexp-engine');

/** A replacement, pre-split into literal text and group references (0 is the whole match). */
export type TemplatePart = { kind: 'text'; text: string } | { kind: 'group'; index: number };

export interface CompiledAliasRule {
  regex: RegExp;
  template: readonly TemplatePart[];
}

export type CompileAliasRuleResult =
  { ok: true; rule: CompiledAliasRule } | { ok: false; field: 'pattern' | 'replacement'; message: string };

/**
 * Compiles a rule exactly as written: no added anchors, and no flags but V8's linear-time one.
 * Every model name any tenant sends runs through these patterns, so none may take exponential
 * time: a pattern V8 can run in linear time is compiled that way; one it cannot (a lookaround or a
 * back-reference) must pass the star-height check of safe-regex2 (no quantifier nested in another),
 * else the rule is refused. The replacement understands
 * `\N` and `$N` (sed and JS styles), `$&` for the whole match, `$$` and `\\` for literal `$` and
 * `\`; anything else is literal. Like JS, `\12` means group 12 only when the pattern has 12 groups,
 * else group 1 followed by "2".
 */
export function compileAliasRule(rule: AliasRule): CompileAliasRuleResult {
  if (rule.pattern.length === 0) return { ok: false, field: 'pattern', message: 'The pattern is empty.' };
  let regex: RegExp;
  try {
    regex = new RegExp(rule.pattern);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { ok: false, field: 'pattern', message: `The pattern is not a valid regular expression: ${reason}` };
  }
  const linear = linearRegExp(rule.pattern);
  if (linear) regex = linear;
  else if (!safeRegex(rule.pattern)) {
    return {
      ok: false,
      field: 'pattern',
      message:
        'The pattern could take exponential time on some model names: it needs backtracking (a lookaround or back-reference) and nests a quantifier inside another (such as (a+)+) or uses syntax the safety check cannot read. Rewrite it without one of the two.',
    };
  }
  if (rule.replacement.length === 0) return { ok: false, field: 'replacement', message: 'The replacement is empty.' };
  const template = parseTemplate(rule.replacement, captureGroupCount(regex));
  if (typeof template === 'string') return { ok: false, field: 'replacement', message: template };
  return { ok: true, rule: { regex, template } };
}

/** Fills a template from a match; a group that did not take part contributes nothing, as in JS. */
export function expandTemplate(template: readonly TemplatePart[], group: (index: number) => string | undefined): string {
  let out = '';
  for (const part of template) {
    switch (part.kind) {
      case 'text':
        out += part.text;
        break;
      case 'group':
        out += group(part.index) ?? '';
        break;
      default:
        return assertNever(part, 'template part');
    }
  }
  return out;
}

/** The pattern compiled for the linear-time engine, or null when it needs backtracking. */
function linearRegExp(pattern: string): RegExp | null {
  try {
    return new RegExp(pattern, 'l');
  } catch {
    return null;
  }
}

function captureGroupCount(regex: RegExp): number {
  // The added empty alternative always matches '' and reports every group, matched or not.
  const match = new RegExp(`${regex.source}|`, regex.flags).exec('');
  return match === null ? 0 : match.length - 1;
}

function parseTemplate(replacement: string, groups: number): TemplatePart[] | string {
  const parts: TemplatePart[] = [];
  let text = '';
  let i = 0;
  while (i < replacement.length) {
    const char = replacement.charAt(i);
    const next = replacement.charAt(i + 1);
    if ((char === '\\' || char === '$') && isDigit(next)) {
      const two = replacement.slice(i + 1, i + 3);
      const useTwo = two.length === 2 && isDigit(two.charAt(1)) && Number(two) >= 1 && Number(two) <= groups;
      const index = useTwo ? Number(two) : Number(next);
      if (index > groups) {
        return `The replacement refers to group ${index} but the pattern has ${groups} group${groups === 1 ? '' : 's'}.`;
      }
      if (text.length > 0) parts.push({ kind: 'text', text });
      text = '';
      parts.push({ kind: 'group', index });
      i += useTwo ? 3 : 2;
    } else if (char === '$' && next === '&') {
      if (text.length > 0) parts.push({ kind: 'text', text });
      text = '';
      parts.push({ kind: 'group', index: 0 });
      i += 2;
    } else if ((char === '$' && next === '$') || (char === '\\' && next === '\\')) {
      text += char;
      i += 2;
    } else {
      text += char;
      i += 1;
    }
  }
  if (text.length > 0) parts.push({ kind: 'text', text });
  return parts;
}

function isDigit(char: string): boolean {
  return char >= '0' && char <= '9' && char.length === 1;
}
