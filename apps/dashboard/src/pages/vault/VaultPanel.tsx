import { Alert, Button, Card, Checkbox, Group, List, Modal, PasswordInput, Stack, Table, Text, Title } from '@mantine/core';
import type { GatewayKeyView, RotateVaultBody, RotateVaultResponse, VaultAccessProof, VaultAuditView } from '@gw/contracts';
import { IconAlertTriangle, IconLifebuoy, IconRefresh } from '@tabler/icons-react';
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { ApiError, api } from '../../api/client';
import { FormFooter } from '../../components/FormFooter';
import { LoadMore } from '../../components/LoadMore';
import { QueryTable } from '../../components/QueryTable';
import { RecoveryKeyReveal } from '../../components/RecoveryKeyReveal';
import { useVaultProof } from '../../components/VaultProofFields';
import { KEYS_KEY, useKeys } from '../../hooks/useKeys';
import { usePagedList } from '../../hooks/usePagedList';
import { useFieldErrors } from '../../lib/field-errors';
import { formatDate } from '../../lib/format';
import { memorySecrets, useMemorySecrets } from '../../lib/memory-secrets';

export const VAULT_AUDIT_KEY = ['vault-audit'] as const;
const AUDIT_PAGE = 10;

/** Both dialogs end the same way: the new key replaces the one this tab holds, lists refresh. */
function useAfterVaultChange() {
  const queryClient = useQueryClient();
  return (recoveryKey: string) => {
    memorySecrets.setRecoveryKey(recoveryKey);
    void queryClient.invalidateQueries({ queryKey: VAULT_AUDIT_KEY });
    void queryClient.invalidateQueries({ queryKey: KEYS_KEY });
  };
}

function NewRecoveryKeyModal({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const proof = useVaultProof();
  const errors = useFieldErrors();
  const after = useAfterVaultChange();
  const [busy, setBusy] = useState(false);
  // The new key lives only in this state: closing the dialog unmounts its last rendered copy.
  const [issued, setIssued] = useState<string | null>(null);

  const close = () => {
    setIssued(null);
    proof.reset();
    errors.clear();
    onClose();
  };
  const submit = async () => {
    if (!proof.proof) return errors.setErrors({ vaultAccess: 'Enter a recovery key or a gateway key with vault access' });
    errors.clear();
    setBusy(true);
    try {
      const { recoveryKey } = await api.post<{ recoveryKey: string }>('/api/vault/recovery-key', { vaultAccess: proof.proof });
      after(recoveryKey);
      setIssued(recoveryKey);
    } catch (error) {
      errors.fromError(error, ['vaultAccess']);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal
      opened={opened}
      onClose={close}
      title={issued ? 'Save your new recovery key' : 'New recovery key'}
      size="lg"
      centered
      // Once issued, the key must be acknowledged before the dialog goes.
      closeOnClickOutside={!issued}
      closeOnEscape={!issued}
      withCloseButton={!issued}
    >
      {issued ? (
        <RecoveryKeyReveal recoveryKey={issued} doneLabel="Done" onDone={close} />
      ) : (
        <Stack>
          <Text size="sm">
            Issues a new recovery key and destroys the current one: from now on only the new key opens your vault. Gateway keys
            keep their vault access. Use this when the old key may have leaked or was lost.
          </Text>
          {proof.fields(errors.of('vaultAccess'))}
          <FormFooter error={errors.form}>
            <Button variant="default" onClick={close}>
              Cancel
            </Button>
            <Button loading={busy} onClick={() => void submit()}>
              Issue a new recovery key
            </Button>
          </FormFooter>
        </Stack>
      )}
    </Modal>
  );
}

const keyLabel = (key: GatewayKeyView) => `${key.name} (${key.hint})`;

function RotateVaultModal({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const proof = useVaultProof();
  const errors = useFieldErrors();
  const after = useAfterVaultChange();
  const secrets = useMemorySecrets();
  const keys = useKeys();
  const [keep, setKeep] = useState<Record<string, boolean>>({});
  const [pasted, setPasted] = useState<Record<string, string>>({});
  const [step, setStep] = useState<'choose' | 'confirm'>('choose');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<RotateVaultResponse | null>(null);

  // Rotation acts on every key with vault access: list them fresh, including ones made elsewhere.
  const { refetch } = keys;
  useEffect(() => {
    if (opened) void refetch();
  }, [opened, refetch]);

  const all = keys.data?.data ?? [];
  const vaultKeys = all.filter((key) => key.byok);
  const held = (id: string) => secrets.keys.find((key) => key.id === id)?.secret;
  const kept = (key: GatewayKeyView) => key.id === proof.proofKeyId || keep[key.id] === true;
  const keptKeys = vaultKeys.filter(kept);
  const droppedKeys = vaultKeys.filter((key) => !kept(key));
  const nameOf = (id: string) => {
    const key = all.find((k) => k.id === id);
    return key ? keyLabel(key) : id;
  };

  const close = () => {
    setKeep({});
    setPasted({});
    setStep('choose');
    setResult(null);
    proof.reset();
    errors.clear();
    onClose();
  };

  /** The keys to send (the proof's own key is kept by the server) and their row ids, in order. */
  const build = (): { body: RotateVaultBody; order: string[] } | null => {
    const next: Record<string, string> = {};
    if (!proof.proof) next['vaultAccess'] = 'Enter a recovery key or a gateway key with vault access';
    const order: string[] = [];
    const keepKeys: string[] = [];
    for (const key of keptKeys) {
      if (key.id === proof.proofKeyId) continue;
      const secret = held(key.id) ?? pasted[key.id]?.trim();
      if (!secret) next[`keep.${key.id}`] = 'Paste this key to keep its access, or untick it';
      else if (!matchesHint(secret, key.hint)) {
        // Another of the tenant's keys would pass the server's check and keep the wrong key.
        next[`keep.${key.id}`] =
          `This is not the key ${key.name}: it starts ${key.hint.split('_…')[0] ?? ''}_ and ends ${key.hint.split('_…')[1] ?? ''}`;
      } else {
        order.push(key.id);
        keepKeys.push(secret);
      }
    }
    const vaultAccess: VaultAccessProof | null = proof.proof;
    if (Object.keys(next).length > 0 || !vaultAccess) {
      errors.setErrors(next);
      return null;
    }
    errors.clear();
    return { body: { vaultAccess, keepKeys }, order };
  };

  const rotate = async () => {
    const built = build();
    if (!built) return setStep('choose');
    setBusy(true);
    try {
      const response = await api.post<RotateVaultResponse>('/api/vault/rotate', built.body);
      after(response.recoveryKey);
      setResult(response);
    } catch (error) {
      // A rejected key to keep comes back as `keepKeys.<index>`: name the row it came from.
      const index = error instanceof ApiError && error.field?.startsWith('keepKeys.') ? Number(error.field.slice(9)) : NaN;
      const id = built.order[index];
      if (error instanceof ApiError && id) errors.setErrors({ [`keep.${id}`]: error.message });
      else errors.fromError(error, ['vaultAccess']);
      setStep('choose');
    } finally {
      setBusy(false);
    }
  };

  let content;
  if (result) {
    content = (
      <Stack>
        <Alert color="teal" title="Vault rotated" data-rotate-result>
          <Text size="sm">
            {result.resealed} provider {result.resealed === 1 ? 'key was' : 'keys were'} re-sealed to the new key pair.
          </Text>
          <Text size="sm">
            Kept vault access: {result.keptKeyIds.length > 0 ? result.keptKeyIds.map(nameOf).join(', ') : 'none'}.
          </Text>
          <Text size="sm">
            Lost vault access: {result.droppedKeyIds.length > 0 ? result.droppedKeyIds.map(nameOf).join(', ') : 'none'}.
          </Text>
        </Alert>
        <RecoveryKeyReveal recoveryKey={result.recoveryKey} doneLabel="Done" onDone={close} />
      </Stack>
    );
  } else if (step === 'confirm') {
    content = (
      <Stack>
        <Alert color="red" icon={<IconAlertTriangle size={16} />} title="Rotate the vault now?">
          <Text size="sm" mb="xs">
            Keep vault access: {keptKeys.length > 0 ? keptKeys.map(keyLabel).join(', ') : 'no gateway key'}.
          </Text>
          <Text size="sm" mb="xs">
            Lose vault access: {droppedKeys.length > 0 ? droppedKeys.map(keyLabel).join(', ') : 'no gateway key'}.
          </Text>
          <Text size="sm">Your current recovery key stops working; a new one is shown once on the next screen.</Text>
        </Alert>
        <FormFooter error={errors.form}>
          <Button variant="default" onClick={() => setStep('choose')}>
            Back
          </Button>
          <Button color="red" loading={busy} onClick={() => void rotate()}>
            Rotate vault keys
          </Button>
        </FormFooter>
      </Stack>
    );
  } else {
    content = (
      <Stack>
        <Text size="sm">
          Rotation is for when a key may have leaked. It makes a new key pair for your vault, re-seals every provider key to it
          and destroys every old way in, including your current recovery key (you get a new one).
        </Text>
        <List size="sm" spacing={4}>
          <List.Item>
            Only the gateway keys you tick below keep vault access (and the gateway key you prove with, if any).
          </List.Item>
          <List.Item>
            Every other key loses BYOK at once: its requests run on credits only. Vault access cannot be added back to an existing
            key; create a new key with vault access instead.
          </List.Item>
        </List>
        {proof.fields(errors.of('vaultAccess'))}
        <Stack gap="xs">
          <Text size="sm" fw={600}>
            Gateway keys with vault access
          </Text>
          {vaultKeys.length === 0 && (
            <Text size="sm" c="dimmed">
              None: no gateway key can use your provider keys now.
            </Text>
          )}
          {vaultKeys.map((key) => {
            const isProof = key.id === proof.proofKeyId;
            const isHeld = held(key.id) !== undefined;
            return (
              <Stack key={key.id} gap={4} data-rotate-key={key.name}>
                <Checkbox
                  label={`Keep ${keyLabel(key)}`}
                  description={
                    isProof
                      ? 'Kept: it proves your access'
                      : isHeld
                        ? 'Created in this tab, so the browser can present it'
                        : 'To keep it, paste its full key (the server checks it)'
                  }
                  checked={kept(key)}
                  disabled={isProof}
                  onChange={(e) => {
                    const checked = e.currentTarget.checked;
                    setKeep((current) => ({ ...current, [key.id]: checked }));
                  }}
                  error={isHeld || !kept(key) ? errors.errors[`keep.${key.id}`] : undefined}
                />
                {kept(key) && !isProof && !isHeld && (
                  <PasswordInput
                    ml={32}
                    label={`Full key of ${key.name}`}
                    placeholder="gwk_…"
                    value={pasted[key.id] ?? ''}
                    onChange={(e) => {
                      const value = e.currentTarget.value;
                      setPasted((current) => ({ ...current, [key.id]: value }));
                      // A new paste gets a new verdict at Continue; the old one would mislead.
                      const field = `keep.${key.id}`;
                      errors.setErrors((current) =>
                        Object.fromEntries(Object.entries(current).filter(([name]) => name !== field)),
                      );
                    }}
                    error={errors.errors[`keep.${key.id}`]}
                    autoComplete="off"
                  />
                )}
              </Stack>
            );
          })}
        </Stack>
        <FormFooter error={errors.form}>
          <Button variant="default" onClick={close}>
            Cancel
          </Button>
          <Button color="red" variant="light" onClick={() => build() && setStep('confirm')}>
            Continue
          </Button>
        </FormFooter>
      </Stack>
    );
  }

  return (
    <Modal
      opened={opened}
      onClose={close}
      title={result ? 'Save your new recovery key' : 'Rotate vault keys'}
      size="lg"
      centered
      closeOnClickOutside={!result}
      closeOnEscape={!result}
      withCloseButton={!result}
    >
      {content}
    </Modal>
  );
}

function VaultAudit() {
  const { list, rows } = usePagedList<VaultAuditView>(VAULT_AUDIT_KEY, '/api/vault/audit', AUDIT_PAGE);
  return (
    <>
      <Title order={4} mt="xl" mb="sm">
        Vault audit log
      </Title>
      <QueryTable
        query={list}
        count={rows.length}
        minWidth={640}
        empty={
          <Text c="dimmed" size="sm">
            No vault changes yet.
          </Text>
        }
      >
        <Table verticalSpacing="xs" fz="sm">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>When</Table.Th>
              <Table.Th>Action</Table.Th>
              <Table.Th>Actor</Table.Th>
              <Table.Th>IP</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((row) => (
              <Table.Tr key={row.id} data-audit-row>
                <Table.Td>{formatDate(row.createdAt)}</Table.Td>
                <Table.Td>
                  <Text ff="monospace" size="xs">
                    {row.action}
                  </Text>
                </Table.Td>
                <Table.Td>{row.actorType}</Table.Td>
                <Table.Td>{row.ip ?? '—'}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </QueryTable>
      <LoadMore list={list} />
    </>
  );
}

/** The vault's own controls under the provider keys: new recovery key, rotation, and its audit log. */
export function VaultPanel() {
  const [dialog, setDialog] = useState<'recovery' | 'rotate' | null>(null);
  return (
    <>
      <Title order={4} mt="xl" mb="sm">
        Vault
      </Title>
      <Card withBorder>
        <Stack gap="sm">
          <Text size="sm" c="dimmed">
            Provider keys are sealed to your vault. Only gateway keys with vault access and your recovery key open it.
          </Text>
          <Group gap="sm">
            <Button variant="default" leftSection={<IconLifebuoy size={16} />} onClick={() => setDialog('recovery')}>
              New recovery key
            </Button>
            <Button variant="light" color="red" leftSection={<IconRefresh size={16} />} onClick={() => setDialog('rotate')}>
              Rotate vault keys
            </Button>
          </Group>
        </Stack>
      </Card>
      <NewRecoveryKeyModal opened={dialog === 'recovery'} onClose={() => setDialog(null)} />
      <RotateVaultModal opened={dialog === 'rotate'} onClose={() => setDialog(null)} />
      <VaultAudit />
    </>
  );
}

/** A pasted key agrees with the row's hint (`gwk_<public id>_…<last four>`); the hint is not secret. */
function matchesHint(secret: string, hint: string): boolean {
  const [head, tail] = hint.split('_…');
  return head !== undefined && tail !== undefined && secret.startsWith(`${head}_`) && secret.endsWith(tail);
}
