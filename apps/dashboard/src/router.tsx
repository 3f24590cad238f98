import { createBrowserRouter, Navigate } from 'react-router';
import { AppLayout } from './components/AppLayout';
import { lazyPage, Suspended } from './components/PageLoader';
import { RequireAdmin } from './components/RequireAdmin';
import { NotFoundPage } from './pages/NotFoundPage';

// Every page is its own chunk (the admin pages one together), so the first load carries only the
// shell and the page at hand; the charts library comes with the pages that draw charts.
const auth = () => import('./pages/AuthPages');
const admin = () => import('./pages/admin');
const LoginPage = lazyPage(auth, (m) => m.LoginPage);
const SignupPage = lazyPage(auth, (m) => m.SignupPage);
const KeysPage = lazyPage(
  () => import('./pages/KeysPage'),
  (m) => m.KeysPage,
);
const ProviderKeysPage = lazyPage(
  () => import('./pages/ProviderKeysPage'),
  (m) => m.ProviderKeysPage,
);
const UsagePage = lazyPage(
  () => import('./pages/UsagePage'),
  (m) => m.UsagePage,
);
const CreditsPage = lazyPage(
  () => import('./pages/CreditsPage'),
  (m) => m.CreditsPage,
);
const QuickstartPage = lazyPage(
  () => import('./pages/QuickstartPage'),
  (m) => m.QuickstartPage,
);
const PlaygroundPage = lazyPage(
  () => import('./pages/PlaygroundPage'),
  (m) => m.PlaygroundPage,
);
const TenantsPage = lazyPage(admin, (m) => m.TenantsPage);
const PricingPage = lazyPage(admin, (m) => m.PricingPage);
const SettingsPage = lazyPage(admin, (m) => m.SettingsPage);
const AliasesPage = lazyPage(admin, (m) => m.AliasesPage);
const AdminAuditPage = lazyPage(admin, (m) => m.AdminAuditPage);

export const router = createBrowserRouter([
  {
    path: '/login',
    element: (
      <Suspended>
        <LoginPage />
      </Suspended>
    ),
  },
  {
    path: '/signup',
    element: (
      <Suspended>
        <SignupPage />
      </Suspended>
    ),
  },
  {
    // AppLayout wraps its outlet in Suspense, so the shell stays while a page loads.
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
