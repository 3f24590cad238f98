import { Alert, Anchor, Button, Center, Group, Paper, PasswordInput, Stack, Text, TextInput, Title } from '@mantine/core';
import { credentialsBody, type SessionResponse } from '@gw/contracts';
import { IconAlertTriangle } from '@tabler/icons-react';
import { useQueryClient } from '@tanstack/react-query';
import { type ReactNode, useState, type SyntheticEvent } from 'react';
import { Link, useLocation, useNavigate } from 'react-router';
import { api } from '../api/client';
import { ME_KEY } from '../api/session';
import { Brand, ColorSchemeToggle } from '../components/AppLayout';
import { RecoveryKeyReveal } from '../components/RecoveryKeyReveal';
import { useFieldErrors } from '../lib/field-errors';
import { memorySecrets } from '../lib/memory-secrets';

function AuthFrame({ title, subtitle, children }: { title: string; subtitle: ReactNode; children: ReactNode }) {
  return (
    <Center mih="100vh" p="md" bg="var(--mantine-color-body)">
      <Stack w="100%" maw={440} gap="lg">
        <Group justify="space-between">
          <Brand />
          <ColorSchemeToggle />
        </Group>
        <Paper withBorder shadow="sm" p={{ base: 'lg', sm: 'xl' }} radius="lg">
          <Title order={2} mb={4}>
            {title}
          </Title>
          <Text c="dimmed" size="sm" mb="lg">
            {subtitle}
          </Text>
          {children}
        </Paper>
      </Stack>
    </Center>
  );
}

function useCredentialsForm(path: '/api/auth/login' | '/api/auth/signup', onDone: (session: SessionResponse) => void) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const errors = useFieldErrors();
  const submit = async (event: SyntheticEvent) => {
    event.preventDefault();
    const parsed = credentialsBody.safeParse({ email, password });
    if (!parsed.success) return errors.fromZod(parsed.error);
    errors.clear();
    setBusy(true);
    try {
      onDone(await api.post<SessionResponse>(path, parsed.data));
    } catch (error) {
      errors.fromError(error, ['email', 'password']);
    } finally {
      setBusy(false);
    }
  };
  const fields = (
    <>
      <TextInput
        label="Email"
        type="email"
        autoComplete="email"
        value={email}
        onChange={(e) => setEmail(e.currentTarget.value)}
        error={errors.of('email')}
        required
        data-autofocus
      />
      <PasswordInput
        label="Password"
        autoComplete={path === '/api/auth/signup' ? 'new-password' : 'current-password'}
        value={password}
        onChange={(e) => setPassword(e.currentTarget.value)}
        error={errors.of('password')}
        description={path === '/api/auth/signup' ? 'At least 10 characters; a passphrase works well.' : undefined}
        required
      />
      {errors.form && (
        <Alert color="red" icon={<IconAlertTriangle size={16} />} role="alert">
          {errors.form}
        </Alert>
      )}
    </>
  );
  return { submit, fields, busy };
}

export function LoginPage() {
  const navigate = useNavigate();
  const location = useLocation();
  const queryClient = useQueryClient();
  const from = (location.state as { from?: string } | null)?.from;
  const { submit, fields, busy } = useCredentialsForm('/api/auth/login', (session) => {
    queryClient.setQueryData(ME_KEY, { user: session.user, tenant: session.tenant });
    void navigate(from && from !== '/login' ? from : '/keys', { replace: true });
  });
  return (
    <AuthFrame title="Log in" subtitle="Welcome back. Manage keys, usage and credits.">
      <form onSubmit={(e) => void submit(e)} noValidate>
        <Stack>
          {fields}
          <Button type="submit" loading={busy} fullWidth>
            Log in
          </Button>
          <Text size="sm" ta="center">
            No account yet?{' '}
            <Anchor component={Link} to="/signup">
              Sign up
            </Anchor>
          </Text>
        </Stack>
      </form>
    </AuthFrame>
  );
}

export function SignupPage() {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [recoveryKey, setRecoveryKey] = useState<string | null>(null);
  const { submit, fields, busy } = useCredentialsForm('/api/auth/signup', (session) => {
    queryClient.setQueryData(ME_KEY, { user: session.user, tenant: session.tenant });
    if (session.recoveryKey) {
      memorySecrets.setRecoveryKey(session.recoveryKey);
      setRecoveryKey(session.recoveryKey);
    } else {
      void navigate('/keys', { replace: true });
    }
  });

  if (recoveryKey) {
    return (
      <AuthFrame title="Save your recovery key" subtitle="It is shown once. Nobody, including us, can show it again.">
        <RecoveryKeyReveal
          recoveryKey={recoveryKey}
          doneLabel="Continue to the dashboard"
          onDone={() => void navigate('/keys', { replace: true })}
        />
      </AuthFrame>
    );
  }

  return (
    <AuthFrame title="Create your account" subtitle="One account, one tenant. Bring your own provider keys or use credits.">
      <form onSubmit={(e) => void submit(e)} noValidate>
        <Stack>
          {fields}
          <Button type="submit" loading={busy} fullWidth>
            Sign up
          </Button>
          <Text size="sm" ta="center">
            Already have an account?{' '}
            <Anchor component={Link} to="/login">
              Log in
            </Anchor>
          </Text>
        </Stack>
      </form>
    </AuthFrame>
  );
}
