// The admin pages as one module, so the router loads them as one chunk that members never fetch.
export { AdminAuditPage } from './AdminAuditPage';
export { AliasesPage } from './AliasesPage';
export { PricingPage } from './PricingPage';
export { SettingsPage } from './SettingsPage';
export { TenantsPage } from './TenantsPage';
