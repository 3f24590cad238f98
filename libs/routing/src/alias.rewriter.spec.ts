import { applyAliases } from './alias.rewriter';
import { validateAliasRules } from './alias-rules.validator';
import { parseModelName } from './model-name.parser';
import type { AliasRule } from './routing.types';

const rule = (pattern: string, replacement: string): AliasRule => ({ pattern, replacement });
const gpt = rule('^gpt-(.*)', 'openrouter:openai/gpt-\\1');

describe('applyAliases', () => {
  it.each<[string, string, AliasRule[], string]>([
    ['the SPEC example, \\1 form', 'gpt-4o', [gpt], 'openrouter:openai/gpt-4o'],
    ['the $1 form', 'gpt-4o-mini', [rule('^gpt-(.*)$', 'openrouter:openai/gpt-$1')], 'openrouter:openai/gpt-4o-mini'],
    ['no match leaves the name alone', 'openai/gpt-4o', [gpt], 'openai/gpt-4o'],
    ['no rules', 'gpt-4o', [], 'gpt-4o'],
    ['the first matching rule wins', 'gpt-4o', [rule('^claude$', 'x/y'), rule('^gpt', 'a/b'), rule('^gpt-4o$', 'c/d')], 'a/b-4o'],
    ['anchors only as written: ^gpt misses a vendor prefix', 'openai/gpt-4o', [rule('^gpt', 'x')], 'openai/gpt-4o'],
    [
      'an unanchored pattern replaces the matched span once',
      'openai/gpt-4o-mini-mini',
      [rule('mini', 'nano')],
      'openai/gpt-4o-nano-mini',
    ],
    ['URI params survive', 'gpt-4o?temperature=0.5', [gpt], 'openrouter:openai/gpt-4o?temperature=0.5'],
    [
      'the pattern sees only the part before ?',
      'fast?top_p=1',
      [rule('^fast$', 'openai/gpt-4o-mini')],
      'openai/gpt-4o-mini?top_p=1',
    ],
    [
      'caller params go after the replacement ones',
      'fast?temperature=1',
      [rule('^fast$', 'openrouter:x/y?temperature=0')],
      'openrouter:x/y?temperature=0&temperature=1',
    ],
    ['a rule that fails to compile is skipped', 'gpt-4o', [rule('(', 'broken'), gpt], 'openrouter:openai/gpt-4o'],
    ['rules apply once, never chained', 'a', [rule('^a$', 'b'), rule('^b$', 'c')], 'b'],
    [
      '$& and \\0 are the whole match',
      'gpt-4o',
      [rule('^gpt-4o$', 'openrouter:openai/$&:\\0')],
      'openrouter:openai/gpt-4o:gpt-4o',
    ],
    ['$$ and \\\\ are literals', 'm', [rule('^m$', 'a$$b\\\\c')], 'a$b\\c'],
    ['a group that did not take part is empty', 'gpt', [rule('^gpt(-.*)?$', 'openai/gpt\\1')], 'openai/gpt'],
    ['\\10 with one group is group 1 then 0', 'a', [rule('^(a)$', 'x/\\10')], 'x/a0'],
    ['\\10 with ten groups is group 10', 'abcdefghij', [rule('^(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)$', 'x/\\10')], 'x/j'],
    ['other backslashes stay literal', 'm', [rule('^m$', 'x/\\d')], 'x/\\d'],
  ])('%s', (_, name, rules, expected) => {
    expect(applyAliases(name, rules)).toBe(expected);
  });

  it('runs a pattern with nested quantifiers in linear time (a backtracking engine takes minutes here)', () => {
    const name = `${'a'.repeat(5000)}b`;
    expect(applyAliases(name, [rule('(a+)+$', 'x/y')])).toBe(name);
    expect(applyAliases('aaaa', [rule('^(a+)+$', 'x/\\1')])).toBe('x/aaaa');
  });

  it('skips a stored rule that would need exponential backtracking', () => {
    expect(applyAliases(`${'a'.repeat(5000)}b`, [rule('^(?!z)(a+)+$', 'x/y'), rule('b$', 'x/z')])).toBe(`${'a'.repeat(5000)}x/z`);
  });

  it('feeds a parseable name to the parser', () => {
    expect(parseModelName(applyAliases('gpt-4o?temperature=0.7', [gpt]))).toEqual({
      kind: 'forced',
      provider: 'openrouter',
      upstreamModel: 'openai/gpt-4o',
      params: { temperature: 0.7 },
    });
    const overridden = parseModelName(applyAliases('fast?temperature=1', [rule('^fast$', 'x/y?temperature=0&top_p=1')]));
    expect(overridden.kind === 'catalog' && overridden.params).toEqual({ temperature: 1, top_p: 1 });
  });
});

describe('validateAliasRules', () => {
  it('accepts good rules', () => {
    expect(validateAliasRules([gpt, rule('^claude-(.*)$', 'anthropic/claude-$1'), rule('^fast$', 'openai/gpt-4o-mini')])).toEqual(
      [],
    );
    // Linear-time matching makes nested quantifiers harmless; a lookahead alone is too.
    expect(
      validateAliasRules([rule('^([a-z]+-)*gpt$', 'openai/gpt'), rule('^(?!openrouter:)gpt-(.*)$', 'openai/gpt-$1')]),
    ).toEqual([]);
  });

  it.each<[string, AliasRule[], string, string]>([
    ['an invalid regex', [gpt, gpt, gpt, rule('^gpt-(', 'x/y')], 'rules.3.pattern', 'not a valid regular expression'],
    ['an empty pattern', [rule('', 'x/y')], 'rules.0.pattern', 'empty'],
    ['an empty replacement', [rule('^a$', '')], 'rules.0.replacement', 'empty'],
    ['a reference to a missing group', [rule('^gpt-(.*)$', 'openai/\\2')], 'rules.0.replacement', 'group 2'],
    ['a $ reference to a missing group', [rule('^gpt$', 'openai/$1')], 'rules.0.replacement', 'has 0 groups'],
    ['a replacement that is not a model name', [rule('^a$', 'azure:')], 'rules.0.replacement', 'must be followed'],
    ['whitespace in the replacement', [rule('^(a)$', 'openrouter: \\1')], 'rules.0.replacement', 'whitespace'],
    ['nested quantifiers with a lookahead', [rule('^(?!openrouter:)(\\w+)+-x$', 'x/y')], 'rules.0.pattern', 'exponential time'],
    ['nested quantifiers with a back-reference', [rule('^(a|b)(\\1+)+$', 'x/y')], 'rules.0.pattern', 'exponential time'],
  ])('names the field for %s', (_, rules, field, fragment) => {
    expect(validateAliasRules(rules)).toEqual([{ field, message: expect.stringContaining(fragment) }]);
  });

  it('reports every bad rule', () => {
    expect(validateAliasRules([rule('(', 'x/y'), gpt, rule('^a$', '')]).map((error) => error.field)).toEqual([
      'rules.0.pattern',
      'rules.2.replacement',
    ]);
  });
});
