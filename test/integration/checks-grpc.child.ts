/**
 * Real gRPC servers (grpc-js with the grpc.health.v1 implementation of
 * grpc-health-check) on 127.0.0.1 for the grpc check's tests, in a child
 * process. Usage: node --import tsx checks-grpc.child.ts CERT_DIR
 * Prints one JSON line of ports, then serves until stdin closes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';

const certDir = process.argv[2]!;
const read = (name: string) => readFileSync(join(certDir, name));

const health = new HealthImplementation({
  '': 'SERVING',
  'app.Serving': 'SERVING',
  'app.Down': 'NOT_SERVING',
  'app.Unknown': 'UNKNOWN',
});

function serve(credentials: grpc.ServerCredentials, withHealth = true): Promise<number> {
  const server = new grpc.Server();
  if (withHealth) health.addToServer(server);
  return new Promise((resolve, reject) => server.bindAsync('127.0.0.1:0', credentials, (err, port) => (err ? reject(err) : resolve(port))));
}

const tlsCredentials = (name: string) => grpc.ServerCredentials.createSsl(null, [{ private_key: read(`${name}.key`), cert_chain: read(`${name}.crt`) }], false);

const ports = {
  plain: await serve(grpc.ServerCredentials.createInsecure()),
  tls: await serve(tlsCredentials('valid')),
  tlsExpired: await serve(tlsCredentials('expired')),
  tlsWrongHost: await serve(tlsCredentials('wronghost')),
  noHealth: await serve(grpc.ServerCredentials.createInsecure(), false),
};

process.stdout.write(`${JSON.stringify(ports)}\n`);
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
