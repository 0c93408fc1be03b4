import { addPersonWithPassword, type TestPerson } from '@keyward/control-plane/testing';
import { eventually, startTestSystem, type TestSystem, type TestSystemOptions } from '../../support/system.js';
import { CONSOLE_DIST, requireBrowserPrerequisites } from './browser.js';

/** The whole system with the built console served by the control plane, and a person who signs in with a password. */
export interface ConsoleSystem {
  readonly system: TestSystem;
  /** The console's address: the control plane's own origin, as people open it. */
  readonly consoleUrl: string;
  /** An owner of the system's organization, with an email and a password. */
  readonly operator: TestPerson;
  /** Adds a person with a password to `orgId` (a second organization, another role). */
  addPerson(orgId: string, role: TestPerson['role']): Promise<TestPerson>;
  close(): Promise<void>;
}

/**
 * Starts control plane (serving `console/dist`), data-plane node and mock provider, and adds an
 * owner with a password to the system's organization. Fails first if the console is not built
 * or chromium is missing, so a broken setup never costs a whole system start.
 */
export async function startConsoleSystem(pgAdminUrl: string, options: TestSystemOptions = {}): Promise<ConsoleSystem> {
  await requireBrowserPrerequisites();
  const system = await startTestSystem(pgAdminUrl, { ...options, controlPlaneEnv: { ...options.controlPlaneEnv, KEYWARD_CONSOLE_DIR: CONSOLE_DIST } });
  try {
    const operator = await addPersonWithPassword(system.cp, system.owner.orgId, 'owner', { name: 'Dana Operator' });
    return {
      system,
      consoleUrl: system.cp.url,
      operator,
      addPerson: (orgId, role) => addPersonWithPassword(system.cp, orgId, role),
      close: () => system.close(),
    };
  } catch (error) {
    await system.close();
    throw error;
  }
}

/** Resolves once the data-plane node accepts `secret` (its config push arrived). */
export async function waitForKeyOnNode(system: TestSystem, secret: string): Promise<void> {
  await eventually(
    async () => {
      const res = await fetch(`${system.dp.url}/v1/models`, { headers: { authorization: `Bearer ${secret}` } });
      await res.arrayBuffer();
      return res.status === 200 ? true : undefined;
    },
    15_000,
    'the key to reach the data-plane node',
  );
}
