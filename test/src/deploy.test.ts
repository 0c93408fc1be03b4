import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { generateSecret } from '@keyward/shared';
import { loadControlPlaneConfig } from '@keyward/control-plane';
import { loadDataPlaneConfig } from '@keyward/data-plane';

/**
 * `deploy/` cannot be run here (no Docker, no Kubernetes): these checks parse every file with the
 * `yaml` parser, run each process's environment through the planes' own config loaders, and
 * render the Helm chart's value substitutions to validate the manifests it would produce.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DEPLOY = join(ROOT, 'deploy');
const read = (path: string) => readFileSync(join(DEPLOY, path), 'utf8');

/** Sample values for the secrets compose.yaml reads from deploy/.env. */
const SECRETS: Record<string, string> = {
  POSTGRES_PASSWORD: 'pw',
  KEYWARD_KMS_KEY: randomBytes(32).toString('base64'),
  KEYWARD_KEY_PEPPER: randomBytes(32).toString('base64'),
  KEYWARD_HASH_SALT: randomBytes(32).toString('base64'),
  KEYWARD_NODE_TOKEN: generateSecret('node_token'),
};

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  environment?: Record<string, string>;
  healthcheck?: { test: string[] };
  volumes?: string[];
  depends_on?: unknown;
}

function interpolate(env: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).map(([name, value]) => [
      name,
      String(value).replace(/\$\{(\w+)\}/g, (_, variable: string) => {
        if (!(variable in SECRETS)) throw new Error(`compose.yaml reads \${${variable}}, which its header does not list`);
        return SECRETS[variable]!;
      }),
    ]),
  );
}

describe('the Docker Compose deployment', () => {
  const compose = parse(read('compose.yaml'), { merge: true }) as { services: Record<string, ComposeService> };
  const services = compose.services;
  const named = (prefix: string) => Object.keys(services).filter((name) => name.startsWith(prefix));

  it('runs two control planes and three data planes on one PostgreSQL and one Redis, behind a load balancer', () => {
    expect(named('control-plane-')).toEqual(['control-plane-a', 'control-plane-b']);
    expect(named('data-plane-')).toEqual(['data-plane-1', 'data-plane-2', 'data-plane-3']);
    expect(Object.keys(services)).toEqual(expect.arrayContaining(['postgres', 'redis', 'load-balancer']));
    for (const name of Object.keys(services)) {
      const header = read('compose.yaml')
        .split('\n')
        .filter((line) => line.startsWith('#'))
        .join('\n');
      for (const variable of JSON.stringify(services[name]).matchAll(/\$\{(\w+)\}/g)) expect(header).toContain(variable[1]);
    }
  });

  it('gives every control plane an environment its config loader accepts, on the one database', () => {
    const urls = named('control-plane-').map((name) => {
      const config = loadControlPlaneConfig(interpolate(services[name]!.environment!));
      expect(services[name]!.healthcheck!.test.join(' ')).toContain('/readyz');
      expect(services[name]!.build!.dockerfile).toBe('deploy/control-plane.Dockerfile');
      return config.databaseUrl;
    });
    expect(new Set(urls).size).toBe(1);
    expect(urls[0]).toContain('@postgres:5432/');
  });

  it('gives every node every control plane, its own id and state volume, and the shared Redis', () => {
    const controlPlanes = named('control-plane-').map((name) => `http://${name}:4000`);
    const ids = named('data-plane-').map((name) => {
      const config = loadDataPlaneConfig(interpolate(services[name]!.environment!));
      expect(config.controlPlaneUrls).toEqual(controlPlanes);
      expect(config.redisUrl).toBe('redis://redis:6379');
      expect(services[name]!.volumes).toEqual([`${name}:/var/lib/keyward/data-plane`]);
      expect(services[name]!.healthcheck!.test.join(' ')).toContain('/readyz');
      return config.nodeId;
    });
    expect(ids).toEqual(named('data-plane-'));
  });

  it('balances over every control plane and every node', () => {
    const nginx = read('nginx.conf');
    for (const name of [...named('control-plane-'), ...named('data-plane-')]) expect(nginx).toMatch(new RegExp(`server ${name}:\\d+`));
    expect(services['load-balancer']!.volumes).toEqual(['./nginx.conf:/etc/nginx/nginx.conf:ro']);
  });
});

describe('the Dockerfiles', () => {
  for (const plane of ['control-plane', 'data-plane']) {
    it(`build the ${plane} in one stage and run it as a non-root user from another`, () => {
      const text = read(`${plane}.Dockerfile`);
      const stages = text.split('\n').filter((line) => line.startsWith('FROM '));
      expect(stages).toHaveLength(2);
      const final = text.slice(text.lastIndexOf('\nFROM '));
      expect(final).toMatch(/\nUSER node\n/);
      expect(final).toContain(`CMD ["node", "${plane}/dist/main.js"]`);
      expect(existsSync(join(ROOT, plane, 'src', 'main.ts'))).toBe(true);
    });
  }

  it('refuse a data-plane image without the native uWebSockets.js binding', () => {
    const text = read('data-plane.Dockerfile');
    expect(text).toContain("uwsImplementation() !== 'native'");
    expect(existsSync(join(ROOT, 'data-plane', 'src', 'server', 'uws.ts'))).toBe(true);
  });
});

/** Substitutes `{{ .Values.a.b }}` and `{{ .Release.Name }}`; the chart uses no other template syntax. */
function render(template: string, values: Record<string, unknown>, release: string): string {
  return template.replace(/\{\{\s*([^}]*?)\s*\}\}/g, (_, expression: string) => {
    if (expression === '.Release.Name') return release;
    const path = /^\.Values\.([\w.]+)$/.exec(expression);
    if (!path) throw new Error(`the chart uses template syntax this check does not render: {{ ${expression} }}`);
    const value = path[1]!.split('.').reduce<unknown>((at, key) => (at as Record<string, unknown> | undefined)?.[key], values);
    if (value === undefined || typeof value === 'object') throw new Error(`{{ ${expression} }} names no value in values.yaml`);
    return String(value);
  });
}

describe('the Helm chart', () => {
  const chart = parse(read('helm/keyward/Chart.yaml')) as { apiVersion: string; name: string };
  const values = parse(read('helm/keyward/values.yaml')) as Record<string, any>;
  const manifests = readdirSync(join(DEPLOY, 'helm/keyward/templates')).flatMap((file) =>
    parseAllDocuments(render(read(`helm/keyward/templates/${file}`), values, 'kw')).map((doc) => {
      expect(doc.errors).toEqual([]);
      return doc.toJS() as Record<string, any>;
    }),
  );
  const ofKind = (kind: string) => manifests.filter((m) => m.kind === kind);

  it('is a Helm 3 chart whose templates render to Deployments, Services and PodDisruptionBudgets', () => {
    expect(chart).toMatchObject({ apiVersion: 'v2', name: 'keyward' });
    expect(manifests.map((m) => `${m.kind}/${m.metadata.name}`).sort()).toEqual([
      'Deployment/kw-control-plane',
      'Deployment/kw-data-plane',
      'PodDisruptionBudget/kw-control-plane',
      'PodDisruptionBudget/kw-data-plane',
      'Service/kw-control-plane',
      'Service/kw-data-plane',
    ]);
  });

  it('runs the planes non-root with probes, resources, secrets from an existing secret and time to drain', () => {
    for (const deployment of ofKind('Deployment')) {
      const pod = deployment.spec.template.spec;
      const container = pod.containers[0];
      const plane = deployment.metadata.name.replace('kw-', '') === 'control-plane' ? values.controlPlane : values.dataPlane;
      expect(deployment.spec.replicas).toBe(plane.replicas);
      expect(pod.securityContext.runAsNonRoot).toBe(true);
      expect(container.livenessProbe.httpGet.path).toBe('/healthz');
      expect(container.readinessProbe.httpGet.path).toBe('/readyz');
      expect(container.resources).toEqual(plane.resources);
      expect(container.envFrom).toEqual([{ secretRef: { name: values.existingSecret } }]);
      expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(plane.drainSeconds);
    }
  });

  it('selects each plane’s pods with its Service and PodDisruptionBudget', () => {
    for (const deployment of ofKind('Deployment')) {
      const labels = deployment.spec.template.metadata.labels;
      const matches = (selector: Record<string, string>) => Object.entries(selector).every(([key, value]) => labels[key] === value);
      const name = deployment.metadata.name;
      expect(matches(deployment.spec.selector.matchLabels)).toBe(true);
      expect(matches(ofKind('Service').find((s) => s.metadata.name === name)!.spec.selector)).toBe(true);
      const budget = ofKind('PodDisruptionBudget').find((b) => b.metadata.name === name)!;
      expect(matches(budget.spec.selector.matchLabels)).toBe(true);
      expect(budget.spec.minAvailable).toBeLessThan(deployment.spec.replicas);
    }
  });

  it('gives nodes an environment the data plane accepts once the secret is added', () => {
    const container = ofKind('Deployment').find((d) => d.metadata.name === 'kw-data-plane')!.spec.template.spec.containers[0];
    const env = Object.fromEntries(
      container.env.filter((e: { value?: string }) => e.value !== undefined).map((e: { name: string; value: string }) => [e.name, e.value]),
    );
    const config = loadDataPlaneConfig({
      ...env,
      KEYWARD_NODE_ID: 'kw-data-plane-0',
      KEYWARD_KMS: `local-key:${SECRETS.KEYWARD_KMS_KEY}`,
      KEYWARD_KEY_PEPPER: SECRETS.KEYWARD_KEY_PEPPER!,
      KEYWARD_HASH_SALT: SECRETS.KEYWARD_HASH_SALT!,
      KEYWARD_NODE_TOKEN: SECRETS.KEYWARD_NODE_TOKEN!,
      REDIS_URL: 'redis://redis:6379',
    });
    expect(config.controlPlaneUrls).toEqual(['http://kw-control-plane:4000']);
    expect(config.drainTimeoutMs).toBe(values.dataPlane.drainSeconds * 1000);
  });
});
