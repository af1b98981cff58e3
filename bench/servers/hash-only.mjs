// The login ceiling: a bare node:http server whose every request verifies the benchmark
// password against its stored hash exactly as the service's PasswordHasher does (SHA-256
// pre-hash, then bcrypt's asynchronous compare on libuv's thread pool), and nothing else.
//   node bench/servers/hash-only.mjs <port>     (BENCH_PASSWORD_HASH: the stored hash)
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import bcrypt from 'bcrypt';

const [port] = process.argv.slice(2);
const stored = process.env.BENCH_PASSWORD_HASH.replace(/^bcrypt-sha256\$/, '');

createServer((request, response) => {
  if (request.url === '/health') {
    response.end('{"status":"ok"}');
    return;
  }
  const chunks = [];
  request.on('data', (chunk) => chunks.push(chunk));
  request.on('end', async () => {
    const { password } = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    const prehashed = createHash('sha256').update(password, 'utf8').digest('base64');
    const valid = await bcrypt.compare(prehashed, stored);
    const body = JSON.stringify({ valid });
    response.writeHead(valid ? 200 : 401, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
    });
    response.end(body);
  });
}).listen(Number(port), '127.0.0.1');
