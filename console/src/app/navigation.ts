import type { IconName } from '@/components/icon-paths';

/** One entry of the sidebar. */
interface NavItem {
  /** Route name (also the menu key). */
  readonly route: string;
  readonly label: string;
  readonly icon: IconName;
  /** Hidden from roles without it (the route itself also checks). */
  readonly permission?: string;
  /** Planned screens get their place in the menu before the API has them. */
  readonly soon?: boolean;
}

/** A titled group of sidebar entries. */
export interface NavGroup {
  readonly label: string;
  readonly items: readonly NavItem[];
}

/** The console's sidebar, in order. */
const NAVIGATION: readonly NavGroup[] = [
  {
    label: 'Monitor',
    items: [
      { route: 'overview', label: 'Overview', icon: 'overview', permission: 'events:read' },
      { route: 'audit', label: 'Requests', icon: 'activity', permission: 'events:read' },
      { route: 'performance', label: 'Performance', icon: 'clock', permission: 'events:read' },
    ],
  },
  {
    label: 'Gateway',
    items: [
      { route: 'keys', label: 'Keys', icon: 'key', permission: 'keys:read' },
      { route: 'pools', label: 'Key pools', icon: 'users', permission: 'keys:read' },
      { route: 'credentials', label: 'Provider credentials', icon: 'lock', permission: 'credentials:read' },
      { route: 'models', label: 'Models', icon: 'list', permission: 'credentials:read' },
      { route: 'playground', label: 'Playground', icon: 'play', permission: 'keys:read' },
      { route: 'mcp-servers', label: 'MCP servers', icon: 'server', permission: 'credentials:read' },
      { route: 'policies', label: 'Policies', icon: 'shield', permission: 'policies:read' },
      { route: 'routes', label: 'Routes', icon: 'chain', permission: 'routes:read' },
      { route: 'approvals', label: 'Approvals', icon: 'approval', permission: 'approvals:read' },
      { route: 'budgets', label: 'Budgets & limits', icon: 'wallet', permission: 'limits:read' },
      { route: 'nodes', label: 'Data-plane nodes', icon: 'server', permission: 'nodes:read' },
    ],
  },
  {
    label: 'Organization',
    items: [
      { route: 'members', label: 'Members', icon: 'users', permission: 'members:read' },
      { route: 'api-tokens', label: 'API tokens', icon: 'terminal', permission: 'tokens:manage' },
      { route: 'admin-log', label: 'Admin activity', icon: 'list', permission: 'audit:read' },
      { route: 'audit-trail', label: 'Audit trail', icon: 'chain', permission: 'audit:read' },
      { route: 'webhooks', label: 'Webhooks & Slack', icon: 'bell', permission: 'webhooks:manage' },
      { route: 'sso', label: 'Single sign-on', icon: 'lock', permission: 'org:manage' },
      { route: 'billing', label: 'Usage & billing', icon: 'card', permission: 'org:read' },
      { route: 'settings', label: 'Settings', icon: 'settings', permission: 'org:read' },
    ],
  },
];

/** The sidebar as one role sees it: entries it lacks the permission for are left out, empty groups too. */
export function visibleNavigation(can: (permission: string) => boolean): NavGroup[] {
  return NAVIGATION.map((group) => ({
    label: group.label,
    items: group.items.filter((item) => !item.permission || can(item.permission)),
  })).filter((group) => group.items.length > 0);
}

/** The first screen a role may open (members without `events:read` land on the next one). */
export function homeRoute(can: (permission: string) => boolean): string {
  for (const group of visibleNavigation(can)) {
    const item = group.items.find((i) => !i.soon);
    if (item) return item.route;
  }
  return 'settings';
}
