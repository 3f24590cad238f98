import {
  ActionIcon,
  Badge,
  Button,
  Card,
  FileButton,
  Group,
  Modal,
  PasswordInput,
  SegmentedControl,
  Stack,
  Switch,
  Table,
  Tabs,
  Text,
  Textarea,
  TextInput,
  Menu,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import {
  azureDeployment,
  bedrockSecret,
  createProviderKeyBody,
  type ProviderId,
  type ProviderKeyView,
  type UpdateProviderKeyBody,
  updateProviderKeyBody,
  vertexSecret,
} from '@gw/contracts';
import { IconPencil, IconPlus, IconShieldLock, IconTrash, IconUpload } from '@tabler/icons-react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type ReactNode, useState, type SyntheticEvent } from 'react';
import { z } from 'zod';
import { api } from '../api/client';
import { ConfirmModal } from '../components/ConfirmModal';
import { FormFooter } from '../components/FormFooter';
import { PageHeader } from '../components/PageHeader';
import { EmptyCard, QueryTable } from '../components/QueryTable';
import { RowActions } from '../components/RowActions';
import { type FieldErrors, useFieldErrors, zodFieldErrors } from '../lib/field-errors';
import { formatDate } from '../lib/format';
import { VAULT_AUDIT_KEY, VaultPanel } from './vault/VaultPanel';

const PROVIDER_KEYS_KEY = ['provider-keys'] as const;

export const PROVIDER_NAMES: Record<ProviderId, string> = {
  openrouter: 'OpenRouter',
  azure: 'Azure OpenAI',
  bedrock: 'AWS Bedrock',
  vertex: 'Google Vertex AI',
};

type Built = { ok: true; secret: unknown } | { ok: false; errors: FieldErrors };

/** Prefixes client-side issue paths with `secret.` so they match the server's field names. */
function secretIssues(error: z.ZodError): FieldErrors {
  const out: FieldErrors = {};
  for (const [key, message] of Object.entries(zodFieldErrors(error))) out[key === '_form' ? 'secret' : `secret.${key}`] = message;
  return out;
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false; message: string } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, message: `is not valid JSON (${error instanceof Error ? error.message : 'parse error'})` };
  }
}

interface AzureRow {
  model_slug: string;
  endpoint_url: string;
  api_key: string;
  model_id: string;
}
const emptyAzureRow = (): AzureRow => ({ model_slug: '', endpoint_url: '', api_key: '', model_id: '' });

/** One form per provider; each builds its `secret` in the SPEC shape and names fields as the server does. */
function ProviderForm({ provider, onSaved }: { provider: ProviderId; onSaved: () => void }) {
  const queryClient = useQueryClient();
  const errors = useFieldErrors();
  const [label, setLabel] = useState('');
  const [alwaysUse, setAlwaysUse] = useState(false);
  const [busy, setBusy] = useState(false);
  // OpenRouter
  const [orKey, setOrKey] = useState('');
  // Azure
  const [azureMode, setAzureMode] = useState<'table' | 'json'>('table');
  const [azureRows, setAzureRows] = useState<AzureRow[]>([emptyAzureRow()]);
  const [azureJson, setAzureJson] = useState('');
  // Bedrock
  const [bedrockMode, setBedrockMode] = useState<'apiKey' | 'accessKey'>('apiKey');
  const [bedrockApiKey, setBedrockApiKey] = useState('');
  const [accessKeyId, setAccessKeyId] = useState('');
  const [secretAccessKey, setSecretAccessKey] = useState('');
  const [bedrockRegion, setBedrockRegion] = useState('us-east-1');
  // Vertex
  const [vertexJson, setVertexJson] = useState('');
  const [vertexRegion, setVertexRegion] = useState('global');

  const resetSecrets = () => {
    setOrKey('');
    setAzureRows([emptyAzureRow()]);
    setAzureJson('');
    setBedrockApiKey('');
    setAccessKeyId('');
    setSecretAccessKey('');
    setVertexJson('');
    setLabel('');
    setAlwaysUse(false);
  };

  const build = (): Built => {
    switch (provider) {
      case 'openrouter':
        return orKey.trim()
          ? { ok: true, secret: orKey.trim() }
          : { ok: false, errors: { secret: 'OpenRouter key must not be empty' } };
      case 'azure': {
        let value: unknown = azureRows;
        if (azureMode === 'json') {
          const parsed = parseJson(azureJson);
          if (!parsed.ok) return { ok: false, errors: { secret: `Deployments JSON ${parsed.message}` } };
          value = Array.isArray(parsed.value) ? parsed.value : [parsed.value];
        }
        const result = z.array(azureDeployment).min(1, 'must list at least one deployment').safeParse(value);
        return result.success ? { ok: true, secret: result.data } : { ok: false, errors: secretIssues(result.error) };
      }
      case 'bedrock': {
        const schema = bedrockMode === 'apiKey' ? bedrockSecret.options[1] : bedrockSecret.options[2];
        const candidate =
          bedrockMode === 'apiKey'
            ? { apiKey: bedrockApiKey.trim(), region: bedrockRegion.trim() }
            : { accessKeyId: accessKeyId.trim(), secretAccessKey: secretAccessKey.trim(), region: bedrockRegion.trim() };
        const result = schema.safeParse(candidate);
        return result.success ? { ok: true, secret: result.data } : { ok: false, errors: secretIssues(result.error) };
      }
      case 'vertex': {
        const parsed = parseJson(vertexJson);
        if (!parsed.ok) return { ok: false, errors: { secret: `Service-account JSON ${parsed.message}` } };
        if (typeof parsed.value !== 'object' || parsed.value === null || Array.isArray(parsed.value)) {
          return { ok: false, errors: { secret: 'Service-account JSON must be one object' } };
        }
        const candidate = { ...parsed.value, region: vertexRegion.trim() || undefined };
        const result = vertexSecret.safeParse(candidate);
        return result.success ? { ok: true, secret: result.data } : { ok: false, errors: secretIssues(result.error) };
      }
    }
  };

  const submit = async (event: SyntheticEvent) => {
    event.preventDefault();
    const built = build();
    if (!built.ok) return errors.setErrors(built.errors);
    const body = errors.parse(createProviderKeyBody, {
      provider,
      secret: built.secret,
      alwaysUse,
      label: label.trim() || undefined,
    });
    if (!body) return;
    setBusy(true);
    try {
      await api.post<ProviderKeyView>('/api/provider-keys', body);
      resetSecrets();
      void queryClient.invalidateQueries({ queryKey: PROVIDER_KEYS_KEY });
      void queryClient.invalidateQueries({ queryKey: VAULT_AUDIT_KEY });
      notifications.show({ message: `${PROVIDER_NAMES[provider]} key saved to your vault`, color: 'teal' });
      onSaved();
    } catch (error) {
      errors.fromError(error, ['secret', 'label', 'alwaysUse']);
    } finally {
      setBusy(false);
    }
  };

  /** Messages under `secret.*` not tied to a visible input (JSON modes), shown as `path: message`. */
  const nested = (prefix: string): string | undefined => {
    const entries = Object.entries(errors.errors).filter(([key]) => key === prefix || key.startsWith(`${prefix}.`));
    if (entries.length === 0) return undefined;
    return entries.map(([key, message]) => (key === prefix ? message : `${key.slice(prefix.length + 1)}: ${message}`)).join('; ');
  };

  let fields: ReactNode;
  switch (provider) {
    case 'openrouter':
      fields = (
        <PasswordInput
          label="OpenRouter API key"
          placeholder="sk-or-v1-…"
          value={orKey}
          onChange={(e) => setOrKey(e.currentTarget.value)}
          error={errors.of('secret')}
          autoComplete="off"
          required
        />
      );
      break;
    case 'azure':
      fields = (
        <Stack gap="sm">
          <SegmentedControl
            value={azureMode}
            onChange={(v) => setAzureMode(v === 'json' ? 'json' : 'table')}
            data={[
              { value: 'table', label: 'Deployments table' },
              { value: 'json', label: 'Paste JSON' },
            ]}
            aria-label="Azure input mode"
          />
          {azureMode === 'table' ? (
            <Stack gap="xs">
              {azureRows.map((row, index) => {
                const set = (field: keyof AzureRow, value: string) =>
                  setAzureRows((rows) => rows.map((r, i) => (i === index ? { ...r, [field]: value } : r)));
                const err = (field: keyof AzureRow) => errors.errors[`secret.${index}.${field}`];
                return (
                  <Card key={index} withBorder padding="sm">
                    <Group justify="space-between" mb={4}>
                      <Text size="sm" fw={600}>
                        Deployment {index + 1}
                      </Text>
                      {azureRows.length > 1 && (
                        <ActionIcon
                          variant="subtle"
                          color="red"
                          aria-label={`Remove deployment ${index + 1}`}
                          onClick={() => setAzureRows((rows) => rows.filter((_, i) => i !== index))}
                        >
                          <IconTrash size={16} />
                        </ActionIcon>
                      )}
                    </Group>
                    <Group grow align="flex-start" wrap="wrap">
                      <TextInput
                        label="Model slug"
                        placeholder="gpt-4o"
                        value={row.model_slug}
                        onChange={(e) => set('model_slug', e.currentTarget.value)}
                        error={err('model_slug')}
                        miw={180}
                      />
                      <TextInput
                        label="Model id"
                        placeholder="gpt-4o"
                        value={row.model_id}
                        onChange={(e) => set('model_id', e.currentTarget.value)}
                        error={err('model_id')}
                        miw={180}
                      />
                    </Group>
                    <TextInput
                      mt="xs"
                      label="Endpoint URL"
                      placeholder="https://my-resource.openai.azure.com/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21"
                      value={row.endpoint_url}
                      onChange={(e) => set('endpoint_url', e.currentTarget.value)}
                      error={err('endpoint_url')}
                    />
                    <PasswordInput
                      mt="xs"
                      label="API key"
                      value={row.api_key}
                      onChange={(e) => set('api_key', e.currentTarget.value)}
                      error={err('api_key')}
                      autoComplete="off"
                    />
                  </Card>
                );
              })}
              {nested('secret') && !azureRows.some((_, i) => nested(`secret.${i}`)) && (
                <Text c="red" size="sm">
                  {nested('secret')}
                </Text>
              )}
              <Button
                variant="subtle"
                leftSection={<IconPlus size={16} />}
                onClick={() => setAzureRows((rows) => [...rows, emptyAzureRow()])}
                w="fit-content"
              >
                Add a deployment
              </Button>
            </Stack>
          ) : (
            <Textarea
              label="Deployments JSON"
              description="One object or an array of {model_slug, endpoint_url, api_key, model_id}, as in OpenRouter's BYOK format."
              autosize
              minRows={6}
              ff="monospace"
              value={azureJson}
              onChange={(e) => setAzureJson(e.currentTarget.value)}
              error={nested('secret')}
              spellCheck={false}
            />
          )}
        </Stack>
      );
      break;
    case 'bedrock':
      fields = (
        <Stack gap="sm">
          <SegmentedControl
            value={bedrockMode}
            onChange={(v) => setBedrockMode(v === 'accessKey' ? 'accessKey' : 'apiKey')}
            data={[
              { value: 'apiKey', label: 'API key' },
              { value: 'accessKey', label: 'Access key + secret' },
            ]}
            aria-label="Bedrock credential type"
          />
          {bedrockMode === 'apiKey' ? (
            <PasswordInput
              label="Bedrock API key"
              value={bedrockApiKey}
              onChange={(e) => setBedrockApiKey(e.currentTarget.value)}
              error={errors.of('secret.apiKey') ?? (errors.errors['secret'] ? errors.errors['secret'] : undefined)}
              autoComplete="off"
              required
            />
          ) : (
            <Group grow align="flex-start" wrap="wrap">
              <TextInput
                label="Access key id"
                placeholder="AKIA…"
                value={accessKeyId}
                onChange={(e) => setAccessKeyId(e.currentTarget.value)}
                error={errors.of('secret.accessKeyId')}
                autoComplete="off"
                required
                miw={200}
              />
              <PasswordInput
                label="Secret access key"
                value={secretAccessKey}
                onChange={(e) => setSecretAccessKey(e.currentTarget.value)}
                error={errors.of('secret.secretAccessKey')}
                autoComplete="off"
                required
                miw={200}
              />
            </Group>
          )}
          <TextInput
            label="Region"
            placeholder="us-east-1"
            value={bedrockRegion}
            onChange={(e) => setBedrockRegion(e.currentTarget.value)}
            error={errors.of('secret.region')}
            required
          />
        </Stack>
      );
      break;
    case 'vertex':
      fields = (
        <Stack gap="sm">
          <Textarea
            label="Service-account JSON"
            description="Paste the key file Google Cloud gave you, or upload it."
            autosize
            minRows={6}
            maxRows={14}
            ff="monospace"
            value={vertexJson}
            onChange={(e) => setVertexJson(e.currentTarget.value)}
            error={
              Object.entries(errors.errors)
                .filter(([key]) => key.startsWith('secret') && key !== 'secret.region')
                .map(([key, message]) => (key === 'secret' ? message : `${key.slice(7)}: ${message}`))
                .join('; ') || undefined
            }
            spellCheck={false}
          />
          <Group>
            <FileButton
              accept="application/json,.json"
              onChange={(file) => {
                if (file) void file.text().then(setVertexJson);
              }}
            >
              {(props) => (
                <Button variant="default" leftSection={<IconUpload size={16} />} {...props}>
                  Upload JSON key file
                </Button>
              )}
            </FileButton>
          </Group>
          <TextInput
            label="Region"
            description='"global" or a Google Cloud region such as us-central1'
            value={vertexRegion}
            onChange={(e) => setVertexRegion(e.currentTarget.value)}
            error={errors.of('secret.region')}
          />
        </Stack>
      );
      break;
  }

  return (
    <form onSubmit={(e) => void submit(e)} noValidate aria-label={`Add ${PROVIDER_NAMES[provider]} key`}>
      <Stack>
        {fields}
        <TextInput
          label="Label (optional)"
          placeholder="team account"
          value={label}
          onChange={(e) => setLabel(e.currentTarget.value)}
          error={errors.of('label')}
        />
        <Switch
          label="Always use this key"
          checked={alwaysUse}
          onChange={(e) => setAlwaysUse(e.currentTarget.checked)}
          description="Off: if this key fails (rate limit, outage, auth error) the request falls back to the platform key, paid from your credits at the full price. On: the error goes back to you instead and you never pay credits for this provider. Requests on your own key pay a small BYOK fee, waived for the month's free allowance."
        />
        <FormFooter error={errors.form}>
          <Button type="submit" loading={busy}>
            Save {PROVIDER_NAMES[provider]} key
          </Button>
        </FormFooter>
      </Stack>
    </form>
  );
}

function AddProviderKeyModal({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const [provider, setProvider] = useState<ProviderId>('openrouter');
  return (
    <Modal opened={opened} onClose={onClose} title="Add a provider key" size="xl" centered>
      <Text size="sm" c="dimmed" mb="md">
        The key is sealed in your vault in this request; the gateway cannot read it without one of your gateway keys, and no page
        shows it again.
      </Text>
      <Tabs
        value={provider}
        onChange={(v) => setProvider(v === 'azure' || v === 'bedrock' || v === 'vertex' ? v : 'openrouter')}
        keepMounted={false}
      >
        <Tabs.List mb="md">
          {(Object.keys(PROVIDER_NAMES) as ProviderId[]).map((id) => (
            <Tabs.Tab key={id} value={id}>
              {PROVIDER_NAMES[id]}
            </Tabs.Tab>
          ))}
        </Tabs.List>
        {(Object.keys(PROVIDER_NAMES) as ProviderId[]).map((id) => (
          <Tabs.Panel key={id} value={id}>
            <ProviderForm provider={id} onSaved={onClose} />
          </Tabs.Panel>
        ))}
      </Tabs>
    </Modal>
  );
}

function EditLabelModal({ target, onClose }: { target: ProviderKeyView | null; onClose: () => void }) {
  const queryClient = useQueryClient();
  const errors = useFieldErrors();
  const [label, setLabel] = useState('');
  const [loadedFor, setLoadedFor] = useState<string | null>(null);
  if (target && loadedFor !== target.id) {
    setLoadedFor(target.id);
    setLabel(target.label);
    errors.clear();
  }
  const close = () => {
    setLoadedFor(null);
    onClose();
  };
  const save = useMutation({
    mutationFn: (body: UpdateProviderKeyBody) => api.patch<ProviderKeyView>(`/api/provider-keys/${target?.id ?? ''}`, body),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: PROVIDER_KEYS_KEY });
      void queryClient.invalidateQueries({ queryKey: VAULT_AUDIT_KEY });
      notifications.show({ message: 'Label saved', color: 'teal' });
      close();
    },
    onError: (error) => errors.fromError(error, ['label']),
  });
  const submit = (event: SyntheticEvent) => {
    event.preventDefault();
    const body = errors.parse(updateProviderKeyBody, { label });
    if (body) save.mutate(body);
  };
  return (
    <Modal opened={target !== null} onClose={close} title="Edit label" centered>
      <form onSubmit={submit} noValidate>
        <Stack>
          <TextInput
            label="Label"
            description={target ? `${PROVIDER_NAMES[target.provider]} key ${target.hint}. Empty: no label.` : undefined}
            placeholder="team account"
            value={label}
            onChange={(e) => setLabel(e.currentTarget.value)}
            error={errors.of('label')}
            data-autofocus
          />
          <FormFooter error={errors.form}>
            <Button variant="default" onClick={close}>
              Cancel
            </Button>
            <Button type="submit" loading={save.isPending}>
              Save label
            </Button>
          </FormFooter>
        </Stack>
      </form>
    </Modal>
  );
}

export function ProviderKeysPage() {
  const queryClient = useQueryClient();
  const [adding, setAdding] = useState(false);
  const [deleting, setDeleting] = useState<ProviderKeyView | null>(null);
  const [labelling, setLabelling] = useState<ProviderKeyView | null>(null);
  const keys = useQuery({
    queryKey: PROVIDER_KEYS_KEY,
    queryFn: () => api.get<{ data: ProviderKeyView[] }>('/api/provider-keys'),
  });
  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: PROVIDER_KEYS_KEY });
    void queryClient.invalidateQueries({ queryKey: VAULT_AUDIT_KEY });
  };
  const update = useMutation({
    mutationFn: ({ id, body }: { id: string; body: { alwaysUse?: boolean; disabled?: boolean } }) =>
      api.patch<ProviderKeyView>(`/api/provider-keys/${id}`, body),
    onSuccess: refresh,
    onError: (error) => notifications.show({ title: 'Could not update the key', message: error.message, color: 'red' }),
  });
  const remove = useMutation({
    mutationFn: (id: string) => api.delete(`/api/provider-keys/${id}`),
    onSuccess: () => {
      refresh();
      setDeleting(null);
      notifications.show({ message: 'Provider key deleted', color: 'teal' });
    },
  });
  const rows = keys.data?.data ?? [];
  const add = (
    <Button leftSection={<IconPlus size={16} />} onClick={() => setAdding(true)}>
      Add provider key
    </Button>
  );
  return (
    <>
      <PageHeader
        title="Provider keys"
        description="Bring your own OpenRouter, Azure, Bedrock or Vertex credentials. They are tried first for gateway keys with vault access."
        actions={add}
      />
      <QueryTable
        query={keys}
        count={rows.length}
        minWidth={720}
        stickyActions
        empty={
          <EmptyCard
            icon={<IconShieldLock />}
            title="No provider keys"
            description="Requests run on platform keys and are paid from credits. Add your own key to pay your provider directly."
          >
            {add}
          </EmptyCard>
        }
      >
        <Table verticalSpacing="sm" horizontalSpacing="md">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Provider</Table.Th>
              <Table.Th>Key</Table.Th>
              <Table.Th>Last used</Table.Th>
              <Table.Th>Always use</Table.Th>
              <Table.Th>Enabled</Table.Th>
              <Table.Th w={48} />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((key) => (
              <Table.Tr key={key.id} data-provider-row={key.provider}>
                <Table.Td>
                  <Text size="sm" fw={500}>
                    {PROVIDER_NAMES[key.provider]}
                  </Text>
                  {key.label && (
                    <Text size="xs" c="dimmed">
                      {key.label}
                    </Text>
                  )}
                </Table.Td>
                <Table.Td>
                  <Group gap={6}>
                    <Text ff="monospace" size="sm" c="dimmed">
                      {key.hint}
                    </Text>
                    {key.region && (
                      <Badge size="xs" variant="light">
                        {key.region}
                      </Badge>
                    )}
                    {key.modelSlugs.map((slug) => (
                      <Badge key={slug} size="xs" variant="outline">
                        {slug}
                      </Badge>
                    ))}
                  </Group>
                </Table.Td>
                <Table.Td>
                  <Text size="sm">{formatDate(key.lastUsedAt)}</Text>
                </Table.Td>
                <Table.Td>
                  <Switch
                    aria-label={`Always use the ${PROVIDER_NAMES[key.provider]} key ${key.hint}`}
                    checked={key.alwaysUse}
                    onChange={(e) => update.mutate({ id: key.id, body: { alwaysUse: e.currentTarget.checked } })}
                  />
                </Table.Td>
                <Table.Td>
                  <Switch
                    aria-label={`Enable the ${PROVIDER_NAMES[key.provider]} key ${key.hint}`}
                    checked={!key.disabled}
                    onChange={(e) => update.mutate({ id: key.id, body: { disabled: !e.currentTarget.checked } })}
                  />
                </Table.Td>
                <Table.Td>
                  <RowActions name={`the ${PROVIDER_NAMES[key.provider]} key ${key.hint}`}>
                    <Menu.Item leftSection={<IconPencil size={14} />} onClick={() => setLabelling(key)}>
                      Edit label
                    </Menu.Item>
                    <Menu.Divider />
                    <Menu.Item color="red" leftSection={<IconTrash size={14} />} onClick={() => setDeleting(key)}>
                      Delete
                    </Menu.Item>
                  </RowActions>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </QueryTable>
      <VaultPanel />
      <EditLabelModal target={labelling} onClose={() => setLabelling(null)} />
      <AddProviderKeyModal opened={adding} onClose={() => setAdding(false)} />
      <ConfirmModal
        opened={deleting !== null}
        onClose={() => setDeleting(null)}
        title="Delete this provider key?"
        confirmLabel="Delete key"
        onConfirm={() => deleting && remove.mutate(deleting.id)}
        loading={remove.isPending}
        error={remove.error}
      >
        The sealed {deleting ? PROVIDER_NAMES[deleting.provider] : ''} key {deleting?.hint} is destroyed. Requests for this
        provider fall back to platform keys, paid from credits.
      </ConfirmModal>
    </>
  );
}
