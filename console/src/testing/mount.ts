import { Client, makeErrorResult, makeResult, type Operation, type OperationResult } from '@urql/vue';
import { mount, type VueWrapper } from '@vue/test-utils';
import { NConfigProvider, NDialogProvider, NMessageProvider } from 'naive-ui';
import { computed, defineComponent, h, shallowRef, type Component, type Plugin } from 'vue';
import { filter, fromValue, makeSubject, mergeMap, pipe, type Source, type Subject } from 'wonka';
import { createConnectionState } from '@/api/client';
import { SESSION_KEY, type Session, type SessionViewer } from '@/session/session';
import { viewer as makeViewer } from './fixtures';

/**
 * Canned answers by operation name: data, or an Error to answer with a GraphQL error (its
 * `extensions`, when set, replace the default `FORBIDDEN` code), or a function of the
 * operation's variables returning either (to check what a screen sent, or answer per call).
 */
export type MockResponses = Record<string, unknown>;

/** A real urql client whose network is a table of answers, plus subjects to push subscription events. */
export interface MockClient {
  readonly client: Client;
  /** Subscription streams by operation name; `next({ ...data })` delivers an event. */
  subscription(name: string): Subject<unknown>;
}

function operationName(operation: Operation): string {
  for (const def of operation.query.definitions) {
    if (def.kind === 'OperationDefinition' && def.name) return def.name.value;
  }
  return '';
}

/** Creates a client that answers from `responses` (unknown operations fail loudly). */
export function mockClient(responses: MockResponses = {}): MockClient {
  const subjects = new Map<string, Subject<unknown>>();
  const subject = (name: string) => {
    if (!subjects.has(name)) subjects.set(name, makeSubject<unknown>());
    return subjects.get(name)!;
  };
  const answer = (operation: Operation): Source<OperationResult> => {
    const name = operationName(operation);
    if (operation.kind === 'subscription') {
      return pipe(
        subject(name).source,
        mergeMap((data) => fromValue(makeResult(operation, { data: data as Record<string, unknown> }))),
      );
    }
    if (!(name in responses)) return fromValue(makeErrorResult(operation, new Error(`No mock response for ${name}.`)));
    const entry = responses[name];
    const response = typeof entry === 'function' ? (entry as (variables: unknown) => unknown)(operation.variables) : entry;
    if (response instanceof Error) {
      const extensions = (response as Error & { extensions?: Record<string, unknown> }).extensions ?? { code: 'FORBIDDEN' };
      return fromValue(makeResult(operation, { errors: [{ message: response.message, extensions }] }));
    }
    return fromValue(makeResult(operation, { data: response as Record<string, unknown> }));
  };
  const client = new Client({
    url: '/graphql',
    exchanges: [
      () => (operations$) =>
        pipe(
          operations$,
          filter((op) => op.kind !== 'teardown'),
          mergeMap(answer),
        ),
    ],
  });
  return { client, subscription: subject };
}

/** A session for component tests: a signed-in viewer with exactly these permissions. */
function fakeSession(client: Client, permissions: string[], viewer: SessionViewer = makeViewer(permissions)): Session {
  const current = shallowRef<SessionViewer | null>(viewer);
  return {
    client: shallowRef(client),
    viewer: current,
    connection: createConnectionState(),
    timeZone: computed(() => current.value?.organization?.settings.timeZone ?? 'UTC'),
    can: (permission) => current.value?.permissions.includes(permission) ?? false,
    load: async () => current.value,
    signedIn: (next) => (current.value = next),
    signOut: async () => void (current.value = null),
    switchOrganization: async () => undefined,
    onSignedOut: () => undefined,
  };
}

/** Options for `mountScreen`. */
export interface MountOptions {
  props?: Record<string, unknown>;
  permissions?: string[];
  responses?: MockResponses;
  mock?: MockClient;
  /** Vue plugins to install, e.g. a memory-history router for screens that use routes. */
  plugins?: Plugin[];
}

/**
 * Mounts a component the way the app runs it: inside Naive UI's providers, with a session and
 * an urql client. Attached to the document so teleported modals and drawers can be queried.
 */
export function mountScreen(component: Component, options: MountOptions = {}): { wrapper: VueWrapper; mock: MockClient; session: Session } {
  const mock = options.mock ?? mockClient(options.responses);
  const session = fakeSession(mock.client, options.permissions ?? []);
  const Host = defineComponent({
    setup: () => () => h(NConfigProvider, null, () => h(NMessageProvider, null, () => h(NDialogProvider, null, () => h(component, options.props ?? {})))),
  });
  const wrapper = mount(Host, {
    attachTo: document.body,
    global: { plugins: options.plugins ?? [], provide: { [SESSION_KEY as symbol]: session, $urql: session.client } },
  });
  return { wrapper, mock, session };
}

/** Lets promises and Vue's render queue settle. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, 0));
}
