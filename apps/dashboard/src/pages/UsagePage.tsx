// The charts' styles travel with the only page that draws charts (its own chunk).
import '@mantine/charts/styles.css';
import { BarChart } from '@mantine/charts';
import { Badge, Button, Card, Drawer, Group, SegmentedControl, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { IconChartBar, IconRefresh } from '@tabler/icons-react';
import { useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { api, query } from '../api/client';
import type { GenerationView, UsageRow } from '@gw/contracts';
import { attemptsOf } from '../lib/attempts';
import { PageHeader } from '../components/PageHeader';
import { LoadMore } from '../components/LoadMore';
import { EmptyCard, EmptyNote, QueryTable } from '../components/QueryTable';
import { QueryState } from '../components/QueryState';
import { usePagedList } from '../hooks/usePagedList';
import { formatDate, formatInt, formatUsd, utcDate } from '../lib/format';
import { useKeys } from '../hooks/useKeys';

type Group = 'model' | 'key' | 'provider';
const RANGES = { '7': 7, '30': 30, '90': 90 } as const;
// Generation records land a moment after each answer (batched writer); poll while the page is open.
const POLL_MS = 5_000;

function useUsage(groupBy: 'day' | Group, days: number) {
  const range = { from: utcDate(-(days - 1)), to: utcDate() };
  return useQuery({
    queryKey: ['usage', groupBy, range.from, range.to],
    queryFn: () => api.get<{ data: UsageRow[] }>(`/api/usage${query({ ...range, groupBy })}`),
    refetchInterval: POLL_MS,
  });
}

function StatCard({ label, value }: { label: string; value: string }) {
  return (
    <Card withBorder padding="md">
      <Text size="xs" c="dimmed" tt="uppercase" fw={700}>
        {label}
      </Text>
      <Text size="xl" fw={700} mt={4}>
        {value}
      </Text>
    </Card>
  );
}

function GenerationBadges({ generation }: { generation: GenerationView }) {
  return (
    <Group gap={4} wrap="nowrap">
      {generation.is_byok && (
        <Badge size="xs" color="grape" variant="light">
          BYOK
        </Badge>
      )}
      {generation.fallback && (
        <Badge size="xs" color="orange" variant="light">
          Fallback
        </Badge>
      )}
      {generation.status !== 'ok' && (
        <Badge size="xs" color="red" variant="light">
          {generation.status}
        </Badge>
      )}
    </Group>
  );
}

function GenerationDrawer({ generation, onClose }: { generation: GenerationView | null; onClose: () => void }) {
  const rows: [string, string][] = generation
    ? [
        ['Id', generation.id],
        ['Model', generation.model],
        ['Provider', generation.provider ?? '—'],
        ['Status', generation.status],
        ['Prompt tokens', formatInt(generation.tokens_prompt)],
        ['Completion tokens', formatInt(generation.tokens_completion)],
        ['Cost (charged)', formatUsd(generation.cost)],
        ['Upstream inference cost', formatUsd(generation.upstream_inference_cost)],
        ['Latency', `${formatInt(generation.latency_ms)} ms`],
        ['Time to first byte', generation.ttfb_ms === null ? '—' : `${formatInt(generation.ttfb_ms)} ms`],
        ['App', generation.app_title ?? generation.app_referer ?? '—'],
        ['Created', formatDate(generation.created_at)],
      ]
    : [];
  return (
    <Drawer opened={generation !== null} onClose={onClose} position="right" size="md" title="Generation">
      {generation && (
        <Stack>
          <GenerationBadges generation={generation} />
          <Table fz="sm" verticalSpacing={6}>
            <Table.Tbody>
              {rows.map(([label, value]) => (
                <Table.Tr key={label}>
                  <Table.Td c="dimmed" w="45%">
                    {label}
                  </Table.Td>
                  <Table.Td style={{ wordBreak: 'break-all' }}>{value}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
          <Title order={5}>Attempts</Title>
          <Stack gap="xs">
            {attemptsOf(generation).map((attempt, index) => (
              <Card key={index} withBorder padding="xs">
                <Group justify="space-between" wrap="nowrap">
                  <Text size="sm">
                    {index + 1}. {attempt.provider} · {attempt.model}
                  </Text>
                  <Group gap={4}>
                    {attempt.byok && (
                      <Badge size="xs" color="grape" variant="light">
                        BYOK
                      </Badge>
                    )}
                    <Badge size="xs" color={attempt.outcome === 'ok' ? 'teal' : 'red'} variant="light">
                      {attempt.outcome}
                      {attempt.status !== null ? ` ${attempt.status}` : ''}
                    </Badge>
                  </Group>
                </Group>
              </Card>
            ))}
          </Stack>
        </Stack>
      )}
    </Drawer>
  );
}

function Generations() {
  const [selected, setSelected] = useState<GenerationView | null>(null);
  const { list: generations, rows } = usePagedList<GenerationView>(['generations'], '/api/generations', 25, POLL_MS);
  return (
    <>
      <Group justify="space-between" mt="xl" mb="sm">
        <Title order={4}>Generations</Title>
        <Button variant="subtle" size="xs" leftSection={<IconRefresh size={14} />} onClick={() => void generations.refetch()}>
          Refresh
        </Button>
      </Group>
      <QueryTable
        query={generations}
        count={rows.length}
        minWidth={760}
        empty={<EmptyNote>No generations yet. Requests appear here a second or two after they finish.</EmptyNote>}
      >
        <Table verticalSpacing="xs" fz="sm" highlightOnHover>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Time</Table.Th>
              <Table.Th>Model</Table.Th>
              <Table.Th>Provider</Table.Th>
              <Table.Th ta="right">Tokens</Table.Th>
              <Table.Th ta="right">Cost</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((generation) => (
              <Table.Tr
                key={generation.id}
                data-generation={generation.id}
                onClick={() => setSelected(generation)}
                onKeyDown={(e) => (e.key === 'Enter' || e.key === ' ') && setSelected(generation)}
                tabIndex={0}
                style={{ cursor: 'pointer' }}
                aria-label={`Details of generation ${generation.id}`}
              >
                <Table.Td>{formatDate(generation.created_at)}</Table.Td>
                <Table.Td>{generation.model}</Table.Td>
                <Table.Td>{generation.provider ?? '—'}</Table.Td>
                <Table.Td ta="right">
                  {formatInt(generation.tokens_prompt)} → {formatInt(generation.tokens_completion)}
                </Table.Td>
                <Table.Td ta="right" data-cost>
                  {formatUsd(generation.cost)}
                </Table.Td>
                <Table.Td>
                  <GenerationBadges generation={generation} />
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </QueryTable>
      <LoadMore list={generations} />
      <GenerationDrawer generation={selected} onClose={() => setSelected(null)} />
    </>
  );
}

export function UsagePage() {
  const [range, setRange] = useState<keyof typeof RANGES>('30');
  const [group, setGroup] = useState<Group>('model');
  const days = RANGES[range];
  const daily = useUsage('day', days);
  const grouped = useUsage(group, days);
  const keys = useKeys();
  const keyNames = useMemo(() => new Map((keys.data?.data ?? []).map((k) => [k.id, `${k.name} (${k.hint})`])), [keys.data]);

  // Every day of the range, zero-filled, so the chart's axis does not skip quiet days.
  const chart = useMemo(() => {
    const byDay = new Map((daily.data?.data ?? []).map((row) => [row.group, row]));
    return Array.from({ length: days }, (_, i) => {
      const day = utcDate(-(days - 1 - i));
      const row = byDay.get(day);
      return { day: day.slice(5), Spend: row?.cost ?? 0, Requests: row?.requests ?? 0 };
    });
  }, [daily.data, days]);
  const totals = (daily.data?.data ?? []).reduce(
    (acc, row) => ({
      cost: acc.cost + row.cost,
      requests: acc.requests + row.requests,
      tokens: acc.tokens + row.promptTokens + row.completionTokens,
    }),
    { cost: 0, requests: 0, tokens: 0 },
  );
  const groupRows = grouped.data?.data ?? [];

  return (
    <>
      <PageHeader
        title="Usage"
        description="Spend and requests across your keys (UTC days). Costs are what your credits were charged."
        actions={
          <SegmentedControl
            value={range}
            onChange={(v) => setRange(v === '7' || v === '90' ? v : '30')}
            data={[
              { value: '7', label: '7 days' },
              { value: '30', label: '30 days' },
              { value: '90', label: '90 days' },
            ]}
            aria-label="Date range"
          />
        }
      />
      <SimpleGrid cols={{ base: 1, xs: 3 }} mb="lg">
        <StatCard label="Spend" value={formatUsd(totals.cost)} />
        <StatCard label="Requests" value={formatInt(totals.requests)} />
        <StatCard label="Tokens" value={formatInt(totals.tokens)} />
      </SimpleGrid>
      <QueryState isPending={daily.isPending} error={daily.error} retry={() => void daily.refetch()} />
      {daily.isSuccess && (
        <SimpleGrid cols={{ base: 1, md: 2 }}>
          <Card withBorder padding="md">
            <Text fw={600} size="sm" mb="sm">
              Spend per day
            </Text>
            <BarChart
              h={200}
              data={chart}
              dataKey="day"
              series={[{ name: 'Spend', color: 'indigo.6' }]}
              valueFormatter={(v) => formatUsd(v)}
              tickLine="none"
              gridAxis="y"
            />
          </Card>
          <Card withBorder padding="md">
            <Text fw={600} size="sm" mb="sm">
              Requests per day
            </Text>
            <BarChart
              h={200}
              data={chart}
              dataKey="day"
              series={[{ name: 'Requests', color: 'teal.6' }]}
              tickLine="none"
              gridAxis="y"
            />
          </Card>
        </SimpleGrid>
      )}
      <Group justify="space-between" mt="xl" mb="sm">
        <Title order={4}>Breakdown</Title>
        <SegmentedControl
          value={group}
          onChange={(v) => setGroup(v === 'key' || v === 'provider' ? v : 'model')}
          data={[
            { value: 'model', label: 'By model' },
            { value: 'key', label: 'By key' },
            { value: 'provider', label: 'By provider' },
          ]}
          aria-label="Group usage by"
        />
      </Group>
      <QueryTable
        query={grouped}
        count={groupRows.length}
        minWidth={560}
        empty={
          <EmptyCard
            icon={<IconChartBar />}
            title="No usage in this range"
            description="Make a request with one of your API keys, or try the Playground."
          />
        }
      >
        <Table verticalSpacing="xs" fz="sm">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{group === 'model' ? 'Model' : group === 'key' ? 'Key' : 'Provider'}</Table.Th>
              <Table.Th ta="right">Requests</Table.Th>
              <Table.Th ta="right">Prompt tokens</Table.Th>
              <Table.Th ta="right">Completion tokens</Table.Th>
              <Table.Th ta="right">Cost</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {groupRows.map((row) => (
              <Table.Tr key={row.group}>
                <Table.Td>{group === 'key' ? (keyNames.get(row.group) ?? 'Revoked key') : row.group}</Table.Td>
                <Table.Td ta="right">{formatInt(row.requests)}</Table.Td>
                <Table.Td ta="right">{formatInt(row.promptTokens)}</Table.Td>
                <Table.Td ta="right">{formatInt(row.completionTokens)}</Table.Td>
                <Table.Td ta="right">{formatUsd(row.cost)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </QueryTable>
      <Generations />
    </>
  );
}
