import {
  ActionIcon,
  AppShell,
  Alert,
  Burger,
  Center,
  Group,
  Loader,
  Menu,
  NavLink,
  ScrollArea,
  Text,
  Tooltip,
  UnstyledButton,
  useComputedColorScheme,
  useMantineColorScheme,
} from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import {
  IconAdjustments,
  IconBolt,
  IconBook,
  IconChartBar,
  IconChevronDown,
  IconCoin,
  IconKey,
  IconListDetails,
  IconLogout,
  IconMessageChatbot,
  IconMoon,
  IconReplace,
  IconSettings,
  IconShieldLock,
  IconSun,
  IconUsers,
} from '@tabler/icons-react';
import { useQueryClient } from '@tanstack/react-query';
import { Suspense, useEffect, type ReactNode } from 'react';
import { Link, Navigate, Outlet, useLocation, useNavigate } from 'react-router';
import { ApiError, api } from '../api/client';
import { useMe } from '../api/session';
import { memorySecrets } from '../lib/memory-secrets';
import { PageLoader } from './PageLoader';

interface NavItem {
  to: string;
  label: string;
  icon: ReactNode;
}

const MEMBER_NAV: NavItem[] = [
  { to: '/keys', label: 'API keys', icon: <IconKey size={18} /> },
  { to: '/provider-keys', label: 'Provider keys', icon: <IconShieldLock size={18} /> },
  { to: '/usage', label: 'Usage', icon: <IconChartBar size={18} /> },
  { to: '/credits', label: 'Credits', icon: <IconCoin size={18} /> },
  { to: '/quickstart', label: 'Quickstart', icon: <IconBook size={18} /> },
  { to: '/playground', label: 'Playground', icon: <IconMessageChatbot size={18} /> },
];

const ADMIN_NAV: NavItem[] = [
  { to: '/admin/tenants', label: 'Tenants', icon: <IconUsers size={18} /> },
  { to: '/admin/pricing', label: 'Pricing', icon: <IconCoin size={18} /> },
  { to: '/admin/settings', label: 'Billing settings', icon: <IconAdjustments size={18} /> },
  { to: '/admin/aliases', label: 'Model aliases', icon: <IconReplace size={18} /> },
  { to: '/admin/audit', label: 'Audit log', icon: <IconListDetails size={18} /> },
];

export function ColorSchemeToggle() {
  const { setColorScheme } = useMantineColorScheme();
  const computed = useComputedColorScheme('light', { getInitialValueInEffect: true });
  const next = computed === 'dark' ? 'light' : 'dark';
  return (
    <Tooltip label={`Switch to ${next} mode`}>
      <ActionIcon variant="default" size="lg" aria-label={`Switch to ${next} mode`} onClick={() => setColorScheme(next)}>
        {computed === 'dark' ? <IconSun size={18} /> : <IconMoon size={18} />}
      </ActionIcon>
    </Tooltip>
  );
}

export function Brand() {
  return (
    <Group gap={8} wrap="nowrap">
      <IconBolt size={22} color="var(--mantine-color-indigo-6)" aria-hidden />
      <Text fw={700} size="lg">
        LLM Gateway
      </Text>
    </Group>
  );
}

export function AppLayout() {
  const [opened, { toggle, close }] = useDisclosure(false);
  const me = useMe();
  const location = useLocation();
  const navigate = useNavigate();
  const queryClient = useQueryClient();

  // Closing the drawer-like navbar after navigating is what phone users expect.
  useEffect(() => close(), [location.pathname, close]);

  if (me.isPending) {
    return (
      <Center h="100vh">
        <Loader aria-label="Loading" />
      </Center>
    );
  }
  if (me.error instanceof ApiError && me.error.status === 401) {
    return <Navigate to="/login" replace state={{ from: location.pathname }} />;
  }
  if (me.isError) {
    return (
      <Center h="100vh" p="md">
        <Alert color="red" title="The dashboard could not load your account">
          {me.error.message} Reload the page to try again.
        </Alert>
      </Center>
    );
  }

  const user = me.data.user;
  const logout = async () => {
    try {
      await api.post('/api/auth/logout');
    } finally {
      memorySecrets.clear();
      queryClient.clear();
      void navigate('/login', { replace: true });
    }
  };

  const renderNav = (items: NavItem[]) =>
    items.map((item) => (
      <NavLink
        key={item.to}
        component={Link}
        to={item.to}
        label={item.label}
        leftSection={item.icon}
        active={location.pathname === item.to || location.pathname.startsWith(`${item.to}/`)}
        variant="light"
        style={{ borderRadius: 'var(--mantine-radius-md)' }}
      />
    ));

  return (
    <AppShell
      header={{ height: 60 }}
      navbar={{ width: 250, breakpoint: 'sm', collapsed: { mobile: !opened } }}
      padding={{ base: 'md', sm: 'xl' }}
    >
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Toggle navigation" />
            <Brand />
          </Group>
          <Group gap="xs" wrap="nowrap">
            <ColorSchemeToggle />
            <Menu position="bottom-end" width={240}>
              <Menu.Target>
                <UnstyledButton aria-label="Account menu" px="xs" py={6} style={{ borderRadius: 8 }}>
                  <Group gap={6} wrap="nowrap">
                    <Text size="sm" fw={500} visibleFrom="xs" truncate maw={200}>
                      {user.email}
                    </Text>
                    <IconChevronDown size={14} />
                  </Group>
                </UnstyledButton>
              </Menu.Target>
              <Menu.Dropdown>
                <Menu.Label>
                  {me.data.tenant.name} · {user.role}
                </Menu.Label>
                <Menu.Item leftSection={<IconLogout size={16} />} onClick={() => void logout()}>
                  Log out
                </Menu.Item>
              </Menu.Dropdown>
            </Menu>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="sm" aria-label="Main navigation">
        <AppShell.Section grow component={ScrollArea}>
          {renderNav(MEMBER_NAV)}
          {user.role === 'admin' && (
            <>
              <Group gap={6} mt="lg" mb={4} px="sm">
                <IconSettings size={14} color="var(--mantine-color-dimmed)" />
                <Text size="xs" fw={700} c="dimmed" tt="uppercase">
                  Admin
                </Text>
              </Group>
              {renderNav(ADMIN_NAV)}
            </>
          )}
        </AppShell.Section>
        <AppShell.Section>
          <Text size="xs" c="dimmed" px="sm" py="xs">
            {me.data.tenant.name}
          </Text>
        </AppShell.Section>
      </AppShell.Navbar>
      <AppShell.Main>
        {me.data.tenant.disabled && (
          <Alert color="red" mb="md" title="This account is disabled">
            API calls and changes are refused. Contact the operator of this gateway.
          </Alert>
        )}
        <div style={{ maxWidth: 1100, margin: '0 auto' }}>
          <Suspense fallback={<PageLoader />}>
            <Outlet />
          </Suspense>
        </div>
      </AppShell.Main>
    </AppShell>
  );
}
