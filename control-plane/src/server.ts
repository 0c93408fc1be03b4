import 'reflect-metadata';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type NextFunction, type Request, type Response } from 'express';
import { specifiedRules, validate, type GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { createKms, type Kms } from '@keyward/shared';
import { authenticate, SESSION_COOKIE } from './auth/authenticate.js';
import type { Viewer } from './auth/viewer.js';
import type { ControlPlaneConfig } from './config.js';
import { openDatabase } from './database.js';
import { ClusterBus } from './db/cluster-bus.js';
import { createErrorFormatter } from './errors.js';
import { forkForOrg, type GraphQLContext } from './graphql/context.js';
import { contextError } from './graphql/http-error.js';
import { queryShapeLimit } from './graphql/limits.js';
import { createKeywardPubSub } from './graphql/pubsub.js';
import { buildKeywardSchema } from './schema.js';
import { clientAddress } from './http/client-address.js';
import { serveConsole } from './http/console-static.js';
import { cookieJarFor, readCookie } from './http/cookies.js';
import { requestIdFrom } from './http/request-id.js';
import { ROUTES } from './routes.js';
import { isSameOrigin } from './http/same-origin.js';
import { createLogger, type Logger } from './logger.js';
import { createMailer, type TerminalWriter } from './mail/mailer.js';
import { createServices } from './create-services.js';
import type { Services } from './services.js';
import { STARTUP_TASKS, type StopBackgroundWork } from './startup.js';

export interface StartOptions {
  /** Overrides `config.databaseUrl` (e.g. the embedded server the caller started). */
  readonly databaseUrl?: string;
  /** Log destination (tests capture lines to scan them for secrets). */
  readonly logDestination?: NodeJS.WritableStream;
  /** An already-built KMS (tests share one with a data plane). */
  readonly kms?: Kms;
  /** Where plain-text operator output (the first-start sign-in link) goes; stdout by default. */
  readonly terminal?: TerminalWriter;
}

export interface RunningControlPlane {
  readonly url: string;
  readonly port: number;
  readonly services: Services;
  close(): Promise<void>;
}

const VALIDATION_RULES = [...specifiedRules, queryShapeLimit];

/** Starts the control plane: database, GraphQL over HTTP and graphql-ws, plain routes. */
export async function startControlPlane(config: ControlPlaneConfig, options: StartOptions = {}): Promise<RunningControlPlane> {
  const log = createLogger(config.logLevel, options.logDestination as never);
  const databaseUrl = options.databaseUrl ?? config.databaseUrl;
  if (!databaseUrl) throw new Error('startControlPlane needs a database URL (DATABASE_URL or the embedded server).');
  const orm = await openDatabase(databaseUrl, log);
  const kms = options.kms ?? (await createKms(config.kms, { gcpEndpoint: config.gcpKmsEndpoint ?? undefined, createKeyFile: true }));
  const pubSub = createKeywardPubSub();
  const clusterBus = new ClusterBus(databaseUrl, (sql, params) => orm.em.getConnection().execute(sql, params), log);
  const terminal = options.terminal ?? ((text: string) => void process.stdout.write(text));
  const mailer = createMailer(config, log, terminal);
  const services: Services = createServices({ config, log, orm, kms, pubSub, clusterBus, mailer, terminal });
  const stopBackgroundWork: StopBackgroundWork[] = [];
  for (const task of STARTUP_TASKS) {
    const stop = await task(services);
    if (stop) stopBackgroundWork.push(stop);
  }

  const schema = await buildKeywardSchema(pubSub);
  const app = express();
  const httpServer = createServer(app);
  const wsCleanup = attachGraphqlWs(httpServer, schema, services);

  const apollo = new ApolloServer<GraphQLContext>({
    schema,
    formatError: createErrorFormatter(log),
    includeStacktraceInErrorResponses: false,
    validationRules: [queryShapeLimit],
    csrfPrevention: true,
    // The process's own handlers (main.ts) stop everything in order; Apollo's would race them
    // and hold the process until the forced exit.
    stopOnTerminationSignals: false,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      {
        async serverWillStart() {
          return {
            async drainServer() {
              await wsCleanup();
            },
          };
        },
      },
    ],
  });
  await apollo.start();

  app.disable('x-powered-by');
  app.set('etag', false);
  app.use((req, res, next) => {
    res.setHeader('x-request-id', requestIdFrom(req.headers['x-request-id']));
    res.setHeader('x-content-type-options', 'nosniff');
    // No address (sign-in and approval links carry tokens) ever leaves for another site; our own
    // pages keep theirs, so browsers send our real Origin (not `null`) with the console's and
    // the link pages' POSTs, which the same-origin check needs where Sec-Fetch-Site is missing.
    res.setHeader('referrer-policy', 'same-origin');
    next();
  });
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    try {
      await orm.em.getConnection().execute('select 1');
      res.json({ status: 'ready' });
    } catch {
      res.status(503).json({ status: 'database unavailable' });
    }
  });
  for (const register of ROUTES) register(app, services);

  const secureCookies = config.publicUrl.startsWith('https:');
  app.use(
    '/graphql',
    (req, res, next) => {
      // Cookie-authenticated calls must come from our own pages (API tokens carry no ambient authority).
      if (req.headers.cookie?.includes(`${SESSION_COOKIE}=`) && !isSameOrigin(req, config.publicUrl)) {
        res.status(403).json({ errors: [{ message: 'Cross-site request refused.', extensions: { code: 'FORBIDDEN' } }] });
        return;
      }
      next();
    },
    express.json({ limit: config.maxBodyBytes }),
    expressMiddleware(apollo, {
      context: async ({ req, res }) => {
        const requestId = String(res.getHeader('x-request-id'));
        const cookies = cookieJarFor(req, res, secureCookies);
        let viewer: Viewer | null;
        try {
          viewer = await authenticate(services, forkForOrg(services, null), {
            authorization: req.headers.authorization,
            sessionToken: cookies.get(SESSION_COOKIE),
            orgId: headerValue(req.headers['x-keyward-org']),
          });
        } catch (error) {
          throw contextError(error);
        }
        return {
          services,
          em: forkForOrg(services, viewer?.orgId ?? null),
          viewer,
          requestId,
          log: log.child({ requestId }),
          ip: clientAddress(req),
          userAgent: headerValue(req.headers['user-agent']) ?? '',
          cookies,
        };
      },
    }),
  );
  serveConsole(app, config.consoleDir);
  app.use(bodyErrorHandler(log));

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(config.port, config.host, () => resolve());
  });
  const port = (httpServer.address() as AddressInfo).port;
  const url = `http://${config.host}:${port}`;
  log.info({ url }, 'control plane listening');

  return {
    url,
    port,
    services,
    async close() {
      await apollo.stop();
      await closeServer(httpServer);
      for (const stop of stopBackgroundWork.reverse()) await stop();
      mailer.close();
      await orm.close(true);
      log.info('control plane stopped');
    },
  };
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** graphql-ws on the same path as HTTP GraphQL, authenticated once per connection. */
function attachGraphqlWs(httpServer: Server, schema: GraphQLSchema, services: Services): () => Promise<void> {
  const formatError = createErrorFormatter(services.log);
  const wss = new WebSocketServer({ server: httpServer, path: '/graphql', maxPayload: 1_000_000 });
  const viewers = new WeakMap<object, Viewer | null>();
  const disposable = useServer<Record<string, unknown> | undefined, { request: import('node:http').IncomingMessage }>(
    {
      schema,
      validate: (s, doc) => validate(s, doc, VALIDATION_RULES),
      // Results sent over the socket pass through the same formatter as HTTP answers.
      onNext: (_ctx, _id, _payload, _args, result) => {
        if (!result.errors?.length) return result;
        return { ...result, errors: result.errors.map((e) => formatError(e.toJSON(), e)) } as unknown as typeof result;
      },
      onError: (_ctx, _id, _payload, errors) => errors.map((e) => formatError(e.toJSON(), e)) as never,
      onConnect: async (ctx) => {
        const req = ctx.extra.request;
        const params = ctx.connectionParams ?? {};
        const authorization = typeof params.authorization === 'string' ? params.authorization : undefined;
        const sessionToken = authorization ? undefined : readCookie(req.headers.cookie, SESSION_COOKIE);
        if (sessionToken && !isSameOrigin(req, services.config.publicUrl)) return false;
        try {
          const viewer = await authenticate(services, forkForOrg(services, null), {
            authorization,
            sessionToken,
            orgId: typeof params.orgId === 'string' ? params.orgId : undefined,
          });
          viewers.set(ctx, viewer);
          return true;
        } catch {
          return false;
        }
      },
      context: (ctx, id): GraphQLContext => {
        const viewer = viewers.get(ctx) ?? null;
        const req = ctx.extra.request;
        return {
          services,
          em: forkForOrg(services, viewer?.orgId ?? null),
          viewer,
          requestId: `ws-${id}`,
          log: services.log.child({ requestId: `ws-${id}` }),
          ip: req.socket.remoteAddress ?? 'unknown',
          userAgent: headerValue(req.headers['user-agent']) ?? '',
          cookies: null,
        };
      },
    },
    wss,
  );
  return async () => {
    await disposable.dispose();
  };
}

/** Malformed or oversized JSON bodies answer in GraphQL's error shape, never with a stack trace. */
function bodyErrorHandler(log: Logger) {
  return (err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    const e = err as { type?: string; status?: number };
    if (e.type === 'entity.too.large') {
      res.status(413).json({ errors: [{ message: 'Request body is too large.', extensions: { code: 'PAYLOAD_TOO_LARGE' } }] });
    } else if (e.type === 'entity.parse.failed') {
      res.status(400).json({ errors: [{ message: 'Request body is not valid JSON.', extensions: { code: 'BAD_REQUEST' } }] });
    } else if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
      res.status(e.status).json({ errors: [{ message: 'Bad request.', extensions: { code: 'BAD_REQUEST' } }] });
    } else {
      log.error({ err }, 'unhandled error in HTTP handler');
      res.status(500).json({ errors: [{ message: 'Internal server error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
    }
  };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
