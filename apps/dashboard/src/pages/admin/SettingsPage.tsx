import { Button, Card, Stack, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { type BillingSettingsView, putSettingsBody } from '@gw/contracts';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type SyntheticEvent } from 'react';
import { api } from '../../api/client';
import { FormFooter } from '../../components/FormFooter';
import { FeePercentInput, FreeRequestsInput, FreeUsdInput } from '../../components/NumberFields';
import { PageHeader } from '../../components/PageHeader';
import { QueryState } from '../../components/QueryState';
import { useFieldErrors } from '../../lib/field-errors';
import { formatPercent } from '../../lib/format';

const SETTINGS_KEY = ['admin', 'settings'] as const;

function SettingsForm({ current }: { current: BillingSettingsView }) {
  const queryClient = useQueryClient();
  // The fee is edited as a percentage; the API takes a fraction.
  const [feePercent, setFeePercent] = useState<string | number>(Number((current.byokFeeRate * 100).toFixed(6)));
  const [freeRequests, setFreeRequests] = useState<string | number>(current.byokFreeRequestsPerMonth);
  const [freeUsd, setFreeUsd] = useState<string | number>(current.byokFreeUsdPerMonth ?? '');
  const errors = useFieldErrors();
  const save = useMutation({
    mutationFn: (body: unknown) => api.put<BillingSettingsView>('/api/admin/settings', body),
    onSuccess: (settings) => {
      queryClient.setQueryData(SETTINGS_KEY, settings);
      notifications.show({ message: `Saved: BYOK fee ${formatPercent(settings.byokFeeRate)}`, color: 'teal' });
    },
    onError: (error) => errors.fromError(error, ['byokFeeRate', 'byokFreeRequestsPerMonth', 'byokFreeUsdPerMonth']),
  });
  const submit = (event: SyntheticEvent) => {
    event.preventDefault();
    const parsed = errors.parse(putSettingsBody, {
      byokFeeRate: feePercent === '' ? Number.NaN : Number(feePercent) / 100,
      byokFreeRequestsPerMonth: freeRequests === '' ? Number.NaN : Number(freeRequests),
      byokFreeUsdPerMonth: freeUsd === '' ? null : Number(freeUsd),
    });
    if (parsed) save.mutate(parsed);
  };
  return (
    <Card withBorder padding="lg" maw={560}>
      <form onSubmit={submit} noValidate>
        <Stack>
          <FeePercentInput
            description="Share of the list price charged on requests served with a tenant's own key."
            value={feePercent}
            onChange={setFeePercent}
            error={errors.of('byokFeeRate') && `${errors.of('byokFeeRate') ?? ''} (enter 0 to 100 %)`}
          />
          <FreeRequestsInput
            description="Per tenant, per UTC calendar month; the fee is waived for these."
            value={freeRequests}
            onChange={setFreeRequests}
            error={errors.of('byokFreeRequestsPerMonth')}
          />
          <FreeUsdInput
            description="Optional second allowance. Empty: no USD cap on the waiver."
            value={freeUsd}
            onChange={setFreeUsd}
            error={errors.of('byokFreeUsdPerMonth')}
          />
          <FormFooter error={errors.form} justify="space-between">
            <Text size="xs" c="dimmed">
              Per-tenant overrides on the Tenants page win over these.
            </Text>
            <Button type="submit" loading={save.isPending}>
              Save settings
            </Button>
          </FormFooter>
        </Stack>
      </form>
    </Card>
  );
}

export function SettingsPage() {
  const settings = useQuery({ queryKey: SETTINGS_KEY, queryFn: () => api.get<BillingSettingsView>('/api/admin/settings') });
  return (
    <>
      <PageHeader
        title="Billing settings"
        description="Defaults for every tenant. Stored in the database; they win over the environment."
      />
      <QueryState isPending={settings.isPending} error={settings.error} retry={() => void settings.refetch()} />
      {settings.data && <SettingsForm key={JSON.stringify(settings.data)} current={settings.data} />}
    </>
  );
}
