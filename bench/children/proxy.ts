/**
 * The tests' fault proxy (test/support/fault-proxy.ts) in a process of its own, so the latency it adds is
 * kept by its own event loop, like a network's, and not by the event loop of the process being measured.
 * Arguments: targetHost targetPort latencyMsEachWay. Sends { port } over IPC once listening; exits when the
 * parent disconnects.
 */
import { FaultProxy } from '../../test/support/fault-proxy.js';

const [host, port, latencyMs] = process.argv.slice(2);
const proxy = await FaultProxy.start({ target: { host, port: Number(port) }, latencyMs: Number(latencyMs) });
process.send?.({ host: proxy.host, port: proxy.port });
process.on('disconnect', () => {
  void proxy.close().then(() => process.exit(0));
});
