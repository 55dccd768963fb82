/**
 * The FaultProxy (../fault-proxy.ts) in a process of its own; see ../fault-proxy-process.ts.
 * Arguments: targetHost targetPort latencyMsEachWay. Sends { host, port } over IPC once listening; exits when
 * the parent disconnects.
 */
import { FaultProxy } from '../fault-proxy.js';

const [host, port, latencyMs] = process.argv.slice(2);
const proxy = await FaultProxy.start({ target: { host, port: Number(port) }, latencyMs: Number(latencyMs) });
process.send?.({ host: proxy.host, port: proxy.port });
process.on('disconnect', () => {
  void proxy.close().then(() => process.exit(0));
});
