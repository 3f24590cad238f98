import { Badge, Button, Card, Group, Progress, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import type { LedgerEntryJson } from '@gw/contracts';
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { api, query } from '../api/client';
import type { BalanceView, Paged } from '../api/types';
import { PageHeader } from '../components/PageHeader';
import { QueryState } from '../components/QueryState';
import { formatDate, formatInt, formatUsd } from '../lib/format';

const KIND_COLORS: Record<string, string> = { grant: 'teal', charge: 'gray', refund: 'blue', adjustment: 'orange' };

function Allowance({ allowance }: { allowance: NonNullable<BalanceView['byokAllowance']> }) {
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
  const ledger = useInfiniteQuery({
    queryKey: ['ledger'],
    queryFn: ({ pageParam }) => api.get<Paged<LedgerEntryJson>>(`/api/billing/ledger${query({ limit: 50, cursor: pageParam })}`),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page) => page.nextCursor ?? undefined,
  });
  const entries = ledger.data?.pages.flatMap((page) => page.data) ?? [];
  return (
    <>
      <PageHeader
        title="Credits"
        description="Credits pay for platform-key usage and BYOK fees. Every movement is a ledger entry."
      />
      <QueryState isPending={balance.isPending} error={balance.error} retry={() => void balance.refetch()} />
      {balance.data && (
        <SimpleGrid cols={{ base: 1, sm: balance.data.byokAllowance ? 3 : 2 }} mb="lg">
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
          {balance.data.byokAllowance && <Allowance allowance={balance.data.byokAllowance} />}
        </SimpleGrid>
      )}
      <Title order={4} mb="sm">
        Ledger
      </Title>
      <QueryState isPending={ledger.isPending} error={ledger.error} retry={() => void ledger.refetch()} />
      {ledger.isSuccess && entries.length === 0 && (
        <Card withBorder padding="lg">
          <Text c="dimmed" size="sm" ta="center">
            No ledger entries yet. Grants and charges appear here.
          </Text>
        </Card>
      )}
      {entries.length > 0 && (
        <Card withBorder padding={0}>
          <Table.ScrollContainer minWidth={600}>
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
          </Table.ScrollContainer>
        </Card>
      )}
      {ledger.hasNextPage && (
        <Group justify="center" mt="sm">
          <Button variant="default" loading={ledger.isFetchingNextPage} onClick={() => void ledger.fetchNextPage()}>
            Load more
          </Button>
        </Group>
      )}
    </>
  );
}
