import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { Transporter, createTransport } from 'nodemailer';
import { APP_CONFIG, AppConfig } from '@app/config';
import { MailKind, MailMessage, OutgoingMail } from './mail-messages';

/** How mail leaves the service. */
type Delivery =
  | { kind: 'smtp'; transport: Transporter }
  | { kind: 'file'; transport: Transporter; folder: string }
  | { kind: 'none' };

/** An SMTP server that does not answer within these bounds fails the send, not the service. */
const SMTP_TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 };

/**
 * Sends the service's mails: through SMTP when `SMTP_HOST` is set; otherwise (never in
 * production) as `.eml` files under `DATA_DIR/mail` for the developer to open, or nowhere with
 * `DATA_DIR=memory`. Callers hand a mail over after their transaction committed; a failure is
 * logged and never reaches the caller, so it cannot undo or corrupt the change.
 */
@Injectable()
export class MailService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(MailService.name);
  private readonly delivery: Delivery;
  private readonly from: string;
  private readonly publicUrl: string;
  private readonly pending = new Set<Promise<void>>();
  /** False in production without SMTP_HOST: routes that exist to mail a link answer 503. */
  readonly available: boolean;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.from = config.mail.from;
    this.publicUrl = config.http.publicUrl;
    this.available = config.mail.available;
    this.delivery = this.available ? chooseDelivery(config) : { kind: 'none' };
  }

  onApplicationBootstrap(): void {
    if (this.available) return;
    this.logger.warn(
      'SMTP_HOST is not set: password reset and email verification mails cannot be sent ' +
        '(their routes answer 503 AUTH_MAIL_UNAVAILABLE); set SMTP_HOST and PUBLIC_URL',
    );
  }

  /**
   * A link to a page of the public URL carrying a one-time token. Built only from
   * `PUBLIC_URL`, never from the request, so a forged Host header cannot send a user's token
   * to another site.
   */
  link(path: string, token: string): string {
    return `${this.publicUrl}${path}?token=${encodeURIComponent(token)}`;
  }

  /**
   * Sends in the background: the caller's answer does not wait for the mail server, so it
   * takes as long whether or not a mail was due (no account enumeration by timing).
   */
  dispatch(mail: OutgoingMail): void {
    const sending = this.send(mail).finally(() => this.pending.delete(sending));
    this.pending.add(sending);
  }

  /** Sends one mail; resolves either way, logging the outcome with ids only. */
  async send({ kind, userId, message }: OutgoingMail): Promise<void> {
    const mail = { from: this.from, ...message };
    try {
      switch (this.delivery.kind) {
        case 'smtp': {
          const info = (await this.delivery.transport.sendMail(mail)) as { messageId?: string };
          this.logger.log({
            event: 'mail_sent',
            kind,
            user_id: userId,
            message_id: info.messageId,
          });
          return;
        }
        case 'file': {
          const path = await this.writeFile(this.delivery, kind, mail);
          // The path, never the content: the mail holds a one-time token.
          this.logger.log({ event: 'mail_written', kind, user_id: userId, path });
          return;
        }
        case 'none':
          this.logger.warn({ event: 'mail_not_delivered', kind, user_id: userId });
          return;
      }
    } catch (error) {
      // Only codes: a server's reply text can quote the recipient's address.
      const { code, responseCode } = (error ?? {}) as { code?: string; responseCode?: number };
      this.logger.error({
        event: 'mail_failed',
        kind,
        user_id: userId,
        error_code: code,
        response_code: responseCode,
      });
    }
  }

  /** Lets mails already handed over finish before the process stops. */
  async beforeApplicationShutdown(): Promise<void> {
    await Promise.allSettled([...this.pending]);
    if (this.delivery.kind !== 'none') this.delivery.transport.close();
  }

  private async writeFile(
    delivery: Extract<Delivery, { kind: 'file' }>,
    kind: MailKind,
    mail: MailMessage & { from: string },
  ): Promise<string> {
    const info = (await delivery.transport.sendMail(mail)) as { message: Buffer };
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const path = join(delivery.folder, `${stamp}-${kind}-${randomBytes(4).toString('hex')}.eml`);
    await mkdir(delivery.folder, { recursive: true, mode: 0o700 });
    // Readable by the owner only: the file holds a live token.
    await writeFile(path, info.message, { mode: 0o600 });

    return path;
  }
}

function chooseDelivery(config: AppConfig): Delivery {
  const smtp = config.mail.smtp;
  if (smtp) {
    return {
      kind: 'smtp',
      transport: createTransport({
        host: smtp.host,
        port: smtp.port,
        secure: smtp.secure,
        requireTLS: smtp.requireTls,
        auth: smtp.username ? { user: smtp.username, pass: smtp.password ?? '' } : undefined,
        ...SMTP_TIMEOUTS,
      }),
    };
  }
  if (config.dataDir === 'memory') return { kind: 'none' };

  return {
    kind: 'file',
    transport: createTransport({ streamTransport: true, buffer: true, newline: 'unix' }),
    folder: resolve(config.dataDir, 'mail'),
  };
}
