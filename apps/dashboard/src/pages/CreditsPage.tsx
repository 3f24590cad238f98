import { Badge, Card, Progress, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import type { BalanceView, LedgerEntryJson } from '@gw/contracts';
import { useQuery } from '@tanstack/react-query';
import { api } from '../api/client';
import { LoadMore } from '../components/LoadMore';
import { PageHeader } from '../components/PageHeader';
import { EmptyNote, QueryTable } from '../components/QueryTable';
import { QueryState } from '../components/QueryState';
import { usePagedList } from '../hooks/usePagedList';
import { formatDate, formatInt, formatUsd } from '../lib/format';

const KIND_COLORS: Record<string, string> = { grant: 'teal', charge: 'gray', refund: 'blue', adjustment: 'orange' };

function Allowance({ allowance }: { allowance: BalanceView['byokAllowance'] }) {
  const requestShare = allowance.freeRequests > 0 ? Math.min(100, (allowance.requestsUsed / allowance.freeRequests) * 100) : 100;
  const usdShare = allowance.freeUsd ? Math.min(100, (allowance.usdUsed / allowance.freeUsd) * 100) : null;
  return (
    <Card withBorder padding="md">
      <Text size="xs" c="dimmed" tt="uppercase" fw={700}>
        BYOK free allowance · {allowance.month}
      </Text>
      <Stack gap={6} mt="sm">
        <Text size="sm">
          {formatInt(allowance.requestsUsed)} of {formatInt(allowance.freeRequests)} fee-free requests used
        </Text>
        <Progress value={requestShare} aria-label="BYOK requests used" />
        {usdShare !== null && allowance.freeUsd !== null && (
          <>
            <Text size="sm">
              {formatUsd(allowance.usdUsed)} of {formatUsd(allowance.freeUsd)} fee-free usage (list price)
            </Text>
            <Progress value={usdShare} color="grape" aria-label="BYOK usage used" />
          </>
        )}
      </Stack>
    </Card>
  );
}

export function CreditsPage() {
  const balance = useQuery({
    queryKey: ['balance'],
    queryFn: () => api.get<BalanceView>('/api/billing/balance'),
    refetchInterval: 10_000,
  });
  const { list: ledger, rows: entries } = usePagedList<LedgerEntryJson>(['ledger'], '/api/billing/ledger', 50);
  return (
    <>
      <PageHeader
        title="Credits"
        description="Credits pay for platform-key usage and BYOK fees. Every movement is a ledger entry."
      />
      <QueryState isPending={balance.isPending} error={balance.error} retry={() => void balance.refetch()} />
      {balance.data && (
        <SimpleGrid cols={{ base: 1, sm: 3 }} mb="lg">
          <Card withBorder padding="md">
            <Text size="xs" c="dimmed" tt="uppercase" fw={700}>
              Balance
            </Text>
            <Text size="2rem" fw={700} mt={4} data-testid="balance">
              {formatUsd(balance.data.balance)}
            </Text>
          </Card>
          <Card withBorder padding="md">
            <Text size="xs" c="dimmed" tt="uppercase" fw={700}>
              Reserved for requests in flight
            </Text>
            <Text size="2rem" fw={700} mt={4}>
              {formatUsd(balance.data.reserved)}
            </Text>
          </Card>
          <Allowance allowance={balance.data.byokAllowance} />
        </SimpleGrid>
      )}
      <Title order={4} mb="sm">
        Ledger
      </Title>
      <QueryTable
        query={ledger}
        count={entries.length}
        minWidth={600}
        empty={<EmptyNote>No ledger entries yet. Grants and charges appear here.</EmptyNote>}
      >
        <Table verticalSpacing="xs" fz="sm">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>When</Table.Th>
              <Table.Th>Kind</Table.Th>
              <Table.Th>Reason</Table.Th>
              <Table.Th ta="right">Amount</Table.Th>
              <Table.Th ta="right">Balance after</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {entries.map((entry) => (
              <Table.Tr key={entry.id}>
                <Table.Td>{formatDate(entry.createdAt)}</Table.Td>
                <Table.Td>
                  <Badge size="sm" variant="light" color={KIND_COLORS[entry.kind] ?? 'gray'}>
                    {entry.kind}
                  </Badge>
                </Table.Td>
                <Table.Td>
                  {entry.reason ??
                    (entry.generationId ? (
                      <Text size="xs" ff="monospace">
                        {entry.generationId}
                      </Text>
                    ) : (
                      '—'
                    ))}
                </Table.Td>
                <Table.Td ta="right" c={entry.amount < 0 ? undefined : 'teal'}>
                  {entry.amount > 0 ? '+' : ''}
                  {formatUsd(entry.amount)}
                </Table.Td>
                <Table.Td ta="right">{formatUsd(entry.balanceAfter)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </QueryTable>
      <LoadMore list={ledger} />
    </>
  );
}
