import {
  Alert,
  Badge,
  Button,
  Group,
  Menu,
  Modal,
  PasswordInput,
  Stack,
  Switch,
  Table,
  Text,
  TextInput,
  VisuallyHidden,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { type CreatedGatewayKey, createKeyBody, type GatewayKeyView, updateKeyBody } from '@gw/contracts';
import { IconAlertTriangle, IconKey, IconPlus } from '@tabler/icons-react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type SyntheticEvent } from 'react';
import { api } from '../api/client';
import { ConfirmModal } from '../components/ConfirmModal';
import { SecretReveal } from '../components/CopyField';
import { FormFooter } from '../components/FormFooter';
import { CreditLimitInput, optionalNumber, RateLimitInput } from '../components/NumberFields';
import { PageHeader } from '../components/PageHeader';
import { EmptyCard, QueryTable } from '../components/QueryTable';
import { RowActions } from '../components/RowActions';
import { KEYS_KEY, useKeys } from '../hooks/useKeys';
import { useFieldErrors } from '../lib/field-errors';
import { formatDate, formatUsd } from '../lib/format';
import { memorySecrets, useMemorySecrets } from '../lib/memory-secrets';

function CreateKeyModal({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const queryClient = useQueryClient();
  const secrets = useMemorySecrets();
  const [name, setName] = useState('');
  const [creditLimit, setCreditLimit] = useState<string | number>('');
  const [rateLimit, setRateLimit] = useState<string | number>('');
  const [vault, setVault] = useState(true);
  const [typedRecoveryKey, setTypedRecoveryKey] = useState('');
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<CreatedGatewayKey | null>(null);
  const errors = useFieldErrors();

  const reset = () => {
    setName('');
    setCreditLimit('');
    setRateLimit('');
    setVault(true);
    setTypedRecoveryKey('');
    setCreated(null);
    errors.clear();
  };
  // The full key lives only in this dialog's state: closing it drops the last rendered copy.
  const close = () => {
    reset();
    onClose();
  };

  const recoveryKey = secrets.recoveryKey ?? typedRecoveryKey.trim();
  const submit = async (event: SyntheticEvent) => {
    event.preventDefault();
    const body = {
      name,
      creditLimit: optionalNumber(creditLimit),
      rateLimitRpm: optionalNumber(rateLimit),
      vaultAccess: vault ? { recoveryKey } : undefined,
    };
    const parsed = errors.parse(createKeyBody, body);
    if (!parsed) return;
    setBusy(true);
    try {
      const key = await api.post<CreatedGatewayKey>('/api/keys', parsed);
      memorySecrets.addKey({ id: key.id, name: key.name, hint: key.hint, secret: key.key });
      setCreated(key);
      void queryClient.invalidateQueries({ queryKey: KEYS_KEY });
    } catch (error) {
      errors.fromError(error, ['name', 'creditLimit', 'rateLimitRpm', 'vaultAccess']);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal opened={opened} onClose={close} title={created ? 'Your new API key' : 'Create an API key'} size="lg" centered>
      {created ? (
        <Stack>
          <Alert color="yellow" icon={<IconAlertTriangle size={16} />}>
            Copy this key now. It is shown once and cannot be shown again; if you lose it, create a new one.
          </Alert>
          <SecretReveal value={created.key} label="API key" />
          <Text size="sm" c="dimmed">
            {created.byok
              ? 'This key can use your provider keys (BYOK), falling back to credits.'
              : 'This key runs on credits only.'}{' '}
            It stays available in the Playground until you reload this tab.
          </Text>
          <Group justify="flex-end">
            <Button onClick={close}>Done</Button>
          </Group>
        </Stack>
      ) : (
        <form onSubmit={(e) => void submit(e)} noValidate>
          <Stack>
            <TextInput
              label="Name"
              placeholder="production"
              value={name}
              onChange={(e) => setName(e.currentTarget.value)}
              error={errors.of('name')}
              required
              data-autofocus
            />
            <Group grow align="flex-start">
              <CreditLimitInput value={creditLimit} onChange={setCreditLimit} error={errors.of('creditLimit')} />
              <RateLimitInput value={rateLimit} onChange={setRateLimit} error={errors.of('rateLimitRpm')} />
            </Group>
            <Switch
              label="Vault access (use my provider keys)"
              description="Lets this key decrypt your provider keys for its requests. Without it the key runs on credits only."
              checked={vault}
              onChange={(e) => setVault(e.currentTarget.checked)}
            />
            {vault &&
              (secrets.recoveryKey ? (
                <Text size="sm" c="dimmed">
                  Using the recovery key from your signup, held in this tab only.
                </Text>
              ) : (
                <PasswordInput
                  label="Recovery key"
                  description="Vault access is granted with your recovery key. It is sent once and not stored in the browser."
                  placeholder="gwr_…"
                  value={typedRecoveryKey}
                  onChange={(e) => setTypedRecoveryKey(e.currentTarget.value)}
                  error={errors.of('vaultAccess')}
                  autoComplete="off"
                />
              ))}
            <FormFooter error={errors.form}>
              <Button variant="default" onClick={close}>
                Cancel
              </Button>
              <Button type="submit" loading={busy}>
                Create key
              </Button>
            </FormFooter>
          </Stack>
        </form>
      )}
    </Modal>
  );
}

function EditKeyModal({ target, onClose }: { target: GatewayKeyView | null; onClose: () => void }) {
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [creditLimit, setCreditLimit] = useState<string | number>('');
  const [rateLimit, setRateLimit] = useState<string | number>('');
  const [loadedFor, setLoadedFor] = useState<string | null>(null);
  const errors = useFieldErrors();
  if (target && loadedFor !== target.id) {
    setLoadedFor(target.id);
    setName(target.name);
    setCreditLimit(target.creditLimit ?? '');
    setRateLimit(target.rateLimitRpm ?? '');
    errors.clear();
  }
  const save = useMutation({
    mutationFn: (body: unknown) => api.patch<GatewayKeyView>(`/api/keys/${target?.id ?? ''}`, body),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: KEYS_KEY });
      notifications.show({ message: 'Key updated', color: 'teal' });
      setLoadedFor(null);
      onClose();
    },
    onError: (error) => errors.fromError(error, ['name', 'creditLimit', 'rateLimitRpm']),
  });
  const submit = (event: SyntheticEvent) => {
    event.preventDefault();
    const parsed = errors.parse(updateKeyBody, {
      name,
      creditLimit: optionalNumber(creditLimit) ?? null,
      rateLimitRpm: optionalNumber(rateLimit) ?? null,
    });
    if (parsed) save.mutate(parsed);
  };
  return (
    <Modal
      opened={target !== null}
      onClose={() => {
        setLoadedFor(null);
        onClose();
      }}
      title="Edit key"
      centered
    >
      <form onSubmit={submit} noValidate>
        <Stack>
          <TextInput label="Name" value={name} onChange={(e) => setName(e.currentTarget.value)} error={errors.of('name')} />
          <CreditLimitInput value={creditLimit} onChange={setCreditLimit} error={errors.of('creditLimit')} />
          <RateLimitInput value={rateLimit} onChange={setRateLimit} error={errors.of('rateLimitRpm')} />
          <FormFooter error={errors.form}>
            <Button type="submit" loading={save.isPending}>
              Save
            </Button>
          </FormFooter>
        </Stack>
      </form>
    </Modal>
  );
}

function RevokeModal({ target, onClose }: { target: GatewayKeyView | null; onClose: () => void }) {
  const queryClient = useQueryClient();
  const revoke = useMutation({
    mutationFn: (id: string) => api.delete(`/api/keys/${id}`),
    onSuccess: (_data, id) => {
      memorySecrets.forgetKey(id);
      void queryClient.invalidateQueries({ queryKey: KEYS_KEY });
      notifications.show({ message: 'Key revoked', color: 'teal' });
      onClose();
    },
  });
  return (
    <ConfirmModal
      opened={target !== null}
      onClose={onClose}
      title="Revoke this key?"
      confirmLabel="Revoke key"
      onConfirm={() => target && revoke.mutate(target.id)}
      loading={revoke.isPending}
      error={revoke.error}
    >
      <b>{target?.name}</b> ({target?.hint}) stops working immediately: every request with it gets 401. This cannot be undone.
    </ConfirmModal>
  );
}

export function KeysPage() {
  const keys = useKeys();
  const queryClient = useQueryClient();
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<GatewayKeyView | null>(null);
  const [revoking, setRevoking] = useState<GatewayKeyView | null>(null);
  const toggle = useMutation({
    mutationFn: (key: GatewayKeyView) => api.patch<GatewayKeyView>(`/api/keys/${key.id}`, { disabled: !key.disabled }),
    onSuccess: (key) => {
      void queryClient.invalidateQueries({ queryKey: KEYS_KEY });
      notifications.show({ message: key.disabled ? 'Key disabled' : 'Key enabled', color: 'teal' });
    },
    onError: (error) => notifications.show({ title: 'Could not update the key', message: error.message, color: 'red' }),
  });

  const rows = keys.data?.data ?? [];
  const create = (
    <Button leftSection={<IconPlus size={16} />} onClick={() => setCreating(true)}>
      Create key
    </Button>
  );
  return (
    <>
      <PageHeader
        title="API keys"
        description="Gateway keys call /v1 with any OpenAI-compatible client. Each key is shown once, when you create it."
        actions={create}
      />
      <QueryTable
        query={keys}
        count={rows.length}
        minWidth={760}
        stickyActions
        empty={
          <EmptyCard icon={<IconKey />} title="No API keys yet" description="Create a key to call the gateway from your code.">
            {create}
          </EmptyCard>
        }
      >
        <Table verticalSpacing="sm" horizontalSpacing="md" highlightOnHover>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Name</Table.Th>
              <Table.Th>Key</Table.Th>
              <Table.Th>Last used</Table.Th>
              <Table.Th ta="right">Usage / limit</Table.Th>
              <Table.Th ta="right">Rate limit</Table.Th>
              <Table.Th w={48}>
                <VisuallyHidden>Actions</VisuallyHidden>
              </Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((key) => (
              <Table.Tr key={key.id} data-key-row={key.name}>
                <Table.Td>
                  <Group gap={6}>
                    <Text fw={500} size="sm">
                      {key.name}
                    </Text>
                    {key.byok ? (
                      <Badge size="xs" variant="light" color="grape">
                        Vault
                      </Badge>
                    ) : (
                      <Badge size="xs" variant="light" color="gray">
                        Credits only
                      </Badge>
                    )}
                    {key.disabled && (
                      <Badge size="xs" color="red" variant="light">
                        Disabled
                      </Badge>
                    )}
                  </Group>
                </Table.Td>
                <Table.Td>
                  <Text ff="monospace" size="sm" c="dimmed">
                    {key.hint}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Text size="sm">{formatDate(key.lastUsedAt)}</Text>
                </Table.Td>
                <Table.Td ta="right">
                  <Text size="sm">
                    {formatUsd(key.usage)} / {key.creditLimit === null ? 'no limit' : formatUsd(key.creditLimit)}
                  </Text>
                </Table.Td>
                <Table.Td ta="right">
                  <Text size="sm">{key.rateLimitRpm === null ? '—' : `${key.rateLimitRpm}/min`}</Text>
                </Table.Td>
                <Table.Td>
                  <RowActions name={key.name}>
                    <Menu.Item onClick={() => setEditing(key)}>Rename or change limits</Menu.Item>
                    <Menu.Item onClick={() => toggle.mutate(key)}>{key.disabled ? 'Enable' : 'Disable'}</Menu.Item>
                    <Menu.Divider />
                    <Menu.Item color="red" onClick={() => setRevoking(key)}>
                      Revoke
                    </Menu.Item>
                  </RowActions>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </QueryTable>
      <CreateKeyModal opened={creating} onClose={() => setCreating(false)} />
      <EditKeyModal target={editing} onClose={() => setEditing(null)} />
      <RevokeModal target={revoking} onClose={() => setRevoking(null)} />
    </>
  );
}
