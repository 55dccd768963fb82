import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Server } from './mariadb.js';

const PROXY_CHILD = fileURLToPath(new URL('../children/proxy.js', import.meta.url));

export interface FarServer extends Server {
  close(): Promise<void>;
}

/**
 * MariaDB `latencyMsEachWay` away: the fault proxy, started in a child process (see children/proxy.ts), in
 * front of `target`. Each round trip through it gains twice the latency.
 */
export function startFarServer(target: Server, latencyMsEachWay: number): Promise<FarServer> {
  return new Promise((resolve, reject) => {
    // No inherited flags: a --cpu-prof of the bench should not profile the proxy.
    const child = fork(PROXY_CHILD, [target.host, String(target.port), String(latencyMsEachWay)], { execArgv: [], stdio: 'inherit' });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the proxy exited with code ${code} before listening`)));
    child.once('message', (message: { host: string; port: number }) => {
      child.removeAllListeners('exit');
      resolve({
        host: message.host,
        port: message.port,
        close: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null) return done();
            child.once('exit', () => done());
            child.disconnect();
          }),
      });
    });
  });
}
