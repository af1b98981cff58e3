import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { loadAppConfig } from '@app/config';
import { passwordResetMessage } from './mail-messages';
import { MailService } from './mail.service';

const TOKEN = 'secret-token-VALUE_123';
const ADDRESS = 'grace@example.com';

function service(env: Record<string, string>): MailService {
  return new MailService(loadAppConfig({ PUBLIC_URL: 'https://auth.example.com/', ...env }));
}

function resetMail(mail: MailService) {
  return {
    kind: 'password_reset' as const,
    userId: 'user-1',
    message: passwordResetMessage(ADDRESS, 'Grace', mail.link('/reset-password', TOKEN), 30),
  };
}

describe('MailService', () => {
  let logged: unknown[];

  beforeEach(() => {
    logged = [];
    for (const level of ['log', 'warn', 'error'] as const) {
      jest.spyOn(Logger.prototype, level).mockImplementation((...args: unknown[]) => {
        logged.push(args[0]);
      });
    }
  });

  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('builds links from PUBLIC_URL only, without a doubled slash', () => {
    expect(service({}).link('/verify-email', 'a b')).toBe(
      'https://auth.example.com/verify-email?token=a%20b',
    );
  });

  it('writes an .eml file without SMTP_HOST and logs its path, never the token', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'fm-mail-'));
    try {
      const mail = service({ DATA_DIR: dataDir });
      await mail.send(resetMail(mail));

      expect(logged).toEqual([
        expect.objectContaining({ event: 'mail_written', kind: 'password_reset' }),
      ]);
      const { path } = logged[0] as { path: string };
      expect(path.startsWith(join(dataDir, 'mail'))).toBe(true);
      expect(await readFile(path, 'utf8')).toContain(TOKEN);
      expect(JSON.stringify(logged)).not.toContain(TOKEN);
      expect(JSON.stringify(logged)).not.toContain(ADDRESS);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('logs a failed SMTP send with codes only and does not throw', async () => {
    // Nothing listens on port 1 of the loopback address.
    const mail = service({ DATA_DIR: 'memory', SMTP_HOST: '127.0.0.1', SMTP_PORT: '1' });

    await expect(mail.send(resetMail(mail))).resolves.toBeUndefined();

    expect(logged).toEqual([
      expect.objectContaining({ event: 'mail_failed', user_id: 'user-1', error_code: 'ESOCKET' }),
    ]);
    expect(JSON.stringify(logged)).not.toContain(TOKEN);
    expect(JSON.stringify(logged)).not.toContain(ADDRESS);
    await mail.beforeApplicationShutdown();
  });
});
