import { Badge, Button, Menu, Modal, Stack, Table, Text, TextInput } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { type AdminTenantView, grantCreditsBody, patchTenantBody } from '@gw/contracts';
import { IconSearch, IconUsers } from '@tabler/icons-react';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type SyntheticEvent } from 'react';
import { api, query } from '../../api/client';
import { FormFooter } from '../../components/FormFooter';
import { FeePercentInput, FreeRequestsInput, FreeUsdInput, UsdInput } from '../../components/NumberFields';
import { PageHeader } from '../../components/PageHeader';
import { EmptyCard, QueryTable } from '../../components/QueryTable';
import { RowActions } from '../../components/RowActions';
import { useFieldErrors } from '../../lib/field-errors';
import { formatPercent, formatUsd, randomId } from '../../lib/format';

const TENANTS_KEY = ['admin', 'tenants'] as const;

function GrantDialog({ tenant, onClose }: { tenant: AdminTenantView | null; onClose: () => void }) {
  const queryClient = useQueryClient();
  const [amount, setAmount] = useState<string | number>('');
  const [reason, setReason] = useState('');
  // One idempotency key per dialog: a double click or a retry grants once.
  const [idempotencyKey, setIdempotencyKey] = useState(randomId);
  const errors = useFieldErrors();
  const close = () => {
    setAmount('');
    setReason('');
    setIdempotencyKey(randomId());
    errors.clear();
    onClose();
  };
  const grant = useMutation({
    mutationFn: (body: unknown) => api.post<{ duplicate: boolean }>(`/api/admin/tenants/${tenant?.id ?? ''}/credits`, body),
    onSuccess: (result) => {
      void queryClient.invalidateQueries({ queryKey: TENANTS_KEY });
      notifications.show({ message: result.duplicate ? 'Already granted (same request)' : 'Credits granted', color: 'teal' });
      close();
    },
    onError: (error) => errors.fromError(error, ['amount', 'reason', 'idempotencyKey']),
  });
  const submit = (event: SyntheticEvent) => {
    event.preventDefault();
    const parsed = errors.parse(grantCreditsBody, {
      amount: amount === '' ? Number.NaN : Number(amount),
      reason,
      idempotencyKey,
    });
    if (parsed) grant.mutate(parsed);
    else if (amount === '') errors.setErrors((e) => ({ ...e, amount: 'Enter an amount in USD' }));
  };
  return (
    <Modal opened={tenant !== null} onClose={close} title={`Grant credits to ${tenant?.name ?? ''}`} centered>
      <form onSubmit={submit} noValidate>
        <Stack>
          <UsdInput
            label="Amount (USD)"
            description="Negative amounts take credits back."
            value={amount}
            onChange={setAmount}
            error={errors.of('amount')}
            data-autofocus
          />
          <TextInput
            label="Reason"
            placeholder="Welcome credits"
            value={reason}
            onChange={(e) => setReason(e.currentTarget.value)}
            error={errors.of('reason')}
          />
          <FormFooter error={errors.form}>
            <Button variant="default" onClick={close}>
              Cancel
            </Button>
            <Button type="submit" loading={grant.isPending}>
              Grant credits
            </Button>
          </FormFooter>
        </Stack>
      </form>
    </Modal>
  );
}

function OverridesDialog({ tenant, onClose }: { tenant: AdminTenantView | null; onClose: () => void }) {
  const queryClient = useQueryClient();
  const [loadedFor, setLoadedFor] = useState<string | null>(null);
  const [feePercent, setFeePercent] = useState<string | number>('');
  const [freeRequests, setFreeRequests] = useState<string | number>('');
  const [freeUsd, setFreeUsd] = useState<string | number>('');
  const errors = useFieldErrors();
  if (tenant && loadedFor !== tenant.id) {
    setLoadedFor(tenant.id);
    setFeePercent(tenant.overrides.byokFeeRate === null ? '' : Number((tenant.overrides.byokFeeRate * 100).toFixed(4)));
    setFreeRequests(tenant.overrides.byokFreeRequestsPerMonth ?? '');
    setFreeUsd(tenant.overrides.byokFreeUsdPerMonth ?? '');
    errors.clear();
  }
  const close = () => {
    setLoadedFor(null);
    onClose();
  };
  const save = useMutation({
    mutationFn: (body: unknown) => api.patch<AdminTenantView>(`/api/admin/tenants/${tenant?.id ?? ''}`, body),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: TENANTS_KEY });
      notifications.show({ message: 'Overrides saved', color: 'teal' });
      close();
    },
    onError: (error) => errors.fromError(error, ['byokFeeRate', 'byokFreeRequestsPerMonth', 'byokFreeUsdPerMonth']),
  });
  const submit = (event: SyntheticEvent) => {
    event.preventDefault();
    const parsed = errors.parse(patchTenantBody, {
      byokFeeRate: feePercent === '' ? null : Number(feePercent) / 100,
      byokFreeRequestsPerMonth: freeRequests === '' ? null : Number(freeRequests),
      byokFreeUsdPerMonth: freeUsd === '' ? null : Number(freeUsd),
    });
    if (parsed) save.mutate(parsed);
  };
  return (
    <Modal opened={tenant !== null} onClose={close} title={`BYOK overrides for ${tenant?.name ?? ''}`} centered>
      <form onSubmit={submit} noValidate>
        <Stack>
          <Text size="sm" c="dimmed">
            Empty fields follow the global billing settings.
          </Text>
          <FeePercentInput value={feePercent} onChange={setFeePercent} error={errors.of('byokFeeRate')} />
          <FreeRequestsInput value={freeRequests} onChange={setFreeRequests} error={errors.of('byokFreeRequestsPerMonth')} />
          <FreeUsdInput value={freeUsd} onChange={setFreeUsd} error={errors.of('byokFreeUsdPerMonth')} />
          <FormFooter error={errors.form}>
            <Button type="submit" loading={save.isPending}>
              Save overrides
            </Button>
          </FormFooter>
        </Stack>
      </form>
    </Modal>
  );
}

export function TenantsPage() {
  const queryClient = useQueryClient();
  const [search, setSearch] = useState('');
  const [debounced] = useDebouncedValue(search.trim(), 250);
  const [granting, setGranting] = useState<AdminTenantView | null>(null);
  const [overriding, setOverriding] = useState<AdminTenantView | null>(null);
  const tenants = useQuery({
    queryKey: [...TENANTS_KEY, debounced],
    queryFn: () => api.get<{ data: AdminTenantView[] }>(`/api/admin/tenants${query({ search: debounced })}`),
    // The rows stay (and an open row menu with them) while the next search loads.
    placeholderData: keepPreviousData,
  });
  const toggle = useMutation({
    mutationFn: (tenant: AdminTenantView) =>
      api.patch<AdminTenantView>(`/api/admin/tenants/${tenant.id}`, { disabled: !tenant.disabled }),
    onSuccess: (tenant) => {
      void queryClient.invalidateQueries({ queryKey: TENANTS_KEY });
      notifications.show({ message: tenant.disabled ? 'Tenant disabled' : 'Tenant enabled', color: 'teal' });
    },
    onError: (error) => notifications.show({ title: 'Could not update the tenant', message: error.message, color: 'red' }),
  });
  const rows = tenants.data?.data ?? [];
  return (
    <>
      <PageHeader title="Tenants" description="Every account on this gateway: balances, usage, overrides." />
      <TextInput
        mb="md"
        leftSection={<IconSearch size={16} />}
        placeholder="Search by name or email"
        aria-label="Search tenants"
        value={search}
        onChange={(e) => setSearch(e.currentTarget.value)}
        maw={420}
      />
      <QueryTable
        query={tenants}
        count={rows.length}
        minWidth={760}
        stickyActions
        empty={<EmptyCard icon={<IconUsers />} title="No tenants match" description="Try another name or email." />}
      >
        <Table verticalSpacing="sm" fz="sm" highlightOnHover>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Tenant</Table.Th>
              <Table.Th ta="right">Balance</Table.Th>
              <Table.Th ta="right">Usage this month</Table.Th>
              <Table.Th>BYOK overrides</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th w={48} />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((tenant) => {
              const o = tenant.overrides;
              const overrides = [
                o.byokFeeRate !== null ? `fee ${formatPercent(o.byokFeeRate)}` : null,
                o.byokFreeRequestsPerMonth !== null ? `${o.byokFreeRequestsPerMonth} free req` : null,
                o.byokFreeUsdPerMonth !== null ? `${formatUsd(o.byokFreeUsdPerMonth)} free` : null,
              ].filter((x) => x !== null);
              return (
                <Table.Tr key={tenant.id} data-tenant={tenant.users.map((u) => u.email).join(' ')}>
                  <Table.Td>
                    <Text size="sm" fw={500}>
                      {tenant.name}
                    </Text>
                    <Text size="xs" c="dimmed">
                      {tenant.users.map((u) => `${u.email}${u.role === 'admin' ? ' (admin)' : ''}`).join(', ')}
                    </Text>
                  </Table.Td>
                  <Table.Td ta="right" data-balance>
                    {formatUsd(tenant.balance)}
                  </Table.Td>
                  <Table.Td ta="right">{formatUsd(tenant.monthToDateUsage)}</Table.Td>
                  <Table.Td>
                    {overrides.length ? (
                      overrides.join(' · ')
                    ) : (
                      <Text size="xs" c="dimmed">
                        defaults
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td>
                    <Badge size="sm" variant="light" color={tenant.disabled ? 'red' : 'teal'}>
                      {tenant.disabled ? 'Disabled' : 'Active'}
                    </Badge>
                  </Table.Td>
                  <Table.Td>
                    <RowActions name={tenant.name}>
                      <Menu.Item onClick={() => setGranting(tenant)}>Grant credits</Menu.Item>
                      <Menu.Item onClick={() => setOverriding(tenant)}>BYOK overrides</Menu.Item>
                      <Menu.Divider />
                      <Menu.Item color={tenant.disabled ? undefined : 'red'} onClick={() => toggle.mutate(tenant)}>
                        {tenant.disabled ? 'Enable tenant' : 'Disable tenant'}
                      </Menu.Item>
                    </RowActions>
                  </Table.Td>
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
      </QueryTable>
      <GrantDialog tenant={granting} onClose={() => setGranting(null)} />
      <OverridesDialog tenant={overriding} onClose={() => setOverriding(null)} />
    </>
  );
}
