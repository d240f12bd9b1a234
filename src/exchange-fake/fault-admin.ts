/**
 * The fault admin API (docs/FAULTS.md), served only when asked for (`maker exchange --admin`, or
 * `admin: true` in the server's config), on the same port as the exchange, never faulted itself:
 *   POST   /admin/faults      a JSON fault, a list of them, or {"faults": [...]} → {"added": [names]}
 *   GET    /admin/faults      the faults and their state (armed, seen, fired, active)
 *   DELETE /admin/faults      removes every fault, ends the periods in progress → {"removed": n}
 *   GET    /admin/faults/log  what the faults did, oldest first
 * A fault that does not validate gets 400 {"error": "faults.0.durationMs: must be ≥ 1, got 0"}.
 */
import { ConfigError } from '../core/errors.ts';
import { parseFaults } from './fault-plan.ts';
import type { ExchangeServer, Reply } from './server.ts';

export function registerFaultAdmin(server: ExchangeServer): void {
  server.route('POST /admin/faults', ({ rawBody }) => {
    let raw: unknown;
    try {
      raw = JSON.parse(rawBody);
    } catch (e) {
      return bad(`the body is not JSON: ${(e as Error).message}`);
    }
    const list = Array.isArray(raw) ? raw : typeof raw === 'object' && raw !== null && 'faults' in raw ? (raw as { faults: unknown }).faults : [raw];
    try {
      const specs = parseFaults(list, 'faults', { symbols: [...server.ex.instruments.keys()], accounts: server.faults.accountNames() });
      server.faults.add(specs);
      return { status: 200, body: { added: specs.map((s) => s.name) } };
    } catch (e) {
      if (e instanceof ConfigError) return bad(`${e.location.field === undefined ? '' : `${e.location.field}: `}${e.message}`);
      return bad((e as Error).message);
    }
  });
  server.route('GET /admin/faults', () => ({ status: 200, body: server.faults.status() }));
  server.route('DELETE /admin/faults', () => ({ status: 200, body: { removed: server.faults.clear() } }));
  server.route('GET /admin/faults/log', () => ({ status: 200, body: server.faults.log }));
}

function bad(error: string): Reply {
  return { status: 400, body: { error } };
}
