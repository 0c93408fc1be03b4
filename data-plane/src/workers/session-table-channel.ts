import type { MessagePort } from 'node:worker_threads';
import type { MemorySessionTable, SessionTable } from '../storage/session-table.js';
import { PortCaller, servePort } from './port-rpc.js';

/** A call a worker makes to the shared session table; `id` pairs it with its reply. */
type TableCall =
  | { readonly id: number; readonly op: 'get'; readonly key: string; readonly now: number; readonly extendTo: number | undefined }
  | { readonly id: number; readonly op: 'claim' | 'replace'; readonly key: string; readonly value: string; readonly expiresAt: number; readonly now: number }
  | { readonly id: number; readonly op: 'delete'; readonly key: string };

/**
 * Serves the node's one `MemorySessionTable` (on the main thread) to every worker's port: each
 * call runs whole in one turn, so two workers claiming one key get one answer between them.
 */
export function serveSessionTable(table: MemorySessionTable, port: MessagePort): void {
  servePort<TableCall>(port, (call) => {
    switch (call.op) {
      case 'get':
        return table.getSync(call.key, call.now, call.extendTo);
      case 'claim':
        return table.claimSync(call.key, call.value, call.expiresAt, call.now);
      case 'replace':
        return table.replaceSync(call.key, call.value, call.expiresAt, call.now);
      case 'delete':
        return table.deleteSync(call.key);
    }
  });
}

/** A worker's `SessionTable`: every call goes to the table the main thread keeps, over `port`. */
export class PortSessionTable implements SessionTable {
  private readonly port: PortCaller<TableCall>;

  constructor(port: MessagePort) {
    this.port = new PortCaller(port, 'the shared session table was closed');
  }

  get(key: string, now: number, extendTo?: number): Promise<string | null> {
    return this.port.call({ op: 'get', key, now, extendTo }) as Promise<string | null>;
  }

  claim(key: string, value: string, expiresAt: number, now: number): Promise<string> {
    return this.port.call({ op: 'claim', key, value, expiresAt, now }) as Promise<string>;
  }

  replace(key: string, value: string, expiresAt: number, now: number): Promise<boolean> {
    return this.port.call({ op: 'replace', key, value, expiresAt, now }) as Promise<boolean>;
  }

  async delete(key: string): Promise<void> {
    await this.port.call({ op: 'delete', key });
  }

  close(): void {
    this.port.close();
  }
}
