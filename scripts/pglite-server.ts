// A real pgvector server without a Postgres binary: PGlite (Postgres compiled to WASM) with the
// pgvector extension, behind pglite-socket, which speaks the Postgres wire protocol. Tests and
// bench:store start it; it is also the quickest way to try `altmoe store push` locally.
//
//   npx tsx scripts/pglite-server.ts [--port 5432] [--data DIR] [--connections 8] [--no-vector] [--read-only]
//
// --no-vector leaves pgvector out (a server without the extension, for the tests of that error).
// --read-only makes every transaction read-only, as a read replica (hot standby) or a role with
// default_transaction_read_only does: PGlite has one user, so a read-only role is modelled this way.
//
// Prints one line, `postgres://postgres@127.0.0.1:PORT/postgres`, once it listens.
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    data: { type: 'string' },
    connections: { type: 'string', default: '8' },
    'no-vector': { type: 'boolean', default: false },
    'read-only': { type: 'boolean', default: false },
  },
});

const db = await PGlite.create({ dataDir: values.data, extensions: values['no-vector'] ? {} : { vector } });
if (values['read-only']) await db.exec('SET default_transaction_read_only = on');
const server = new PGLiteSocketServer({
  db,
  port: Number(values.port),
  host: '127.0.0.1',
  // PGlite runs one query at a time; the server queues several clients' queries (pg pools, tests).
  maxConnections: Number(values.connections),
});
await server.start();
const conn = server.getServerConn();
const port = conn.split(':').pop();
process.stdout.write(`postgres://postgres@127.0.0.1:${port}/postgres\n`);

const stop = async (): Promise<void> => {
  await server.stop();
  await db.close();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
