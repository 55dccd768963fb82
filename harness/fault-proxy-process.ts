import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Server } from './mariadb.js';

const CHILD = fileURLToPath(new URL('./children/fault-proxy.js', import.meta.url));

export interface ProxyProcess extends Server {
  close(): Promise<void>;
}

/**
 * `target` (MariaDB) `latencyMsEachWay` away: a FaultProxy in a process of its own (children/fault-proxy.ts),
 * so the latency it adds is kept by its own event loop, like a network's, and not by the event loop of the
 * process being measured. Each round trip through it gains twice the latency. Forks the compiled child
 * (dist/harness/children/fault-proxy.js): for code built with tsc, not for code Jest transforms.
 */
export function startProxyProcess(target: Server, latencyMsEachWay: number): Promise<ProxyProcess> {
  return new Promise((resolve, reject) => {
    // No inherited flags: a --cpu-prof of the bench should not profile the proxy.
    const child = fork(CHILD, [target.host, String(target.port), String(latencyMsEachWay)], {
      execArgv: [],
      stdio: 'inherit',
    });
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
