import { Alert, Button, Checkbox, Stack } from '@mantine/core';
import { IconAlertTriangle, IconDownload } from '@tabler/icons-react';
import { useState } from 'react';
import { SecretReveal } from './CopyField';

function download(recoveryKey: string): void {
  const blob = new Blob([`LLM Gateway recovery key\n\n${recoveryKey}\n`], { type: 'text/plain' });
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = 'llm-gateway-recovery-key.txt';
  link.click();
  URL.revokeObjectURL(url);
}

/**
 * A recovery key shown once: the warning, the key with copy, a text-file download, and a
 * "saved it" checkbox that must be ticked before `onDone`. The caller unmounts this to drop the key.
 */
export function RecoveryKeyReveal({
  recoveryKey,
  onDone,
  doneLabel,
}: {
  recoveryKey: string;
  onDone: () => void;
  doneLabel: string;
}) {
  const [saved, setSaved] = useState(false);
  return (
    <Stack>
      <Alert color="yellow" icon={<IconAlertTriangle size={16} />}>
        Your provider keys are encrypted so that only your gateway keys or this recovery key can open them. If you lose every key
        with vault access and this recovery key, stored provider keys cannot be recovered.
      </Alert>
      <SecretReveal value={recoveryKey} label="Recovery key" />
      <Button variant="default" leftSection={<IconDownload size={16} />} onClick={() => download(recoveryKey)}>
        Download as a text file
      </Button>
      <Checkbox
        label="I saved my recovery key somewhere safe"
        checked={saved}
        onChange={(e) => setSaved(e.currentTarget.checked)}
      />
      <Button disabled={!saved} onClick={onDone}>
        {doneLabel}
      </Button>
    </Stack>
  );
}
