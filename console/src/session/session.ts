import type { Client } from '@urql/vue';
import { computed, inject, shallowRef, type ComputedRef, type InjectionKey, type Ref, type ShallowRef } from 'vue';
import { createConnectionState, createKeywardClient, type KeywardClient, type LiveConnectionState } from '@/api/client';
import { errorMessage, isUnauthenticated } from '@/api/errors';
import { SignOutDocument, SwitchOrganizationDocument, ViewerDocument, type ViewerFieldsFragment } from '@/gql/graphql';

/** The signed-in person, their current organization and what their role lets them do. */
export type SessionViewer = ViewerFieldsFragment;

/** Everything the console knows about who is using it, and the API client acting for them. */
export interface Session {
  /** The client for the current person and organization (replaced when either changes). */
  readonly client: ShallowRef<Client>;
  readonly viewer: Readonly<Ref<SessionViewer | null>>;
  /** State of the live (subscription) connection. */
  readonly connection: Readonly<Ref<LiveConnectionState>>;
  /** The organization's IANA time zone, for exact times and day boundaries. */
  readonly timeZone: ComputedRef<string>;
  /** Whether the viewer's role grants a permission (e.g. `keys:write`). */
  can(permission: string): boolean;
  /** Loads (or reloads) the viewer; the router waits on it before the first page. */
  load(): Promise<SessionViewer | null>;
  /** Adopts the viewer a sign-in mutation returned, with a fresh client for that person. */
  signedIn(viewer: SessionViewer): void;
  signOut(): Promise<void>;
  /** Makes another of the viewer's organizations the one the session acts in. */
  switchOrganization(organizationId: string): Promise<void>;
  /** Called when the control plane reports the session is gone; the app goes to sign-in. */
  onSignedOut(handler: () => void): void;
}

export const SESSION_KEY: InjectionKey<Session> = Symbol('keyward-session');

/**
 * Creates the console's session. The viewer comes from the `viewer` query (null when signed
 * out); a fresh API client is made whenever the person or organization changes, so no cached
 * result outlives them. Nothing about the session is stored in the browser but the httpOnly
 * cookie the control plane sets.
 */
export function createSession(): Session {
  const viewer = shallowRef<SessionViewer | null>(null);
  const connection = createConnectionState();
  const signedOutHandlers: (() => void)[] = [];
  let loading: Promise<SessionViewer | null> | null = null;

  const makeClient = (): KeywardClient =>
    createKeywardClient({
      connection,
      onUnauthenticated: () => {
        if (!viewer.value) return;
        viewer.value = null;
        replaceClient();
        for (const handler of signedOutHandlers) handler();
      },
    });
  let current = makeClient();
  const client = shallowRef(current.client);

  function replaceClient(): void {
    current.dispose();
    current = makeClient();
    client.value = current.client;
  }

  async function fetchViewer(): Promise<SessionViewer | null> {
    const result = await client.value.query(ViewerDocument, {}, { requestPolicy: 'network-only' }).toPromise();
    if (result.error && !isUnauthenticated(result.error)) throw result.error;
    viewer.value = result.data?.viewer ?? null;
    return viewer.value;
  }

  const permissions = computed(() => new Set(viewer.value?.permissions ?? []));

  return {
    client,
    viewer,
    connection,
    timeZone: computed(() => viewer.value?.organization?.settings.timeZone ?? 'UTC'),
    can: (permission) => permissions.value.has(permission),
    load() {
      loading ??= fetchViewer().finally(() => (loading = null));
      return loading;
    },
    signedIn(next) {
      replaceClient();
      viewer.value = next;
    },
    async signOut() {
      await client.value.mutation(SignOutDocument, {}).toPromise();
      viewer.value = null;
      replaceClient();
    },
    async switchOrganization(organizationId) {
      const result = await client.value.mutation(SwitchOrganizationDocument, { organizationId }).toPromise();
      if (result.error || !result.data) throw new Error(errorMessage(result.error));
      replaceClient();
      viewer.value = result.data.switchOrganization;
    },
    onSignedOut(handler) {
      signedOutHandlers.push(handler);
    },
  };
}

/** The session provided by the app. */
export function useSession(): Session {
  const session = inject(SESSION_KEY);
  if (!session) throw new Error('useSession() needs the session the app provides (SESSION_KEY).');
  return session;
}

/** Permission checks for templates: `v-if="can('keys:write')"` hides actions a role cannot take. */
export function usePermissions(): { can: (permission: string) => boolean } {
  const session = useSession();
  return { can: session.can };
}

/** The organization's time zone, or UTC outside a session (e.g. in isolated component tests). */
export function useTimeZone(): ComputedRef<string> {
  const session = inject(SESSION_KEY, null);
  return computed(() => session?.timeZone.value ?? 'UTC');
}
