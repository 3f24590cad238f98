import { Code, Table, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { api } from '../../api/client';
import type { AdminAuditView } from '@gw/contracts';
import { PageHeader } from '../../components/PageHeader';
import { QueryTable } from '../../components/QueryTable';
import { formatDate } from '../../lib/format';

export function AdminAuditPage() {
  const audit = useQuery({
    queryKey: ['admin', 'audit'],
    queryFn: () => api.get<{ data: AdminAuditView[] }>('/api/admin/audit?limit=200'),
  });
  const rows = audit.data?.data ?? [];
  return (
    <>
      <PageHeader title="Audit log" description="Every admin change: who, when, from where, and what." />
      <QueryTable query={audit} count={rows.length} minWidth={720} empty={<Text c="dimmed">No admin actions yet.</Text>}>
        <Table verticalSpacing="xs" fz="sm">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>When</Table.Th>
              <Table.Th>Action</Table.Th>
              <Table.Th>Target</Table.Th>
              <Table.Th>Details</Table.Th>
              <Table.Th>IP</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((row) => (
              <Table.Tr key={row.id}>
                <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatDate(row.createdAt)}</Table.Td>
                <Table.Td>
                  <Code>{row.action}</Code>
                </Table.Td>
                <Table.Td>
                  <Text size="xs" ff="monospace">
                    {row.targetId ?? '—'}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Text size="xs" ff="monospace" style={{ wordBreak: 'break-word' }}>
                    {row.details === null || row.details === undefined ? '—' : JSON.stringify(row.details)}
                  </Text>
                </Table.Td>
                <Table.Td>{row.ip ?? '—'}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </QueryTable>
    </>
  );
}
