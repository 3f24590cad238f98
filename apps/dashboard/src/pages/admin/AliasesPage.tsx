import { ActionIcon, Alert, Button, Card, Code, Group, Stack, Text, TextInput } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconArrowRight, IconPlus, IconTrash } from '@tabler/icons-react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type SyntheticEvent } from 'react';
import { api } from '../../api/client';
import type { AliasRule } from '@gw/contracts';
import { PageHeader } from '../../components/PageHeader';
import { QueryState } from '../../components/QueryState';
import { useFieldErrors } from '../../lib/field-errors';

const ALIASES_KEY = ['admin', 'aliases'] as const;

function AliasesForm({ initial }: { initial: readonly AliasRule[] }) {
  const queryClient = useQueryClient();
  const [rules, setRules] = useState<AliasRule[]>(initial.map((r) => ({ ...r })));
  const errors = useFieldErrors();
  const save = useMutation({
    mutationFn: (body: { rules: AliasRule[] }) => api.put<{ rules: AliasRule[] }>('/api/admin/aliases', body),
    onSuccess: (result) => {
      queryClient.setQueryData(ALIASES_KEY, result);
      notifications.show({ message: 'Alias rules saved', color: 'teal' });
    },
    onError: (error) => errors.fromError(error, ['rules']),
  });
  const submit = (event: SyntheticEvent) => {
    event.preventDefault();
    const found: Record<string, string> = {};
    rules.forEach((rule, index) => {
      if (!rule.pattern.trim()) found[`rules.${index}.pattern`] = 'Pattern must not be empty';
      else {
        try {
          new RegExp(rule.pattern);
        } catch {
          found[`rules.${index}.pattern`] = 'Pattern is not a valid regular expression';
        }
      }
      if (!rule.replacement.trim()) found[`rules.${index}.replacement`] = 'Replacement must not be empty';
    });
    if (Object.keys(found).length) return errors.setErrors(found);
    errors.clear();
    save.mutate({ rules });
  };
  const set = (index: number, patch: Partial<AliasRule>) =>
    setRules((list) => list.map((r, i) => (i === index ? { ...r, ...patch } : r)));
  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        {rules.length === 0 && (
          <Card withBorder padding="lg">
            <Text c="dimmed" size="sm" ta="center">
              No alias rules. Model names are used as sent.
            </Text>
          </Card>
        )}
        {rules.map((rule, index) => (
          <Card key={index} withBorder padding="sm">
            <Group align="flex-start" wrap="nowrap" gap="xs">
              <TextInput
                style={{ flex: 1 }}
                label={`Pattern ${index + 1}`}
                ff="monospace"
                placeholder="^gpt-(.*)"
                value={rule.pattern}
                onChange={(e) => set(index, { pattern: e.currentTarget.value })}
                error={errors.of(`rules.${index}.pattern`)}
              />
              <IconArrowRight size={18} style={{ marginTop: 32, flexShrink: 0 }} aria-hidden />
              <TextInput
                style={{ flex: 1 }}
                label={`Replacement ${index + 1}`}
                placeholder="openrouter:openai/gpt-\1"
                value={rule.replacement}
                onChange={(e) => set(index, { replacement: e.currentTarget.value })}
                error={errors.of(`rules.${index}.replacement`)}
              />
              <ActionIcon
                mt={26}
                variant="subtle"
                color="red"
                aria-label={`Remove rule ${index + 1}`}
                onClick={() => setRules((list) => list.filter((_, i) => i !== index))}
              >
                <IconTrash size={16} />
              </ActionIcon>
            </Group>
          </Card>
        ))}
        {errors.form && <Alert color="red">{errors.form}</Alert>}
        <Group justify="space-between">
          <Button
            variant="default"
            leftSection={<IconPlus size={16} />}
            onClick={() => setRules((list) => [...list, { pattern: '', replacement: '' }])}
          >
            Add rule
          </Button>
          <Button type="submit" loading={save.isPending}>
            Save rules
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

export function AliasesPage() {
  const aliases = useQuery({ queryKey: ALIASES_KEY, queryFn: () => api.get<{ rules: AliasRule[] }>('/api/admin/aliases') });
  return (
    <>
      <PageHeader
        title="Model aliases"
        description={
          <>
            Regex rules rewrite model names before routing, first match wins; <Code>\1</Code> inserts a captured group.
          </>
        }
      />
      <QueryState isPending={aliases.isPending} error={aliases.error} retry={() => void aliases.refetch()} />
      {aliases.data && <AliasesForm key={JSON.stringify(aliases.data.rules)} initial={aliases.data.rules} />}
    </>
  );
}
