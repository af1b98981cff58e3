import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Browser, Page, chromium } from 'playwright-core';
import { Actor, createMember } from './support/admin';
import { createOrganization, uniqueDomain, uniqueEmail } from './support/factories';
import { TestApp, startTestApp } from './support/test-app';

/**
 * Debian's chromium. CI installs it and sets REQUIRE_CHROMIUM (.ci/run), so there its absence
 * is a failure; on a developer's machine without it the suite is skipped with a note, so that
 * `npm test` passes on a fresh machine too.
 */
const CHROMIUM = '/usr/bin/chromium';
const describeBrowser =
  existsSync(CHROMIUM) || process.env.REQUIRE_CHROMIUM ? describe : describe.skip;
if (!existsSync(CHROMIUM) && !process.env.REQUIRE_CHROMIUM) {
  process.stderr.write(
    `Skipping the Swagger UI browser test: ${CHROMIUM} is missing (apt-get install chromium).` +
      '\n',
  );
}

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** How long one step in the page (a click, a response to show up) may take. */
const STEP_MS = 15_000;

/** Booting the app and the browser, or walking the page, may outlast Jest's default. */
const SLOW_MS = 60_000;

describeBrowser('Swagger UI', () => {
  let t: TestApp | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let baseUrl: string;
  let owner: Actor;
  let members: Actor[];
  /** What the browser reported about the page: console errors and refused resources. */
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `${CHROMIUM} is missing. Install Debian's chromium ` +
          '(apt-get install -y chromium), as .ci/run does before the tests.',
      );
    }
    t = await startTestApp();
    await t.app.listen(0, '127.0.0.1');
    baseUrl = `http://127.0.0.1:${(t.server.address() as AddressInfo).port}`;

    const organization = await createOrganization(t.dataSource);
    const domain = uniqueDomain('swagger');
    owner = await createMember(t.server, t.dataSource, organization.id, ['owner'], {
      email: uniqueEmail('owner', domain),
    });
    members = [];
    for (const label of ['ada', 'grace', 'linus']) {
      members.push(
        await createMember(t.server, t.dataSource, organization.id, ['member'], {
          email: uniqueEmail(label, domain),
        }),
      );
    }

    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    page = await browser.newPage();
    page.setDefaultTimeout(STEP_MS);
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('requestfailed', (failed) =>
      pageErrors.push(`${failed.url()}: ${failed.failure()?.errorText ?? 'failed'}`),
    );
  }, SLOW_MS);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  /** Runs the steps; on failure saves a screenshot to a temp dir and names it in the error. */
  async function withScreenshotOnFailure(name: string, steps: () => Promise<void>): Promise<void> {
    try {
      await steps();
    } catch (error) {
      const file = join(await mkdtemp(join(tmpdir(), 'fm-swagger-ui-')), `${name}.png`);
      await page.screenshot({ path: file, fullPage: true }).catch(() => undefined);
      if (error instanceof Error) {
        const note = `\nScreenshot: ${file}`;
        error.stack = error.stack?.replace(error.message, `${error.message}${note}`);
        error.message += note;
      }
      throw error;
    }
  }

  it(
    "lists the organization's members for its owner through Authorize, Try it out and Execute",
    async () => {
      await withScreenshotOnFailure('list-members', async () => {
        await page.goto(`${baseUrl}/enterprise/docs`);

        await page.locator('.auth-wrapper button.authorize').click();
        const dialog = page.locator('.modal-ux');
        await dialog.locator('input').first().fill(owner.token);
        // Swagger UI labels its buttons for screen readers ("Apply credentials"): match the text.
        await dialog.locator('button', { hasText: /^Authorize$/ }).click();
        await dialog.locator('button', { hasText: /^Close$/ }).click();

        const operation = page.locator('#operations-members-MembersController_list');
        await operation.locator('.opblock-summary').click();
        await operation.locator('button', { hasText: /^Try it out\s*$/ }).click();
        await operation.locator('button', { hasText: /^Execute$/ }).click();

        const response = operation.locator('.live-responses-table .response').first();
        const status = (await response.locator('.response-col_status').innerText()).trim();
        const body = await response.locator('.response-col_description pre').first().innerText();

        expect(status).toBe('200');
        for (const member of [owner, ...members]) expect(body).toContain(member.email);
        // A Content-Security-Policy that blocked a script, style or request would show up here.
        expect(pageErrors).toEqual([]);
      });
    },
    SLOW_MS,
  );
});
