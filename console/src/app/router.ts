import { createRouter, createWebHistory, type RouteRecordRaw, type Router } from 'vue-router';
import type { Session } from '@/session/session';
import { homeRoute } from './navigation';

declare module 'vue-router' {
  interface RouteMeta {
    /** Shown in the browser tab. */
    title?: string;
    /** Reachable without signing in. */
    public?: boolean;
    /** Drawn without the sidebar (sign-in, invitations). */
    bare?: boolean;
    /** Needed to see the screen; without it the shell shows "no access" instead. */
    permission?: string;
    /** The sidebar entry to highlight, for screens under another one (a policy under Policies). */
    nav?: string;
  }
}

const routes: RouteRecordRaw[] = [
  {
    // `/signin` belongs to the control plane: it serves the one-time sign-in link page there.
    path: '/login',
    name: 'sign-in',
    component: () => import('@/screens/sign-in/SignInView.vue'),
    meta: { title: 'Sign in', public: true, bare: true },
  },
  {
    path: '/accept-invitation',
    name: 'accept-invitation',
    component: () => import('@/screens/invitation/AcceptInvitationView.vue'),
    meta: { title: 'Join an organization', public: true, bare: true },
  },
  {
    // The page a pool key's delivery link opens (`/key#<token>`), and the recipient's own page: no account needed.
    path: '/key',
    name: 'pool-key',
    component: () => import('@/screens/pool-key/PoolKeyView.vue'),
    meta: { title: 'Your key', public: true, bare: true },
  },
  {
    path: '/my-keys',
    name: 'my-keys',
    component: () => import('@/screens/pool-key/MyKeysView.vue'),
    meta: { title: 'Your keys', public: true, bare: true },
  },
  { path: '/', name: 'home', component: { render: () => null } },
  {
    path: '/overview',
    name: 'overview',
    component: () => import('@/screens/overview/OverviewView.vue'),
    meta: { title: 'Overview', permission: 'events:read' },
  },
  {
    path: '/audit',
    name: 'audit',
    component: () => import('@/screens/audit/AuditView.vue'),
    meta: { title: 'Requests', permission: 'events:read' },
  },
  {
    path: '/performance',
    name: 'performance',
    component: () => import('@/screens/performance/PerformanceView.vue'),
    meta: { title: 'Performance', permission: 'events:read' },
  },
  {
    path: '/keys',
    name: 'keys',
    component: () => import('@/screens/keys/KeysView.vue'),
    meta: { title: 'Keys', permission: 'keys:read' },
  },
  {
    path: '/keys/:id',
    name: 'key',
    component: () => import('@/screens/scope/KeyDetailView.vue'),
    props: true,
    meta: { title: 'Key', permission: 'keys:read', nav: 'keys' },
  },
  {
    path: '/teams/:id',
    name: 'team',
    component: () => import('@/screens/scope/TeamDetailView.vue'),
    props: true,
    meta: { title: 'Team', permission: 'keys:read', nav: 'keys' },
  },
  {
    path: '/pools',
    name: 'pools',
    component: () => import('@/screens/pools/PoolsView.vue'),
    meta: { title: 'Key pools', permission: 'keys:read' },
  },
  {
    path: '/credentials',
    name: 'credentials',
    component: () => import('@/screens/credentials/CredentialsView.vue'),
    meta: { title: 'Provider credentials', permission: 'credentials:read' },
  },
  {
    path: '/models',
    name: 'models',
    component: () => import('@/screens/models/ModelsView.vue'),
    meta: { title: 'Models', permission: 'credentials:read' },
  },
  {
    path: '/playground',
    name: 'playground',
    component: () => import('@/screens/playground/PlaygroundView.vue'),
    meta: { title: 'Playground', permission: 'keys:read' },
  },
  {
    path: '/mcp-servers',
    name: 'mcp-servers',
    component: () => import('@/screens/mcp-servers/McpServersView.vue'),
    meta: { title: 'MCP servers', permission: 'credentials:read' },
  },
  {
    path: '/policies',
    name: 'policies',
    component: () => import('@/screens/policies/PoliciesView.vue'),
    meta: { title: 'Policies', permission: 'policies:read' },
  },
  {
    path: '/policies/new',
    name: 'policy-new',
    component: () => import('@/screens/policies/PolicyCreateView.vue'),
    meta: { title: 'New policy', permission: 'policies:write', nav: 'policies' },
  },
  {
    path: '/policies/:id',
    name: 'policy',
    component: () => import('@/screens/policies/PolicyDetailView.vue'),
    props: true,
    meta: { title: 'Policy', permission: 'policies:read', nav: 'policies' },
  },
  {
    path: '/routes',
    name: 'routes',
    component: () => import('@/screens/routes/RoutesView.vue'),
    meta: { title: 'Routes', permission: 'routes:read' },
  },
  {
    path: '/approvals',
    name: 'approvals',
    component: () => import('@/screens/approvals/ApprovalsView.vue'),
    meta: { title: 'Approvals', permission: 'approvals:read' },
  },
  {
    path: '/budgets',
    name: 'budgets',
    component: () => import('@/screens/budgets/BudgetsView.vue'),
    meta: { title: 'Budgets & limits', permission: 'limits:read' },
  },
  {
    path: '/nodes',
    name: 'nodes',
    component: () => import('@/screens/nodes/NodesView.vue'),
    meta: { title: 'Data-plane nodes', permission: 'nodes:read' },
  },
  {
    path: '/members',
    name: 'members',
    component: () => import('@/screens/members/MembersView.vue'),
    meta: { title: 'Members', permission: 'members:read' },
  },
  {
    path: '/api-tokens',
    name: 'api-tokens',
    component: () => import('@/screens/api-tokens/ApiTokensView.vue'),
    meta: { title: 'API tokens', permission: 'tokens:manage' },
  },
  {
    path: '/admin-log',
    name: 'admin-log',
    component: () => import('@/screens/admin-log/AdminLogView.vue'),
    meta: { title: 'Admin activity', permission: 'audit:read' },
  },
  {
    path: '/audit-trail',
    name: 'audit-trail',
    component: () => import('@/screens/audit-trail/AuditTrailView.vue'),
    meta: { title: 'Audit trail', permission: 'audit:read' },
  },
  {
    path: '/webhooks',
    name: 'webhooks',
    component: () => import('@/screens/webhooks/WebhooksView.vue'),
    meta: { title: 'Webhooks & Slack', permission: 'webhooks:manage' },
  },
  {
    path: '/sso',
    name: 'sso',
    component: () => import('@/screens/sso/SsoView.vue'),
    meta: { title: 'Single sign-on', permission: 'org:manage' },
  },
  {
    path: '/billing',
    name: 'billing',
    component: () => import('@/screens/billing/BillingView.vue'),
    meta: { title: 'Usage & billing', permission: 'org:read' },
  },
  {
    path: '/settings',
    name: 'settings',
    component: () => import('@/screens/settings/SettingsView.vue'),
    meta: { title: 'Settings', permission: 'org:read' },
  },
  {
    // Every role's own account; reached from the user menu, not the sidebar.
    path: '/account',
    name: 'account',
    component: () => import('@/screens/account/AccountView.vue'),
    meta: { title: 'Your account' },
  },
  {
    path: '/:pathMatch(.*)*',
    name: 'not-found',
    component: () => import('@/screens/NotFoundView.vue'),
    meta: { title: 'Not found' },
  },
];

/**
 * The console's routes. Every screen but sign-in and invitations needs a session: the guard
 * loads the viewer once, sends signed-out people to sign-in (remembering where they were
 * going) and sends `/` to the first screen the viewer's role can open.
 */
export function createConsoleRouter(session: Session): Router {
  const router = createRouter({ history: createWebHistory(), routes });

  router.beforeEach(async (to) => {
    let viewer = session.viewer.value;
    if (!viewer) {
      try {
        viewer = await session.load();
      } catch {
        viewer = null;
      }
    }
    if (to.meta.public) {
      return to.name === 'sign-in' && viewer ? { name: homeRoute(session.can) } : true;
    }
    if (!viewer) return { name: 'sign-in', query: to.fullPath === '/' ? {} : { redirect: to.fullPath } };
    if (to.name === 'home') return { name: homeRoute(session.can) };
    return true;
  });

  router.afterEach((to) => {
    document.title = to.meta.title ? `${to.meta.title} · Keyward` : 'Keyward';
  });

  session.onSignedOut(() => {
    const current = router.currentRoute.value;
    if (!current.meta.public) void router.replace({ name: 'sign-in', query: { redirect: current.fullPath } });
  });

  return router;
}

/** Where to go after signing in: the remembered path if it is one of ours, else home. */
export function safeRedirect(value: unknown): string {
  return typeof value === 'string' && value.startsWith('/') && !value.startsWith('//') ? value : '/';
}
