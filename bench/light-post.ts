/**
 * The chat benchmarks' HTTP client: undici's `request` on one keep-alive agent. The load
 * generator runs on the machine it measures, so its own CPU is taken from the servers
 * under test: with `fetch` it cost about 1–1.5 ms of CPU a request (measured in bench:slack,
 * see printComparison's load-generator line), more than the baseline app it drives.
 */
import { Agent, request } from 'undici';

const agent = new Agent({ keepAliveTimeout: 30_000, connections: null });

/** POSTs `body` with `headers`; resolves with the status and the body read as text. */
export async function post(
  url: string,
  headers: Record<string, string>,
  body: string,
): Promise<{ status: number; body: string }> {
  const response = await request(url, { method: 'POST', headers, body, dispatcher: agent });
  return { status: response.statusCode, body: await response.body.text() };
}
