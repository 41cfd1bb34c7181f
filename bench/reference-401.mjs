// A reference, not a baseline: bare `node:http` answering every request with the very bytes of
// Gatehouse's refusal of a malformed key (status, headers, Ory error body with a fresh request id).
// Its ratio to the baseline is the most any implementation of that answer can reach on this
// machine; the bad-checksum scenario's distance from it is Gatehouse's own work.
import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import { unauthorized } from '../dist/platform/errors/errors.js';

const refusal = unauthorized();
const server = createServer((req, res) => {
  const id = randomUUID();
  const body = refusal.toJson(id);
  res.writeHead(refusal.code, ['x-request-id', id, 'content-type', 'application/json; charset=utf-8', 'content-length', String(Buffer.byteLength(body))]);
  res.end(body);
});
server.keepAliveTimeout = 72_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => process.stdout.write(`http://127.0.0.1:${server.address().port}\n`));
