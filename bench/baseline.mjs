// The bare-framework baseline: Fastify hello world, no plugins, no logging. Same framework and Node
// as Gatehouse, so the ratio shows what Gatehouse's own work costs.
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.get('/hello', async () => ({ hello: 'world' }));
const address = await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) });
process.stdout.write(`${address}\n`);
