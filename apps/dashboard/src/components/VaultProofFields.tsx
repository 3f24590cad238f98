import { Anchor, PasswordInput, SegmentedControl, Select, Stack, Text } from '@mantine/core';
import type { VaultAccessProof } from '@gw/contracts';
import { useState } from 'react';
import { useKeys } from '../hooks/useKeys';
import { useMemorySecrets } from '../lib/memory-secrets';

const PASTE = 'paste';

/**
 * How a vault action proves access: the recovery key (the one this tab holds, or typed) or a
 * gateway key with vault access (one created in this tab, or pasted). Held secrets are used from
 * memory and never put into an input, so they never reach the DOM.
 */
export function useVaultProof() {
  const secrets = useMemorySecrets();
  const keys = useKeys();
  const [mode, setMode] = useState<'recovery' | 'gateway'>('recovery');
  const [useHeld, setUseHeld] = useState(true);
  const [typed, setTyped] = useState('');
  const [choice, setChoice] = useState<string | null>(null);

  const vaultIds = new Set((keys.data?.data ?? []).filter((key) => key.byok && !key.disabled).map((key) => key.id));
  const heldKeys = secrets.keys.filter((key) => vaultIds.has(key.id));
  const selected = choice === PASTE ? undefined : (heldKeys.find((key) => key.id === choice) ?? heldKeys[0]);
  const heldRecovery = useHeld ? secrets.recoveryKey : null;

  let proof: VaultAccessProof | null = null;
  if (mode === 'recovery') {
    if (heldRecovery) proof = { recoveryKey: heldRecovery };
    else if (typed.trim()) proof = { recoveryKey: typed.trim() };
  } else if (selected) {
    proof = { gatewayKey: selected.secret };
  } else if (typed.trim()) {
    proof = { gatewayKey: typed.trim() };
  }

  const reset = () => {
    setMode('recovery');
    setUseHeld(true);
    setTyped('');
    setChoice(null);
  };

  const fields = (error: string | undefined) => (
    <Stack gap="xs">
      <SegmentedControl
        value={mode}
        onChange={(value) => {
          setMode(value === 'gateway' ? 'gateway' : 'recovery');
          setTyped('');
        }}
        data={[
          { value: 'recovery', label: 'Recovery key' },
          { value: 'gateway', label: 'Gateway key' },
        ]}
        aria-label="Prove vault access with"
      />
      {mode === 'recovery' && heldRecovery && (
        <Text size="sm" c="dimmed">
          Using the recovery key held in this tab.{' '}
          <Anchor component="button" type="button" size="sm" onClick={() => setUseHeld(false)}>
            Enter another
          </Anchor>
          {error && (
            <Text component="span" c="red" size="sm" display="block">
              {error}
            </Text>
          )}
        </Text>
      )}
      {mode === 'recovery' && !heldRecovery && (
        <PasswordInput
          label="Recovery key"
          placeholder="gwr_…"
          value={typed}
          onChange={(e) => setTyped(e.currentTarget.value)}
          error={error}
          autoComplete="off"
        />
      )}
      {mode === 'gateway' && heldKeys.length > 0 && (
        <Select
          label="Gateway key with vault access"
          data={[
            ...heldKeys.map((key) => ({ value: key.id, label: `${key.name} (${key.hint}), held in this tab` })),
            { value: PASTE, label: 'Another key: paste it' },
          ]}
          value={selected?.id ?? PASTE}
          onChange={setChoice}
          allowDeselect={false}
          error={selected ? error : undefined}
        />
      )}
      {mode === 'gateway' && !selected && (
        <PasswordInput
          label="Gateway key"
          description="A key of this account that has vault access. It is sent once and not stored."
          placeholder="gwk_…"
          value={typed}
          onChange={(e) => setTyped(e.currentTarget.value)}
          error={error}
          autoComplete="off"
        />
      )}
    </Stack>
  );

  /** The gateway key id the proof belongs to, when known: rotation keeps that key's access anyway. */
  const proofKeyId = mode === 'gateway' ? (selected?.id ?? null) : null;
  return { proof, proofKeyId, mode, reset, fields };
}
