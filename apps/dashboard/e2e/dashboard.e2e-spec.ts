import type { Browser, BrowserContext, Page } from 'playwright-core';
import { AccountsService } from '@gw/accounts';
import { Secret } from '@gw/kernel';
import { canary, FakeOpenRouter, fragments } from '@gw/testing';
// Apps have no import alias; the API's own test harness is how every test starts it.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { call, startTestApp, type TestApp } from '../../api/src/testing/test-app';
import { buildDashboard, launchBrowser, pageText, screenshot, WIDTHS } from './harness';

jest.setTimeout(180_000);

const ADMIN_EMAIL = 'root@example.com';
const ADMIN_PASSWORD = 'admin-passphrase-42';
const USER_EMAIL = 'alice@example.com';
const USER_PASSWORD = 'correct-horse-battery';

/**
 * The dashboard in Chromium against the real API (its own database and Redis prefix) and a fake
 * OpenRouter. The tests share one signed-up user and run in order, as a user would click through.
 */
describe('the dashboard', () => {
  let upstream: FakeOpenRouter;
  let sut: TestApp;
  let browser: Browser;
  let userContext: BrowserContext;
  let user: Page;
  let adminContext: BrowserContext;
  let admin: Page;
  const providerSecret = `sk-or-v1-${canary('dash')}`;
  let gatewayKey = '';
  /** Every recovery key and extra gateway key the test has seen: none may stay on a page. */
  const recoveryKeys: string[] = [];
  const otherKeys: string[] = [];

  beforeAll(async () => {
    buildDashboard();
    upstream = await FakeOpenRouter.start();
    sut = await startTestApp({
      worker: true,
      env: {
        OPENROUTER_BASE_URL: upstream.baseUrl,
        OPENROUTER_API_KEY: 'platform-or-key',
        ALLOW_PRIVATE_UPSTREAMS: 'true',
        ADMIN_EMAIL,
        ADMIN_PASSWORD,
      },
    });
    // npm start bootstraps the admin from ADMIN_EMAIL/ADMIN_PASSWORD; the in-process app does not.
    await sut.app.get(AccountsService).ensureAdmin(ADMIN_EMAIL, new Secret(ADMIN_PASSWORD));
    browser = await launchBrowser();
    userContext = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    user = await userContext.newPage();
    adminContext = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    admin = await adminContext.newPage();
    // Fail fast with a useful call log rather than at jest's timeout.
    for (const context of [userContext, adminContext]) context.setDefaultTimeout(10_000);
  });
  afterAll(async () => {
    // Closed even when the browser never started, so a failed launch cannot keep jest running.
    await (browser as Browser | undefined)?.close();
    await sut.close();
    await upstream.close();
  });

  /** In-app navigation: a reload would drop the keys the tab holds in memory. */
  const nav = async (page: Page, label: string, path: string) => {
    await page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name: label, exact: true }).click();
    await page.waitForURL(`**${path}`);
  };

  /** No 12-character window of the provider secret or of the gateway key's secret part is on the page. */
  const expectNoSecrets = async (page: Page, where: string) => {
    const text = await pageText(page);
    // The key's prefix and public id are its hint, shown by design; the part after them is secret.
    const keySecrets = [gatewayKey, ...otherKeys].map((key) => key.slice('gwk_'.length + 12 + 1));
    const leaks = [
      ...fragments(providerSecret.slice('sk-or-v1-'.length), 12),
      ...keySecrets.flatMap((secret) => fragments(secret, 12)),
      ...recoveryKeys.flatMap((key) => fragments(key.slice('gwr_'.length), 12)),
    ].filter((f) => text.includes(f));
    expect({ where, leaks }).toEqual({ where, leaks: [] });
  };

  it('signs up, saves the recovery key, creates a vault key, adds an OpenRouter key and chats on it', async () => {
    await user.goto(`${sut.url}/signup`);
    await screenshot(user, 'signup');
    await user.getByLabel('Email').fill(USER_EMAIL);
    await user.getByLabel(/^Password/).fill(USER_PASSWORD);
    await user.getByRole('button', { name: 'Sign up' }).click();
    await user.getByText('Save your recovery key').waitFor();
    const signupRecoveryKey = await user.locator('[data-secret-reveal]').innerText();
    expect(signupRecoveryKey).toMatch(/^gwr_\S{20,}/);
    recoveryKeys.push(signupRecoveryKey);
    const proceed = user.getByRole('button', { name: 'Continue to the dashboard' });
    expect(await proceed.isDisabled()).toBe(true);
    await user.getByLabel('I saved my recovery key somewhere safe').check();
    await proceed.click();
    await user.waitForURL('**/keys');
    await user.getByText('No API keys yet').waitFor();

    // A key with vault access, granted with the recovery key held in memory since signup.
    await user.getByRole('button', { name: 'Create key' }).first().click();
    const dialog = user.getByRole('dialog');
    await dialog.getByLabel('Name').fill('playground');
    await dialog.getByText('Using the recovery key from your signup').waitFor();
    await dialog.getByRole('button', { name: 'Create key' }).click();
    gatewayKey = await dialog.locator('[data-secret-reveal]').innerText();
    expect(gatewayKey).toMatch(/^gwk_/);
    await dialog.getByRole('button', { name: 'Done' }).click();
    await dialog.waitFor({ state: 'detached' });
    const row = user.locator('[data-key-row="playground"]');
    await row.getByText('Vault').waitFor();
    await expectNoSecrets(user, 'keys');

    await nav(user, 'Provider keys', '/provider-keys');
    await user.getByRole('button', { name: 'Add provider key' }).first().click();
    const modal = user.getByRole('dialog');
    await modal.getByLabel('OpenRouter API key').fill(providerSecret);
    await modal.getByRole('button', { name: 'Save OpenRouter key' }).click();
    await modal.waitFor({ state: 'detached' });
    await user.locator('[data-provider-row="openrouter"]').waitFor();
    await user.getByText('provider_key.created').first().waitFor();
    await expectNoSecrets(user, 'provider-keys');

    await nav(user, 'Playground', '/playground');
    const model = user.getByPlaceholder('Choose a model');
    await model.click();
    await model.fill('openai/gpt-4o-mini');
    await user.getByRole('option', { name: /· openai\/gpt-4o-mini$/ }).click();
    await user.getByLabel('Message').fill('Hello from the browser');
    await user.getByRole('button', { name: 'Send' }).click();
    const cost = user.locator('[data-message-cost]');
    await cost.waitFor({ timeout: 30_000 });
    expect(await cost.innerText()).toMatch(/^\$\d/);
    expect(await user.locator('[data-role="assistant"]').innerText()).toContain('BYOK');
    expect(upstream.requests.length).toBeGreaterThan(0);
    await expectNoSecrets(user, 'playground');

    // The generation record is written by a batched writer; the page polls, draining makes it prompt.
    await sut.drainGenerations();
    await nav(user, 'Usage', '/usage');
    const generation = user.locator('[data-generation]').first();
    await generation.waitFor({ timeout: 30_000 });
    expect(await generation.innerText()).toContain('openai/gpt-4o-mini');
    await generation.getByText('BYOK').waitFor();
    expect(await generation.locator('[data-cost]').innerText()).toMatch(/^\$\d/);
    await generation.click();
    const drawer = user.getByRole('dialog');
    await drawer.getByText('Attempts').waitFor();
    await drawer.getByText(/openrouter · openai\/gpt-4o-mini/).waitFor();
    await user.keyboard.press('Escape');
    await drawer.waitFor({ state: 'detached' });
    await expectNoSecrets(user, 'usage');
  });

  it('lets the admin grant credits and change the BYOK fee, and shows both', async () => {
    await admin.goto(`${sut.url}/keys`);
    await admin.waitForURL('**/login');
    await screenshot(admin, 'login');
    await admin.getByLabel('Email').fill(ADMIN_EMAIL);
    await admin.getByLabel(/^Password/).fill(ADMIN_PASSWORD);
    await admin.getByRole('button', { name: 'Log in' }).click();
    await admin.waitForURL('**/keys');

    await nav(admin, 'Tenants', '/admin/tenants');
    await admin.getByLabel('Search tenants').fill('alice');
    const tenant = admin.locator(`[data-tenant~="${USER_EMAIL}"]`);
    await tenant.waitFor();
    // The search has answered once every row shown matches it.
    await admin.waitForFunction(() =>
      Array.from(document.querySelectorAll('[data-tenant]')).every((row) => row.getAttribute('data-tenant')?.includes('alice')),
    );
    const balance = tenant.locator('[data-balance]');
    const before = Number((await balance.innerText()).replace(/[$,]/g, ''));
    await tenant.getByRole('button', { name: /Actions for/ }).click();
    await admin.getByRole('menuitem', { name: 'Grant credits' }).click();
    const dialog = admin.getByRole('dialog');
    await dialog.getByLabel('Amount (USD)').fill('25');
    await dialog.getByLabel('Reason').fill('welcome credits');
    await dialog.getByRole('button', { name: 'Grant credits' }).click();
    await dialog.waitFor({ state: 'detached' });
    const after = `$${(before + 25).toFixed(2)}`;
    await balance.getByText(after).waitFor();

    await nav(admin, 'Billing settings', '/admin/settings');
    const fee = admin.getByLabel('BYOK fee (%)');
    await fee.fill('7.5');
    await admin.getByRole('button', { name: 'Save settings' }).click();
    await admin.getByText('Saved: BYOK fee 7.5%').waitFor();
    await admin.reload();
    await admin.getByLabel('BYOK fee (%)').waitFor();
    expect(await admin.getByLabel('BYOK fee (%)').inputValue()).toBe('7.5%');
    const token = (await call(sut.url, 'POST', '/api/auth/login', { body: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD } }))
      .body.token as string;
    expect((await call(sut.url, 'GET', '/api/admin/settings', { token })).body.byokFeeRate).toBeCloseTo(0.075, 10);

    await nav(admin, 'Audit log', '/admin/audit');
    await admin
      .getByText(/credits/)
      .first()
      .waitFor();

    // The tenant sees the grant in its balance and ledger.
    await nav(user, 'Credits', '/credits');
    await user.getByTestId('balance').getByText(after).waitFor();
    await user.getByText('welcome credits').waitFor();
  });

  it('rejects bad input in the browser and shows the server’s field errors', async () => {
    // Client-side: each message names the field it belongs to.
    await nav(user, 'API keys', '/keys');
    await user.getByRole('button', { name: 'Create key' }).first().click();
    let dialog = user.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Create key' }).click();
    await dialog.getByText('must not be empty').waitFor();
    expect(await dialog.getByLabel('Name').getAttribute('aria-invalid')).toBe('true');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });

    await nav(user, 'Provider keys', '/provider-keys');
    await user.getByRole('button', { name: 'Add provider key' }).first().click();
    dialog = user.getByRole('dialog');
    await dialog.getByRole('tab', { name: 'Azure OpenAI' }).click();
    await dialog.getByLabel('Model slug').fill('gpt-4o');
    await dialog.getByLabel('Model id').fill('gpt-4o');
    await dialog.getByLabel('API key', { exact: true }).fill('azure-test-key');
    const endpoint = dialog.getByLabel('Endpoint URL');
    await endpoint.fill('not a url');
    await dialog.getByRole('button', { name: 'Save Azure OpenAI key' }).click();
    await dialog.getByText(/must be the full URL of the deployment/).waitFor();
    expect(await endpoint.getAttribute('aria-invalid')).toBe('true');
    // Server-side: a URL with credentials passes the browser's URL check but not the server's.
    await endpoint.fill('https://user:pass@example.com/openai/deployments/x/chat/completions?api-version=2024-10-21');
    await dialog.getByRole('button', { name: 'Save Azure OpenAI key' }).click();
    await dialog.getByText(/^secret\.0\.endpoint_url /).waitFor();
    expect(await endpoint.getAttribute('aria-invalid')).toBe('true');
    await screenshot(user, 'provider-key-error');

    await dialog.getByRole('tab', { name: 'AWS Bedrock' }).click();
    await dialog.getByLabel('Bedrock API key').fill('bedrock-test-key');
    const region = dialog.getByLabel('Region');
    await region.fill('nowhere');
    await dialog.getByRole('button', { name: 'Save AWS Bedrock key' }).click();
    await dialog.getByText('must be an AWS region such as us-east-1').waitFor();
    await region.fill('xx-nowhere-9');
    await dialog.getByRole('button', { name: 'Save AWS Bedrock key' }).click();
    await dialog.getByText(/^secret\.region is not a region/).waitFor();

    await dialog.getByRole('tab', { name: 'Google Vertex AI' }).click();
    await dialog.getByLabel('Service-account JSON').fill('{"type": "user"}');
    await dialog.getByRole('button', { name: 'Save Google Vertex AI key' }).click();
    await dialog.getByText(/type: must be "service_account"/).waitFor();
    await user.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });

    // Admin forms.
    await nav(admin, 'Billing settings', '/admin/settings');
    await admin.getByLabel('BYOK fee (%)').fill('150');
    await admin.getByRole('button', { name: 'Save settings' }).click();
    await admin.getByText(/enter 0 to 100 %/).waitFor();
    await nav(admin, 'Tenants', '/admin/tenants');
    await admin
      .locator(`[data-tenant~="${USER_EMAIL}"]`)
      .getByRole('button', { name: /Actions for/ })
      .click();
    await admin.getByRole('menuitem', { name: 'Grant credits' }).click();
    dialog = admin.getByRole('dialog');
    await dialog.getByLabel('Amount (USD)').fill('5');
    await dialog.getByRole('button', { name: 'Grant credits' }).click();
    await dialog.getByText('must say why').waitFor();
    await admin.keyboard.press('Escape');

    // Sign-up: a malformed email in the browser, a weak password from the server.
    const visitor = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await visitor.newPage();
    await page.goto(`${sut.url}/signup`);
    await page.getByLabel('Email').fill('not-an-email');
    await page.getByLabel(/^Password/).fill('x');
    await page.getByRole('button', { name: 'Sign up' }).click();
    await page.getByText('must be a valid email address').waitFor();
    await page.getByLabel('Email').fill('bob@example.com');
    await page.getByRole('button', { name: 'Sign up' }).click();
    await page.getByText(/password must have at least/).waitFor();
    await visitor.close();
  });

  it('edits a provider key label, issues a new recovery key and rotates the vault keeping a held and a pasted key', async () => {
    const token = (await call(sut.url, 'POST', '/api/auth/login', { body: { email: USER_EMAIL, password: USER_PASSWORD } })).body
      .token as string;
    const chat = (key: string) =>
      call(sut.url, 'POST', '/v1/chat/completions', {
        token: key,
        body: { model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] },
      });
    const [signupRecoveryKey] = recoveryKeys;

    // The label, from the row menu.
    await nav(user, 'Provider keys', '/provider-keys');
    const row = user.locator('[data-provider-row="openrouter"]');
    await row.getByRole('button', { name: /Actions for/ }).click();
    await user.getByRole('menuitem', { name: 'Edit label' }).click();
    let dialog = user.getByRole('dialog');
    await dialog.getByLabel('Label').fill('team account');
    await dialog.getByRole('button', { name: 'Save label' }).click();
    await dialog.waitFor({ state: 'detached' });
    await row.getByText('team account').waitFor();
    expect((await call(sut.url, 'GET', '/api/provider-keys', { token })).body.data[0].label).toBe('team account');
    // More edits through the API, so the vault audit log (paged by 10) has a second page by the end.
    for (const label of ['a', 'b', 'c', 'd', 'team account']) {
      const id = (await call(sut.url, 'GET', '/api/provider-keys', { token })).body.data[0].id as string;
      expect((await call(sut.url, 'PATCH', `/api/provider-keys/${id}`, { token, body: { label } })).status).toBe(200);
    }

    // A new recovery key, proved with the one this tab holds since signup; shown once.
    await user.getByRole('button', { name: 'New recovery key' }).click();
    dialog = user.getByRole('dialog');
    await dialog.getByText('Using the recovery key held in this tab.').waitFor();
    await dialog.getByRole('button', { name: 'Issue a new recovery key' }).click();
    const reveal = dialog.locator('[data-secret-reveal]');
    await reveal.waitFor();
    const newRecoveryKey = await reveal.innerText();
    recoveryKeys.push(newRecoveryKey);
    expect(newRecoveryKey).toMatch(/^gwr_/);
    expect(newRecoveryKey).not.toBe(signupRecoveryKey);
    await screenshot(user, 'vault-new-recovery-key');
    const done = dialog.getByRole('button', { name: 'Done' });
    expect(await done.isDisabled()).toBe(true);
    await dialog.getByLabel('I saved my recovery key somewhere safe').check();
    await done.click();
    await dialog.waitFor({ state: 'detached' });
    await expectNoSecrets(user, 'after a new recovery key');

    // The old key no longer opens the vault: the API says 403, the dialog shows it inline.
    const denied = await call(sut.url, 'POST', '/api/vault/recovery-key', {
      token,
      body: { vaultAccess: { recoveryKey: signupRecoveryKey } },
    });
    expect(denied.status).toBe(403);
    await user.getByRole('button', { name: 'New recovery key' }).click();
    dialog = user.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Enter another' }).click();
    await dialog.getByRole('textbox', { name: 'Recovery key' }).fill(signupRecoveryKey ?? '');
    await dialog.getByRole('button', { name: 'Issue a new recovery key' }).click();
    await dialog.getByText(denied.body.error.message as string).waitFor();
    await screenshot(user, 'vault-recovery-key-denied');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    await expectNoSecrets(user, 'after a refused recovery key');

    // A second key with vault access (granted with the new recovery key the tab now holds), on BYOK.
    await nav(user, 'API keys', '/keys');
    await user.getByRole('button', { name: 'Create key' }).first().click();
    dialog = user.getByRole('dialog');
    await dialog.getByLabel('Name').fill('ci');
    await dialog.getByRole('button', { name: 'Create key' }).click();
    const ciKey = await dialog.locator('[data-secret-reveal]').innerText();
    otherKeys.push(ciKey);
    await dialog.getByRole('button', { name: 'Done' }).click();
    await dialog.waitFor({ state: 'detached' });
    await user.locator('[data-key-row="ci"]').getByText('Vault').waitFor();
    const before = await chat(ciKey);
    expect(before.status).toBe(200);
    expect(before.body.usage.is_byok).toBe(true);

    // A third key with vault access, made through the API: this tab does not hold it.
    const made = await call(sut.url, 'POST', '/api/keys', {
      token,
      body: { name: 'server', vaultAccess: { recoveryKey: newRecoveryKey } },
    });
    expect(made.status).toBe(201);
    const serverKey = made.body.key as string;

    // Rotate, keeping the playground key (held in this tab) and the server key (pasted).
    await nav(user, 'Provider keys', '/provider-keys');
    await user.getByRole('button', { name: 'Rotate vault keys' }).click();
    dialog = user.getByRole('dialog');
    await dialog.getByText('Using the recovery key held in this tab.').waitFor();
    await dialog.locator('[data-rotate-key="playground"]').getByRole('checkbox').check();
    expect(await dialog.locator('[data-rotate-key="ci"]').getByRole('checkbox').isChecked()).toBe(false);
    const serverRow = dialog.locator('[data-rotate-key="server"]');
    await serverRow.getByRole('checkbox').check();
    await dialog.getByRole('button', { name: 'Continue' }).click();
    await serverRow.getByText('Paste this key to keep its access, or untick it').waitFor();
    // Another key of the tenant's, pasted by mistake, is caught before it could keep the wrong key.
    await serverRow.getByLabel('Full key of server').fill(ciKey);
    await dialog.getByRole('button', { name: 'Continue' }).click();
    await serverRow.getByText(/^This is not the key server: it starts gwk_/).waitFor();
    await serverRow.getByLabel('Full key of server').fill(serverKey);
    // The verdict on the old paste goes with it.
    await serverRow.getByText(/^This is not the key/).waitFor({ state: 'detached' });
    await screenshot(user, 'vault-rotate');
    await dialog.getByRole('button', { name: 'Continue' }).click();
    const keepLine = dialog.getByText(/^Keep vault access: /);
    await keepLine.waitFor();
    expect((await keepLine.innerText()).match(/(playground|server) \(/g)?.sort()).toEqual(['playground (', 'server (']);
    await dialog.getByText(/^Lose vault access: ci \(/).waitFor();
    await dialog.getByRole('button', { name: 'Rotate vault keys' }).click();
    const result = dialog.locator('[data-rotate-result]');
    await result.waitFor();
    expect(await result.innerText()).toMatch(
      /1 provider key was re-sealed[\s\S]*Kept vault access: (playground \(.*\), server|server \(.*\), playground) \([\s\S]*Lost vault access: ci/,
    );
    const rotatedRecoveryKey = await dialog.locator('[data-secret-reveal]').innerText();
    recoveryKeys.push(rotatedRecoveryKey);
    expect(rotatedRecoveryKey).not.toBe(newRecoveryKey);
    await screenshot(user, 'vault-rotated');
    await dialog.getByLabel('I saved my recovery key somewhere safe').check();
    await dialog.getByRole('button', { name: 'Done' }).click();
    await dialog.waitFor({ state: 'detached' });
    await expectNoSecrets(user, 'after rotation');

    // After rotation: the kept key still opens the provider key; the dropped key has lost vault
    // access, so the router skips the tenant's keys and its request runs on the platform key,
    // paid from credits; the previous recovery key opens nothing.
    const keys = (await call(sut.url, 'GET', '/api/keys', { token })).body.data as { name: string; byok: boolean }[];
    expect(Object.fromEntries(keys.map((key) => [key.name, key.byok]))).toEqual({ playground: true, ci: false, server: true });
    const pastedKept = await chat(serverKey);
    expect(pastedKept.status).toBe(200);
    expect(pastedKept.body.usage.is_byok).toBe(true);
    const kept = await chat(gatewayKey);
    expect(kept.status).toBe(200);
    expect(kept.body.usage.is_byok).toBe(true);
    expect(upstream.requests.at(-1)?.headers['authorization']).toBe(`Bearer ${providerSecret}`);
    const dropped = await chat(ciKey);
    expect(dropped.status).toBe(200);
    expect(dropped.body.usage.is_byok).toBe(false);
    expect(dropped.body.usage.cost).toBeGreaterThan(0);
    expect(upstream.requests.at(-1)?.headers['authorization']).toBe('Bearer platform-or-key');
    const stale = await call(sut.url, 'POST', '/api/vault/recovery-key', {
      token,
      body: { vaultAccess: { recoveryKey: newRecoveryKey } },
    });
    expect(stale.status).toBe(403);
    await nav(user, 'API keys', '/keys');
    await user.locator('[data-key-row="ci"]').getByText('Credits only').waitFor();

    const total = ((await call(sut.url, 'GET', '/api/vault/audit?limit=200', { token })).body.data as unknown[]).length;
    expect(total).toBeGreaterThan(10);
    await nav(user, 'Provider keys', '/provider-keys');
    const auditRows = user.locator('[data-audit-row]');
    await user.getByText('vault.rotated').first().waitFor();
    expect(await auditRows.count()).toBe(10);
    await user.getByRole('button', { name: 'Load more' }).click();
    await auditRows.nth(10).waitFor();
    expect(await auditRows.count()).toBe(Math.min(total, 20));
    await user.getByText('vault.recovery_key_regenerated').first().waitFor();
    await expectNoSecrets(user, 'provider keys after the vault changes');
  });

  it('shows no secret on any page and renders every page at desktop and phone widths', async () => {
    const memberPages: [string, string, string][] = [
      ['API keys', '/keys', 'keys'],
      ['Provider keys', '/provider-keys', 'provider-keys'],
      ['Usage', '/usage', 'usage'],
      ['Credits', '/credits', 'credits'],
      ['Quickstart', '/quickstart', 'quickstart'],
      ['Playground', '/playground', 'playground'],
    ];
    for (const [label, path, name] of memberPages) {
      await nav(user, label, path);
      await user.getByRole('heading', { level: 2 }).first().waitFor();
      await user.waitForLoadState('networkidle').catch(() => undefined);
      await expectNoSecrets(user, name);
      await screenshot(user, name);
    }
    const adminPages: [string, string, string][] = [
      ['Tenants', '/admin/tenants', 'admin-tenants'],
      ['Pricing', '/admin/pricing', 'admin-pricing'],
      ['Billing settings', '/admin/settings', 'admin-settings'],
      ['Model aliases', '/admin/aliases', 'admin-aliases'],
      ['Audit log', '/admin/audit', 'admin-audit'],
    ];
    for (const [label, path, name] of adminPages) {
      await nav(admin, label, path);
      await admin.getByRole('heading', { level: 2 }).first().waitFor();
      await expectNoSecrets(admin, name);
      await screenshot(admin, name);
    }
    // On a phone the wide tables scroll sideways, but each row's actions stay in view.
    await user.setViewportSize(WIDTHS[1]);
    for (const [label, path, selector] of [
      ['API keys', '/keys', '[data-key-row="playground"]'],
      ['Provider keys', '/provider-keys', '[data-provider-row="openrouter"]'],
    ] as const) {
      // Below `sm` the navigation sits behind the burger.
      await user.getByRole('button', { name: 'Toggle navigation' }).click();
      await nav(user, label, path);
      const actions = user.locator(selector).getByRole('button', { name: /Actions for/ });
      const box = await actions.boundingBox();
      expect(box && box.x >= 0 && box.x + box.width <= WIDTHS[1].width).toBe(true);
      await actions.click();
      await user.getByRole('menuitem').first().waitFor();
      await user.keyboard.press('Escape');
    }
    await user.setViewportSize(WIDTHS[0]);

    // The dark scheme too, once.
    await user.getByRole('button', { name: 'Switch to dark mode' }).click();
    await nav(user, 'Usage', '/usage');
    await screenshot(user, 'usage-dark');
    await user.getByRole('button', { name: 'Switch to light mode' }).click();

    // A page load from scratch holds nothing either: the keys lived in the old tab's memory.
    await user.reload();
    await user.getByRole('heading', { name: 'Usage' }).waitFor();
    await expectNoSecrets(user, 'usage after reload');
  });

  it('serves the SPA for page paths and keeps JSON 404s for API paths', async () => {
    const page = await call(sut.url, 'GET', '/usage');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const api = await call(sut.url, 'GET', '/api/nope');
    expect(api.status).toBe(404);
    expect(api.body.error.code).toBe(404);
    expect((await call(sut.url, 'GET', '/assets/missing.js')).status).toBe(404);
    // Pages load lazily: the first load carries no page and no charts code.
    const html = page.body as string;
    expect(html).not.toMatch(/charts-|UsagePage-|admin-/);
    const entry = /src="(\/assets\/index-[^"]+\.js)"/.exec(html)?.[1];
    expect(entry).toBeDefined();
    expect((await call(sut.url, 'GET', entry ?? '')).status).toBe(200);
    expect((await call(sut.url, 'GET', '/.sources')).status).toBe(200);
    expect((await call(sut.url, 'GET', '/.sources')).headers.get('content-type')).toContain('text/html');
  });
});
