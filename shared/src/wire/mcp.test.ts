import { describe, expect, it } from 'vitest';
import { mcpToolAllowed, type McpAccess } from './mcp.js';
import { validateConfigMessage, validateMcpAccess } from './validate.js';

const ORG = '00000000-0000-7000-8000-000000000001';
const SERVER = '00000000-0000-7000-8000-0000000000aa';
const sealed = { kekId: 'local:1', wrappedKey: 'AAAA', iv: 'AAAAAAAAAAAAAAAA', ciphertext: 'AAAA', tag: 'AAAAAAAAAAAAAAAAAAAAAA==' };
const snapshot = (server: Record<string, unknown>) => ({
  type: 'snapshot',
  version: 1,
  generatedAt: '2026-12-07T00:00:00Z',
  orgs: {},
  keys: {},
  credentials: {},
  policies: {},
  budgets: {},
  rateLimits: {},
  routes: {},
  roles: {},
  mcpServers: { [SERVER]: { id: SERVER, orgId: ORG, name: 'records', url: 'https://mcp.example.com/mcp', secret: sealed, secretVersion: 1, ...server } },
});

describe('MCP servers and tool access on the wire', () => {
  it('accepts each way to authenticate and names the field at fault', () => {
    expect(() => validateConfigMessage(snapshot({ auth: { kind: 'bearer' } }))).not.toThrow();
    expect(() => validateConfigMessage(snapshot({ auth: { kind: 'header', headerName: 'X-API-Key' } }))).not.toThrow();
    expect(() =>
      validateConfigMessage(snapshot({ auth: { kind: 'oauth_client_credentials', tokenUrl: 'https://auth.example.com/token', clientId: 'kw', scope: null } })),
    ).not.toThrow();
    expect(() => validateConfigMessage(snapshot({ auth: { kind: 'header', headerName: 'Mcp-Session-Id' } }))).toThrow(
      `config snapshot "mcpServers.${SERVER}.auth.headerName" may not be Mcp-Session-Id, which the MCP transport itself sends`,
    );
    expect(() => validateConfigMessage(snapshot({ name: 'a__b', auth: { kind: 'bearer' } }))).toThrow(`"mcpServers.${SERVER}.name" must be lower-case`);
  });

  it('reads a snapshot from before MCP servers as having none', () => {
    const older: Record<string, unknown> = snapshot({ auth: { kind: 'bearer' } });
    delete older.mcpServers;
    expect(validateConfigMessage(older)).toMatchObject({ mcpServers: {} });
  });

  it('allows a tool by name or every tool of a server with "*", and nothing else', () => {
    const access: McpAccess[] = [
      { server: 'records', tools: ['list_records'] },
      { server: 'files', tools: ['*'] },
    ];
    expect(validateMcpAccess(access)).toBe(access);
    expect(mcpToolAllowed(access, 'records', 'list_records')).toBe(true);
    expect(mcpToolAllowed(access, 'records', 'delete_records')).toBe(false);
    expect(mcpToolAllowed(access, 'files', 'anything')).toBe(true);
    expect(mcpToolAllowed(access, 'tickets', 'list')).toBe(false);
    expect(mcpToolAllowed(undefined, 'records', 'list_records')).toBe(false);
    expect(() =>
      validateMcpAccess([
        { server: 'records', tools: ['a'] },
        { server: 'records', tools: ['b'] },
      ]),
    ).toThrow('mcpAccess "[1].server" names "records" a second time');
    expect(() => validateMcpAccess([{ server: 'records', tools: ['rm -rf'] }])).toThrow('mcpAccess "[0].tools[0]" must be "*" or a tool name');
  });
});
