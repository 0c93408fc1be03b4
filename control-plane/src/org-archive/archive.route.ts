import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Request, Response } from 'express';
import { sqlRows } from '../config-publish/sql.js';
import { answerRouteFailure, RouteError } from '../http/rest-errors.js';
import type { RouteRegistrar } from '../http/route-registrar.js';
import { ARCHIVE_ROUTE, archiveFileName, readArchiveLink } from './archive-link.js';
import { organizationArchive } from './org-export.js';

/**
 * `GET /v1/organization-archive?org=…&expires=…&signature=…`: the organization's archive
 * (`keyward-organization-<slug>-<time>.ndjson.gz`) behind a link `exportOrganization` signed.
 * Refusals before the first byte are `{ error: { code, message } }` with 400, 403, 404, 410 or
 * 503; the archive streams and is gzipped as it is read, and a failure part way cuts the download
 * short (an archive without its end line is refused by `org:import`).
 */
export const registerArchiveRoutes: RouteRegistrar = (app, services) => {
  app.get(ARCHIVE_ROUTE, async (req: Request, res: Response) => {
    try {
      const orgId = readArchiveLink(services.config.keyPepper, req.query as Record<string, unknown>);
      const em = services.orm.em.fork({ clear: true }) as EntityManager;
      const [org] = await sqlRows<{ slug: string }>(em, 'select slug from organizations where id = ?', [orgId]);
      if (!org) throw new RouteError(404, 'NOT_FOUND', 'The organization this archive belongs to no longer exists.');
      const lines = organizationArchive(services.orm.config.get('clientUrl')!, orgId);
      // The header is read before the status line, so a database that is away is still a 503.
      const header = await lines.next();
      res.setHeader('content-type', 'application/gzip');
      res.setHeader('content-disposition', `attachment; filename="${archiveFileName(org.slug, new Date())}"`);
      res.setHeader('cache-control', 'private, no-store');
      const body = Readable.from(
        (async function* () {
          if (!header.done) yield header.value;
          yield* lines;
        })(),
        { objectMode: false },
      );
      await pipeline(body, createGzip(), res);
    } catch (error) {
      if (!res.headersSent) {
        for (const header of ['content-type', 'content-disposition']) res.removeHeader(header);
        return answerRouteFailure(res, services.log, error, 'exporting an organization');
      }
      services.log.error({ err: error }, 'an organization archive failed part way; the download was cut short');
      res.destroy();
    }
  });
};
