import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** A mail the test server accepted, parsed. */
export interface ReceivedMail {
  /** Envelope recipients, lower-case. */
  to: string[];
  from: string;
  subject: string;
  text: string;
  html: string;
  /** The whole message as it crossed the wire. */
  raw: string;
}

const USERNAME = 'mailer';
const PASSWORD = 'smtp-test-password';

/**
 * A real SMTP server (smtp-server from npm) on a loopback ephemeral port, requiring the
 * credentials `env()` hands the app. It keeps every mail it accepts; `delayMs` holds the
 * answer to each message and `rejectWith` refuses messages, to play a slow or broken server.
 */
export class TestSmtpServer {
  readonly mails: ReceivedMail[] = [];
  delayMs = 0;
  rejectWith: string | undefined;

  private constructor(
    private readonly server: SMTPServer,
    readonly port: number,
  ) {}

  static async start(): Promise<TestSmtpServer> {
    // The server's callbacks need the instance, which needs the started server.
    const holder: { instance?: TestSmtpServer } = {};
    const server = new SMTPServer({
      secure: false,
      disabledCommands: ['STARTTLS'],
      allowInsecureAuth: true,
      logger: false,
      onAuth(auth, _session, callback) {
        if (auth.username === USERNAME && auth.password === PASSWORD) {
          callback(null, { user: USERNAME });
        } else {
          callback(new Error('Invalid username or password'));
        }
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          void holder.instance?.accept(Buffer.concat(chunks), session, callback);
        });
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.server.address() as AddressInfo).port;
    holder.instance = new TestSmtpServer(server, port);

    return holder.instance;
  }

  /** The variables that point the app at this server. */
  env(): Record<string, string> {
    return {
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: String(this.port),
      SMTP_USERNAME: USERNAME,
      SMTP_PASSWORD: PASSWORD,
      SMTP_REQUIRE_TLS: 'false',
      EMAIL_FROM: 'FaultMaven Test <no-reply@faultmaven.test>',
    };
  }

  /** Mails to this address received so far, those whose subject matches `subject` if given. */
  mailsTo(address: string, subject?: RegExp): ReceivedMail[] {
    return this.mails.filter(
      (mail) => mail.to.includes(address.toLowerCase()) && (!subject || subject.test(mail.subject)),
    );
  }

  /** Waits for the `count`-th mail to this address (whose subject matches) and returns it. */
  async waitForMail(
    address: string,
    subject?: RegExp,
    count = 1,
    timeoutMs = 10_000,
  ): Promise<ReceivedMail> {
    const deadline = Date.now() + timeoutMs;
    while (this.mailsTo(address, subject).length < count) {
      if (Date.now() > deadline) throw new Error(`No mail #${count} arrived for ${address}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }

    return this.mailsTo(address, subject)[count - 1];
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async accept(
    raw: Buffer,
    session: { envelope: { rcptTo: Array<{ address: string }>; mailFrom: unknown } },
    callback: (error?: Error | null) => void,
  ): Promise<void> {
    if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    if (this.rejectWith) {
      callback(Object.assign(new Error(this.rejectWith), { responseCode: 550 }));
      return;
    }
    const parsed = await simpleParser(raw);
    const from = session.envelope.mailFrom;
    this.mails.push({
      to: session.envelope.rcptTo.map((recipient) => recipient.address.toLowerCase()),
      from: from && typeof from === 'object' ? String((from as { address: string }).address) : '',
      subject: parsed.subject ?? '',
      text: parsed.text ?? '',
      html: typeof parsed.html === 'string' ? parsed.html : '',
      raw: raw.toString('utf8'),
    });
    callback();
  }
}

export const RESET_SUBJECT = /reset your faultmaven password/i;
export const VERIFICATION_SUBJECT = /confirm your email address/i;

/** The token of the first link in a mail's text that points at `baseUrl + path`. */
export function tokenFromMail(mail: { text: string }, baseUrl: string, path: string): string {
  const escaped = `${baseUrl}${path}`.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const match = new RegExp(`${escaped}\\?token=([A-Za-z0-9_-]+)`).exec(mail.text);
  if (!match) throw new Error(`No ${path} link in the mail`);

  return match[1];
}
