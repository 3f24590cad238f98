import { createBrowserRouter, Navigate } from 'react-router';
import { AppLayout } from './components/AppLayout';
import { RequireAdmin } from './components/RequireAdmin';
import { AdminAuditPage } from './pages/admin/AdminAuditPage';
import { AliasesPage } from './pages/admin/AliasesPage';
import { PricingPage } from './pages/admin/PricingPage';
import { SettingsPage } from './pages/admin/SettingsPage';
import { TenantsPage } from './pages/admin/TenantsPage';
import { LoginPage, SignupPage } from './pages/AuthPages';
import { CreditsPage } from './pages/CreditsPage';
import { KeysPage } from './pages/KeysPage';
import { NotFoundPage } from './pages/NotFoundPage';
import { PlaygroundPage } from './pages/PlaygroundPage';
import { ProviderKeysPage } from './pages/ProviderKeysPage';
import { QuickstartPage } from './pages/QuickstartPage';
import { UsagePage } from './pages/UsagePage';

export const router = createBrowserRouter([
  { path: '/login', element: <LoginPage /> },
  { path: '/signup', element: <SignupPage /> },
  {
    element: <AppLayout />,
    children: [
      { index: true, element: <Navigate to="/keys" replace /> },
      { path: 'keys', element: <KeysPage /> },
      { path: 'provider-keys', element: <ProviderKeysPage /> },
      { path: 'usage', element: <UsagePage /> },
      { path: 'credits', element: <CreditsPage /> },
      { path: 'quickstart', element: <QuickstartPage /> },
      { path: 'playground', element: <PlaygroundPage /> },
      {
        path: 'admin',
        element: <RequireAdmin />,
        children: [
          { index: true, element: <Navigate to="/admin/tenants" replace /> },
          { path: 'tenants', element: <TenantsPage /> },
          { path: 'pricing', element: <PricingPage /> },
          { path: 'settings', element: <SettingsPage /> },
          { path: 'aliases', element: <AliasesPage /> },
          { path: 'audit', element: <AdminAuditPage /> },
        ],
      },
      { path: '*', element: <NotFoundPage /> },
    ],
  },
]);
