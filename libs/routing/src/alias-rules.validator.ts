import { compileAliasRule, expandTemplate } from './alias-rule.compiler';
import { parseModelName } from './model-name.parser';
import type { AliasRule, FieldError } from './routing.types';

/**
 * Field errors for `PUT /api/admin/aliases` (`rules.3.pattern`, `rules.0.replacement`); empty when
 * every rule is usable. A replacement must also yield a well-formed model name, checked with each
 * group standing in as "x", so a rule cannot turn good names into guaranteed 400s.
 */
export function validateAliasRules(rules: readonly AliasRule[]): FieldError[] {
  const errors: FieldError[] = [];
  rules.forEach((rule, index) => {
    const compiled = compileAliasRule(rule);
    if (!compiled.ok) {
      errors.push({ field: `rules.${index}.${compiled.field}`, message: compiled.message });
      return;
    }
    const field = `rules.${index}.replacement`;
    const sample = parseModelName(
      expandTemplate(compiled.rule.template, () => 'x'),
      field,
    );
    if (sample.kind === 'invalid') {
      errors.push({ field, message: `The replacement does not give a valid model name: ${sample.error.message}` });
    }
  });
  return errors;
}
