import { Badge, Button, Group, Modal, Stack, Table, Text, TextInput } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { type PricingView, putPricingBody } from '@gw/contracts';
import { IconPencil, IconPlus, IconSearch } from '@tabler/icons-react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type SyntheticEvent } from 'react';
import { api } from '../../api/client';
import { FormFooter } from '../../components/FormFooter';
import { UsdInput } from '../../components/NumberFields';
import { PageHeader } from '../../components/PageHeader';
import { QueryTable } from '../../components/QueryTable';
import { useFieldErrors } from '../../lib/field-errors';

const PRICING_KEY = ['admin', 'pricing'] as const;
const perMTok = (value: number | null) => (value === null ? '—' : `$${Number(value.toFixed(6))}`);

function PriceDialog({
  target,
  onClose,
}: {
  target: { id: string; prompt: number | null; completion: number | null; isNew: boolean } | null;
  onClose: () => void;
}) {
  const queryClient = useQueryClient();
  const [loaded, setLoaded] = useState<string | null>(null);
  const [id, setId] = useState('');
  const [prompt, setPrompt] = useState<string | number>('');
  const [completion, setCompletion] = useState<string | number>('');
  const errors = useFieldErrors();
  if (target && loaded !== target.id) {
    setLoaded(target.id);
    setId(target.id);
    setPrompt(target.prompt ?? '');
    setCompletion(target.completion ?? '');
    errors.clear();
  }
  const close = () => {
    setLoaded(null);
    onClose();
  };
  const save = useMutation({
    mutationFn: (body: unknown) => api.put<PricingView>('/api/admin/pricing', body),
    onSuccess: (price) => {
      void queryClient.invalidateQueries({ queryKey: PRICING_KEY });
      notifications.show({ message: `Price of ${price.id} saved`, color: 'teal' });
      close();
    },
    onError: (error) => errors.fromError(error, ['id', 'prompt', 'completion']),
  });
  const submit = (event: SyntheticEvent) => {
    event.preventDefault();
    const parsed = errors.parse(putPricingBody, {
      id,
      prompt: prompt === '' ? Number.NaN : Number(prompt),
      completion: completion === '' ? Number.NaN : Number(completion),
    });
    if (parsed) save.mutate(parsed);
  };
  return (
    <Modal
      opened={target !== null}
      onClose={close}
      title={target?.isNew ? 'Add a price' : `Price of ${target?.id ?? ''}`}
      centered
    >
      <form onSubmit={submit} noValidate>
        <Stack>
          {target?.isNew && (
            <TextInput
              label="Model"
              description="A catalogue id (vendor/model) or a forced name such as bedrock:<modelId>"
              value={id}
              onChange={(e) => setId(e.currentTarget.value)}
              error={errors.of('id')}
            />
          )}
          <Group grow align="flex-start">
            <UsdInput label="Prompt (USD / 1M tokens)" min={0} value={prompt} onChange={setPrompt} error={errors.of('prompt')} />
            <UsdInput
              label="Completion (USD / 1M tokens)"
              min={0}
              value={completion}
              onChange={setCompletion}
              error={errors.of('completion')}
            />
          </Group>
          <FormFooter error={errors.form}>
            <Button type="submit" loading={save.isPending}>
              Save price
            </Button>
          </FormFooter>
        </Stack>
      </form>
    </Modal>
  );
}

export function PricingPage() {
  const [filter, setFilter] = useState('');
  const [editing, setEditing] = useState<{ id: string; prompt: number | null; completion: number | null; isNew: boolean } | null>(
    null,
  );
  const pricing = useQuery({ queryKey: PRICING_KEY, queryFn: () => api.get<{ data: PricingView[] }>('/api/admin/pricing') });
  const needle = filter.trim().toLowerCase();
  const rows = (pricing.data?.data ?? []).filter(
    (row) => !needle || row.id.toLowerCase().includes(needle) || row.name.toLowerCase().includes(needle),
  );
  return (
    <>
      <PageHeader
        title="Pricing"
        description="List prices in USD per million tokens. Credits pay the full price; BYOK pays the fee share of it."
        actions={
          <Button
            leftSection={<IconPlus size={16} />}
            onClick={() => setEditing({ id: '', prompt: null, completion: null, isNew: true })}
          >
            Add price
          </Button>
        }
      />
      <TextInput
        mb="md"
        maw={420}
        leftSection={<IconSearch size={16} />}
        placeholder="Filter models"
        aria-label="Filter models"
        value={filter}
        onChange={(e) => setFilter(e.currentTarget.value)}
      />
      <QueryTable
        query={pricing}
        count={rows.length}
        minWidth={620}
        stickyActions
        empty={<Text c="dimmed">No models match.</Text>}
      >
        <Table verticalSpacing="xs" fz="sm" highlightOnHover stickyHeader>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Model</Table.Th>
              <Table.Th ta="right">Prompt / 1M</Table.Th>
              <Table.Th ta="right">Completion / 1M</Table.Th>
              <Table.Th w={48} />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((row) => (
              <Table.Tr key={row.id}>
                <Table.Td>
                  <Group gap={6}>
                    <div>
                      <Text size="sm">{row.name}</Text>
                      <Text size="xs" c="dimmed" ff="monospace">
                        {row.id}
                      </Text>
                    </div>
                    {row.overridden && (
                      <Badge size="xs" variant="light">
                        edited
                      </Badge>
                    )}
                  </Group>
                </Table.Td>
                <Table.Td ta="right">{perMTok(row.prompt)}</Table.Td>
                <Table.Td ta="right">{perMTok(row.completion)}</Table.Td>
                <Table.Td>
                  <Button
                    variant="subtle"
                    size="compact-sm"
                    aria-label={`Edit the price of ${row.id}`}
                    onClick={() => setEditing({ ...row, isNew: false })}
                  >
                    <IconPencil size={14} />
                  </Button>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </QueryTable>
      <PriceDialog target={editing} onClose={() => setEditing(null)} />
    </>
  );
}
