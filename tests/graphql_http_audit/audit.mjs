// Runs the graphql-http server audit suite (GraphQL-over-HTTP spec conformance) against
// a running server: `node audit.mjs http://127.0.0.1:8000/graphql`.
//
// Why a script and not graphql-http's own runner: we want every result printed (so a CI
// log shows what changed) and a non-zero exit on any error *or* warning, since the
// SHOULD-level audits are where the interesting conformance lives.
import { serverAudits } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs <graphql endpoint URL>');
  process.exit(2);
}

const counts = { ok: 0, notice: 0, warn: 0, error: 0 };
for (const audit of serverAudits({ url, fetchFn: fetch })) {
  const result = await audit.fn();
  counts[result.status] += 1;
  let line = `[${result.status.toUpperCase()}] ${result.id} ${result.name}`;
  if (result.status !== 'ok') {
    const body = await result.response.text().catch(() => '<unreadable body>');
    line += `\n    reason: ${result.reason}`;
    line += `\n    response: ${result.response.status} ${body.slice(0, 300)}`;
  }
  console.log(line);
}
console.log(`SUMMARY ${JSON.stringify(counts)}`);
process.exit(counts.error > 0 || counts.warn > 0 ? 1 : 0);
