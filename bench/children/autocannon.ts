/**
 * One autocannon run in a process of its own, so the load generator gets the machine's other core instead of
 * sharing the server's event loop. Arguments: url connections durationSeconds. Sends the result to the parent
 * over IPC.
 */
import autocannon from 'autocannon';

const [url, connections, duration] = process.argv.slice(2);
if (!url || !process.send) {
  process.stderr.write('usage: fork autocannon.js <url> <connections> <durationSeconds> (with an IPC channel)\n');
  process.exit(2);
}

const result = await autocannon({ url, connections: Number(connections), duration: Number(duration) });
process.send(
  {
    // Over the whole run, rather than autocannon's mean of per-second samples.
    requestsPerSec: result.requests.total / result.duration,
    requests: result.requests.total,
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    latencyMaxMs: result.latency.max,
    durationS: result.duration,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
  },
  () => process.exit(0),
);
