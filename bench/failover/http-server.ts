// The service behind the VIP in bench/failover: answers every request with
// the node's name, so the client knows who served it. Runs in a node
// namespace; listens on every address (the VIP sits on lo there).
//
//   node dist/bench/failover/http-server.js NAME [PORT]
import { createServer } from 'node:http';

const name = process.argv[2];
const port = Number(process.argv[3] ?? 80);
if (!name) throw new Error('usage: http-server.js NAME [PORT]');

const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain', connection: 'close' });
  res.end(name);
});
server.listen({ host: '::', port, ipv6Only: false }, () => process.stdout.write('listening\n'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
