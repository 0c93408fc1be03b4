import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { loadControlPlaneConfig } from '../config.js';
import { AppError } from '../errors.js';
import { createLogger } from '../logger.js';
import { createMailer } from './mailer.js';

function config(env: Record<string, string>) {
  return loadControlPlaneConfig({
    KEYWARD_KEY_PEPPER: randomBytes(32).toString('base64'),
    KEYWARD_HASH_SALT: randomBytes(32).toString('base64'),
    ...env,
  });
}

const lines: string[] = [];
const log = createLogger('debug', new Writable({ write: (c, _e, done) => (lines.push(String(c)), done()) }));
const message = { to: 'a@example.test', subject: 'Your Keyward sign-in code', text: 'Your Keyward sign-in code is: 123456' };

describe('the mailer', () => {
  it('keeps messages in an in-memory outbox in tests', async () => {
    const mailer = createMailer(config({ NODE_ENV: 'test' }), log, () => {});
    expect(mailer.transport).toBe('memory');
    await mailer.send(message);
    expect(mailer.outbox).toEqual([message]);
  });

  it('prints messages on the terminal in development, never in the JSON logs', async () => {
    const printed: string[] = [];
    const mailer = createMailer(config({ NODE_ENV: 'development' }), log, (t) => void printed.push(t));
    expect(mailer.transport).toBe('terminal');
    await mailer.send(message);
    // Framed between rules like the first-start banner, the code on a plain line of its own.
    expect(printed.join('')).toMatch(/^={78}\n {2}Email to a@example\.test .*\n(.*\n)*? {2}Your Keyward sign-in code is: 123456\n={78}$/m);
    expect(lines.join('')).not.toContain('123456');
    expect(mailer.outbox).toBeNull();
  });

  it('refuses to send in production without SMTP, with a clear reason', async () => {
    const mailer = createMailer(config({ NODE_ENV: 'production' }), log, () => {});
    expect(mailer.transport).toBe('none');
    expect(() => mailer.assertCanDeliver()).toThrow(AppError);
    expect(() => mailer.assertCanDeliver()).toThrow(/set SMTP_URL/);
    await expect(mailer.send(message)).rejects.toThrow(/set SMTP_URL/);
  });

  it('uses SMTP whenever SMTP_URL is set, and reports a failed delivery without the message', async () => {
    const mailer = createMailer(config({ NODE_ENV: 'production', SMTP_URL: 'smtp://127.0.0.1:9', SMTP_FROM: 'Keyward <k@example.test>' }), log, () => {});
    expect(mailer.transport).toBe('smtp');
    expect(() => mailer.assertCanDeliver()).not.toThrow();
    await expect(mailer.send(message)).rejects.toThrow(/could not be sent/);
    expect(lines.join('')).not.toContain('123456');
    mailer.close();
  });

  it('delivers over SMTP to a real SMTP conversation', async () => {
    const received: string[] = [];
    const server = createServer((socket) => {
      let inData = false;
      let data = '';
      socket.write('220 test ESMTP\r\n');
      socket.on('data', (chunk) => {
        for (const line of String(chunk)
          .split('\r\n')
          .filter((l, i, all) => l !== '' || i < all.length - 1)) {
          if (inData) {
            if (line === '.') {
              inData = false;
              received.push(data);
              socket.write('250 queued\r\n');
            } else data += `${line}\n`;
          } else if (/^(EHLO|HELO)/i.test(line)) socket.write('250 test\r\n');
          else if (/^DATA/i.test(line)) {
            inData = true;
            socket.write('354 go ahead\r\n');
          } else if (/^QUIT/i.test(line)) socket.end('221 bye\r\n');
          else socket.write('250 ok\r\n');
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as AddressInfo).port;
    const mailer = createMailer(config({ NODE_ENV: 'production', SMTP_URL: `smtp://127.0.0.1:${port}`, SMTP_FROM: 'Keyward <k@example.test>' }), log, () => {});
    try {
      await mailer.send(message);
      expect(received).toHaveLength(1);
      expect(received[0]).toContain('Subject: Your Keyward sign-in code');
      expect(received[0]).toContain('To: a@example.test');
      expect(received[0]).toContain('123456');
    } finally {
      mailer.close();
      await new Promise((r) => server.close(r));
    }
  });
});
